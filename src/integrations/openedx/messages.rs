//! Outbox messages for destination `openedx`: what each kind carries, the `enqueue_*`
//! functions other modules call inside their own transaction, and the [`Deliverer`] that
//! performs them.
//!
//! | kind | payload | effect |
//! |---|---|---|
//! | `create_user` | `{user_id, desired_username?, profile?: EdxProfile}` | registers the learner (username collisions handled; an account edX already holds under their email, e.g. from a delivery whose answer was lost, is adopted), then fetches their edX tokens |
//! | `create_auth_token` | `{user_id}` | (re)creates the learner's per-user edX tokens |
//! | `enroll` | `{user_id, course_id, mode: "audit"\|"verified"}` | enrolls/changes mode unless edX already has that active enrollment |
//! | `unenroll` | `{user_id, course_id}` | deactivates unless already inactive |
//! | `update_profile` | `{user_id, profile: EdxProfile}` | PATCHes name (read at delivery) and profile fields |
//! | `email_settings` | `{user_id, course_id, subscribe: bool}` | course email opt-in/out |
//! | `clone_course_run` | `{source_course_id, course_id, fix: RunFix}` | Studio re-run of the source into the new key (skipped when it exists), then title/pacing/dates fixed and the audit and verified modes ensured; 5 attempts, 300 s × attempt + ≤ 60 s jitter |
//!
//! Every kind is safe to deliver twice. `enroll`/`unenroll` wait (transient) until the
//! learner's edX account is synced, enqueueing a `create_user` if none is pending.

use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::client::EdxError;
use super::model::{EdxProfile, EnrollmentMode};
use super::service::{CreateUserOutcome, OpenEdx};
use crate::clock::Clock;
use crate::outbox::{self, BoxFuture, Deliverer, Delivery, Message, NewMessage};

