//! Typed configuration read from `MITXONLINE_*` environment variables.
//!
//! Every variable is parsed and validated once at start; an invalid value is reported with the
//! variable's name, and all problems are reported together so an operator fixes them in one go.
//! Secrets are wrapped in [`Secret`], which never prints its value.

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

/// Keycloak's admin API (organizations); `None` in [`Config::keycloak`] means the built-in
/// sandbox. Client-credentials login with `MITXONLINE_KEYCLOAK_ADMIN_CLIENT_ID` / `_SECRET`.
#[derive(Debug, Clone)]
pub struct KeycloakConfig {
    /// `MITXONLINE_KEYCLOAK_BASE_URL`, e.g. `https://sso.ol.mit.edu`.
    pub base_url: Url,
    /// `MITXONLINE_KEYCLOAK_REALM` (default `olapps`).
    pub realm: String,
    pub client_id: String,
    pub client_secret: Secret,
}

/// The HubSpot CRM sync (`MITXONLINE_HUBSPOT_*`). Without an access token the built-in
/// sandbox CRM receives what would be sent.
#[derive(Debug, Clone)]
pub struct HubspotConfig {
    /// `MITXONLINE_HUBSPOT_SYNC` (default on): off, nothing is queued for HubSpot.
    pub sync: bool,
    /// The private app's access token (`MITXONLINE_HUBSPOT_ACCESS_TOKEN`); `None`: the sandbox.
    pub access_token: Option<Secret>,
    /// `MITXONLINE_HUBSPOT_BASE_URL` (default `https://api.hubapi.com`).
    pub base_url: Url,
    /// The deals' `pipeline` (`MITXONLINE_HUBSPOT_PIPELINE_ID`, default `default`).
    pub pipeline_id: String,
    /// `unique_app_id` is `<prefix>-<id>` (`MITXONLINE_HUBSPOT_ID_PREFIX`, default `mitxonline`).
    pub id_prefix: String,
    /// Requests per second to the portal (`MITXONLINE_HUBSPOT_RATE`, default 19 like the original).
    pub rate_per_second: u32,
    /// The custom object type of course-run certificates in API paths: the schema's name or its
    /// `2-…` objectTypeId (`MITXONLINE_HUBSPOT_COURSE_RUN_CERTIFICATE_OBJECT_TYPE`, default
    /// `course_run_certificate`, the original's schema name).
    pub course_run_certificate_type: String,
    /// The same for program certificates (`MITXONLINE_HUBSPOT_PROGRAM_CERTIFICATE_OBJECT_TYPE`,
    /// default `program_certificate`).
    pub program_certificate_type: String,
}

/// Google Sheets refunds and deferrals (`MITXONLINE_SHEETS_*`). Without credentials the
/// built-in sandbox spreadsheet is used where sandboxes run; elsewhere nothing is read.
#[derive(Debug, Clone)]
pub struct SheetsConfig {
    /// The service account's JSON key file (`MITXONLINE_SHEETS_CREDENTIALS`); `None`: sandbox.
    pub credentials: Option<PathBuf>,
    /// The "Enrollment Change Request" spreadsheet (`MITXONLINE_SHEETS_SPREADSHEET_ID`;
    /// required with credentials, `sandbox` otherwise).
    pub spreadsheet_id: String,
    /// `MITXONLINE_SHEETS_REFUNDS_WORKSHEET` (default `Refunds`).
    pub refunds_worksheet: String,
    /// `MITXONLINE_SHEETS_DEFERRALS_WORKSHEET` (default `Deferrals`).
    pub deferrals_worksheet: String,
    /// Written to the processor column (`MITXONLINE_SHEETS_PROCESSOR_APP_NAME`, default
    /// `MITx Online (<environment>)`).
    pub processor_name: String,
    /// The Sheets API base (`MITXONLINE_SHEETS_BASE_URL`, default
    /// `https://sheets.googleapis.com`; tests point it at a fake).
    pub base_url: Url,
}

