//! Reading the partner integrations' settings (Keycloak, HubSpot, Google Sheets, CyberSource)
//! for [`super::reader`].

use super::reader::*;
use super::*;

impl Config {
    pub(super) fn read_keycloak(r: &mut Reader<'_>) -> Option<KeycloakConfig> {
        const URL: &str = "MITXONLINE_KEYCLOAK_BASE_URL";
        let base_url = r.opt(URL, parse_url)?;
        let realm = r
            .raw("MITXONLINE_KEYCLOAK_REALM")
            .unwrap_or_else(|| "olapps".to_owned());
        let client_id = r.raw("MITXONLINE_KEYCLOAK_ADMIN_CLIENT_ID");
        let client_secret = r.secret("MITXONLINE_KEYCLOAK_ADMIN_CLIENT_SECRET");
        match (client_id, client_secret) {
            (Some(client_id), Some(client_secret)) => Some(KeycloakConfig {
                base_url,
                realm,
                client_id,
                client_secret,
            }),
            _ => {
                r.problem(
                    "MITXONLINE_KEYCLOAK_ADMIN_CLIENT_ID",
                    "required (with MITXONLINE_KEYCLOAK_ADMIN_CLIENT_SECRET) when MITXONLINE_KEYCLOAK_BASE_URL is set",
                );
                None
            }
        }
    }

    pub(super) fn read_hubspot(r: &mut Reader<'_>) -> HubspotConfig {
        HubspotConfig {
            sync: r.parse("MITXONLINE_HUBSPOT_SYNC", true, parse_bool),
            access_token: r.secret("MITXONLINE_HUBSPOT_ACCESS_TOKEN"),
            base_url: r.parse(
                "MITXONLINE_HUBSPOT_BASE_URL",
                Url::parse("https://api.hubapi.com").expect("valid default"),
                parse_url,
            ),
            pipeline_id: r
                .raw("MITXONLINE_HUBSPOT_PIPELINE_ID")
                .unwrap_or_else(|| "default".to_owned()),
            id_prefix: r
                .raw("MITXONLINE_HUBSPOT_ID_PREFIX")
                .unwrap_or_else(|| "mitxonline".to_owned()),
            rate_per_second: r.parse("MITXONLINE_HUBSPOT_RATE", 19u32, parse_positive),
            course_run_certificate_type: r
                .raw("MITXONLINE_HUBSPOT_COURSE_RUN_CERTIFICATE_OBJECT_TYPE")
                .unwrap_or_else(|| "course_run_certificate".to_owned()),
            program_certificate_type: r
                .raw("MITXONLINE_HUBSPOT_PROGRAM_CERTIFICATE_OBJECT_TYPE")
                .unwrap_or_else(|| "program_certificate".to_owned()),
        }
    }

    pub(super) fn read_sheets(r: &mut Reader<'_>, environment: &str) -> SheetsConfig {
        let credentials = r.raw("MITXONLINE_SHEETS_CREDENTIALS").map(PathBuf::from);
        let spreadsheet_id = r.raw("MITXONLINE_SHEETS_SPREADSHEET_ID");
        if credentials.is_some() && spreadsheet_id.is_none() {
            r.problem(
                "MITXONLINE_SHEETS_SPREADSHEET_ID",
                "required when MITXONLINE_SHEETS_CREDENTIALS is set",
            );
        }
        let name =
            |r: &Reader<'_>, var: &str, default: &str| r.raw(var).unwrap_or_else(|| default.to_owned());
        SheetsConfig {
            credentials,
            spreadsheet_id: spreadsheet_id.unwrap_or_else(|| "sandbox".to_owned()),
            refunds_worksheet: name(r, "MITXONLINE_SHEETS_REFUNDS_WORKSHEET", "Refunds"),
            deferrals_worksheet: name(r, "MITXONLINE_SHEETS_DEFERRALS_WORKSHEET", "Deferrals"),
            processor_name: name(
                r,
                "MITXONLINE_SHEETS_PROCESSOR_APP_NAME",
                &format!("MITx Online ({environment})"),
            ),
            base_url: r.parse(
                "MITXONLINE_SHEETS_BASE_URL",
                Url::parse("https://sheets.googleapis.com").expect("valid default"),
                parse_url,
            ),
        }
    }

    pub(super) fn read_cybersource(r: &mut Reader<'_>) -> Option<CyberSourceConfig> {
        const URL: &str = "MITXONLINE_CYBERSOURCE_SECURE_ACCEPTANCE_URL";
        let url = r.opt(URL, parse_url)?;
        let access_key = r.raw("MITXONLINE_CYBERSOURCE_ACCESS_KEY");
        let profile_id = r.raw("MITXONLINE_CYBERSOURCE_PROFILE_ID");
        let security_key = r.secret("MITXONLINE_CYBERSOURCE_SECURITY_KEY");
        for (name, missing) in [
            ("MITXONLINE_CYBERSOURCE_ACCESS_KEY", access_key.is_none()),
            ("MITXONLINE_CYBERSOURCE_PROFILE_ID", profile_id.is_none()),
            ("MITXONLINE_CYBERSOURCE_SECURITY_KEY", security_key.is_none()),
        ] {
            if missing {
                r.problem(name, format!("required when {URL} is set"));
            }
        }
        Some(CyberSourceConfig {
            secure_acceptance_url: url,
            access_key: access_key?,
            profile_id: profile_id?,
            security_key: security_key?,
            merchant_id: r.raw("MITXONLINE_CYBERSOURCE_MERCHANT_ID"),
            merchant_key_id: r.raw("MITXONLINE_CYBERSOURCE_MERCHANT_KEY_ID"),
            merchant_secret: r.secret("MITXONLINE_CYBERSOURCE_MERCHANT_SECRET"),
            rest_api_url: r.parse(
                "MITXONLINE_CYBERSOURCE_REST_API_URL",
                Url::parse("https://api.cybersource.com").expect("valid default"),
                parse_url,
            ),
        })
    }
}
