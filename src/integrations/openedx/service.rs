//! The Open edX use cases: create a learner's edX account (in [`super::registration`]), keep
//! per-user edX tokens valid, and the enroll/unenroll/profile/email-settings
//! calls the outbox deliverer makes. Network calls never happen inside a write closure: each
//! step reads, calls edX, then writes what edX answered.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use rand::Rng as _;
use rand::distr::Alphanumeric;
use rusqlite::Connection;
use serde_json::json;

use super::client::{
    ClientSettings, EdxError, OpenEdxClient, TOKEN_EXPIRY_MARGIN_SECS, TOKEN_MIN_TTL, is_invalid_grant,
};
use super::model::{AUTH_COMPLETE_PATH, EdxEnrollment, EdxProfile, EnrollmentMode};
use super::transport::Transport;
use super::{sandbox, store};
use crate::clock::Clock;
use crate::db::Db;
use crate::state::AppState;
use crate::users::store as users;

/// Registration attempts per delivery (the original's cap).
pub const MAX_REGISTRATION_ATTEMPTS: usize = 4;

/// Issues *our* OAuth2 access token that edX uses to call back `/api/users/me` while it
/// registers the learner. The OAuth2 provider (later work) must replace the default, which
/// mints an opaque random token that nothing validates yet.
pub type LoginTokenIssuer =
    Arc<dyn Fn(&Connection, i64, DateTime<Utc>) -> rusqlite::Result<String> + Send + Sync>;

fn random_token() -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(40)
        .map(char::from)
        .collect()
}

/// The integration: a client plus the database it writes results to. Cheap to clone.
#[derive(Clone)]
pub struct OpenEdx {
    pub client: OpenEdxClient,
    pub(super) db: Db,
    pub(super) clock: Clock,
    /// `<public url>/_/auth/complete`: the redirect URI of the per-user token flow.
    redirect_uri: String,
    pub(super) login_token: LoginTokenIssuer,
    /// The per-user authorization step on a real edX (none for the sandbox).
    browser: Option<crate::oauth2::edx::EdxBrowser>,
}

/// What a create-user attempt ended with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateUserOutcome {
    /// The account exists in edX (now or before) under this username.
    Synced(String),
    /// edX refused the data (400/409); the answer is stored in `sync_error_data`.
    Rejected(serde_json::Value),
    /// No username could be found within the attempt budget.
    NoUsername,
}

impl OpenEdx {
    /// The configured edX, or the built-in sandbox when `MITXONLINE_OPENEDX_API_BASE_URL` is unset.
    pub fn from_state(state: &AppState) -> OpenEdx {
        let browser = state.config.openedx.as_ref().and_then(|c| {
            crate::oauth2::edx::EdxBrowser::new(
                state,
                c.api_base_url.origin().ascii_serialization(),
                c.client_id.clone(),
                c.timeout,
            )
        });
        let (transport, settings) = match &state.config.openedx {
            Some(c) => (
                Transport::Http {
                    client: state.http_client.clone(),
                    origin: c.api_base_url.origin().ascii_serialization(),
                    timeout: c.timeout,
                },
                ClientSettings {
                    service_token: c.service_token.as_ref().map(|s| s.expose().to_owned()),
                    registration_access_token: c
                        .registration_access_token
                        .as_ref()
                        .map(|s| s.expose().to_owned()),
                    client_id: c.client_id.clone(),
                    client_secret: c.client_secret.as_ref().map(|s| s.expose().to_owned()),
                    service_worker_username: c.service_worker_username.clone(),
                },
            ),
            None => (
                Transport::Sandbox(sandbox::router(state.db.clone(), state.clock.clone())),
                sandbox::client_settings(),
            ),
        };
        OpenEdx {
            client: OpenEdxClient::new(transport, settings),
            db: state.db.clone(),
            clock: state.clock.clone(),
            redirect_uri: state.config.absolute_url(AUTH_COMPLETE_PATH),
            login_token: Arc::new(|_, _, _| Ok(random_token())),
            browser,
        }
        .with_login_token_issuer(crate::oauth2::edx::login_token_issuer())
    }

    /// Replaces how our OAuth2 access token for edX registration is issued.
    pub fn with_login_token_issuer(mut self, issuer: LoginTokenIssuer) -> Self {
        self.login_token = issuer;
        self
    }

    /// A learner's edX access token valid for at least a minute, refreshing it when needed. A
    /// dead refresh token (`invalid_grant`) clears the pair and redoes the full flow.
    pub async fn valid_user_token(&self, user_id: i64) -> Result<String, EdxError> {
        let auth = self
            .db
            .read(move |c| store::find_auth(c, user_id).map_err(EdxError::from))
            .await?;
        let now = self.clock.now();
        let min = now + chrono::Duration::from_std(TOKEN_MIN_TTL).unwrap_or_default();
        if let Some(a) = &auth
            && let (Some(tok), Some(exp)) = (&a.access_token, a.access_token_expires_on)
            && exp > min
        {
            return Ok(tok.clone());
        }
        if let Some(refresh) = auth.and_then(|a| a.refresh_token) {
            match self.client.refresh(&refresh).await {
                Ok(t) => return self.store_tokens(user_id, t).await,
                Err(e) if is_invalid_grant(&e) => {
                    let now = self.clock.now();
                    self.db
                        .write(move |c| store::clear_tokens(c, user_id, now))
                        .await?;
                }
                Err(e) => return Err(e),
            }
        }
        self.create_auth_token(user_id).await
    }

