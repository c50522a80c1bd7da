//! Reading and validating `MITXONLINE_*` variables into a [`Config`].

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use super::*;

/// Reads variables, remembering each problem instead of stopping at the first.
pub(super) struct Reader<'a> {
    vars: &'a BTreeMap<String, String>,
    problems: Vec<ConfigProblem>,
}

impl Reader<'_> {
    pub(super) fn raw(&self, name: &str) -> Option<String> {
        self.vars
            .get(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    pub(super) fn problem(&mut self, name: &str, message: impl Into<String>) {
        self.problems.push(ConfigProblem {
            variable: name.to_owned(),
            message: message.into(),
        });
    }

    pub(super) fn parse<T>(
        &mut self,
        name: &str,
        default: T,
        f: impl FnOnce(&str) -> Result<T, String>,
    ) -> T {
        match self.raw(name) {
            None => default,
            Some(v) => match f(&v) {
                Ok(t) => t,
                Err(e) => {
                    self.problem(name, e);
                    default
                }
            },
        }
    }

    pub(super) fn opt<T>(&mut self, name: &str, f: impl FnOnce(&str) -> Result<T, String>) -> Option<T> {
        let v = self.raw(name)?;
        match f(&v) {
            Ok(t) => Some(t),
            Err(e) => {
                self.problem(name, e);
                None
            }
        }
    }

    pub(super) fn secret(&self, name: &str) -> Option<Secret> {
        self.raw(name).map(Secret::new)
    }
}

pub(super) fn parse_url(v: &str) -> Result<Url, String> {
    let url = Url::parse(v).map_err(|e| format!("`{v}` is not an absolute URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("`{v}` must be an http:// or https:// URL"));
    }
    Ok(url)
}

/// Parses `250ms`, `1s`, `5m`, `2h`, `1d` (a bare number means seconds).
pub fn parse_duration(v: &str) -> Result<Duration, String> {
    let v = v.trim();
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (num, unit) = v.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("`{v}` is not a duration like 500ms, 1s, 5m, 2h"))?;
    let d = match unit {
        "ms" => Duration::from_millis(n),
        "" | "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n * 60),
        "h" => Duration::from_secs(n * 3600),
        "d" => Duration::from_secs(n * 86_400),
        _ => return Err(format!("`{v}` has an unknown unit (use ms, s, m, h or d)")),
    };
    Ok(d)
}

pub(super) fn parse_bool(v: &str) -> Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(format!("`{v}` is not a boolean (true/false)")),
    }
}

pub(super) fn parse_positive<T: std::str::FromStr + PartialOrd + Default>(v: &str) -> Result<T, String> {
    match v.parse::<T>() {
        Ok(n) if n > T::default() => Ok(n),
        _ => Err(format!("`{v}` is not a positive integer")),
    }
}

