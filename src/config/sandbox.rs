//! When the built-in sandboxes (CyberSource, Open edX, mail) may run, as one rule.
//!
//! A sandbox stands in for a partner whose variables are unset. That is what a developer wants
//! and never what production wants: a sandbox CyberSource "accepts" any test card, so an
//! instance that fell back to it would give courses away. The sandboxes therefore run only when
//! `MITXONLINE_ENVIRONMENT` is `dev` or `test`, or when `MITXONLINE_SANDBOX=on` says so
//! explicitly; anywhere else `serve` (and every command that talks to partners) refuses to
//! start, naming the variables of each missing partner.

use super::{Config, ConfigError, ConfigProblem};

/// Environments where the sandboxes run unless `MITXONLINE_SANDBOX=off`.
pub const SANDBOX_ENVIRONMENTS: [&str; 2] = ["dev", "test"];

/// The variables a real CyberSource needs (the REST merchant keys are only for refunds and
/// reconciliation, so they are not required to start).
const CYBERSOURCE_VARIABLES: [&str; 4] = [
    "MITXONLINE_CYBERSOURCE_SECURE_ACCEPTANCE_URL",
    "MITXONLINE_CYBERSOURCE_ACCESS_KEY",
    "MITXONLINE_CYBERSOURCE_PROFILE_ID",
    "MITXONLINE_CYBERSOURCE_SECURITY_KEY",
];

impl Config {
    /// Whether the built-in sandboxes may run in this process.
    pub fn sandbox_allowed(&self) -> bool {
        self.sandbox
            .unwrap_or_else(|| SANDBOX_ENVIRONMENTS.contains(&self.environment.as_str()))
    }

    /// The sandbox CyberSource is in use (no credentials, sandboxes allowed).
    pub fn cybersource_sandbox(&self) -> bool {
        self.cybersource.is_none() && self.sandbox_allowed()
    }

    /// The sandbox Open edX is in use (no `MITXONLINE_OPENEDX_API_BASE_URL`, sandboxes allowed).
    pub fn openedx_sandbox(&self) -> bool {
        self.openedx.is_none() && self.sandbox_allowed()
    }

    /// The sandbox Keycloak admin API is in use (no `MITXONLINE_KEYCLOAK_BASE_URL`, sandboxes allowed).
    pub fn keycloak_sandbox(&self) -> bool {
        self.keycloak.is_none() && self.sandbox_allowed()
    }

    /// The sandbox HubSpot CRM is in use (sync on, no `MITXONLINE_HUBSPOT_ACCESS_TOKEN`,
    /// sandboxes allowed).
    pub fn hubspot_sandbox(&self) -> bool {
        self.hubspot.sync && self.hubspot.access_token.is_none() && self.sandbox_allowed()
    }

    /// The sandbox spreadsheet is in use (no `MITXONLINE_SHEETS_CREDENTIALS`, sandboxes
    /// allowed). Without credentials elsewhere, the Sheets job reads nothing.
    pub fn sheets_sandbox(&self) -> bool {
        self.sheets.credentials.is_none() && self.sandbox_allowed()
    }

    /// The sandbox mailbox is in use (no `MITXONLINE_SMTP_URL`, sandboxes allowed).
    pub fn mail_sandbox(&self) -> bool {
        self.smtp_url.is_none() && self.sandbox_allowed()
    }

    /// The sandbox exchange-rate table is in use (no `MITXONLINE_OPEN_EXCHANGE_RATES_APP_ID`,
    /// sandboxes allowed).
    pub fn exchange_rates_sandbox(&self) -> bool {
        self.open_exchange_rates.is_none() && self.sandbox_allowed()
    }

    /// What would make a sandbox run where sandboxes are not allowed: one problem per missing
    /// variable. Empty when the sandboxes are allowed or every partner is configured.
    pub fn sandbox_problems(&self) -> Vec<ConfigProblem> {
        if self.sandbox_allowed() {
            return Vec::new();
        }
        let why = |partner: &str| {
            format!(
                "required when MITXONLINE_ENVIRONMENT is `{}`: without it the built-in sandbox {partner} \
                 would run, and sandboxes run only in dev/test or with MITXONLINE_SANDBOX=on",
                self.environment
            )
        };
        let mut missing: Vec<(&str, String)> = Vec::new();
        if self.cybersource.is_none() {
            missing.extend(CYBERSOURCE_VARIABLES.iter().map(|v| (*v, why("CyberSource"))));
        }
        if self.openedx.is_none() {
            missing.push(("MITXONLINE_OPENEDX_API_BASE_URL", why("Open edX")));
        }
        if self.smtp_url.is_none() {
            missing.push(("MITXONLINE_SMTP_URL", why("mailbox (mail is never sent)")));
        }
        if self.keycloak.is_none() {
            missing.push(("MITXONLINE_KEYCLOAK_BASE_URL", why("Keycloak admin API")));
        }
        if self.hubspot.sync && self.hubspot.access_token.is_none() {
            missing.push((
                "MITXONLINE_HUBSPOT_ACCESS_TOKEN",
                why("HubSpot CRM (or MITXONLINE_HUBSPOT_SYNC=off)"),
            ));
        }
        missing
            .into_iter()
            .map(|(variable, message)| ConfigProblem {
                variable: variable.to_owned(),
                message,
            })
            .collect()
    }

    /// `Ok` when this configuration may serve: every partner is configured or the sandboxes
    /// are allowed.
    pub fn check_sandboxes(&self) -> Result<(), ConfigError> {
        let problems = self.sandbox_problems();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError(problems))
        }
    }
}