pub const DESTINATION: &str = "openedx";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreateUser {
    pub user_id: i64,
    #[serde(default)]
    pub desired_username: Option<String>,
    #[serde(default)]
    pub profile: Option<EdxProfile>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Enroll {
    pub user_id: i64,
    pub course_id: String,
    pub mode: EnrollmentMode,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Unenroll {
    pub user_id: i64,
    pub course_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UpdateProfile {
    pub user_id: i64,
    #[serde(default)]
    pub profile: EdxProfile,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EmailSettings {
    pub user_id: i64,
    pub course_id: String,
    pub subscribe: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CloneCourseRun {
    pub source_course_id: String,
    pub course_id: String,
    pub fix: super::client::RunFix,
}

/// The original's `clone_courserun` task: 5 retries, 300 s × attempt + up to 60 s of jitter.
pub const CLONE_RETRY: outbox::RetryPolicy = outbox::RetryPolicy {
    max_attempts: 5,
    step: std::time::Duration::from_secs(300),
    jitter: std::time::Duration::from_secs(60),
};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserOnly {
    pub user_id: i64,
}

fn put(
    conn: &Connection,
    now: chrono::DateTime<chrono::Utc>,
    kind: &str,
    payload: serde_json::Value,
    key: &str,
) -> rusqlite::Result<i64> {
    outbox::enqueue(
        conn,
        now,
        &NewMessage {
            destination: DESTINATION.into(),
            kind: kind.into(),
            payload,
            idempotency_key: format!("openedx:{kind}:{key}"),
        },
    )
}

pub fn enqueue_create_auth_token(
    conn: &Connection,
    now: chrono::DateTime<chrono::Utc>,
    user_id: i64,
    key: &str,
) -> rusqlite::Result<i64> {
    put(conn, now, "create_auth_token", json!(UserOnly { user_id }), key)
}

/// `enqueue_<kind>(conn, now, msg, key)`: queues `msg` as an `<kind>` message; `key` makes the
/// request unique (the idempotency key is `openedx:<kind>:<key>`). A kind marked `superseding`
/// carries an enrollment's whole latest wish: older pending enroll and unenroll messages of the
/// same learner and run are superseded ([`outbox::supersede`]), so a retried older one never
/// lands after it.
macro_rules! enqueuers {
    ($($(#[$doc:meta])* $name:ident($msg:ty) => $kind:literal $($superseding:ident)?;)+) => {$(
        $(#[$doc])*
        pub fn $name(
            conn: &Connection,
            now: chrono::DateTime<chrono::Utc>,
            msg: &$msg,
            key: &str,
        ) -> rusqlite::Result<i64> {
            let id = put(conn, now, $kind, json!(msg), key)?;
            $(
                let $superseding = json!({ "user_id": msg.user_id, "course_id": msg.course_id });
                outbox::supersede(conn, DESTINATION, &["enroll", "unenroll"], &$superseding, id, now)?;
            )?
            Ok(id)
        }
    )+};
}

enqueuers! {
    /// Queues the learner's edX account creation. `key` makes the request unique (e.g. the user
    /// id for the first creation, `"<user_id>:repair:<slot>"` for a repair).
    enqueue_create_user(CreateUser) => "create_user";
    /// Queues an enrollment (or upgrade). `key` identifies the local change (e.g. the enrollment
    /// row id and its version), so a retried request never enqueues twice.
    enqueue_enroll(Enroll) => "enroll" superseding;
    enqueue_unenroll(Unenroll) => "unenroll" superseding;
    enqueue_update_profile(UpdateProfile) => "update_profile";
    enqueue_email_settings(EmailSettings) => "email_settings";
}

/// Queues a Studio re-run of `msg.source_course_id` into `msg.course_id` (keyed by the new run).
pub fn enqueue_clone_course_run(
    conn: &Connection,
    now: chrono::DateTime<chrono::Utc>,
    msg: &CloneCourseRun,
) -> rusqlite::Result<i64> {
    put(conn, now, "clone_course_run", json!(msg), &msg.course_id)
}

/// Delivers `openedx` messages.
pub struct OpenEdxDeliverer {
    pub edx: OpenEdx,
    pub db: crate::db::Db,
    pub clock: Clock,
}

fn parse<T: serde::de::DeserializeOwned>(msg: &Message) -> Result<T, Delivery> {
    serde_json::from_value(msg.payload.clone()).map_err(|e| Delivery::Permanent {
        error: format!("bad {} payload: {e}", msg.kind),
    })
}

fn done(r: Result<(), EdxError>) -> Delivery {
    match r {
        Ok(()) => Delivery::Delivered,
        Err(e) => e.to_delivery(),
    }
}

impl OpenEdxDeliverer {
    /// The synced edX username, or a transient wait while the account is being created.
    async fn username_or_wait(&self, user_id: i64) -> Result<String, Delivery> {
        match self.edx.account(user_id).await {
            Ok(Some(row)) if row.has_been_synced && row.edx_username.is_some() => {
                Ok(row.edx_username.unwrap_or_default())
            }
            Ok(Some(row)) if row.has_sync_error => Err(Delivery::Permanent {
                error: format!(
                    "user {user_id}'s edX account was refused by edX ({}); fix the data and retry",
                    row.sync_error_data.unwrap_or_default()
                ),
            }),
            Ok(_) => {
                let now = self.clock.now();
                let queued = self
                    .db
                    .write(move |c| {
                        enqueue_create_user(
                            c,
                            now,
                            &CreateUser {
                                user_id,
                                desired_username: None,
                                profile: None,
                            },
                            &format!("{user_id}:auto"),
                        )
                    })
                    .await;
                if let Err(e) = queued {
                    return Err(Delivery::Transient {
                        error: e.to_string(),
                        retry_after: None,
                    });
                }
                Err(Delivery::Transient {
                    error: format!("user {user_id} has no synced edX account yet"),
                    retry_after: None,
                })
            }
            Err(e) => Err(e.to_delivery()),
        }
    }

    /// Re-runs the source unless Studio has the new run already (a retry after a partial
    /// success), then fixes the run and ensures its modes.
    async fn clone_run(&self, m: &CloneCourseRun) -> Result<(), EdxError> {
        let client = &self.edx.client;
        if !client.studio_run_exists(&m.course_id).await? {
            client.clone_course_run(&m.source_course_id, &m.course_id).await?;
        }
        client.fix_course_run(&m.course_id, &m.fix).await?;
        let have: Vec<String> = client
            .course_modes(&m.course_id)
            .await?
            .into_iter()
            .map(|x| x.mode_slug)
            .collect();
        for (slug, name) in [("audit", "Audit"), ("verified", "Verified")] {
            if !have.iter().any(|h| h == slug) {
                let mode = super::model::CourseMode {
                    mode_slug: slug.into(),
                    mode_display_name: Some(name.into()),
                    currency: Some("usd".into()),
                    ..Default::default()
                };
                client.create_course_mode(&m.course_id, &mode).await?;
            }
        }
        Ok(())
    }

    async fn run(&self, msg: &Message) -> Delivery {
        match msg.kind.as_str() {
            "create_user" => {
                let m: CreateUser = match parse(msg) {
                    Ok(m) => m,
                    Err(d) => return d,
                };
                let profile = m.profile.unwrap_or_default();
                match self
                    .edx
                    .create_edx_user(m.user_id, m.desired_username, &profile)
                    .await
                {
                    Ok(CreateUserOutcome::Synced(_)) => {
                        // Tokens are best effort here; the repair job retries them.
                        if self.edx.client.can_create_user_tokens()
                            && let Err(e) = self.edx.valid_user_token(m.user_id).await
                        {
                            tracing::warn!(user.id = m.user_id, error = %e, "edX tokens not created");
                        }
                        Delivery::Delivered
                    }
                    Ok(CreateUserOutcome::Rejected(data)) => Delivery::Permanent {
                        error: format!("edX refused the registration: {data}"),
                    },
                    Ok(CreateUserOutcome::NoUsername) => Delivery::Permanent {
                        error: "no free edX username could be found".into(),
                    },
                    Err(e) => e.to_delivery(),
                }
            }
            "create_auth_token" => {
                let m: UserOnly = match parse(msg) {
                    Ok(m) => m,
                    Err(d) => return d,
                };
                done(self.edx.valid_user_token(m.user_id).await.map(|_| ()))
            }
            "enroll" => {
                let m: Enroll = match parse(msg) {
                    Ok(m) => m,
                    Err(d) => return d,
                };
                let username = match self.username_or_wait(m.user_id).await {
                    Ok(u) => u,
                    Err(d) => return d,
                };
                done(
                    self.edx
                        .enroll(m.user_id, &username, &m.course_id, m.mode)
                        .await
                        .map(|_| ()),
                )
            }
            "unenroll" => {
                let m: Unenroll = match parse(msg) {
                    Ok(m) => m,
                    Err(d) => return d,
                };
                let username = match self.username_or_wait(m.user_id).await {
                    Ok(u) => u,
                    Err(d) => return d,
                };
                done(self.edx.unenroll(m.user_id, &username, &m.course_id).await)
            }
            "update_profile" => {
                let m: UpdateProfile = match parse(msg) {
                    Ok(m) => m,
                    Err(d) => return d,
                };
                done(self.edx.update_profile(m.user_id, &m.profile).await)
            }
            "email_settings" => {
                let m: EmailSettings = match parse(msg) {
                    Ok(m) => m,
                    Err(d) => return d,
                };
                match self
                    .edx
                    .email_settings(m.user_id, &m.course_id, m.subscribe)
                    .await
                {
                    Ok(true) => Delivery::Delivered,
                    Ok(false) => Delivery::Permanent {
                        error: "edX answered success: false".into(),
                    },
                    Err(e) => e.to_delivery(),
                }
            }
            "clone_course_run" => match parse::<CloneCourseRun>(msg) {
                Ok(m) => done(self.clone_run(&m).await),
                Err(d) => d,
            },
            other => Delivery::Permanent {
                error: format!("unknown openedx message kind `{other}`"),
            },
        }
    }
}

impl Deliverer for OpenEdxDeliverer {
    fn deliver<'a>(&'a self, msg: &'a Message) -> BoxFuture<'a, Delivery> {
        Box::pin(self.run(msg))
    }

    fn retry_policy(&self, msg: &Message) -> Option<outbox::RetryPolicy> {
        (msg.kind == "clone_course_run").then_some(CLONE_RETRY)
    }
}
