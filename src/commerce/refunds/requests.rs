//! Learners' refund requests (`POST /api/v0/orders/refund-requests/`).

use crate::commerce::refunds;
use crate::commerce::refunds::model::NewRefundRequest;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::commerce::openapi::Refusals;
use crate::commerce::refunds::model::NewRefundRequest as Body;

use crate::http::error::AppError;
use crate::http::json::ApiJson;
use crate::http::session::CurrentUser;
use crate::state::AppState;

const REASONS: &[&str] = &[
    "enrolled_in_another_course",
    "course_not_as_expected",
    "technical_difficulties",
    "financial_reasons",
    "other",
];

/// A refund request as filed.
#[derive(Serialize, ToSchema)]
pub struct Filed {
    pub id: i64,
    /// `pending`.
    pub status: String,
}

/// POST `/api/v0/orders/refund-requests/`: own fulfilled order, a known reason, consent.
#[utoipa::path(post, path = "/api/v0/orders/refund-requests/", tag = "refunds", operation_id = "orders_refund_requests_create",
    request_body = Body,
    responses((status = 201, description = "Filed, waiting for staff", body = Filed), Refusals))]
pub async fn refund_request(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(body): ApiJson<NewRefundRequest>,
) -> Result<Response, AppError> {
    if !REASONS.contains(&body.refund_reason.as_str()) {
        return Err(AppError::field(
            "refund_reason",
            format!("\"{}\" is not a valid choice.", body.refund_reason),
        ));
    }
    if !body.consent_given {
        return Err(AppError::field(
            "consent_given",
            "You must agree to the refund policy.",
        ));
    }
    if body.refund_reason_text.len() > 2000 {
        return Err(AppError::field(
            "refund_reason_text",
            "Ensure this field has no more than 2000 characters.",
        ));
    }
    let id = refunds::request_service::ask(&state, user.id, user.email.clone(), body).await?;
    Ok((
        StatusCode::CREATED,
        Json(Filed {
            id,
            status: "pending".into(),
        }),
    )
        .into_response())
}