    /// The full per-user flow: authorize (through our OAuth2 provider on a real edX; directly
    /// in the sandbox), then redeem the code.
    pub async fn create_auth_token(&self, user_id: i64) -> Result<String, EdxError> {
        let row = self
            .db
            .read(move |c| store::find_by_user(c, user_id).map_err(EdxError::from))
            .await?;
        let Some(edx_username) = row.filter(|r| r.has_been_synced).and_then(|r| r.edx_username) else {
            return Err(EdxError::NoUserAuth(format!(
                "user {user_id} has no synced edX account"
            )));
        };
        let code = match &self.browser {
            Some(b) => b.authorize(user_id, &self.redirect_uri).await?,
            None => {
                self.client
                    .sandbox_authorize(&edx_username, &self.redirect_uri)
                    .await?
            }
        };
        let tokens = self.client.exchange_code(&code, &self.redirect_uri).await?;
        self.store_tokens(user_id, tokens).await
    }

    async fn store_tokens(&self, user_id: i64, t: super::model::TokenResponse) -> Result<String, EdxError> {
        let now = self.clock.now();
        let expires = now + chrono::Duration::seconds(t.expires_in - TOKEN_EXPIRY_MARGIN_SECS);
        let access = t.access_token.clone();
        self.db
            .write(move |c| store::save_tokens(c, user_id, &t.access_token, &t.refresh_token, expires, now))
            .await?;
        Ok(access)
    }

    /// The learner's edX username, when their account is synced.
    pub async fn synced_username(&self, user_id: i64) -> Result<Option<String>, EdxError> {
        Ok(self
            .account(user_id)
            .await?
            .filter(|r| r.has_been_synced)
            .and_then(|r| r.edx_username))
    }

    /// The learner's `openedx_users` row, if any.
    pub async fn account(&self, user_id: i64) -> Result<Option<store::OpenEdxUser>, EdxError> {
        self.db
            .read(move |c| store::find_by_user(c, user_id).map_err(EdxError::from))
            .await
    }

    /// Enrolls (or changes mode) unless edX already has an active enrollment in that mode;
    /// re-posts once when edX answers with an inactive enrollment. Records the result.
    pub async fn enroll(
        &self,
        user_id: i64,
        edx_username: &str,
        course_id: &str,
        mode: EnrollmentMode,
    ) -> Result<EdxEnrollment, EdxError> {
        let existing = self
            .client
            .list_enrollments(Some(course_id), &[edx_username])
            .await?;
        let same = existing.into_iter().find(|e| {
            e.is_active && e.mode.as_deref() == Some(mode.as_str()) && e.course_details.course_id == course_id
        });
        let enrollment = match same {
            Some(e) => e,
            None => {
                let e = self.client.enroll(edx_username, course_id, mode).await?;
                if e.is_active {
                    e
                } else {
                    self.client.enroll(edx_username, course_id, mode).await?
                }
            }
        };
        self.record(user_id, course_id, enrollment.mode.clone(), enrollment.is_active)
            .await?;
        Ok(enrollment)
    }

    /// Deactivates unless edX has no active enrollment; records the result.
    pub async fn unenroll(&self, user_id: i64, edx_username: &str, course_id: &str) -> Result<(), EdxError> {
        let existing = self
            .client
            .list_enrollments(Some(course_id), &[edx_username])
            .await?;
        let active = existing
            .iter()
            .find(|e| e.is_active && e.course_details.course_id == course_id);
        let mode = if let Some(e) = active {
            let after = self.client.deactivate(edx_username, course_id).await?;
            after.mode.or_else(|| e.mode.clone())
        } else {
            existing.first().and_then(|e| e.mode.clone())
        };
        self.record(user_id, course_id, mode, false).await
    }

    async fn record(
        &self,
        user_id: i64,
        course_id: &str,
        mode: Option<String>,
        active: bool,
    ) -> Result<(), EdxError> {
        let now = self.clock.now();
        let course = course_id.to_owned();
        self.db
            .write(move |c| store::record_enrollment(c, user_id, &course, mode.as_deref(), active, now))
            .await?;
        Ok(())
    }

    /// PATCHes the learner's edX profile with their current name and the given fields.
    pub async fn update_profile(&self, user_id: i64, profile: &EdxProfile) -> Result<(), EdxError> {
        let (user, row) = self
            .db
            .read(move |c| -> Result<_, EdxError> {
                Ok((users::find_by_id(c, user_id)?, store::find_by_user(c, user_id)?))
            })
            .await?;
        let (Some(user), Some(edx_username)) = (
            user,
            row.filter(|r| r.has_been_synced).and_then(|r| r.edx_username),
        ) else {
            return Err(EdxError::NoUserAuth(format!(
                "user {user_id} has no synced edX account"
            )));
        };
        let token = self.valid_user_token(user_id).await?;
        self.client
            .update_profile(&token, &edx_username, &user.name, profile)
            .await
    }

    /// Subscribes or unsubscribes the learner from a run's course emails.
    pub async fn email_settings(
        &self,
        user_id: i64,
        course_id: &str,
        subscribe: bool,
    ) -> Result<bool, EdxError> {
        let token = self.valid_user_token(user_id).await?;
        self.client.email_settings(&token, course_id, subscribe).await
    }
}

/// Used by tests and staff tools: a JSON view of a learner's edX state.
pub fn describe(row: &store::OpenEdxUser) -> serde_json::Value {
    json!({
        "edx_username": row.edx_username,
        "desired_edx_username": row.desired_edx_username,
        "has_been_synced": row.has_been_synced,
        "has_sync_error": row.has_sync_error,
        "sync_error_data": row.sync_error_data,
    })
}
