//! The flexible-price tiers of a discount in the staff API (`/api/discounts/{id}/tiers/`:
//! list, create, update, delete), as the original's nested tier viewset, plus creation for the staff
//! discount page's form. Staff only; audited.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;

use crate::commerce::discounts::links::Courseware;

use crate::commerce::discounts::links::{Tier, TierShape};
use crate::commerce::discounts::nested::{Listing, Page};
use crate::commerce::discounts::tier_service;
use crate::commerce::openapi::{Listed, Refusals};
use crate::http::auth::StaffAccess;
use crate::http::error::AppError;
use crate::http::json::ApiJson;
use crate::state::AppState;

/// GET `/{id}/tiers/`: the flexible-price tiers using this discount.
#[utoipa::path(get, path = "/api/v0/discounts/{id}/tiers/", tag = "discounts", operation_id = "discounts_tiers_list",
    params(("id" = i64, Path, description = "The discount"), Page),
    responses((status = 200, description = "The tiers using the discount", body = Listed<TierShape>), Refusals))]
pub async fn tiers(
    State(state): State<AppState>,
    _s: StaffAccess,
    Path(id): Path<i64>,
    l: Listing,
) -> Result<Json<Listed<TierShape>>, AppError> {
    Ok(Json(l.page_of(&state, tier_service::list(&state, id).await?)))
}

/// A tier to create: its course or program, whether it is current, its income threshold.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct TierBody {
    /// `course` or `program`.
    courseware_type: Option<String>,
    /// An id, as a number or a string.
    #[schema(value_type = Option<i64>)]
    courseware_id: Option<Value>,
    current: Option<bool>,
    /// A non-negative number, or a string holding one.
    #[schema(value_type = Option<f64>)]
    income_threshold_usd: Option<Value>,
}

/// Parses a tier body (also used by the staff page's form).
pub fn parse_tier(discount: i64, b: &TierBody) -> Result<Tier, AppError> {
    let id = match &b.courseware_id {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|n| *n > 0)
    .ok_or_else(|| AppError::field("courseware_id", "A valid course or program id is required."))?;
    let courseware = match b.courseware_type.as_deref() {
        Some("course") => Courseware::Course(id),
        Some("program") => Courseware::Program(id),
        _ => return Err(AppError::field("courseware_type", "Choose course or program.")),
    };
    let threshold = match &b.income_threshold_usd {
        Some(Value::Number(n)) => n.to_string().parse::<Decimal>().ok(),
        Some(Value::String(s)) => s.trim().parse::<Decimal>().ok(),
        _ => None,
    }
    .filter(|d| !d.is_sign_negative())
    .ok_or_else(|| AppError::field("income_threshold_usd", "A non-negative number is required."))?;
    Ok(Tier {
        id: 0,
        discount_id: discount,
        courseware,
        current: b.current.unwrap_or(true),
        income_threshold_usd: threshold,
    })
}

/// POST `/{id}/tiers/` {courseware_type, courseware_id, current, income_threshold_usd}.
#[utoipa::path(post, path = "/api/v0/discounts/{id}/tiers/", tag = "discounts", operation_id = "discounts_tiers_create",
    params(("id" = i64, Path, description = "The discount")), request_body = TierBody,
    responses((status = 201, description = "The new tier", body = TierShape), Refusals))]
pub async fn create_tier(
    State(state): State<AppState>,
    s: StaffAccess,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<TierBody>,
) -> Result<Response, AppError> {
    let t = parse_tier(id, &b)?;
    let out = tier_service::create(&state, s.actor, t).await?;
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

/// GET `/{id}/tiers/{tier_id}/`.
#[utoipa::path(get, path = "/api/v0/discounts/{id}/tiers/{pk}/", tag = "discounts", operation_id = "discounts_tiers_retrieve",
    params(("id" = i64, Path, description = "The discount"), ("pk" = i64, Path, description = "The tier")),
    responses((status = 200, description = "The tier", body = TierShape), Refusals))]
pub async fn tier(
    State(state): State<AppState>,
    _s: StaffAccess,
    Path((id, tier)): Path<(i64, i64)>,
) -> Result<Json<TierShape>, AppError> {
    Ok(Json(tier_service::one(&state, id, tier).await?))
}

/// DELETE `/{id}/tiers/{tier_id}/`.
#[utoipa::path(delete, path = "/api/v0/discounts/{id}/tiers/{pk}/", tag = "discounts", operation_id = "discounts_tiers_destroy",
    params(("id" = i64, Path, description = "The discount"), ("pk" = i64, Path, description = "The tier")),
    responses((status = 204, description = "Removed"), Refusals))]
pub async fn delete_tier(
    State(state): State<AppState>,
    s: StaffAccess,
    Path((id, tier)): Path<(i64, i64)>,
) -> Result<StatusCode, AppError> {
    tier_service::delete(&state, s.actor, id, tier).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What may change in a tier.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct TierPatch {
    current: Option<bool>,
    /// A non-negative number, or a string holding one.
    #[schema(value_type = Option<f64>)]
    income_threshold_usd: Option<Value>,
}

/// PATCH (or PUT) `/{id}/tiers/{tier_id}/` {current?, income_threshold_usd?} (audited): the
/// discount and courseware of a tier are its identity, so only these two change.
#[utoipa::path(method(put, patch), path = "/api/v0/discounts/{id}/tiers/{pk}/", tag = "discounts", operation_id = "discounts_tiers_update",
    params(("id" = i64, Path, description = "The discount"), ("pk" = i64, Path, description = "The tier")), request_body = TierPatch,
    responses((status = 200, description = "The tier as changed", body = TierShape), Refusals))]
pub async fn update_tier(
    State(state): State<AppState>,
    s: StaffAccess,
    Path((id, tier)): Path<(i64, i64)>,
    ApiJson(b): ApiJson<TierPatch>,
) -> Result<Json<TierShape>, AppError> {
    let threshold = match &b.income_threshold_usd {
        None => None,
        Some(v) => Some(
            match v {
                Value::Number(n) => n.to_string().parse::<Decimal>().ok(),
                Value::String(s) => s.trim().parse::<Decimal>().ok(),
                _ => None,
            }
            .filter(|d| !d.is_sign_negative())
            .ok_or_else(|| AppError::field("income_threshold_usd", "A non-negative number is required."))?,
        ),
    };
    let out = tier_service::update(&state, s.actor, id, tier, b.current, threshold).await?;
    Ok(Json(out))
}