/// B2B settings.
#[derive(Debug, Clone)]
pub struct B2bConfig {
    /// Where invites send learners to redeem their code; the code is appended
    /// (`MITXONLINE_MIT_LEARN_ATTACH_URL`, default `https://learn.mit.edu/enrollmentcode/`).
    pub learn_attach_url: String,
    /// Mailgun's webhook signing key (`MITXONLINE_MAILGUN_WEBHOOK_SIGNING_KEY`); unset, every
    /// webhook is ignored.
    pub mailgun_signing_key: Option<Secret>,
    /// The tag on invite mails that webhook events must carry (`MITXONLINE_MAILGUN_TAG`,
    /// default `b2b-enrollment-code`).
    pub mailgun_tag: String,
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

/// Secrets of the built-in CyberSource sandbox (see [`Config::sandbox_keys`]).
#[derive(Debug, Clone)]
pub struct SandboxKeys {
    /// Secure Acceptance security key (hex of 32 random bytes).
    pub security_key: Secret,
    /// REST shared secret (base64 of 32 random bytes).
    pub rest_secret: Secret,
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

/// Verifiable-credential signing (see [`Config::vc`]).
#[derive(Debug, Clone)]
pub struct VcConfig {
    pub signer_url: Option<Url>,
    pub signer_token: Option<Secret>,
    pub did: String,
    pub learn_base_url: Url,
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
    pub keycloak: Option<KeycloakConfig>,
    pub hubspot: HubspotConfig,
    pub sheets: SheetsConfig,
    pub b2b: B2bConfig,
    /// Where the sandbox CyberSource posts server-to-server results when a checkout form names
    /// no `override_backoffice_post_url` (default `<public url>/api/checkout/result/`).
    pub cybersource_sandbox_backoffice_url: Option<Url>,
    /// `MITXONLINE_SANDBOX`: `Some(true)` runs the built-in sandboxes in any environment,
    /// `Some(false)` in none; unset, they run only when the environment is `dev` or `test`.
    pub sandbox: Option<bool>,
    /// The built-in CyberSource sandbox's keys: random, generated once per database and kept
    /// in it. Never read from the environment; filled in when the database is opened
    /// ([`crate::state::AppState::open`]) and `None` until then (or when the sandbox is off).
    pub sandbox_keys: Option<SandboxKeys>,
    /// CSP `frame-ancestors` sources (`MITXONLINE_FRAME_ANCESTORS`, default `'self'`).
    pub frame_ancestors: Vec<String>,
    /// Partner origins whose links may change state with a GET (`MITXONLINE_TRUSTED_ORIGINS`,
    /// e.g. MIT Learn), besides our own origin.
    pub trusted_origins: Vec<String>,
    pub backup_url: Option<String>,
    pub backup_sync_interval: Duration,
    pub backup: BackupSettings,
    pub smtp_url: Option<Secret>,
    /// Open Exchange Rates (`MITXONLINE_OPEN_EXCHANGE_RATES_APP_ID`, `_URL`); `None` means the
    /// built-in sandbox table (dev/test).
    pub open_exchange_rates: Option<OpenExchangeRatesConfig>,
    /// Verifiable credentials: the signer (`MITXONLINE_VC_SIGNER_URL`, bearer
    /// `MITXONLINE_VC_SIGNER_TOKEN`; the built-in sandbox signer when unset), the issuer's DID
    /// (`MITXONLINE_VC_DID`) and MIT Learn's base for achievement ids (`MITXONLINE_LEARN_BASE_URL`).
    pub vc: VcConfig,
    pub secret_key: Option<Secret>,
    pub body_limit: usize,
    pub db_readers: usize,
    /// `MITXONLINE_DB_MEMORY_MB`: what SQLite may hold in memory across all connections (page
    /// caches, statements, temp tables) before it recycles cache pages instead of growing.
    pub db_memory_mb: usize,
    pub db_synchronous: Synchronous,
    pub scheduler_enabled: bool,
    /// `GET /bench/ping` answers `pong` (the load bench's plain-text ceiling); off by default.
    pub bench_ping: bool,
    pub outbox: OutboxConfig,
    pub shutdown_grace: Duration,
}

/// Open Exchange Rates: the API base (`…/api/`, ending in a slash) and the app id.
#[derive(Debug, Clone)]
pub struct OpenExchangeRatesConfig {
    pub url: Url,
    pub app_id: Secret,
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

mod reader;
mod reader_partners;
mod redacted;
mod sandbox;
#[cfg(test)]
pub(crate) mod tests;
mod web;

pub use reader::parse_duration;

impl Config {
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
}