/// Parses `10MB`, `512KB`, `1048576`.
pub(super) fn parse_size(v: &str) -> Result<usize, String> {
    let upper = v.to_ascii_uppercase();
    let (num, mult) = if let Some(n) = upper.strip_suffix("MB") {
        (n, 1024 * 1024)
    } else if let Some(n) = upper.strip_suffix("KB") {
        (n, 1024)
    } else if let Some(n) = upper.strip_suffix('B') {
        (n, 1)
    } else {
        (upper.as_str(), 1)
    };
    num.trim()
        .parse::<usize>()
        .ok()
        .filter(|n| *n > 0)
        .map(|n| n * mult)
        .ok_or_else(|| format!("`{v}` is not a size like 10MB, 512KB or a byte count"))
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        let vars = std::env::vars()
            .filter(|(k, _)| k.starts_with("MITXONLINE_"))
            .collect();
        Self::from_vars(&vars)
    }

    /// Builds a configuration from explicit variables (tests, `config check`).
    pub fn from_vars(vars: &BTreeMap<String, String>) -> Result<Self, ConfigError> {
        let mut r = Reader {
            vars,
            problems: Vec::new(),
        };
        let data_dir = PathBuf::from(r.raw("MITXONLINE_DATA_DIR").unwrap_or_else(|| "./data".into()));
        let default_bind: SocketAddr = "127.0.0.1:8013".parse().expect("valid default");
        let bind = r.parse("MITXONLINE_BIND", default_bind, |v| {
            v.parse()
                .map_err(|_| format!("`{v}` is not an address like 127.0.0.1:8013"))
        });
        let default_url = Url::parse("http://127.0.0.1:8013").expect("valid default");
        let public_url = r.parse("MITXONLINE_PUBLIC_URL", default_url, parse_url);
        let environment = r.parse("MITXONLINE_ENVIRONMENT", "dev".to_owned(), |v| {
            if v.len() <= 40
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                Ok(v.to_owned())
            } else {
                Err(format!("`{v}` must be letters, digits, - or _ (at most 40)"))
            }
        });
        let log_format = r.parse("MITXONLINE_LOG_FORMAT", LogFormat::Text, |v| match v {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            _ => Err(format!("`{v}` is not `text` or `json`")),
        });
        let auth_mode = r.parse("MITXONLINE_AUTH_MODE", AuthMode::Local, |v| match v {
            "local" => Ok(AuthMode::Local),
            "oidc" => Ok(AuthMode::Oidc),
            "gateway" => Ok(AuthMode::Gateway),
            _ => Err(format!("`{v}` is not `local`, `oidc` or `gateway`")),
        });
        let default_proxies = vec![
            IpNet::parse("127.0.0.1/8").expect("valid"),
            IpNet::parse("::1").expect("valid"),
        ];
        let gateway_trusted_proxies = r.parse("MITXONLINE_GATEWAY_TRUSTED_PROXIES", default_proxies, |v| {
            v.split(',')
                .filter(|s| !s.trim().is_empty())
                .map(IpNet::parse)
                .collect()
        });

        let oidc_url = r.opt("MITXONLINE_OIDC_DISCOVERY_URL", parse_url);
        let oidc_client = r.raw("MITXONLINE_OIDC_CLIENT_ID");
        let oidc = match (oidc_url, oidc_client) {
            (Some(discovery_url), Some(client_id)) => Some(OidcConfig {
                discovery_url,
                client_id,
                client_secret: r.secret("MITXONLINE_OIDC_CLIENT_SECRET"),
            }),
            _ => None,
        };
        if auth_mode == AuthMode::Oidc && oidc.is_none() {
            r.problem(
                "MITXONLINE_OIDC_DISCOVERY_URL",
                "required (with MITXONLINE_OIDC_CLIENT_ID) when MITXONLINE_AUTH_MODE=oidc",
            );
        }

        let openedx_timeout = r.parse(
            "MITXONLINE_OPENEDX_TIMEOUT",
            Duration::from_secs(25),
            parse_duration,
        );
        let openedx_course_base = r.opt("MITXONLINE_OPENEDX_COURSE_BASE_URL", parse_url);
        let openedx = r
            .opt("MITXONLINE_OPENEDX_API_BASE_URL", parse_url)
            .map(|api_base_url| OpenEdxConfig {
                course_base_url: openedx_course_base.unwrap_or_else(|| api_base_url.clone()),
                api_base_url,
                service_token: r.secret("MITXONLINE_OPENEDX_SERVICE_TOKEN"),
                client_id: r.raw("MITXONLINE_OPENEDX_CLIENT_ID"),
                client_secret: r.secret("MITXONLINE_OPENEDX_CLIENT_SECRET"),
                registration_access_token: r.secret("MITXONLINE_OPENEDX_REGISTRATION_ACCESS_TOKEN"),
                service_worker_username: r.raw("MITXONLINE_OPENEDX_SERVICE_WORKER_USERNAME"),
                timeout: openedx_timeout,
            });

        let cybersource = Self::read_cybersource(&mut r);
        let keycloak = Self::read_keycloak(&mut r);
        let hubspot = Self::read_hubspot(&mut r);
        let sheets = Self::read_sheets(&mut r, &environment);
        let b2b = B2bConfig {
            learn_attach_url: r
                .raw("MITXONLINE_MIT_LEARN_ATTACH_URL")
                .unwrap_or_else(|| "https://learn.mit.edu/enrollmentcode/".to_owned()),
            mailgun_signing_key: r.secret("MITXONLINE_MAILGUN_WEBHOOK_SIGNING_KEY"),
            mailgun_tag: r
                .raw("MITXONLINE_MAILGUN_TAG")
                .unwrap_or_else(|| "b2b-enrollment-code".to_owned()),
        };

        let backup_url = r.opt("MITXONLINE_BACKUP_URL", |v| {
            if v.starts_with("file:///") || v.starts_with("s3://") {
                Ok(v.to_owned())
            } else {
                Err(format!(
                    "`{v}` must be a file:///absolute/path or s3://bucket/prefix URL"
                ))
            }
        });
        let backup_sync_interval = r.parse(
            "MITXONLINE_BACKUP_SYNC_INTERVAL",
            Duration::from_secs(1),
            parse_duration,
        );
        let backup = Self::read_backup(&mut r);
        let smtp_url = r.opt("MITXONLINE_SMTP_URL", |v| {
            crate::mail::smtp::SmtpTarget::parse(v)
                .map(|_| Secret::new(v))
                .map_err(|e| {
                    format!("must be an smtp://, smtp+starttls:// or smtps:// URL with a host ({e})")
                })
        });
        let oxr_url = r
            .opt("MITXONLINE_OPEN_EXCHANGE_RATES_URL", parse_url)
            .map(|mut u| {
                if !u.path().ends_with('/') {
                    u.set_path(&format!("{}/", u.path()));
                }
                u
            });
        let open_exchange_rates =
            r.secret("MITXONLINE_OPEN_EXCHANGE_RATES_APP_ID")
                .map(|app_id| super::OpenExchangeRatesConfig {
                    url: oxr_url.unwrap_or_else(|| {
                        Url::parse("https://openexchangerates.org/api/").expect("a valid default URL")
                    }),
                    app_id,
                });
        let vc = super::VcConfig {
            signer_url: r.opt("MITXONLINE_VC_SIGNER_URL", parse_url),
            signer_token: r.secret("MITXONLINE_VC_SIGNER_TOKEN"),
            did: r
                .raw("MITXONLINE_VC_DID")
                .unwrap_or_else(|| "z6MkSandboxSignerMITxOnline".to_owned()),
            learn_base_url: r
                .opt("MITXONLINE_LEARN_BASE_URL", parse_url)
                .unwrap_or_else(|| Url::parse("https://learn.mit.edu").expect("valid default")),
        };
        let secret_key = r.opt("MITXONLINE_SECRET_KEY", |v| {
            if v.len() >= 32 {
                Ok(Secret::new(v))
            } else {
                Err("must be at least 32 characters".to_owned())
            }
        });
        let body_limit = r.parse("MITXONLINE_BODY_LIMIT", 10 * 1024 * 1024, parse_size);
        let db_readers = r.parse("MITXONLINE_DB_READERS", 4usize, parse_positive);
        let db_memory_mb = r.parse("MITXONLINE_DB_MEMORY_MB", 32usize, parse_positive);
        let db_synchronous = r.parse("MITXONLINE_DB_SYNCHRONOUS", Synchronous::Full, |v| {
            match v.to_ascii_uppercase().as_str() {
                "FULL" => Ok(Synchronous::Full),
                "NORMAL" => Ok(Synchronous::Normal),
                _ => Err(format!("`{v}` is not FULL or NORMAL")),
            }
        });
        let scheduler_enabled = r.parse("MITXONLINE_SCHEDULER", true, parse_bool);
        let bench_ping = r.parse("MITXONLINE_BENCH_PING", false, parse_bool);
        let outbox = OutboxConfig {
            base_backoff: r.parse(
                "MITXONLINE_OUTBOX_BASE_BACKOFF",
                Duration::from_secs(30),
                parse_duration,
            ),
            max_backoff: r.parse(
                "MITXONLINE_OUTBOX_MAX_BACKOFF",
                Duration::from_secs(3600),
                parse_duration,
            ),
            max_attempts: r.parse("MITXONLINE_OUTBOX_MAX_ATTEMPTS", 25u32, parse_positive),
            max_permanent_failures: r.parse("MITXONLINE_OUTBOX_MAX_PERMANENT_FAILURES", 5u32, parse_positive),
            rate_per_minute: r.parse("MITXONLINE_OUTBOX_RATE_PER_MINUTE", 120u32, parse_positive),
            poll_interval: r.parse(
                "MITXONLINE_OUTBOX_POLL_INTERVAL",
                Duration::from_secs(1),
                parse_duration,
            ),
        };
        let shutdown_grace = r.parse(
            "MITXONLINE_SHUTDOWN_GRACE",
            Duration::from_secs(20),
            parse_duration,
        );

        let cybersource_sandbox_backoffice_url =
            r.opt("MITXONLINE_CYBERSOURCE_SANDBOX_BACKOFFICE_URL", parse_url);
        let sandbox = r.opt("MITXONLINE_SANDBOX", parse_bool);
        let frame_ancestors = r.parse(
            "MITXONLINE_FRAME_ANCESTORS",
            vec!["'self'".to_owned()],
            super::web::parse_frame_ancestors,
        );
        let trusted_origins = r.parse(
            "MITXONLINE_TRUSTED_ORIGINS",
            Vec::new(),
            super::web::parse_origins,
        );

        if !r.problems.is_empty() {
            return Err(ConfigError(r.problems));
        }
        Ok(Config {
            data_dir,
            bind,
            public_url,
            environment,
            log_format,
            auth_mode,
            gateway_trusted_proxies,
            oidc,
            openedx,
            cybersource,
            keycloak,
            hubspot,
            sheets,
            b2b,
            cybersource_sandbox_backoffice_url,
            sandbox,
            sandbox_keys: None,
            frame_ancestors,
            trusted_origins,
            backup_url,
            backup_sync_interval,
            backup,
            smtp_url,
            open_exchange_rates,
            vc,
            secret_key,
            body_limit,
            db_readers,
            db_memory_mb,
            db_synchronous,
            scheduler_enabled,
            bench_ping,
            outbox,
            shutdown_grace,
        })
    }

    fn read_backup(r: &mut Reader<'_>) -> BackupSettings {
        let day = Duration::from_secs(86_400);
        let compaction = r.parse(
            "MITXONLINE_BACKUP_COMPACTION_INTERVALS",
            [
                Duration::from_secs(30),
                Duration::from_secs(300),
                Duration::from_secs(3600),
            ],
            |v| {
                let d: Vec<Duration> = v.split(',').map(parse_duration).collect::<Result<_, _>>()?;
                d.try_into()
                    .map_err(|_| format!("`{v}` must be three durations (levels 1, 2, 3)"))
            },
        );
        BackupSettings {
            snapshot_interval: r.parse("MITXONLINE_BACKUP_SNAPSHOT_INTERVAL", day, parse_duration),
            retention: r.parse("MITXONLINE_BACKUP_RETENTION", day, parse_duration),
            l0_retention: r.parse(
                "MITXONLINE_BACKUP_L0_RETENTION",
                Duration::from_secs(300),
                parse_duration,
            ),
            compaction,
            s3_endpoint: r.opt("MITXONLINE_BACKUP_S3_ENDPOINT", parse_url),
            s3_region: r.parse("MITXONLINE_BACKUP_S3_REGION", "us-east-1".to_owned(), |v| {
                Ok(v.to_owned())
            }),
            s3_access_key_id: r.raw("MITXONLINE_BACKUP_S3_ACCESS_KEY_ID"),
            s3_secret_access_key: r.secret("MITXONLINE_BACKUP_S3_SECRET_ACCESS_KEY"),
        }
    }
}
