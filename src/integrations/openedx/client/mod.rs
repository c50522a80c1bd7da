//! The typed Open edX client: every call the original makes (registration, validation,
//! exists-check, profile, enrollments, email settings, grades, course details, course modes,
//! LTI duplicate-email fix, OAuth2 token exchange and refresh), with the original's request
//! shapes (checked against golden recordings of edx-api-client) and one error enum whose
//! classification matches the original: 5xx, timeouts, connection errors and 429 are transient,
//! other 4xx are permanent.

use std::time::Duration;

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::model::{EdxProfile, RegistrationForm, RegistrationReply, ValidationDecisions};
use super::transport::{Body, Outgoing, Reply, Transport, path_segment};
use crate::db::DbError;
use crate::outbox::Delivery;

mod courses;
mod enrollments;
mod studio;
mod tokens;

pub use studio::RunFix;

/// Keys per course-list request, and page size (edx-api-client's BATCH_SIZE / PAGE_SIZE).
pub const COURSE_BATCH: usize = 100;
/// Safety cap on followed pages of one listing.
const MAX_PAGES: usize = 10_000;

#[derive(Debug, thiserror::Error)]
pub enum EdxError {
    #[error("Open edX did not answer: {message}")]
    Transport { message: String, timeout: bool },
    #[error("Open edX answered HTTP {status}: {body}")]
    Status {
        status: u16,
        retry_after: Option<String>,
        body: String,
    },
    #[error("unexpected answer from Open edX: {0}")]
    Decode(String),
    #[error("no usable Open edX token for this user: {0}")]
    NoUserAuth(String),
    #[error("Open edX is not configured for this: {0}")]
    NotConfigured(&'static str),
    #[error(transparent)]
    Db(#[from] DbError),
}

crate::db::error_from!(rusqlite::Error => EdxError::Db);

impl EdxError {
    /// The HTTP status, when edX answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            EdxError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Transient failures are retried without counting towards the permanent cap.
    pub fn is_transient(&self) -> bool {
        match self {
            EdxError::Transport { .. } | EdxError::Db(_) => true,
            EdxError::Status { status, .. } => *status == 429 || *status == 408 || *status >= 500,
            EdxError::Decode(_) | EdxError::NoUserAuth(_) | EdxError::NotConfigured(_) => false,
        }
    }

    /// The outbox outcome of a failed delivery.
    pub fn to_delivery(&self) -> Delivery {
        match self {
            EdxError::Status {
                status,
                retry_after,
                body,
            } => Delivery::from_status(*status, retry_after.as_deref(), body),
            e if e.is_transient() => Delivery::Transient {
                error: e.to_string(),
                retry_after: None,
            },
            e => Delivery::Permanent { error: e.to_string() },
        }
    }
}

/// Who a request is made as.
#[derive(Debug, Clone)]
pub enum Auth {
    /// The service worker's token (enrollments, grades, courses, modes, LTI fix).
    Service,
    /// A learner's edX access token.
    User(String),
    /// No `Authorization` header (registration, token endpoint).
    None,
}

/// The client; cheap to clone.
#[derive(Clone)]
pub struct OpenEdxClient {
    transport: Transport,
    service_token: Option<String>,
    registration_access_token: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    service_worker_username: Option<String>,
}

/// Credentials and names the client needs besides the transport.
#[derive(Debug, Clone, Default)]
pub struct ClientSettings {
    pub service_token: Option<String>,
    pub registration_access_token: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub service_worker_username: Option<String>,
}

fn snippet(r: &Reply) -> String {
    r.text().chars().take(300).collect()
}

fn status_error(r: &Reply) -> EdxError {
    EdxError::Status {
        status: r.status,
        retry_after: r.retry_after.clone(),
        body: snippet(r),
    }
}

fn decode<T: DeserializeOwned>(r: &Reply) -> Result<T, EdxError> {
    serde_json::from_slice(&r.body).map_err(|e| EdxError::Decode(format!("{e}: {}", snippet(r))))
}

fn ok(r: Reply) -> Result<Reply, EdxError> {
    if (200..300).contains(&r.status) {
        Ok(r)
    } else {
        Err(status_error(&r))
    }
}

/// The `cursor` parameter of a `next` link.
fn cursor_of(next: &str) -> Option<String> {
    let query = next.split_once('?')?.1;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "cursor")
        .map(|(_, v)| v.into_owned())
}

/// Path and query of an absolute `next` link.
fn path_and_query_of(next: &str) -> Option<String> {
    let url = url::Url::parse(next).ok()?;
    Some(match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    })
}

impl OpenEdxClient {
    pub fn new(transport: Transport, settings: ClientSettings) -> Self {
        Self {
            transport,
            service_token: settings.service_token,
            registration_access_token: settings.registration_access_token,
            client_id: settings.client_id,
            client_secret: settings.client_secret,
            service_worker_username: settings.service_worker_username,
        }
    }

    pub fn is_sandbox(&self) -> bool {
        matches!(self.transport, Transport::Sandbox(_))
    }

