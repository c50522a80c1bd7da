//! Operator APIs: list jobs and runs, run a job now, see and retry outbox dead letters.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use super::auth::StaffAccess;
use super::error::AppError;
use crate::jobs::{self, Trigger};
use crate::state::AppState;
use crate::users::api_keys::{self, Scope};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v0/staff/jobs/", get(list_jobs))
        .route("/api/v0/staff/jobs/{name}/runs/", post(run_job))
        .route("/api/v0/staff/job_runs/{id}/", get(get_run))
        .route("/api/v0/staff/outbox/dead/", get(list_dead))
        .route("/api/v0/staff/outbox/{id}/retry/", post(retry_dead))
        .route("/api/v0/staff/api_keys/", get(list_api_keys).post(create_api_key))
        .route(
            "/api/v0/staff/api_keys/{id}/",
            axum::routing::delete(revoke_api_key),
        )
}

async fn list_jobs(_staff: StaffAccess, State(state): State<AppState>) -> Result<Response, AppError> {
    Ok(Json(crate::staff::service::jobs_overview(&state).await?).into_response())
}

async fn run_job(
    staff: StaffAccess,
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, AppError> {
    let outcome = jobs::queue_run(&state, &name, Trigger::Staff).await?;
    tracing::info!(job.name = %name, job.run_id = outcome.run_id, actor = %staff.actor, "job queued by staff");
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "id": outcome.run_id, "job": name, "status": outcome.status })),
    )
        .into_response())
}

async fn get_run(
    _staff: StaffAccess,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let run = crate::staff::service::job_run(&state, id).await?;
    run.map(|r| Json(r).into_response())
        .ok_or_else(AppError::not_found)
}

/// Dead letters; their payloads' secrets (emailed links, tokens) only for superusers.
async fn list_dead(
    _staff: StaffAccess,
    id: super::session::Identity,
    State(state): State<AppState>,
) -> Result<Response, AppError> {
    let mut dead = crate::staff::service::dead_letters(&state).await?;
    if super::auth::require_superuser(&id).is_err() {
        for m in &mut dead {
            m.payload = crate::mail::mask_json(&m.payload);
        }
    }
    Ok(Json(dead).into_response())
}

async fn retry_dead(
    staff: StaffAccess,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    if !crate::staff::service::retry_dead_letter(&state, id, &staff.actor).await? {
        return Err(AppError::NotFound(format!("No dead letter with id {id}.")));
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "id": id, "status": "pending" })),
    )
        .into_response())
}

#[derive(serde::Deserialize)]
struct NewApiKey {
    name: String,
    #[serde(default = "default_scope")]
    scope: String,
}

fn default_scope() -> String {
    "catalog".into()
}

/// POST /api/v0/staff/api_keys/ {name, scope}: the key is in the response, once. Staff-scope
/// keys are created by a signed-in superuser only (a key never mints a key as strong as itself).
async fn create_api_key(
    staff: StaffAccess,
    id: super::session::Identity,
    State(state): State<AppState>,
    super::json::ApiJson(body): super::json::ApiJson<NewApiKey>,
) -> Result<Response, AppError> {
    let name = body.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::field("name", "Must have 1 to 100 characters."));
    }
    let scope = Scope::parse(&body.scope).ok_or_else(|| {
        AppError::field(
            "scope",
            format!("\"{}\" is not a valid choice (catalog, staff).", body.scope),
        )
    })?;
    if scope == Scope::Staff {
        super::auth::require_superuser(&id)?;
    }
    let (row, key) = api_keys::issue(&state, name, scope, staff.actor).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": row.id, "name": row.name, "scope": row.scope, "prefix": row.prefix, "created_on": row.created_on, "key": key }))).into_response())
}

async fn list_api_keys(_staff: StaffAccess, State(state): State<AppState>) -> Result<Response, AppError> {
    let keys = api_keys::all(&state).await?;
    Ok(Json(keys).into_response())
}

async fn revoke_api_key(
    staff: StaffAccess,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let ok = api_keys::withdraw(&state, id, staff.actor).await?;
    if ok {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(AppError::NotFound(format!("No active API key with id {id}.")))
    }
}
