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
use super::model::{Actor, ChangeStatus, Mode};
use super::service::{self, ProgramOutcome};
use super::shapes::{self, Version};
use super::store;
use crate::catalog::CatalogCache;
use crate::http::error::AppError;
use crate::http::json::ApiJson;
use crate::http::session::CurrentUser;
use crate::state::AppState;

/// Program-enrollment routes (merged into [`super::api::routes`], under its catalog layer).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/program_enrollments/", get(programs_v1))
        .route(
            "/api/v1/program_enrollments/{id}/",
            get(programs_v1).delete(program_delete_v1),
        )
        .route("/api/v2/program_enrollments/", get(programs_v2))
        .route(
            "/api/v2/program_enrollments/{id}/",
            get(programs_v2).delete(program_delete_v2),
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

/// The learner's program enrollments, each with the uuid of its unrevoked certificate (read
/// through the certificates module's store, in the same reader round trip).
async fn program_rows(
    state: &AppState,
    user: i64,
) -> Result<Vec<(super::model::ProgramEnrollment, Option<String>)>, AppError> {
    let (rows, certs) = state
        .db
        .read(move |c| {
            Ok::<_, rusqlite::Error>((
                store::programs_for_user(c, user)?,
                crate::certificates::store::for_user(c, crate::certificates::Kind::Program, user)?,
            ))
        })
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(rows
        .into_iter()
        .map(|p| {
            let uuid = certs
                .iter()
                .find(|x| x.object_id == p.program_id && !x.is_revoked)
                .map(|x| x.uuid.clone());
            (p, uuid)
        })
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

async fn programs_v1(
    State(s): State<AppState>,
    Extension(c): Cache,
    CurrentUser(u): CurrentUser,
) -> Result<Json<Value>, AppError> {
    programs_list(s, &c, u.id, Version::V1).await
}
async fn programs_v2(
    State(s): State<AppState>,
    Extension(c): Cache,
    CurrentUser(u): CurrentUser,
) -> Result<Json<Value>, AppError> {
    programs_list(s, &c, u.id, Version::V2).await
}
async fn programs_v3(
    State(s): State<AppState>,
    Extension(c): Cache,
    CurrentUser(u): CurrentUser,
) -> Result<Json<Value>, AppError> {
    programs_list(s, &c, u.id, Version::V3).await
}

async fn program_unenroll(state: &AppState, user: i64, id: &str) -> Result<(), AppError> {
    let program: i64 = id
        .parse()
        .map_err(|_| AppError::NotFound("No Program matches the given query.".into()))?;
    let now = state.clock.now();
    state
        .db
        .write(move |c| {
            service::unenroll_program(
                c,
                now,
                user,
                program,
                ChangeStatus::Unenrolled,
                &Actor::user(user),
            )
        })
        .await?;
    Ok(())
}

async fn program_delete_v1(
    State(s): State<AppState>,
    Extension(c): Cache,
    CurrentUser(u): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    program_unenroll(&s, u.id, &id).await?;
    programs_list(s, &c, u.id, Version::V1).await
}
async fn program_delete_v2(
    State(s): State<AppState>,
    Extension(c): Cache,
    CurrentUser(u): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    program_unenroll(&s, u.id, &id).await?;
    programs_list(s, &c, u.id, Version::V2).await
}
async fn program_delete_v3(
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

async fn program_create_v3(
    State(state): State<AppState>,
    Extension(cache): Cache,
    CurrentUser(u): CurrentUser,
    ApiJson(body): ApiJson<ProgramBody>,
) -> Result<Response, AppError> {
    let program = int_field(body.program_id.as_ref(), "program_id")?;
    let (cat, _) = cache
        .get(&state.db)
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    if !cat.program(program).is_some_and(|p| p.live) {
        return Err(AppError::field("program_id", "Invalid program id."));
    }
    let (pe, outcome) =
        service::enroll_program_now(&state, u.id, program, Mode::Audit, Actor::user(u.id)).await?;
    let status = match outcome {
        ProgramOutcome::Existing => StatusCode::OK,
        ProgramOutcome::Created => StatusCode::CREATED,
    };
    let cert = program_rows(&state, u.id)
        .await?
        .into_iter()
        .find(|(p, _)| p.program_id == program)
        .and_then(|(_, c)| c);
    let body = shapes::program_enrollment_v3(&cat, &pe, cert.as_deref()).ok_or_else(AppError::not_found)?;
    Ok((status, Json(body)).into_response())
}

async fn program_detail_v3(
    State(state): State<AppState>,
    Extension(cache): Cache,
    CurrentUser(u): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    let program: i64 = id.parse().map_err(|_| AppError::not_found())?;
    let (cat, _) = cache
        .get(&state.db)
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let (pe, cert) = program_rows(&state, u.id)
        .await?
        .into_iter()
        .find(|(p, _)| p.program_id == program && p.active)
        .ok_or_else(AppError::not_found)?;
    Ok(Json(
        shapes::program_enrollment_v3(&cat, &pe, cert.as_deref()).ok_or_else(AppError::not_found)?,
    ))
}
