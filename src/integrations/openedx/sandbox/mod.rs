//! The built-in sandbox Open edX, used when `MITXONLINE_OPENEDX_API_BASE_URL` is unset.
//!
//! It is an axum router answering the same paths, parameters and shapes as edX for every call
//! our client makes, keeping users, enrollments, grades, email settings and tokens in
//! `openedx_sandbox_*` tables. The client reaches it in-process (see `transport.rs`): the same
//! request bytes a real edX would get, without a socket or a second server to run. Staff set
//! grades through `/api/v0/staff/openedx/sandbox/grades/`, so enroll → grade runs locally.
//!
//! Studio re-runs ([`studio`]) need the source run registered in the sandbox (staff do that
//! with `POST /api/v0/staff/openedx/sandbox/courses/`, the demo for its source runs); an
//! unknown source answers 404, as Studio does. Not modelled: retirement, LTI accounts (the LTI fix always answers 404),
//! and course-mode writes (modes are always `audit` and `verified`). Staff can put it down,
//! slow, failing, throttling or answering nonsense for a while ([`crate::integrations::sandbox_faults`]).

mod accounts;
mod handlers;
pub mod store;
mod studio;

use axum::Router;
use axum::routing::{get, post};

use super::client::ClientSettings;
use crate::clock::Clock;
use crate::db::Db;

/// The service worker's token the sandbox accepts.
pub const SERVICE_TOKEN: &str = "sandbox-service-token";
pub const CLIENT_ID: &str = "sandbox-client";
pub const CLIENT_SECRET: &str = "sandbox-secret";
pub const SERVICE_WORKER: &str = "sandbox-service-worker";
/// Lifetime of sandbox access tokens.
pub const TOKEN_SECONDS: i64 = 3600;

/// What the sandbox's handlers share.
#[derive(Clone)]
pub struct Sandbox {
    pub db: Db,
    pub clock: Clock,
}

/// Credentials our client uses against the sandbox.
pub fn client_settings() -> ClientSettings {
    ClientSettings {
        service_token: Some(SERVICE_TOKEN.into()),
        registration_access_token: None,
        client_id: Some(CLIENT_ID.into()),
        client_secret: Some(CLIENT_SECRET.into()),
        service_worker_username: Some(SERVICE_WORKER.into()),
    }
}

/// The sandbox edX's routes.
pub fn router(db: Db, clock: Clock) -> Router {
    Router::new()
        .route("/user_api/v1/account/registration/", post(accounts::register))
        .route("/api/user/v1/validation/registration", post(accounts::validate))
        .route("/api/mobile/v0.5/my_user_info", get(handlers::my_user_info))
        .route("/api/user/v1/accounts", get(accounts::accounts_by_email))
        .route(
            "/api/user/v1/accounts/{username}",
            axum::routing::patch(handlers::patch_account),
        )
        .route(
            "/api/enrollment/v1/enrollment",
            post(handlers::post_enrollment).get(handlers::own_enrollments),
        )
        .route("/api/enrollment/v1/enrollments", get(handlers::list_enrollments))
        .route("/api/change_email_settings", post(handlers::email_settings))
        .route("/api/grades/v1/courses/{course_id}/", get(handlers::grades))
        .route("/api/courses/v1/courses/", get(handlers::course_list))
        .route(
            "/api/courses/v1/courses/{course_id}/",
            get(handlers::course_detail),
        )
        .route(
            "/api/courses/v1/courses/{course_id}",
            get(handlers::course_detail),
        )
        .route(
            "/api/course_modes/v1/courses/{course_id}",
            get(handlers::course_modes),
        )
        .route("/api/lti-user-fix/", post(handlers::lti_fix))
        .route(
            "/api/ol-course-outline/v0/{course_id}/",
            get(handlers::course_outline),
        )
        .route("/api/v1/course_runs/clone/", post(studio::clone_run))
        .route(
            "/api/v1/course_runs/{course_id}/",
            get(studio::run_detail).patch(studio::fix_run),
        )
        .route("/oauth2/authorize", get(handlers::authorize))
        .route("/oauth2/access_token", post(handlers::access_token))
        .with_state(Sandbox {
            db: db.clone(),
            clock: clock.clone(),
        })
        .layer(axum::middleware::from_fn_with_state(
            crate::integrations::sandbox_faults::Faulty {
                db,
                clock,
                partner: "openedx",
            },
            crate::integrations::sandbox_faults::layer,
        ))
}

/// Whom a staff grade is for: a sandbox edX username or email.
pub enum Learner {
    Username(String),
    Email(String),
}

/// A grade staff set in the sandbox edX (`percent` as a decimal string 0–1).
pub struct Grade {
    pub course_id: String,
    pub percent: String,
    pub passed: bool,
    pub letter_grade: Option<String>,
}

/// Sets a grade in the sandbox edX and audits who did it; the stored grade as JSON, or `None`
/// when no sandbox user has that username or email.
pub async fn set_grade_by_staff(
    state: &crate::state::AppState,
    actor: String,
    who: Learner,
    g: Grade,
) -> Result<Option<serde_json::Value>, crate::db::DbError> {
    state.write_at(move |c, now| {
            let user = match &who {
                Learner::Username(u) => store::user_by_name(c, u)?,
                Learner::Email(e) => store::user_by_email(c, e)?,
            };
            let Some(user) = user else { return Ok(None) };
            store::set_grade(c, &user.username, &g.course_id, &g.percent, g.passed, g.letter_grade.as_deref(), now)?;
            let after = serde_json::json!({ "username": user.username, "course_id": g.course_id, "percent": g.percent, "passed": g.passed, "letter_grade": g.letter_grade });
            let key = format!("{}:{}", user.username, g.course_id);
            crate::audit::by_staff(c, &actor, "openedx_sandbox.set_grade", "openedx_sandbox_grade", &key, Some(&after), now)?;
            Ok(Some(after))
        })
        .await
}

/// Creates or updates a sandbox edX course from staff JSON (`course_id`, `name`, …); the stored course.
pub async fn put_course(
    state: &crate::state::AppState,
    id: String,
    input: serde_json::Value,
) -> Result<serde_json::Value, crate::db::DbError> {
    state
        .db
        .write(move |c| {
            store::upsert_course(c, &input)?;
            Ok(store::course(c, &id)?.unwrap_or(serde_json::Value::Null))
        })
        .await
}

/// Everything the sandbox edX holds, for the staff view.
pub async fn snapshot(state: &crate::state::AppState) -> Result<serde_json::Value, crate::db::DbError> {
    state.db.read(|c| Ok(store::snapshot(c)?)).await
}
