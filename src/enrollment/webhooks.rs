//! Inbound Open edX webhooks (staff OAuth2 bearer): an enrollment edX made (recorded locally,
//! no push back), and the certificate webhook, which pulls and stores the learner's grade
//! (certificate generation itself is another issue).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::model::{Actor, Mode};
use super::{service, store};
use crate::db::DbError;
use crate::http::session::{Identity, Via};
use crate::integrations::openedx::OpenEdx;
use crate::state::AppState;

/// A refusal: status and the `{"error": …}` message.
type Fail = (StatusCode, String);

fn err(status: StatusCode, msg: impl Into<String>) -> Fail {
    (status, msg.into())
}

fn respond(r: Result<Response, Fail>) -> Response {
    r.unwrap_or_else(|(status, msg)| (status, Json(json!({ "error": msg }))).into_response())
}

fn authorize(id: &Identity) -> Result<i64, Fail> {
    match (&id.user, id.via) {
        (Some(u), Via::Bearer) if u.is_staff || u.is_superuser => Ok(u.id),
        (Some(_), _) | (None, Via::OAuth2 { .. }) => Err(err(
            StatusCode::FORBIDDEN,
            "You do not have permission to perform this action.",
        )),
        (None, _) => Err(err(
            StatusCode::UNAUTHORIZED,
            "Authentication credentials were not provided.",
        )),
    }
}

/// `(email, course_id)` from the body, or a 400 naming what is missing.
fn fields(body: &[u8]) -> Result<(String, String), Fail> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| err(StatusCode::BAD_REQUEST, format!("Invalid JSON: {e}")))?;
    let get = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    match (get("email"), get("course_id")) {
        (Some(e), Some(c)) => Ok((e, c)),
        _ => Err(err(
            StatusCode::BAD_REQUEST,
            "Missing required fields: email and course_id",
        )),
    }
}

/// `(user_id, run_id)` or a 404 naming which is unknown.
async fn resolve(state: &AppState, email: String, course_id: String) -> Result<(i64, i64), Fail> {
    let (e2, c2) = (email.clone(), course_id.clone());
    let found = state
        .db
        .read(move |c| -> Result<_, DbError> {
            let user = crate::users::store::find_by_email(c, &e2)?.map(|u| u.id);
            let run = store::run_id_by_courseware(c, &c2)?;
            Ok((user, run))
        })
        .await
        .map_err(|_| err(StatusCode::INTERNAL_SERVER_ERROR, "database error"))?;
    match found {
        (None, _) => Err(err(
            StatusCode::NOT_FOUND,
            format!("User with email {email} not found"),
        )),
        (_, None) => Err(err(
            StatusCode::NOT_FOUND,
            format!("Course run with id {course_id} not found"),
        )),
        (Some(u), Some(r)) => Ok((u, r)),
    }
}

/// POST /api/openedx_webhook/enrollment/ {email, course_id, role}: 201 new, 200 existing.
pub async fn enrollment(State(state): State<AppState>, id: Identity, body: axum::body::Bytes) -> Response {
    respond(enroll_inner(state, id, body).await)
}

async fn enroll_inner(state: AppState, id: Identity, body: axum::body::Bytes) -> Result<Response, Fail> {
    let actor = authorize(&id)?;
    let (email, course_id) = fields(&body)?;
    let (user, run) = resolve(&state, email, course_id).await?;
    let now = state.clock.now();
    let done = state
        .db
        .write(move |c| {
            let mut a = Actor::user(actor);
            a.label = "openedx webhook".into();
            service::record_from_edx(c, now, user, run, Mode::Audit, &a)
        })
        .await;
    match done {
        Ok((e, created)) => Ok((
            if created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            },
            Json(json!({ "message": "Enrollment successful", "enrollment_id": e.id, "active": e.active })),
        )
            .into_response()),
        Err(e) => {
            tracing::error!(error = %e, "edX enrollment webhook failed");
            Err(err(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Failed to create enrollment",
            ))
        }
    }
}

/// POST /api/openedx_webhook/certificate/ {email, course_id}: pulls the learner's current grade
/// from edX and stores it.
pub async fn certificate(State(state): State<AppState>, id: Identity, body: axum::body::Bytes) -> Response {
    respond(certificate_inner(state, id, body).await)
}

async fn certificate_inner(state: AppState, id: Identity, body: axum::body::Bytes) -> Result<Response, Fail> {
    authorize(&id)?;
    let (email, course_id) = fields(&body)?;
    let (user, run) = resolve(&state, email, course_id.clone()).await?;
    let edx = OpenEdx::from_state(&state);
    let username = match edx.synced_username(user).await {
        Ok(Some(u)) => u,
        Ok(None) => {
            return Err(err(
                StatusCode::NOT_FOUND,
                "The learner has no Open edX account yet",
            ));
        }
        Err(e) => return Err(err(StatusCode::BAD_GATEWAY, format!("Open edX: {e}"))),
    };
    let grade = match edx.client.user_grade(&username, &course_id).await {
        Ok(Some(g)) => g,
        Ok(None) => {
            return Err(err(
                StatusCode::NOT_FOUND,
                "Open edX has no grade for this learner",
            ));
        }
        Err(e) => return Err(err(StatusCode::BAD_GATEWAY, format!("Open edX: {e}"))),
    };
    if grade.percent < rust_decimal::Decimal::ZERO || grade.percent > rust_decimal::Decimal::ONE {
        return Err(err(StatusCode::BAD_GATEWAY, "Open edX sent a grade outside 0..1"));
    }
    let now = state.clock.now();
    let g = grade.clone();
    let stored = state
        .db
        .write(move |c| {
            store::upsert_grade(c, user, run, g.percent, g.letter_grade.as_deref(), g.passed, now)
        })
        .await;
    match stored {
        Ok(changed) => Ok(Json(json!({
            "message": "Grade stored",
            "grade": grade.percent.to_string(),
            "passed": grade.passed,
            "changed": changed,
            "certificate": null,
        }))
        .into_response()),
        Err(_) => Err(err(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Failed to store the grade",
        )),
    }
}
