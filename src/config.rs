//! Typed configuration read from `MITXONLINE_*` environment variables.
//!
//! Every variable is parsed and validated once at start; an invalid value is reported with the
//! variable's name, and all problems are reported together so an operator fixes them in one go.
//! Secrets are wrapped in [`Secret`], which never prints its value.

use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use url::Url;

/// A value that must never appear in logs, errors or `config check` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    /// The secret itself, for the one place that needs it (signing, authenticating).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"********\"")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("********")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    Local,
    Oidc,
    Gateway,
}

/// SQLite `synchronous` level; FULL by default so an acknowledged payment survives power loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Synchronous {
    Normal,
    Full,
}

/// An IPv4 or IPv6 network in CIDR notation (`127.0.0.1/8`, `::1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl IpNet {
    pub fn parse(s: &str) -> Result<Self, String> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr
            .trim()
            .parse()
            .map_err(|_| format!("`{s}` is not an IP address or CIDR network"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("`{s}` has an invalid prefix length"))?,
            None => max,
        };
        Ok(Self { addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = if self.prefix == 0 {
                    0
                } else {
                    u32::MAX << (32 - self.prefix)
                };
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = if self.prefix == 0 {
                    0
                } else {
                    u128::MAX << (128 - self.prefix)
                };
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// Open edX connection; `None` in [`Config::openedx`] means the built-in sandbox.
#[derive(Debug, Clone)]
pub struct OpenEdxConfig {
    pub api_base_url: Url,
    pub service_token: Option<Secret>,
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
    /// `X-Access-Token` sent with registrations (`MITXONLINE_OPENEDX_REGISTRATION_ACCESS_TOKEN`).
    pub registration_access_token: Option<Secret>,
    /// The staff user the service token belongs to; course lists are asked "as" this user.
    pub service_worker_username: Option<String>,
    /// Per-request timeout (`MITXONLINE_OPENEDX_TIMEOUT`, default 25 s like edx-api-client).
    pub timeout: Duration,
    /// Learner-facing LMS base for courseware links (`MITXONLINE_OPENEDX_COURSE_BASE_URL`,
    /// default: the API base URL).
    pub course_base_url: Url,
}

/// CyberSource credentials; `None` in [`Config::cybersource`] means the built-in sandbox.
#[derive(Debug, Clone)]
pub struct CyberSourceConfig {
    pub secure_acceptance_url: Url,
    pub access_key: String,
    pub profile_id: String,
    pub security_key: Secret,
    pub merchant_id: Option<String>,
    pub merchant_key_id: Option<String>,
    pub merchant_secret: Option<Secret>,
    /// REST API base (`MITXONLINE_CYBERSOURCE_REST_API_URL`, default production).
    pub rest_api_url: Url,
}

#[derive(Debug, Clone)]
pub struct OidcConfig {
    pub discovery_url: Url,
    pub client_id: String,
    pub client_secret: Option<Secret>,
}

/// Outbox delivery policy (DESIGN decision 7).
#[derive(Debug, Clone)]
pub struct OutboxConfig {
    /// First retry delay; later ones double, with full jitter, up to `max_backoff`.
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    /// After this many attempts a message becomes a dead letter.
    pub max_attempts: u32,
    /// Permanent (4xx other than 429) failures tolerated before dead-lettering.
    pub max_permanent_failures: u32,
    /// Deliveries per minute to one destination.
    pub rate_per_minute: u32,
    /// How often the dispatcher looks for due messages when nothing wakes it.
    pub poll_interval: Duration,
}

/// Snapshot, compaction, retention and S3 settings of the streamed backup.
#[derive(Debug, Clone)]
pub struct BackupSettings {
    pub snapshot_interval: Duration,
    pub retention: Duration,
    /// How long level-0 files stay after they were compacted into level 1.
    pub l0_retention: Duration,
    /// Compaction intervals of levels 1, 2 and 3.
    pub compaction: [Duration; 3],
    /// S3-compatible endpoint (`http://127.0.0.1:9000`); AWS when unset.
    pub s3_endpoint: Option<Url>,
    pub s3_region: String,
    pub s3_access_key_id: Option<String>,
    pub s3_secret_access_key: Option<Secret>,
}

/// The effective configuration of one process.
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub bind: SocketAddr,
    pub public_url: Url,
    pub environment: String,
    pub log_format: LogFormat,
    pub auth_mode: AuthMode,
    pub gateway_trusted_proxies: Vec<IpNet>,
    pub oidc: Option<OidcConfig>,
    pub openedx: Option<OpenEdxConfig>,
    pub cybersource: Option<CyberSourceConfig>,
    /// Where the sandbox CyberSource posts server-to-server results when a checkout form names
    /// no `override_backoffice_post_url` (default `<public url>/api/checkout/result/`).
    pub cybersource_sandbox_backoffice_url: Option<Url>,
    pub backup_url: Option<String>,
    pub backup_sync_interval: Duration,
    pub backup: BackupSettings,
    pub smtp_url: Option<Secret>,
    pub secret_key: Option<Secret>,
    pub body_limit: usize,
    pub db_readers: usize,
    pub db_synchronous: Synchronous,
    pub scheduler_enabled: bool,
    pub outbox: OutboxConfig,
    pub shutdown_grace: Duration,
}

/// One invalid variable and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    pub variable: String,
    pub message: String,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.variable, self.message)
    }
}

