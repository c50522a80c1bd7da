//! Inbound Open edX webhooks (staff OAuth2 bearer), the handlers: who may call, what the body
//! must name, and the original's `{"error": …}` answers. What they do is in
//! [`super::webhook_service`]: an enrollment edX made (recorded locally, no push back), and
//! the certificate webhook, which pulls and stores the learner's grade and forces the
//! certificate.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::openapi::{
    EnrollmentCertificate, WebhookEnrollment, WebhookError as ErrorAnswer, WebhookGrade, WebhookRefusals,
    WebhookRequest,
};
use super::webhook_service::{self, WebhookError};
use crate::http::session::{Identity, Via};
use crate::state::AppState;

/// A refusal: status and the `{"error": …}` message.
type Fail = (StatusCode, String);

fn err(status: StatusCode, msg: impl Into<String>) -> Fail {
    (status, msg.into())
}

fn respond(r: Result<Response, Fail>) -> Response {
    r.unwrap_or_else(|(status, error)| (status, Json(ErrorAnswer { error })).into_response())
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

/// The original's answer to each failure of the webhook service.
fn refusal(e: WebhookError) -> Fail {
    let status = match &e {
        WebhookError::UnknownUser(_)
        | WebhookError::UnknownRun(_)
        | WebhookError::NoEdxAccount
        | WebhookError::NoGrade => StatusCode::NOT_FOUND,
        WebhookError::Edx(_) | WebhookError::GradeOutOfRange => StatusCode::BAD_GATEWAY,
        WebhookError::Lookup(_)
        | WebhookError::Enroll(_)
        | WebhookError::StoreGrade(_)
        | WebhookError::Certificate(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    if let WebhookError::Enroll(cause) = &e {
        tracing::error!(error = %cause, "edX enrollment webhook failed");
    }
    err(status, e.to_string())
}

/// POST /api/openedx_webhook/enrollment/ {email, course_id, role}: 201 new, 200 existing.
#[utoipa::path(post, path = "/api/openedx_webhook/enrollment/", tag = "openedx_webhook",
    operation_id = "openedx_webhook_enrollment_create",
    description = "An enrollment Open edX made: recorded here (no push back to edX). Called with \
        `Authorization: Bearer <token>` of a staff service account (an API key is not accepted).",
    security(("bearer" = [])),
    request_body = WebhookRequest,
    responses(
        (status = 200, description = "The learner was already enrolled", body = WebhookEnrollment),
        (status = 201, description = "Enrolled", body = WebhookEnrollment),
        WebhookRefusals,
    ))]
pub async fn enrollment(State(state): State<AppState>, id: Identity, body: axum::body::Bytes) -> Response {
    respond(enroll_inner(state, id, body).await)
}

async fn enroll_inner(state: AppState, id: Identity, body: axum::body::Bytes) -> Result<Response, Fail> {
    let actor = authorize(&id)?;
    let (email, course_id) = fields(&body)?;
    let (e, created) = webhook_service::record_edx_enrollment(&state, actor, email, course_id)
        .await
        .map_err(refusal)?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(WebhookEnrollment {
            message: "Enrollment successful",
            enrollment_id: e.id,
            active: e.active,
        }),
    )
        .into_response())
}

/// POST /api/openedx_webhook/certificate/ {email, course_id}: pulls the learner's current grade
/// from edX, stores it and forces the certificate.
#[utoipa::path(post, path = "/api/openedx_webhook/certificate/", tag = "openedx_webhook",
    operation_id = "openedx_webhook_certificate_create",
    description = "Open edX says a learner's certificate changed: the grade is pulled from edX, \
        stored, and the certificate issued when passed. Called with `Authorization: Bearer \
        <token>` of a staff service account (an API key is not accepted).",
    security(("bearer" = [])),
    request_body = WebhookRequest,
    responses((status = 200, description = "The grade stored", body = WebhookGrade), WebhookRefusals))]
pub async fn certificate(State(state): State<AppState>, id: Identity, body: axum::body::Bytes) -> Response {
    respond(certificate_inner(state, id, body).await)
}

async fn certificate_inner(state: AppState, id: Identity, body: axum::body::Bytes) -> Result<Response, Fail> {
    authorize(&id)?;
    let (email, course_id) = fields(&body)?;
    let grade = webhook_service::pull_edx_grade(&state, email, course_id)
        .await
        .map_err(refusal)?;
    Ok(Json(WebhookGrade {
        message: "Grade stored",
        grade: grade.percent.to_string(),
        passed: grade.passed,
        changed: grade.changed,
        certificate: grade.certificate.map(|c| EnrollmentCertificate {
            link: c.link(),
            uuid: c.uuid,
        }),
    })
    .into_response())
}
