//! The staff refund API: `GET /api/v0/orders/{id}/refunds/` (what was paid, what remains,
//! every refund) and `POST` the same path with `{amount?, reason?, unenroll?}` to refund an
//! amount (default: all that remains) through [`super::partial_refunds`]; `PATCH
//! /api/v0/orders/{id}/refunds/{refund_id}/` settles a refund whose gateway answer was
//! unknown. The original only had the Django admin form for this; the JSON names follow its
//! Transaction model.

use crate::commerce::refunds;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::commerce::openapi::{Conflict, Refusals};
use crate::commerce::refunds::request_service::RefundSummary;

use crate::commerce::refunds::model::AfterRefund;
use crate::commerce::refunds::model::RefundError;
use crate::commerce::refunds::service::parse_amount;

use crate::http::auth::StaffAccess;
use crate::http::error::AppError;
use crate::http::json::ApiJson;
use crate::state::AppState;

/// How a refund failure reaches staff: bad amounts name `amount`, a non-fulfilled order
/// names `order`, gateway refusals say what the gateway said.
pub fn refund_error(e: RefundError) -> AppError {
    match e {
        RefundError::Commerce(c) => c.into(),
        RefundError::NoOrder => AppError::NotFound("No such order.".into()),
        e @ RefundError::NotFulfilled(_) => AppError::field("order", e.to_string()),
        e @ RefundError::Unknown { .. } => AppError::Conflict(e.to_string()),
        e => AppError::BadRequest(e.to_string()),
    }
}

/// The same, for an HTML page: field errors spelled out (`amount: …`), since the HTML error
/// page shows only the message.
pub fn page_error(e: AppError) -> AppError {
    match e {
        AppError::Invalid(fields) => AppError::BadRequest(
            fields
                .iter()
                .map(|(k, v)| format!("{k}: {}", v.join(" ")))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        other => other,
    }
}

/// GET `/api/v0/orders/{id}/refunds/` (staff).
#[utoipa::path(get, path = "/api/v0/orders/{id}/refunds/", tag = "refunds", operation_id = "orders_refunds_list",
    params(("id" = i64, Path, description = "The order")),
    responses((status = 200, description = "What was paid, what remains, every refund", body = RefundSummary), Refusals))]
pub async fn list(
    State(state): State<AppState>,
    _s: StaffAccess,
    Path(id): Path<i64>,
) -> Result<Json<RefundSummary>, AppError> {
    Ok(Json(refunds::request_service::summary(&state, id).await?))
}

/// A refund to make: `amount` (default: all that remains), `reason`, and whether to unenroll.
#[derive(Deserialize, ToSchema)]
pub struct RefundBody {
    /// A decimal, as a string or a number.
    #[schema(value_type = Option<String>)]
    amount: Option<Value>,
    reason: Option<String>,
    #[serde(default)]
    unenroll: bool,
}

fn amount_of(v: &Option<Value>) -> Result<Option<Decimal>, AppError> {
    let bad = |m: String| AppError::field("amount", m);
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => parse_amount(s).map(Some).map_err(bad),
        Some(Value::Number(n)) => parse_amount(&n.to_string()).map(Some).map_err(bad),
        Some(_) => Err(bad("A valid number is required.".into())),
    }
}

/// POST `/api/v0/orders/{id}/refunds/` (staff): 201 with the order's refund summary.
#[utoipa::path(post, path = "/api/v0/orders/{id}/refunds/", tag = "refunds", operation_id = "orders_refunds_create",
    params(("id" = i64, Path, description = "The order")), request_body = RefundBody,
    responses((status = 201, description = "Refunded: the order's refund summary", body = RefundSummary), Refusals, Conflict))]
pub async fn create(
    State(state): State<AppState>,
    s: StaffAccess,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<RefundBody>,
) -> Result<Response, AppError> {
    let amount = amount_of(&b.amount)?;
    let reason = b
        .reason
        .filter(|r| !r.trim().is_empty())
        .unwrap_or_else(|| format!("refund by {}", s.actor));
    if reason.len() > 1000 {
        return Err(AppError::field(
            "reason",
            "Ensure this field has no more than 1000 characters.",
        ));
    }
    let after = AfterRefund::from_unenroll(b.unenroll);
    refunds::service::refund(&state, id, amount, reason, s.actor.clone(), after)
        .await
        .map_err(refund_error)?;
    Ok((
        StatusCode::CREATED,
        Json(refunds::request_service::summary(&state, id).await?),
    )
        .into_response())
}

/// How a pending refund ended: `failed`, or `done` with the gateway's refund id.
#[derive(Deserialize, ToSchema)]
pub struct SettleBody {
    status: Option<String>,
    transaction_id: Option<String>,
    #[serde(default)]
    unenroll: bool,
}

/// PATCH `/api/v0/orders/{id}/refunds/{refund_id}/` (staff) `{status: "failed"}` or
/// `{status: "done", transaction_id}`: settles a refund whose gateway answer was unknown.
#[utoipa::path(patch, path = "/api/v0/orders/{id}/refunds/{refund}/", tag = "refunds", operation_id = "orders_refunds_partial_update",
    params(("id" = i64, Path, description = "The order"), ("refund" = i64, Path, description = "The pending refund")),
    request_body = SettleBody,
    responses((status = 200, description = "Settled: the order's refund summary", body = RefundSummary), Refusals, Conflict))]
pub async fn settle(
    State(state): State<AppState>,
    s: StaffAccess,
    Path((id, refund)): Path<(i64, i64)>,
    ApiJson(b): ApiJson<SettleBody>,
) -> Result<Json<RefundSummary>, AppError> {
    let done = match b.status.as_deref() {
        Some("failed") => None,
        Some("done") => Some(
            b.transaction_id
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty() && t.len() <= 64)
                .ok_or_else(|| AppError::field("transaction_id", "The gateway's refund id is required."))?,
        ),
        _ => return Err(AppError::field("status", "Choose failed or done.")),
    };
    let after = AfterRefund::from_unenroll(b.unenroll);
    refunds::service::settle(&state, id, refund, done, s.actor.clone(), after)
        .await
        .map_err(refund_error)?;
    Ok(Json(refunds::request_service::summary(&state, id).await?))
}
