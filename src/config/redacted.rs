//! The effective configuration as `NAME=value` lines, secrets redacted (`config check`).

use std::fmt;

use super::*;

impl Config {
    /// The effective configuration as `NAME=value` lines, secrets redacted.
    pub fn redacted_lines(&self) -> Vec<String> {
        fn opt<T: fmt::Display>(v: &Option<T>) -> String {
            v.as_ref()
                .map(ToString::to_string)
                .unwrap_or_else(|| "(unset)".into())
        }
        let sandboxes = self.sandbox_allowed();
        let sandbox = |set: bool| match (set, sandboxes) {
            (true, _) => "",
            (false, true) => " (unset: built-in sandbox)",
            (false, false) => " (unset: REQUIRED, sandboxes are off)",
        };
        let mut out = vec![
            format!("MITXONLINE_DATA_DIR={}", self.data_dir.display()),
            format!("MITXONLINE_BIND={}", self.bind),
            format!("MITXONLINE_PUBLIC_URL={}", self.public_url),
            format!("MITXONLINE_ENVIRONMENT={}", self.environment),
            format!(
                "MITXONLINE_LOG_FORMAT={}",
                match self.log_format {
                    LogFormat::Text => "text",
                    LogFormat::Json => "json",
                }
            ),
            format!(
                "MITXONLINE_AUTH_MODE={}",
                match self.auth_mode {
                    AuthMode::Local => "local",
                    AuthMode::Oidc => "oidc",
                    AuthMode::Gateway => "gateway",
                }
            ),
            format!(
                "MITXONLINE_GATEWAY_TRUSTED_PROXIES={}",
                self.gateway_trusted_proxies
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        ];
        match &self.oidc {
            Some(o) => {
                out.push(format!("MITXONLINE_OIDC_DISCOVERY_URL={}", o.discovery_url));
                out.push(format!("MITXONLINE_OIDC_CLIENT_ID={}", o.client_id));
                out.push(format!("MITXONLINE_OIDC_CLIENT_SECRET={}", opt(&o.client_secret)));
            }
            None => out.push("MITXONLINE_OIDC_DISCOVERY_URL=(unset)".into()),
        }
        match &self.openedx {
            Some(o) => {
                out.push(format!("MITXONLINE_OPENEDX_API_BASE_URL={}", o.api_base_url));
                out.push(format!(
                    "MITXONLINE_OPENEDX_SERVICE_TOKEN={}",
                    opt(&o.service_token)
                ));
                out.push(format!("MITXONLINE_OPENEDX_CLIENT_ID={}", opt(&o.client_id)));
                out.push(format!(
                    "MITXONLINE_OPENEDX_CLIENT_SECRET={}",
                    opt(&o.client_secret)
                ));
                out.push(format!(
                    "MITXONLINE_OPENEDX_REGISTRATION_ACCESS_TOKEN={}",
                    opt(&o.registration_access_token)
                ));
                out.push(format!(
                    "MITXONLINE_OPENEDX_SERVICE_WORKER_USERNAME={}",
                    opt(&o.service_worker_username)
                ));
                out.push(format!("MITXONLINE_OPENEDX_TIMEOUT={:?}", o.timeout));
                out.push(format!(
                    "MITXONLINE_OPENEDX_COURSE_BASE_URL={}",
                    o.course_base_url
                ));
            }
            None => out.push(format!(
                "MITXONLINE_OPENEDX_API_BASE_URL=(unset){}",
                sandbox(false)
            )),
        }
        match &self.cybersource {
            Some(c) => {
                out.push(format!(
                    "MITXONLINE_CYBERSOURCE_SECURE_ACCEPTANCE_URL={}",
                    c.secure_acceptance_url
                ));
                out.push(format!("MITXONLINE_CYBERSOURCE_ACCESS_KEY={}", c.access_key));
                out.push(format!("MITXONLINE_CYBERSOURCE_PROFILE_ID={}", c.profile_id));
                out.push(format!("MITXONLINE_CYBERSOURCE_SECURITY_KEY={}", c.security_key));
                out.push(format!(
                    "MITXONLINE_CYBERSOURCE_MERCHANT_ID={}",
                    opt(&c.merchant_id)
                ));
                out.push(format!(
                    "MITXONLINE_CYBERSOURCE_MERCHANT_KEY_ID={}",
                    opt(&c.merchant_key_id)
                ));
                out.push(format!(
                    "MITXONLINE_CYBERSOURCE_MERCHANT_SECRET={}",
                    opt(&c.merchant_secret)
                ));
                out.push(format!("MITXONLINE_CYBERSOURCE_REST_API_URL={}", c.rest_api_url));
            }
            None => {
                out.push(format!(
                    "MITXONLINE_CYBERSOURCE_SECURE_ACCEPTANCE_URL=(unset){}",
                    sandbox(false)
                ));
                out.push(format!(
                    "MITXONLINE_CYBERSOURCE_SANDBOX_BACKOFFICE_URL={}",
                    opt(&self.cybersource_sandbox_backoffice_url)
                ));
            }
        }
        out.push(format!(
            "MITXONLINE_SANDBOX={}",
            match self.sandbox {
                Some(true) => "on".to_owned(),
                Some(false) => "off".to_owned(),
                None => format!("(unset: {})", if sandboxes { "on in dev/test" } else { "off" }),
            }
        ));
        out.push(format!(
            "MITXONLINE_FRAME_ANCESTORS={}",
            self.frame_ancestors.join(" ")
        ));
        out.push(format!(
            "MITXONLINE_TRUSTED_ORIGINS={}",
            if self.trusted_origins.is_empty() {
                "(unset)".to_owned()
            } else {
                self.trusted_origins.join(",")
            }
        ));
        out.push(format!("MITXONLINE_BACKUP_URL={}", opt(&self.backup_url)));
        out.push(format!(
            "MITXONLINE_BACKUP_SYNC_INTERVAL={:?}",
            self.backup_sync_interval
        ));
        let b = &self.backup;
        out.push(format!(
            "MITXONLINE_BACKUP_SNAPSHOT_INTERVAL={:?}",
            b.snapshot_interval
        ));
        out.push(format!("MITXONLINE_BACKUP_RETENTION={:?}", b.retention));
        out.push(format!("MITXONLINE_BACKUP_L0_RETENTION={:?}", b.l0_retention));
        out.push(format!(
            "MITXONLINE_BACKUP_COMPACTION_INTERVALS={:?}",
            b.compaction
        ));
        out.push(format!("MITXONLINE_BACKUP_S3_ENDPOINT={}", opt(&b.s3_endpoint)));
        out.push(format!("MITXONLINE_BACKUP_S3_REGION={}", b.s3_region));
        out.push(format!(
            "MITXONLINE_BACKUP_S3_ACCESS_KEY_ID={}",
            opt(&b.s3_access_key_id)
        ));
        out.push(format!(
            "MITXONLINE_BACKUP_S3_SECRET_ACCESS_KEY={}",
            opt(&b.s3_secret_access_key)
        ));
        out.push(format!(
            "MITXONLINE_SMTP_URL={}",
            self.smtp_url.as_ref().map(|s| s.to_string()).unwrap_or_else(|| {
                if sandboxes {
                    "(unset: sandbox mailbox)".into()
                } else {
                    "(unset: REQUIRED, sandboxes are off)".into()
                }
            })
        ));
        match &self.keycloak {
            Some(k) => {
                out.push(format!("MITXONLINE_KEYCLOAK_BASE_URL={}", k.base_url));
                out.push(format!("MITXONLINE_KEYCLOAK_REALM={}", k.realm));
                out.push(format!("MITXONLINE_KEYCLOAK_ADMIN_CLIENT_ID={}", k.client_id));
                out.push(format!(
                    "MITXONLINE_KEYCLOAK_ADMIN_CLIENT_SECRET={}",
                    k.client_secret
                ));
            }
            None => out.push(format!("MITXONLINE_KEYCLOAK_BASE_URL=(unset){}", sandbox(false))),
        }
        let h = &self.hubspot;
        out.push(format!(
            "MITXONLINE_HUBSPOT_SYNC={}",
            if h.sync { "on" } else { "off" }
        ));
        match &h.access_token {
            Some(t) => out.push(format!("MITXONLINE_HUBSPOT_ACCESS_TOKEN={t}")),
            None => out.push(format!(
                "MITXONLINE_HUBSPOT_ACCESS_TOKEN=(unset){}",
                sandbox(false)
            )),
        }
        out.push(format!("MITXONLINE_HUBSPOT_BASE_URL={}", h.base_url));
        out.push(format!("MITXONLINE_HUBSPOT_PIPELINE_ID={}", h.pipeline_id));
        out.push(format!("MITXONLINE_HUBSPOT_ID_PREFIX={}", h.id_prefix));
        out.push(format!("MITXONLINE_HUBSPOT_RATE={}", h.rate_per_second));
        out.push(format!(
            "MITXONLINE_HUBSPOT_COURSE_RUN_CERTIFICATE_OBJECT_TYPE={}",
            h.course_run_certificate_type
        ));
        out.push(format!(
            "MITXONLINE_HUBSPOT_PROGRAM_CERTIFICATE_OBJECT_TYPE={}",
            h.program_certificate_type
        ));
        let g = &self.sheets;
        match &g.credentials {
            Some(path) => out.push(format!("MITXONLINE_SHEETS_CREDENTIALS={}", path.display())),
            None if sandboxes => out.push(format!("MITXONLINE_SHEETS_CREDENTIALS=(unset){}", sandbox(false))),
            None => {
                out.push("MITXONLINE_SHEETS_CREDENTIALS=(unset: Sheets requests are not read)".to_owned())
            }
        }
        out.push(format!("MITXONLINE_SHEETS_SPREADSHEET_ID={}", g.spreadsheet_id));
        out.push(format!(
            "MITXONLINE_SHEETS_REFUNDS_WORKSHEET={}",
            g.refunds_worksheet
        ));
        out.push(format!(
            "MITXONLINE_SHEETS_DEFERRALS_WORKSHEET={}",
            g.deferrals_worksheet
        ));
        out.push(format!(
            "MITXONLINE_SHEETS_PROCESSOR_APP_NAME={}",
            g.processor_name
        ));
        out.push(format!("MITXONLINE_SHEETS_BASE_URL={}", g.base_url));
        out.push(format!(
            "MITXONLINE_MIT_LEARN_ATTACH_URL={}",
            self.b2b.learn_attach_url
        ));
        out.push(format!(
            "MITXONLINE_MAILGUN_WEBHOOK_SIGNING_KEY={}",
            opt(&self.b2b.mailgun_signing_key)
        ));
        out.push(format!("MITXONLINE_MAILGUN_TAG={}", self.b2b.mailgun_tag));
        out.push(format!(
            "MITXONLINE_OPEN_EXCHANGE_RATES_APP_ID={}",
            self.open_exchange_rates
                .as_ref()
                .map(|o| format!("{} ({})", o.app_id, o.url))
                .unwrap_or_else(|| {
                    if sandboxes {
                        "(unset: sandbox exchange rates)".into()
                    } else {
                        "(unset: the exchange-rate job fails)".into()
                    }
                })
        ));
        out.push(format!(
            "MITXONLINE_VC_SIGNER_URL={}",
            self.vc
                .signer_url
                .as_ref()
                .map_or("(unset: built-in sandbox signer)".to_owned(), |u| u.to_string())
        ));
        out.push(format!(
            "MITXONLINE_VC_SIGNER_TOKEN={}",
            self.vc
                .signer_token
                .as_ref()
                .map_or("(unset)".to_owned(), |s| s.to_string())
        ));
        out.push(format!("MITXONLINE_VC_DID={}", self.vc.did));
        out.push(format!("MITXONLINE_LEARN_BASE_URL={}", self.vc.learn_base_url));
        out.push(format!(
            "MITXONLINE_SECRET_KEY={}",
            self.secret_key
                .as_ref()
                .map(|s| s.to_string())
                .unwrap_or_else(|| "(unset: generated and kept in the database)".into())
        ));
        out.push(format!("MITXONLINE_BODY_LIMIT={}", self.body_limit));
        out.push(format!("MITXONLINE_DB_READERS={}", self.db_readers));
        out.push(format!("MITXONLINE_DB_MEMORY_MB={}", self.db_memory_mb));
        out.push(format!("MITXONLINE_DB_SYNCHRONOUS={:?}", self.db_synchronous).to_uppercase());
        out.push(format!("MITXONLINE_SCHEDULER={}", self.scheduler_enabled));
        out.push(format!("MITXONLINE_BENCH_PING={}", self.bench_ping));
        out.push(format!(
            "MITXONLINE_OUTBOX_BASE_BACKOFF={:?}",
            self.outbox.base_backoff
        ));
        out.push(format!(
            "MITXONLINE_OUTBOX_MAX_BACKOFF={:?}",
            self.outbox.max_backoff
        ));
        out.push(format!(
            "MITXONLINE_OUTBOX_MAX_ATTEMPTS={}",
            self.outbox.max_attempts
        ));
        out.push(format!(
            "MITXONLINE_OUTBOX_MAX_PERMANENT_FAILURES={}",
            self.outbox.max_permanent_failures
        ));
        out.push(format!(
            "MITXONLINE_OUTBOX_RATE_PER_MINUTE={}",
            self.outbox.rate_per_minute
        ));
        out.push(format!(
            "MITXONLINE_OUTBOX_POLL_INTERVAL={:?}",
            self.outbox.poll_interval
        ));
        out.push(format!("MITXONLINE_SHUTDOWN_GRACE={:?}", self.shutdown_grace));
        out
    }
}
