//! The original's program-enrollment APIs: `/api/v{1,2,3}/program_enrollments/` (list, detail,
//! unenroll; v3 also enrolls). Shapes come from [`super::shapes`]; the catalog snapshot is the
//! shared one [`super::api`] layers in.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::Value;

use super::api::{Cache, Loaded, int_field};
use super::service::ProgramOutcome;
use super::shapes::{self, Version};
use crate::catalog::CatalogCache;
use crate::http::error::AppError;
use crate::http::extract::PathId;
use crate::http::json::ApiJson;
use crate::http::learner_api::LearnerApi;
use crate::http::session::CurrentUser;
use crate::state::AppState;

use super::openapi::{
    ProgramEnrollAnswers, ProgramEnrollRequest, ProgramEnrollmentV1, ProgramEnrollmentV2, ProgramEnrollmentV3,
};
use crate::http::openapi::{BadRequest, Forbidden, NotFound, Unauthorized};

/// Program-enrollment routes (merged into [`super::api::routes`], under its catalog layer).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/program_enrollments/", get(programs_v1))
        .route(
            "/api/v1/program_enrollments/{id}/",
            get(program_v1).delete(program_delete_v1),
        )
        .route("/api/v2/program_enrollments/", get(programs_v2))
        .route(
            "/api/v2/program_enrollments/{id}/",
            get(program_v2).delete(program_delete_v2),
        )
        .route(
            "/api/v3/program_enrollments/",
            get(programs_v3).post(program_create_v3),
        )
        .route(
            "/api/v3/program_enrollments/{id}/",
            get(program_detail_v3).delete(program_delete_v3),
        )
}

/// The learner's program enrollments, each with the uuid of its unrevoked certificate.
async fn program_rows(
    state: &AppState,
    user: i64,
) -> Result<Vec<(super::model::ProgramEnrollment, Option<String>)>, AppError> {
    Ok(super::queries::programs_of(state, user)
        .await?
        .into_iter()
        .map(|(p, cert)| (p, cert.map(|c| c.uuid)))
        .collect())
}

async fn programs_list(
    state: AppState,
    cache: &CatalogCache,
    user: i64,
    v: Version,
) -> Result<Json<Value>, AppError> {
    let l = Loaded::for_api(&state, cache, user).await?;
    let pes = program_rows(&state, user).await?;
    let cx = l.cx();
    let out: Vec<Value> = pes
        .iter()
        .filter(|(p, _)| p.active)
        .filter_map(|(p, cert)| match v {
            Version::V3 => shapes::program_enrollment_v3(&l.cat, p, cert.as_deref()),
            _ => shapes::program_enrollment(&l.cat, p, cert.as_deref(), &l.rows, &cx, v),
        })
        .collect();
    Ok(Json(Value::Array(out)))
}

/// GET the learner's program enrollments in API version `V` (1, 2 or 3).
async fn programs_at<const V: u8>(
    State(s): State<AppState>,
    Extension(c): Cache,
    CurrentUser(u): CurrentUser,
) -> Result<Json<Value>, AppError> {
    programs_list(s, &c, u.id, Version::from_number(V)).await
}

/// GET the learner's active program enrollments (v1).
#[utoipa::path(get, path = "/api/v1/program_enrollments/", tag = "program_enrollments",
    operation_id = "program_enrollments_list",
    responses((status = 200, description = "The learner's program enrollments", body = Vec<ProgramEnrollmentV1>),
        Unauthorized, Forbidden))]
pub async fn programs_v1(s: State<AppState>, c: Cache, u: CurrentUser) -> Result<Json<Value>, AppError> {
    programs_at::<1>(s, c, u).await
}

/// GET `{id}` (v1): the learner's program enrollments, all of them (as the list).
#[utoipa::path(get, path = "/api/v1/program_enrollments/{id}/", tag = "program_enrollments",
    operation_id = "program_enrollments_retrieve",
    params(("id" = i64, Path, description = "A program (not used: the answer is the whole list)")),
    responses((status = 200, description = "The learner's program enrollments", body = Vec<ProgramEnrollmentV1>),
        Unauthorized, Forbidden))]
pub async fn program_v1(s: State<AppState>, c: Cache, u: CurrentUser) -> Result<Json<Value>, AppError> {
    programs_at::<1>(s, c, u).await
}

/// GET the learner's active program enrollments (v2).
#[utoipa::path(get, path = "/api/v2/program_enrollments/", tag = "program_enrollments",
    operation_id = "v2_program_enrollments_list",
    responses((status = 200, description = "The learner's program enrollments", body = Vec<ProgramEnrollmentV2>),
        Unauthorized, Forbidden))]
pub async fn programs_v2(s: State<AppState>, c: Cache, u: CurrentUser) -> Result<Json<Value>, AppError> {
    programs_at::<2>(s, c, u).await
}

/// GET `{id}` (v2): the learner's program enrollments, all of them (as the list).
#[utoipa::path(get, path = "/api/v2/program_enrollments/{id}/", tag = "program_enrollments",
    operation_id = "v2_program_enrollments_retrieve",
    params(("id" = i64, Path, description = "A program (not used: the answer is the whole list)")),
    responses((status = 200, description = "The learner's program enrollments", body = Vec<ProgramEnrollmentV2>),
        Unauthorized, Forbidden))]
pub async fn program_v2(s: State<AppState>, c: Cache, u: CurrentUser) -> Result<Json<Value>, AppError> {
    programs_at::<2>(s, c, u).await
}

