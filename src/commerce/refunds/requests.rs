//! Learners' refund requests (`POST /api/v0/orders/refund-requests/`).

use crate::commerce::error::CommerceError;
use crate::commerce::orders;
use crate::commerce::orders::model::OrderState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::http::error::AppError;
use crate::http::json::ApiJson;
use crate::http::session::CurrentUser;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct NewRefundRequest {
    order: i64,
    refund_reason: String,
    #[serde(default)]
    refund_reason_text: String,
    #[serde(default)]
    consent_given: bool,
}

const REASONS: &[&str] = &[
    "enrolled_in_another_course",
    "course_not_as_expected",
    "technical_difficulties",
    "financial_reasons",
    "other",
];

/// POST `/api/v0/orders/refund-requests/`: own fulfilled order, a known reason, consent.
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
    let now = state.clock.now();
    let (id, email) = state
        .db
        .write(move |c| {
            let Some(o) = orders::store::order(c, body.order)?.filter(|o| o.purchaser_id == user.id) else {
                return Err(CommerceError::Invalid {
                    field: "order",
                    message: "No such order of yours.".into(),
                });
            };
            if o.state != OrderState::Fulfilled {
                return Err(CommerceError::Invalid {
                    field: "order",
                    message: "Only a fulfilled order can be refunded.".into(),
                });
            }
            let id = crate::commerce::refunds::store::insert_request(
                c,
                o.id,
                user.id,
                &body.refund_reason,
                &body.refund_reason_text,
                now,
            )?;
            crate::mail::queue(
                c,
                now,
                &crate::mail::Email {
                    to: crate::commerce::refunds::model::SUPPORT_EMAIL.into(),
                    subject: format!("Refund request for order {}", o.reference_number),
                    body: format!(
                        "{} asks for a refund of order {} ({}).\nReason: {}\n{}\n",
                        user.email,
                        o.reference_number,
                        o.total_price_paid,
                        body.refund_reason,
                        body.refund_reason_text
                    ),
                },
            )?;
            Ok((id, user.email.clone()))
        })
        .await?;
    state.outbox.wake();
    let _ = email;
    Ok((StatusCode::CREATED, Json(json!({"id": id, "status": "pending"}))).into_response())
}
