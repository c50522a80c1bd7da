//! `POST /api/v2/verified_program_enrollments/{run_key}/` (auth; CSRF like every
//! cookie-authenticated POST): body a JSON list of one or two program readable ids. 201 with
//! the v2 enrollment, 204 when the learner already has what they are entitled to, 400 naming
//! the problem, 404 for unknown programs (or none enrolled in) and unknown runs. See
//! [`super::program_verified`] for the rules.

use std::sync::Arc;

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Json, Router};
use serde_json::Value;

use super::api::Loaded;
use super::openapi::VerifiedAnswers;
use super::program_verified::{self, MAX_PROGRAMS, Outcome, Request, VerifiedError};
use super::shapes::Version;
use crate::catalog::CatalogCache;
use crate::http::error::AppError;
use crate::http::json::ApiJson;
use crate::http::learner_api::LearnerApi;
use crate::http::openapi::{BadRequest, Forbidden, NotFound, Unauthorized};
use crate::state::AppState;

impl From<VerifiedError> for AppError {
    fn from(e: VerifiedError) -> Self {
        match e {
            VerifiedError::NotFound(m) => AppError::NotFound(m),
            VerifiedError::BadRequest(m) => AppError::BadRequest(m),
            VerifiedError::Run { message } => AppError::field("run_key", message),
            VerifiedError::Enroll(e) => {
                AppError::Internal(anyhow::anyhow!("verified program enrollment: {e}"))
            }
            VerifiedError::Order(e) => AppError::Internal(anyhow::anyhow!("verified program order: {e}")),
        }
    }
}

pub fn routes(cache: Arc<CatalogCache>) -> Router<AppState> {
    Router::new()
        .route("/api/v2/verified_program_enrollments/{run_key}/", post(create))
        .layer(Extension(cache))
}

/// The body: a list of 1–2 program readable ids (strings).
fn program_ids(body: &Value) -> Result<Vec<String>, AppError> {
    let Value::Array(items) = body else {
        return Err(AppError::BadRequest(
            "Expected a list of 1 to 2 program readable ids.".into(),
        ));
    };
    if items.is_empty() || items.len() > MAX_PROGRAMS {
        return Err(AppError::BadRequest(format!(
            "Expected a list of 1 to 2 program readable ids, got {}.",
            items.len()
        )));
    }
    items
        .iter()
        .map(|v| match v {
            Value::String(s) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
            _ => Err(AppError::BadRequest(
                "Each program id must be a program's readable id (a non-empty string).".into(),
            )),
        })
        .collect()
}

/// POST a JSON list of 1–2 program readable ids: enrolls the learner as verified in the run
/// (`run_key`: its id or courseware id) through the programs they are enrolled in.
#[utoipa::path(post, path = "/api/v2/verified_program_enrollments/{run_key}/", tag = "program_enrollments",
    operation_id = "verified_program_enrollments_create",
    params(("run_key" = String, Path, description = "The course run")),
    request_body(content = Vec<String>, description = "One or two program readable ids"),
    responses(VerifiedAnswers, BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn create(
    r: LearnerApi,
    Path(run_key): Path<String>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response, AppError> {
    let ids = program_ids(&body)?;
    let (cat, _) = r.cache.get(&r.state.db).await?;
    let now = r.state.clock.now();
    let environment = r.state.config.environment.clone();
    let user = r.user.id;
    let outcome = r
        .state
        .db
        .write(move |c| {
            let req = Request {
                user,
                run_key: &run_key,
                program_ids: &ids,
                environment: &environment,
                catalog: &cat,
            };
            program_verified::enroll(c, now, &req)
        })
        .await?;
    r.state.outbox.wake();
    match outcome {
        Outcome::NothingToDo => Ok(StatusCode::NO_CONTENT.into_response()),
        Outcome::Enrolled(e) => {
            let l = Loaded::for_user(&r.state, &r.cache, user).await?;
            Ok((StatusCode::CREATED, Json(l.one(e.id, Version::V2)?)).into_response())
        }
    }
}