    /// Whether the per-user token flow can run: the sandbox, or a real edX with our client
    /// credentials (the authorization step goes through our OAuth2 provider).
    pub fn can_create_user_tokens(&self) -> bool {
        self.is_sandbox() || (self.client_id.is_some() && self.client_secret.is_some())
    }

    pub fn service_worker_username(&self) -> Option<&str> {
        self.service_worker_username.as_deref()
    }

    /// Sends a request with no extra headers and decodes a 2xx reply's JSON (another status
    /// is its error).
    async fn json<T: DeserializeOwned>(
        &self,
        method: Method,
        path_and_query: String,
        auth: Auth,
        body: Body,
    ) -> Result<T, EdxError> {
        let r = self.send(method, path_and_query, auth, body, &[]).await?;
        decode(&ok(r)?)
    }

    async fn send(
        &self,
        method: Method,
        path_and_query: String,
        auth: Auth,
        body: Body,
        extra: &[(&'static str, String)],
    ) -> Result<Reply, EdxError> {
        let mut headers: Vec<(&'static str, String)> = Vec::new();
        match auth {
            Auth::Service => {
                if let Some(t) = &self.service_token {
                    headers.push(("authorization", format!("Bearer {t}")));
                }
            }
            Auth::User(t) => headers.push(("authorization", format!("Bearer {t}"))),
            Auth::None => {}
        }
        if !extra.iter().any(|(k, _)| *k == "accept") {
            headers.push(("accept", "*/*".into()));
        }
        headers.extend(extra.iter().cloned());
        self.transport
            .send(Outgoing {
                method,
                path_and_query,
                headers,
                body,
            })
            .await
    }

    /// `POST /user_api/v1/account/registration/` (form, `X-Access-Token`). 400/409 answers are
    /// returned as data so the caller can handle collisions; 429/5xx are errors.
    pub async fn register(&self, form: &RegistrationForm) -> Result<RegistrationReply, EdxError> {
        let mut extra = Vec::new();
        if let Some(t) = &self.registration_access_token {
            extra.push(("x-access-token", t.clone()));
        }
        let r = self
            .send(
                Method::POST,
                "/user_api/v1/account/registration/".into(),
                Auth::None,
                Body::Form(form.fields()),
                &extra,
            )
            .await?;
        if r.status == 429 || r.status >= 500 {
            return Err(status_error(&r));
        }
        let body: Option<Value> = serde_json::from_slice(&r.body).ok();
        // edX answers a registration `{"success": true, …}`; a 200 that is not that (a proxy's
        // maintenance page, a truncated body) registered nobody, so it is retried, not believed.
        if r.status == 200 && body.as_ref().and_then(|b| b.get("success")) != Some(&Value::Bool(true)) {
            return Err(EdxError::Decode(format!(
                "registration answered 200 without \"success\": true: {}",
                r.text().chars().take(200).collect::<String>()
            )));
        }
        Ok(RegistrationReply {
            status: r.status,
            body: body.unwrap_or(Value::Object(Default::default())),
        })
    }

    /// `POST /api/user/v1/validation/registration` (form) → field decisions.
    pub async fn validate_registration(
        &self,
        username: &str,
        email: &str,
    ) -> Result<ValidationDecisions, EdxError> {
        let mut extra = Vec::new();
        if let Some(t) = &self.registration_access_token {
            extra.push(("x-access-token", t.clone()));
        }
        let form = vec![
            ("username".to_owned(), username.to_owned()),
            ("email".to_owned(), email.to_owned()),
        ];
        let r = self
            .send(
                Method::POST,
                "/api/user/v1/validation/registration".into(),
                Auth::None,
                Body::Form(form),
                &extra,
            )
            .await?;
        decode(&ok(r)?)
    }

    /// `GET /api/mobile/v0.5/my_user_info` with the learner's token: does the account exist?
    pub async fn user_info(&self, user_token: &str) -> Result<Value, EdxError> {
        self.json(
            Method::GET,
            "/api/mobile/v0.5/my_user_info".into(),
            Auth::User(user_token.into()),
            Body::None,
        )
        .await
    }

    /// `PATCH /api/user/v1/accounts/<username>` (merge-patch) with the learner's token; edX
    /// answers 200 on success, anything else is an error.
    pub async fn update_profile(
        &self,
        user_token: &str,
        edx_username: &str,
        name: &str,
        profile: &EdxProfile,
    ) -> Result<(), EdxError> {
        let body = json!({
            "name": name,
            "country": profile.country,
            "state": profile.state,
            "gender": profile.gender,
            "year_of_birth": profile.year_of_birth,
            "level_of_education": profile.level_of_education,
        });
        let r = self
            .send(
                Method::PATCH,
                format!("/api/user/v1/accounts/{}", path_segment(edx_username)),
                Auth::User(user_token.into()),
                Body::Json(body),
                &[("content-type", "application/merge-patch+json".into())],
            )
            .await?;
        if r.status == 200 {
            Ok(())
        } else {
            Err(status_error(&r))
        }
    }

    /// `PATCH /api/user/v1/accounts/<username>` with only `name` (edx-api-client's
    /// `update_user_name`, with its jQuery-style headers).
    pub async fn update_user_name(
        &self,
        user_token: &str,
        edx_username: &str,
        name: &str,
    ) -> Result<Value, EdxError> {
        let r = self
            .send(
                Method::PATCH,
                format!("/api/user/v1/accounts/{}", path_segment(edx_username)),
                Auth::User(user_token.into()),
                Body::Json(json!({ "name": name })),
                &[
                    ("accept", "application/json, text/javascript, */*; q=0.01".into()),
                    ("x-requested-with", "XMLHttpRequest".into()),
                    ("content-type", "application/merge-patch+json".into()),
                ],
            )
            .await?;
        decode(&ok(r)?)
    }

    /// `GET /api/user/v1/accounts?email=<email>` with the service token: the username of the
    /// edX account registered with this email, if any (edX answers a list of accounts).
    pub async fn account_by_email(&self, email: &str) -> Result<Option<String>, EdxError> {
        let q: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("email", email)
            .finish();
        let r = self
            .send(
                Method::GET,
                format!("/api/user/v1/accounts?{q}"),
                Auth::Service,
                Body::None,
                &[],
            )
            .await?;
        if r.status == 404 {
            return Ok(None);
        }
        let accounts: Value = decode(&ok(r)?)?;
        Ok(accounts.as_array().and_then(|a| {
            a.iter()
                .find(|acc| {
                    acc.get("email")
                        .and_then(Value::as_str)
                        .is_some_and(|e| e.eq_ignore_ascii_case(email))
                })
                .and_then(|acc| acc.get("username").and_then(Value::as_str).map(str::to_owned))
        }))
    }

    /// `POST /api/lti-user-fix/` `{email}`: true when edX fixed the duplicate LTI account.
    pub async fn lti_user_fix(&self, email: &str) -> Result<bool, EdxError> {
        let r = self
            .send(
                Method::POST,
                "/api/lti-user-fix/".into(),
                Auth::Service,
                Body::Json(json!({ "email": email })),
                &[],
            )
            .await?;
        if r.status == 429 || r.status >= 500 {
            return Err(status_error(&r));
        }
        Ok(r.status == 200)
    }
}

/// True when a token-endpoint error means the refresh token is dead (400 `invalid_grant`):
/// only then are the stored tokens cleared and the full flow redone.
pub fn is_invalid_grant(e: &EdxError) -> bool {
    match e {
        EdxError::Status {
            status: 400, body, ..
        } => serde_json::from_str::<Value>(body)
            .ok()
            .and_then(|v| {
                v.get("error")
                    .and_then(Value::as_str)
                    .map(|s| s == "invalid_grant")
            })
            .unwrap_or(false),
        _ => false,
    }
}

/// Seconds of validity a stored access token must still have to be used (the original's 60 s).
pub const TOKEN_MIN_TTL: Duration = Duration::from_secs(60);
/// Subtracted from `expires_in` when storing (the original's 10 s margin).
pub const TOKEN_EXPIRY_MARGIN_SECS: i64 = 10;

#[cfg(test)]
mod tests {
    use super::*;

    fn status(s: u16, body: &str) -> EdxError {
        EdxError::Status {
            status: s,
            retry_after: Some("7".into()),
            body: body.into(),
        }
    }

    #[test]
    fn errors_classify_like_the_original() {
        assert!(status(503, "").is_transient());
        assert!(status(429, "").is_transient());
        assert!(!status(400, "").is_transient());
        assert!(!status(404, "").is_transient());
        assert!(
            EdxError::Transport {
                message: "refused".into(),
                timeout: false
            }
            .is_transient()
        );
        assert!(
            EdxError::Transport {
                message: "timed out".into(),
                timeout: true
            }
            .is_transient()
        );
        assert!(matches!(
            status(429, "").to_delivery(),
            Delivery::Transient { retry_after: Some(d), .. } if d == Duration::from_secs(7)
        ));
        assert!(matches!(
            status(403, "").to_delivery(),
            Delivery::Permanent { .. }
        ));
        assert!(matches!(
            EdxError::NoUserAuth("x".into()).to_delivery(),
            Delivery::Permanent { .. }
        ));
    }

    #[test]
    fn only_invalid_grant_means_a_dead_refresh_token() {
        assert!(is_invalid_grant(&status(400, r#"{"error":"invalid_grant"}"#)));
        assert!(!is_invalid_grant(&status(400, r#"{"error":"invalid_client"}"#)));
        assert!(!is_invalid_grant(&status(401, r#"{"error":"invalid_grant"}"#)));
    }

    #[test]
    fn cursors_come_from_next_links() {
        assert_eq!(
            cursor_of("http://x/api/enrollment/v1/enrollments?cursor=cD0yMDI2&course_id=x").as_deref(),
            Some("cD0yMDI2")
        );
        assert_eq!(cursor_of("http://x/api?page=2"), None);
    }
}
