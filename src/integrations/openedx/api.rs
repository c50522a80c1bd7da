//! Staff JSON API of the Open edX layer: see a learner's edX state, and (sandbox only) look at
//! the sandbox edX and set grades, so enroll → grade works locally.

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;

use super::sandbox;
use super::service;
use crate::http::AppError;
use crate::http::auth::StaffAccess;
use crate::http::json::ApiJson;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v0/staff/openedx/users/{user_id}/", get(user_state))
        .route("/api/v0/staff/openedx/sandbox/", get(sandbox_snapshot))
        .route("/api/v0/staff/openedx/sandbox/grades/", post(set_grade))
        .route("/api/v0/staff/openedx/sandbox/courses/", post(set_course))
        .route(
            "/api/v3/courses/{course_id}/ol_openedx_outline/",
            get(course_outline),
        )
}

/// GET `/api/v3/courses/{course_id}/ol_openedx_outline/` (anyone, as the original): edX's
/// course outline plugin answer for a run key, passed through. A key that is not a run key is
/// a 400; edX failing or answering something else is a 502 (nothing is stored).
#[utoipa::path(
    get,
    path = "/api/v3/courses/{course_id}/ol_openedx_outline/",
    tag = "catalog",
    operation_id = "course_outline_retrieve_v3",
    params(("course_id" = String, Path, description = "A run's courseware id (`course-v1:ORG+NUMBER+RUN`)")),
    responses(
        (status = 200, description = "edX's outline of the run, as edX answers it", body = crate::catalog::openapi::CourseOutline),
        (status = 400, description = "Not a run key", body = crate::http::openapi::ErrorBody),
        (status = 502, description = "edX failed or answered something else", body = crate::http::openapi::ErrorBody)
    )
)]
pub async fn course_outline(
    State(state): State<AppState>,
    Path(course_id): Path<String>,
) -> axum::response::Response {
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    let is_run_key = course_id
        .strip_prefix("course-v1:")
        .map(|rest| rest.split('+').collect::<Vec<_>>())
        .is_some_and(|parts| parts.len() == 3 && parts.iter().all(|p| !p.is_empty()));
    if !is_run_key {
        return (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({"detail": "Invalid course_id format. Expected an Open edX course key."})),
        )
            .into_response();
    }
    match service::OpenEdx::from_state(&state)
        .client
        .course_outline(&course_id)
        .await
    {
        Ok(v) => Json(v).into_response(),
        Err(e) => {
            tracing::warn!(course_id, error = %e, "Open edX course outline request failed");
            (
                StatusCode::BAD_GATEWAY,
                Json(serde_json::json!({"detail": "Unable to fetch course outline from Open edX."})),
            )
                .into_response()
        }
    }
}

async fn user_state(
    State(state): State<AppState>,
    _staff: StaffAccess,
    Path(user_id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    let row = service::OpenEdx::from_state(&state)
        .account(user_id)
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .ok_or_else(AppError::not_found)?;
    Ok(Json(service::describe(&row)))
}

fn require_sandbox(state: &AppState) -> Result<(), AppError> {
    if !state.config.openedx_sandbox() {
        return Err(AppError::not_found());
    }
    Ok(())
}

async fn sandbox_snapshot(
    State(state): State<AppState>,
    _staff: StaffAccess,
) -> Result<Json<Value>, AppError> {
    require_sandbox(&state)?;
    let v = sandbox::snapshot(&state).await?;
    Ok(Json(v))
}

#[derive(Deserialize)]
struct GradeInput {
    course_id: String,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    email: Option<String>,
    percent: Value,
    #[serde(default)]
    passed: Option<bool>,
    #[serde(default)]
    letter_grade: Option<String>,
}

async fn set_grade(
    State(state): State<AppState>,
    staff: StaffAccess,
    ApiJson(input): ApiJson<GradeInput>,
) -> Result<Json<Value>, AppError> {
    require_sandbox(&state)?;
    let text = match &input.percent {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => {
            return Err(AppError::field(
                "percent",
                "A number between 0 and 1 is required.",
            ));
        }
    };
    let percent: Decimal = text
        .parse::<Decimal>()
        .ok()
        .filter(|p| *p >= Decimal::ZERO && *p <= Decimal::ONE)
        .ok_or_else(|| AppError::field("percent", "A number between 0 and 1 is required."))?;
    if input.course_id.trim().is_empty() {
        return Err(AppError::field("course_id", "This field is required."));
    }
    let passed = input.passed.unwrap_or(percent >= Decimal::new(5, 1));
    let who = match (input.username, input.email) {
        (Some(u), _) => sandbox::Learner::Username(u),
        (None, Some(e)) => sandbox::Learner::Email(e),
        (None, None) => return Err(AppError::field("username", "A username or email is required.")),
    };
    let grade = sandbox::Grade {
        course_id: input.course_id,
        percent: percent.normalize().to_string(),
        passed,
        letter_grade: input.letter_grade,
    };
    let result = sandbox::set_grade_by_staff(&state, staff.actor, who, grade)
        .await?
        .ok_or_else(|| AppError::field("username", "No sandbox edX user has this username or email."))?;
    Ok(Json(result))
}

async fn set_course(
    State(state): State<AppState>,
    _staff: StaffAccess,
    ApiJson(input): ApiJson<Value>,
) -> Result<Json<Value>, AppError> {
    require_sandbox(&state)?;
    let Some(id) = input
        .get("course_id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
    else {
        return Err(AppError::field("course_id", "This field is required."));
    };
    if input.get("name").and_then(Value::as_str).is_none() {
        return Err(AppError::field("name", "This field is required."));
    }
    let v = sandbox::put_course(&state, id, input).await?;
    Ok(Json(v))
}
