//! The Open edX use cases: create a learner's edX account (username choice and collision
//! handling), keep per-user edX tokens valid, and the enroll/unenroll/profile/email-settings
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
use super::model::{AUTH_COMPLETE_PATH, EdxEnrollment, EdxProfile, EnrollmentMode, RegistrationForm};
use super::transport::Transport;
use super::{sandbox, store, username};
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
    db: Db,
    clock: Clock,
    /// `<public url>/_/auth/complete`: the redirect URI of the per-user token flow.
    redirect_uri: String,
    login_token: LoginTokenIssuer,
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

    /// Creates (or confirms) the learner's edX account. `desired` is a requested username;
    /// `profile` the demographic fields edX keeps.
    pub async fn create_edx_user(
        &self,
        user_id: i64,
        desired: Option<String>,
        profile: &EdxProfile,
    ) -> Result<CreateUserOutcome, EdxError> {
        let now = self.clock.now();
        let issuer = self.login_token.clone();
        let prepared = self
            .db
            .write(move |c| -> Result<_, EdxError> {
                let Some(user) = users::find_by_id(c, user_id)? else {
                    return Ok(None);
                };
                let row = store::get_or_create(c, user_id, now)?;
                if row.edx_username.is_none() {
                    reconcile_username(c, &user, desired.as_deref(), now)?;
                }
                let row = store::find_by_user(c, user_id)?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
                let token = issuer(c, user_id, now)?;
                Ok(Some((user, row, token)))
            })
            .await?;
        let Some((user, row, access_token)) = prepared else {
            return Err(EdxError::Decode(format!("user {user_id} does not exist")));
        };
        if row.has_been_synced {
            return Ok(CreateUserOutcome::Synced(row.edx_username.unwrap_or_default()));
        }
        let Some(mut current) = row.edx_username.clone() else {
            return Ok(CreateUserOutcome::NoUsername);
        };
        let base = row
            .desired_edx_username
            .clone()
            .unwrap_or_else(|| username::base_from_username(&user.username));
        let mut suggestions: Option<Vec<String>> = None;
        let mut tried_email_fix = false;
        let mut last = None;
        let mut attempt = 0;
        while attempt < MAX_REGISTRATION_ATTEMPTS {
            attempt += 1;
            // edX calls back /api/users/me during registration: the name must be saved first.
            let name = current.clone();
            let now = self.clock.now();
            let saved = self
                .db
                .write(move |c| -> Result<bool, EdxError> {
                    if store::username_taken_by_other(c, &name, user_id)? {
                        return Ok(false);
                    }
                    store::set_username(c, user_id, &name, None, now)?;
                    Ok(true)
                })
                .await?;
            if !saved {
                match self.next_free_candidate(user_id, &base, &mut Vec::new()).await? {
                    Some(n) => {
                        current = n;
                        continue;
                    }
                    None => return Ok(CreateUserOutcome::NoUsername),
                }
            }
            let form = RegistrationForm {
                username: current.clone(),
                email: user.email.clone(),
                name: user.name.clone(),
                profile: profile.clone(),
                access_token: access_token.clone(),
            };
            let reply = self.client.register(&form).await?;
            if reply.status == 200 {
                let now = self.clock.now();
                self.db
                    .write(move |c| store::mark_synced(c, user_id, now))
                    .await?;
                return Ok(CreateUserOutcome::Synced(current));
            }
            if reply.is_duplicate_email() && !tried_email_fix {
                tried_email_fix = true;
                let fixed = self.client.lti_user_fix(&user.email).await?;
                last = Some(reply);
                if fixed {
                    continue;
                }
                // The account may be ours: registered by an earlier delivery whose answer was
                // lost (a crash or the network between edX's commit and our acknowledgement).
                if let Some(name) = self.client.account_by_email(&user.email).await?
                    && self.adopt(user_id, &name).await?
                {
                    return Ok(CreateUserOutcome::Synced(name));
                }
                break;
            }
            if reply.is_duplicate_username() {
                let offered = suggestions.get_or_insert_with(|| reply.username_suggestions());
                if let Some(n) = self.next_free_candidate(user_id, &base, offered).await? {
                    current = n;
                    last = Some(reply);
                    continue;
                }
                last = Some(reply);
                break;
            }
            last = Some(reply);
            break;
        }
        // Attempts used up without an answer from edX (every name was taken here meanwhile).
        let Some(reply) = last else {
            return Ok(CreateUserOutcome::NoUsername);
        };
        if matches!(reply.status, 400 | 409) {
            let data = reply.body.clone();
            let now = self.clock.now();
            self.db
                .write(move |c| store::set_sync_error(c, user_id, &data, now))
                .await?;
            return Ok(CreateUserOutcome::Rejected(reply.body));
        }
        Err(EdxError::Status {
            status: reply.status,
            retry_after: None,
            body: reply.body.to_string(),
        })
    }

    /// Takes the edX account registered with the learner's email as theirs: stores its username
    /// and marks the learner synced. False (nothing changed) when another learner here already
    /// holds that username.
    async fn adopt(&self, user_id: i64, edx_username: &str) -> Result<bool, EdxError> {
        let name = edx_username.to_owned();
        let now = self.clock.now();
        self.db
            .write(move |c| -> Result<bool, EdxError> {
                if store::username_taken_by_other(c, &name, user_id)? {
                    return Ok(false);
                }
                store::set_username(c, user_id, &name, None, now)?;
                store::mark_synced(c, user_id, now)?;
                Ok(true)
            })
            .await
    }

    /// Next username to try: edX's suggestions not taken here, else a generated `<base>_<n>`.
    async fn next_free_candidate(
        &self,
        user_id: i64,
        base: &str,
        suggestions: &mut Vec<String>,
    ) -> Result<Option<String>, EdxError> {
        let offered = std::mem::take(suggestions);
        let generated = username::suffixed_candidates(base);
        let (picked, rest) = self
            .db
            .read(move |c| -> Result<(Option<String>, Vec<String>), EdxError> {
                let usable = |n: &String| -> Result<bool, EdxError> {
                    Ok(!n.is_empty()
                        && n.chars().count() <= super::model::USERNAME_MAX_LEN
                        && !store::username_taken_by_other(c, n, user_id)?)
                };
                let mut free = Vec::new();
                for n in offered {
                    if usable(&n)? {
                        free.push(n);
                    }
                }
                if !free.is_empty() {
                    let first = free.remove(0);
                    return Ok((Some(first), free));
                }
                for n in generated {
                    if usable(&n)? {
                        return Ok((Some(n), Vec::new()));
                    }
                }
                Ok((None, Vec::new()))
            })
            .await?;
        *suggestions = rest;
        Ok(picked)
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

/// Picks and saves the first edX username for an account (inside a write closure).
fn reconcile_username(
    c: &Connection,
    user: &users::User,
    desired: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), EdxError> {
    let Some(first) = username::initial_username(desired, &user.username, &user.email, &user.name) else {
        tracing::error!(user.id = user.id, "could not derive an edX username");
        return Ok(());
    };
    let chosen = if store::username_taken_by_other(c, &first, user.id)? {
        username::suffixed_candidates(&first)
            .into_iter()
            .find(|n| !store::username_taken_by_other(c, n, user.id).unwrap_or(true))
    } else {
        Some(first)
    };
    match chosen {
        Some(n) => store::set_username(c, user.id, &n, Some(&n), now)?,
        None => tracing::error!(user.id = user.id, "could not find a free edX username"),
    }
    Ok(())
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
