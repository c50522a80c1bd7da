//! Operator APIs: list jobs and runs, run a job now, see and retry outbox dead letters, manage
//! API keys. Documented in our OpenAPI document by `crate::staff::openapi`.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::StaffAccess;
use super::error::AppError;
use super::openapi::{BadRequest, Forbidden, NotFound, Unauthorized};
use crate::jobs::store::JobRun;
use crate::jobs::{self, Trigger};
use crate::outbox::Message as OutboxMessage;
use crate::staff::service::JobOverview;
use crate::state::AppState;
use crate::users::api_keys::{self, ApiKey, Scope};

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

/// A queued job run.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobRunQueued {
    /// The run (`GET /api/v0/staff/job_runs/{id}/`).
    pub id: i64,
    pub job: String,
    /// `queued`.
    pub status: String,
}

/// A dead letter put back in the queue.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeadLetterRetried {
    pub id: i64,
    /// `pending`.
    pub status: String,
}

/// A new API key, with the key itself: shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyCreated {
    pub id: i64,
    pub name: String,
    pub scope: Scope,
    pub prefix: String,
    pub created_on: String,
    /// `Authorization: Api-Key <key>`.
    pub key: String,
}

/// Every job with its schedule and last run.
#[utoipa::path(get, path = "/api/v0/staff/jobs/", tag = "staff", operation_id = "staff_jobs_list",
    security(("session" = []), ("api_key" = [])),
    responses((status = 200, description = "The jobs", body = Vec<JobOverview>), Unauthorized, Forbidden))]
pub async fn list_jobs(_staff: StaffAccess, State(state): State<AppState>) -> Result<Response, AppError> {
    Ok(Json(crate::staff::service::jobs_overview(&state).await?).into_response())
}

/// Runs a job now (in the background).
#[utoipa::path(post, path = "/api/v0/staff/jobs/{name}/runs/", tag = "staff", operation_id = "staff_jobs_runs_create",
    security(("session" = []), ("api_key" = [])),
    params(("name" = String, Path, description = "The job")),
    responses((status = 202, description = "The run is queued", body = JobRunQueued), Unauthorized, Forbidden, NotFound))]
pub async fn run_job(
    staff: StaffAccess,
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, AppError> {
    let outcome = jobs::queue_run(&state, &name, Trigger::Staff).await?;
    tracing::info!(job.name = %name, job.run_id = outcome.run_id, actor = %staff.actor, "job queued by staff");
    Ok((
        StatusCode::ACCEPTED,
        Json(JobRunQueued {
            id: outcome.run_id,
            job: name,
            status: outcome.status,
        }),
    )
        .into_response())
}

/// One job run.
#[utoipa::path(get, path = "/api/v0/staff/job_runs/{id}/", tag = "staff", operation_id = "staff_job_runs_retrieve",
    security(("session" = []), ("api_key" = [])),
    params(("id" = i64, Path, description = "The run")),
    responses((status = 200, description = "The run", body = JobRun), Unauthorized, Forbidden, NotFound))]
pub async fn get_run(
    _staff: StaffAccess,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let run = crate::staff::service::job_run(&state, id).await?;
    run.map(|r| Json(r).into_response())
        .ok_or_else(AppError::not_found)
}

/// Dead letters; their payloads' secrets (emailed links, tokens) only for superusers.
#[utoipa::path(get, path = "/api/v0/staff/outbox/dead/", tag = "staff", operation_id = "staff_outbox_dead_list",
    security(("session" = []), ("api_key" = [])),
    responses((status = 200, description = "The dead letters (at most 500)", body = Vec<OutboxMessage>), Unauthorized, Forbidden))]
pub async fn list_dead(
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

/// Puts a dead letter back in the queue.
#[utoipa::path(post, path = "/api/v0/staff/outbox/{id}/retry/", tag = "staff", operation_id = "staff_outbox_retry_create",
    security(("session" = []), ("api_key" = [])),
    params(("id" = i64, Path, description = "The dead letter")),
    responses((status = 202, description = "Queued again", body = DeadLetterRetried), Unauthorized, Forbidden, NotFound))]
pub async fn retry_dead(
    staff: StaffAccess,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    if !crate::staff::service::retry_dead_letter(&state, id, &staff.actor).await? {
        return Err(AppError::NotFound(format!("No dead letter with id {id}.")));
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(DeadLetterRetried {
            id,
            status: "pending".into(),
        }),
    )
        .into_response())
}

/// A key to create.
#[derive(serde::Deserialize, ToSchema)]
pub struct NewApiKey {
    /// 1 to 100 characters.
    name: String,
    /// `catalog` (the default) or `staff` (by a signed-in superuser only).
    #[serde(default = "default_scope")]
    scope: String,
}

fn default_scope() -> String {
    "catalog".into()
}

/// POST /api/v0/staff/api_keys/ {name, scope}: the key is in the response, once. Staff-scope
/// keys are created by a signed-in superuser only (a key never mints a key as strong as itself).
#[utoipa::path(post, path = "/api/v0/staff/api_keys/", tag = "staff", operation_id = "staff_api_keys_create",
    security(("session" = []), ("api_key" = [])),
    request_body = NewApiKey,
    responses((status = 201, description = "The key, shown once", body = ApiKeyCreated), BadRequest, Unauthorized, Forbidden))]
pub async fn create_api_key(
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
    let created = ApiKeyCreated {
        id: row.id,
        name: row.name,
        scope: row.scope,
        prefix: row.prefix,
        created_on: row.created_on,
        key,
    };
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// Every API key (revoked ones too), without secrets.
#[utoipa::path(get, path = "/api/v0/staff/api_keys/", tag = "staff", operation_id = "staff_api_keys_list",
    security(("session" = []), ("api_key" = [])),
    responses((status = 200, description = "The keys", body = Vec<ApiKey>), Unauthorized, Forbidden))]
pub async fn list_api_keys(_staff: StaffAccess, State(state): State<AppState>) -> Result<Response, AppError> {
    let keys = api_keys::all(&state).await?;
    Ok(Json(keys).into_response())
}

/// Revokes a key.
#[utoipa::path(delete, path = "/api/v0/staff/api_keys/{id}/", tag = "staff", operation_id = "staff_api_keys_destroy",
    security(("session" = []), ("api_key" = [])),
    params(("id" = i64, Path, description = "The key")),
    responses((status = 204, description = "Revoked"), Unauthorized, Forbidden, NotFound))]
pub async fn revoke_api_key(
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