/// GET the learner's active program enrollments (v3).
#[utoipa::path(get, path = "/api/v3/program_enrollments/", tag = "program_enrollments",
    operation_id = "v3_program_enrollments_list",
    responses((status = 200, description = "The learner's program enrollments", body = Vec<ProgramEnrollmentV3>),
        Unauthorized, Forbidden))]
pub async fn programs_v3(s: State<AppState>, c: Cache, u: CurrentUser) -> Result<Json<Value>, AppError> {
    programs_at::<3>(s, c, u).await
}

async fn program_unenroll(state: &AppState, user: i64, id: &str) -> Result<(), AppError> {
    let program: i64 = id
        .parse()
        .map_err(|_| AppError::NotFound("No Program matches the given query.".into()))?;
    super::queries::unenroll_program_own(state, user, program).await?;
    Ok(())
}

/// DELETE (v1, v2): unenrolls, answers the remaining enrollments in version `V`.
async fn program_delete_at<const V: u8>(
    State(s): State<AppState>,
    Extension(c): Cache,
    CurrentUser(u): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    program_unenroll(&s, u.id, &id).await?;
    programs_list(s, &c, u.id, Version::from_number(V)).await
}
/// DELETE (v1): unenrolls from the program, answers the remaining program enrollments.
#[utoipa::path(delete, path = "/api/v1/program_enrollments/{id}/", tag = "program_enrollments",
    operation_id = "program_enrollments_destroy",
    params(("id" = i64, Path, description = "The program")),
    responses((status = 200, description = "The learner's remaining program enrollments", body = Vec<ProgramEnrollmentV1>),
        BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn program_delete_v1(
    s: State<AppState>,
    c: Cache,
    u: CurrentUser,
    id: Path<String>,
) -> Result<Json<Value>, AppError> {
    program_delete_at::<1>(s, c, u, id).await
}

/// DELETE (v2): unenrolls from the program, answers the remaining program enrollments.
#[utoipa::path(delete, path = "/api/v2/program_enrollments/{id}/", tag = "program_enrollments",
    operation_id = "v2_program_enrollments_destroy",
    params(("id" = i64, Path, description = "The program")),
    responses((status = 200, description = "The learner's remaining program enrollments", body = Vec<ProgramEnrollmentV2>),
        BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn program_delete_v2(
    s: State<AppState>,
    c: Cache,
    u: CurrentUser,
    id: Path<String>,
) -> Result<Json<Value>, AppError> {
    program_delete_at::<2>(s, c, u, id).await
}

/// DELETE (v3): unenrolls from the program. 204.
#[utoipa::path(delete, path = "/api/v3/program_enrollments/{program_id}/", tag = "program_enrollments",
    operation_id = "v3_program_enrollments_destroy",
    params(("program_id" = i64, Path, description = "The program")),
    responses((status = 204, description = "Unenrolled"), BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn program_delete_v3(
    State(s): State<AppState>,
    CurrentUser(u): CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    program_unenroll(&s, u.id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub struct ProgramBody {
    program_id: Option<Value>,
}

/// POST `{program_id}`: enrolls the learner in the live program.
#[utoipa::path(post, path = "/api/v3/program_enrollments/", tag = "program_enrollments",
    operation_id = "v3_program_enrollments_create",
    request_body = ProgramEnrollRequest,
    responses(ProgramEnrollAnswers, BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn program_create_v3(
    r: LearnerApi,
    ApiJson(body): ApiJson<ProgramBody>,
) -> Result<Response, AppError> {
    let program = int_field(body.program_id.as_ref(), "program_id")?;
    let (cat, _) = r
        .cache
        .get(&r.state.db)
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    if !cat.program(program).is_some_and(|p| p.live) {
        return Err(AppError::field("program_id", "Invalid program id."));
    }
    let (pe, outcome) = super::queries::enroll_program_self(&r.state, r.user.id, program).await?;
    let status = match outcome {
        ProgramOutcome::Existing => StatusCode::OK,
        ProgramOutcome::Created => StatusCode::CREATED,
    };
    let cert = program_rows(&r.state, r.user.id)
        .await?
        .into_iter()
        .find(|(p, _)| p.program_id == program)
        .and_then(|(_, c)| c);
    let body = shapes::program_enrollment_v3(&cat, &pe, cert.as_deref()).ok_or_else(AppError::not_found)?;
    Ok((status, Json(body)).into_response())
}

/// GET the learner's active enrollment in the program.
#[utoipa::path(get, path = "/api/v3/program_enrollments/{program_id}/", tag = "program_enrollments",
    operation_id = "v3_program_enrollments_retrieve",
    params(("program_id" = i64, Path, description = "The program")),
    responses((status = 200, description = "The program enrollment", body = ProgramEnrollmentV3),
        Unauthorized, Forbidden, NotFound))]
pub async fn program_detail_v3(r: LearnerApi, PathId(program): PathId) -> Result<Json<Value>, AppError> {
    let (cat, _) = r
        .cache
        .get(&r.state.db)
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let (pe, cert) = program_rows(&r.state, r.user.id)
        .await?
        .into_iter()
        .find(|(p, _)| p.program_id == program && p.active)
        .ok_or_else(AppError::not_found)?;
    Ok(Json(
        shapes::program_enrollment_v3(&cat, &pe, cert.as_deref()).ok_or_else(AppError::not_found)?,
    ))
}