/// Every problem found, so `config check` can list them all.
#[derive(Debug, Clone)]
pub struct ConfigError(pub Vec<ConfigProblem>);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "invalid configuration:")?;
        for p in &self.0 {
            writeln!(f, "  {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// Reads variables, remembering each problem instead of stopping at the first.
struct Reader<'a> {
    vars: &'a BTreeMap<String, String>,
    problems: Vec<ConfigProblem>,
}

impl Reader<'_> {
    fn raw(&self, name: &str) -> Option<String> {
        self.vars
            .get(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    fn problem(&mut self, name: &str, message: impl Into<String>) {
        self.problems.push(ConfigProblem {
            variable: name.to_owned(),
            message: message.into(),
        });
    }

    fn parse<T>(&mut self, name: &str, default: T, f: impl FnOnce(&str) -> Result<T, String>) -> T {
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

    fn opt<T>(&mut self, name: &str, f: impl FnOnce(&str) -> Result<T, String>) -> Option<T> {
        let v = self.raw(name)?;
        match f(&v) {
            Ok(t) => Some(t),
            Err(e) => {
                self.problem(name, e);
                None
            }
        }
    }

    fn secret(&self, name: &str) -> Option<Secret> {
        self.raw(name).map(Secret::new)
    }
}

fn parse_url(v: &str) -> Result<Url, String> {
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

fn parse_bool(v: &str) -> Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(format!("`{v}` is not a boolean (true/false)")),
    }
}

fn parse_positive<T: std::str::FromStr + PartialOrd + Default>(v: &str) -> Result<T, String> {
    match v.parse::<T>() {
        Ok(n) if n > T::default() => Ok(n),
        _ => Err(format!("`{v}` is not a positive integer")),
    }
}

/// Parses `10MB`, `512KB`, `1048576`.
fn parse_size(v: &str) -> Result<usize, String> {
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
            if v.starts_with("smtp://") || v.starts_with("smtps://") {
                Ok(Secret::new(v))
            } else {
                Err("must be an smtp:// or smtps:// URL".to_owned())
            }
        });
        let secret_key = r.opt("MITXONLINE_SECRET_KEY", |v| {
            if v.len() >= 32 {
                Ok(Secret::new(v))
            } else {
                Err("must be at least 32 characters".to_owned())
            }
        });
        let body_limit = r.parse("MITXONLINE_BODY_LIMIT", 10 * 1024 * 1024, parse_size);
        let db_readers = r.parse("MITXONLINE_DB_READERS", 4usize, parse_positive);
        let db_synchronous = r.parse("MITXONLINE_DB_SYNCHRONOUS", Synchronous::Full, |v| {
            match v.to_ascii_uppercase().as_str() {
                "FULL" => Ok(Synchronous::Full),
                "NORMAL" => Ok(Synchronous::Normal),
                _ => Err(format!("`{v}` is not FULL or NORMAL")),
            }
        });
        let scheduler_enabled = r.parse("MITXONLINE_SCHEDULER", true, parse_bool);
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
            cybersource_sandbox_backoffice_url,
            backup_url,
            backup_sync_interval,
            backup,
            smtp_url,
            secret_key,
            body_limit,
            db_readers,
            db_synchronous,
            scheduler_enabled,
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

    fn read_cybersource(r: &mut Reader<'_>) -> Option<CyberSourceConfig> {
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

    /// Path of the one database file.
    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("mitxonline.db")
    }

    /// The path prefix of [`Config::public_url`] without a trailing slash (`""` or `/mitxonline`).
    pub fn path_prefix(&self) -> &str {
        self.public_url.path().trim_end_matches('/')
    }

    /// An absolute URL for an app path such as `/api/v2/courses/?page=2`.
    pub fn absolute_url(&self, path_and_query: &str) -> String {
        let origin = self.public_url.as_str().trim_end_matches('/');
        format!("{origin}{path_and_query}")
    }

    /// The effective configuration as `NAME=value` lines, secrets redacted.
    pub fn redacted_lines(&self) -> Vec<String> {
        fn opt<T: fmt::Display>(v: &Option<T>) -> String {
            v.as_ref()
                .map(ToString::to_string)
                .unwrap_or_else(|| "(unset)".into())
        }
        let sandbox = |set: bool| if set { "" } else { " (unset: built-in sandbox)" };
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
            self.smtp_url
                .as_ref()
                .map(|s| s.to_string())
                .unwrap_or_else(|| "(unset: sandbox mailbox)".into())
        ));
        out.push(format!(
            "MITXONLINE_SECRET_KEY={}",
            self.secret_key
                .as_ref()
                .map(|s| s.to_string())
                .unwrap_or_else(|| "(unset: generated and kept in the database)".into())
        ));
        out.push(format!("MITXONLINE_BODY_LIMIT={}", self.body_limit));
        out.push(format!("MITXONLINE_DB_READERS={}", self.db_readers));
        out.push(format!("MITXONLINE_DB_SYNCHRONOUS={:?}", self.db_synchronous).to_uppercase());
        out.push(format!("MITXONLINE_SCHEDULER={}", self.scheduler_enabled));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_match_the_design_document() {
        let c = Config::from_vars(&BTreeMap::new()).unwrap();
        assert_eq!(c.bind.to_string(), "127.0.0.1:8013");
        assert_eq!(c.database_path(), PathBuf::from("./data/mitxonline.db"));
        assert_eq!(c.environment, "dev");
        assert_eq!(c.auth_mode, AuthMode::Local);
        assert_eq!(c.body_limit, 10 * 1024 * 1024);
        assert_eq!(c.db_synchronous, Synchronous::Full);
        assert!(c.openedx.is_none() && c.cybersource.is_none());
        assert_eq!(c.path_prefix(), "");
    }

    #[test]
    fn every_invalid_variable_is_named() {
        let err = Config::from_vars(&vars(&[
            ("MITXONLINE_BIND", "not-an-address"),
            ("MITXONLINE_LOG_FORMAT", "xml"),
            ("MITXONLINE_PUBLIC_URL", "ftp://x"),
        ]))
        .unwrap_err();
        let names: Vec<_> = err.0.iter().map(|p| p.variable.as_str()).collect();
        assert_eq!(
            names,
            [
                "MITXONLINE_BIND",
                "MITXONLINE_PUBLIC_URL",
                "MITXONLINE_LOG_FORMAT"
            ]
        );
    }

    #[test]
    fn secrets_never_print() {
        let c = Config::from_vars(&vars(&[
            (
                "MITXONLINE_CYBERSOURCE_SECURE_ACCEPTANCE_URL",
                "https://cs.example/pay",
            ),
            ("MITXONLINE_CYBERSOURCE_ACCESS_KEY", "ak"),
            ("MITXONLINE_CYBERSOURCE_PROFILE_ID", "pid"),
            ("MITXONLINE_CYBERSOURCE_SECURITY_KEY", "super-secret-value"),
        ]))
        .unwrap();
        let text = c.redacted_lines().join("\n");
        assert!(!text.contains("super-secret-value"));
        assert!(!format!("{c:?}").contains("super-secret-value"));
        assert!(text.contains("MITXONLINE_CYBERSOURCE_SECURITY_KEY=********"));
    }

    #[test]
    fn cybersource_url_without_keys_names_each_missing_key() {
        let err = Config::from_vars(&vars(&[(
            "MITXONLINE_CYBERSOURCE_SECURE_ACCEPTANCE_URL",
            "https://cs.example/pay",
        )]))
        .unwrap_err();
        assert_eq!(err.0.len(), 3);
    }

    #[test]
    fn prefix_and_absolute_urls_follow_the_public_url() {
        let c = Config::from_vars(&vars(&[(
            "MITXONLINE_PUBLIC_URL",
            "https://api.learn.mit.edu/mitxonline",
        )]))
        .unwrap();
        assert_eq!(c.path_prefix(), "/mitxonline");
        assert_eq!(
            c.absolute_url("/api/v2/courses/?page=2"),
            "https://api.learn.mit.edu/mitxonline/api/v2/courses/?page=2"
        );
    }

    #[test]
    fn cidr_matching() {
        let net = IpNet::parse("127.0.0.1/8").unwrap();
        assert!(net.contains("127.9.9.9".parse().unwrap()));
        assert!(!net.contains("10.0.0.1".parse().unwrap()));
        assert!(net.contains("::ffff:127.0.0.1".parse().unwrap()));
        assert!(IpNet::parse("::1").unwrap().contains("::1".parse().unwrap()));
        assert!(IpNet::parse("1.2.3.4/33").is_err());
    }

    #[test]
    fn durations_and_sizes_parse() {
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("5m").unwrap(), Duration::from_secs(300));
        assert!(parse_duration("five").is_err());
        assert_eq!(parse_size("10MB").unwrap(), 10 << 20);
        assert_eq!(parse_size("2048").unwrap(), 2048);
        assert!(parse_size("-1").is_err());
    }
}
