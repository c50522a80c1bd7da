//! The staff discount API: discounts CRUD and bulk codes (`/api/discounts/…`,
//! `/api/v0/discounts/…`). Every change is audited.

use crate::commerce::discounts::model::DiscountRow;
use crate::commerce::discounts::rules::DiscountType;
use crate::commerce::discounts::rules::PaymentType;
use crate::commerce::discounts::rules::RedemptionType;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::commerce::discounts::nested::Page;
use crate::commerce::discounts::shapes::DiscountRedeemed;
use crate::commerce::openapi::{Conflict, Listed, Refusals};

use crate::commerce::discounts::service;

use crate::http::auth::StaffAccess;
use crate::http::error::AppError;
use crate::http::json::ApiJson;
use crate::state::AppState;

/// A discount's terms (POST: `discount_code`, `amount`, `discount_type` required).
#[derive(Deserialize, Default, ToSchema)]
pub struct DiscountInput {
    pub(super) discount_code: Option<String>,
    /// A decimal, as a string or a number.
    #[schema(value_type = Option<String>)]
    pub(super) amount: Option<Value>,
    pub(super) automatic: Option<bool>,
    pub(super) discount_type: Option<String>,
    pub(super) redemption_type: Option<String>,
    pub(super) payment_type: Option<String>,
    pub(super) max_redemptions: Option<u32>,
    pub(super) activation_date: Option<String>,
    pub(super) expiration_date: Option<String>,
}

fn parse_amount(v: &Value) -> Result<Decimal, AppError> {
    let s = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return Err(AppError::field("amount", "A valid number is required.")),
    };
    s.trim()
        .parse()
        .map_err(|_| AppError::field("amount", "A valid number is required."))
}

fn parse_date(field: &'static str, v: &Option<String>) -> Result<Option<String>, AppError> {
    match v.as_deref().filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => crate::clock::from_db(s)
            .map(|t| Some(crate::clock::to_db(t)))
            .ok_or_else(|| AppError::field(field, "Datetime has wrong format. Use ISO 8601 (RFC 3339).")),
    }
}

/// Applies input over `base` (PATCH) or over defaults (POST).
pub(super) fn merge(base: Option<DiscountRow>, i: &DiscountInput) -> Result<DiscountRow, AppError> {
    let required = |name: &str| AppError::field(name, "This field is required.");
    let discount_type = match (&i.discount_type, &base) {
        (Some(t), _) => t
            .parse::<DiscountType>()
            .map_err(|e| AppError::field("discount_type", e.to_string()))?,
        (None, Some(b)) => b.discount_type,
        (None, None) => return Err(required("discount_type")),
    };
    let redemption_type = match (&i.redemption_type, &base) {
        (Some(t), _) => t
            .parse::<RedemptionType>()
            .map_err(|e| AppError::field("redemption_type", e.to_string()))?,
        (None, Some(b)) => b.redemption_type,
        (None, None) => RedemptionType::Unlimited,
    };
    let payment_type = match (&i.payment_type, &base) {
        (Some(t), _) if t.is_empty() => None,
        (Some(t), _) => Some(
            t.parse::<PaymentType>()
                .map_err(|e| AppError::field("payment_type", e.to_string()))?,
        ),
        (None, Some(b)) => b.payment_type,
        (None, None) => None,
    };
    let amount = match (&i.amount, &base) {
        (Some(a), _) => parse_amount(a)?,
        (None, Some(b)) => b.amount,
        (None, None) => return Err(required("amount")),
    };
    let code = match (&i.discount_code, &base) {
        (Some(c), _) => c.trim().to_owned(),
        (None, Some(b)) => b.discount_code.clone(),
        (None, None) => return Err(required("discount_code")),
    };
    Ok(DiscountRow {
        id: base.as_ref().map_or(0, |b| b.id),
        discount_code: code,
        amount,
        automatic: i
            .automatic
            .or(base.as_ref().map(|b| b.automatic))
            .unwrap_or(false),
        discount_type,
        redemption_type,
        payment_type,
        max_redemptions: i
            .max_redemptions
            .or(base.as_ref().map(|b| b.max_redemptions))
            .unwrap_or(0),
        activation_date: match &i.activation_date {
            Some(_) => parse_date("activation_date", &i.activation_date)?,
            None => base.as_ref().and_then(|b| b.activation_date.clone()),
        },
        expiration_date: match &i.expiration_date {
            Some(_) => parse_date("expiration_date", &i.expiration_date)?,
            None => base.as_ref().and_then(|b| b.expiration_date.clone()),
        },
        is_bulk: base.as_ref().is_some_and(|b| b.is_bulk),
        is_program_discount: base.as_ref().is_some_and(|b| b.is_program_discount),
    })
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// The code contains this.
    q: Option<String>,
    redemption_type: Option<String>,
    payment_type: Option<String>,
    is_redeemed: Option<String>,
}

/// GET discounts (staff): newest first, filtered by `q` (code contains), `redemption_type`,
/// `payment_type` and `is_redeemed` (yes/no), paged like the nested lists (Refine `l`/`o` on
/// the legacy path, `limit`/`offset` on v0).
#[utoipa::path(get, path = "/api/v0/discounts/", tag = "discounts", operation_id = "discounts_list",
    params(ListQuery, Page),
    responses((status = 200, description = "Discounts, newest first", body = Listed<DiscountRedeemed>), Refusals))]
pub async fn list(
    State(state): State<AppState>,
    _s: StaffAccess,
    Query(q): Query<ListQuery>,
    l: crate::commerce::discounts::nested::Listing,
) -> Result<Json<Listed<DiscountRedeemed>>, AppError> {
    let choice =
        |name: &'static str, v: Option<String>, ok: fn(&str) -> bool| match v.filter(|v| !v.is_empty()) {
            Some(v) if !ok(&v) => Err(AppError::field(
                name,
                format!("Select a valid choice. {v} is not one of the available choices."),
            )),
            v => Ok(v),
        };
    let filter = crate::commerce::discounts::links::DiscountFilter {
        q: q.q.filter(|q| !q.is_empty()),
        redemption_type: choice("redemption_type", q.redemption_type, |v| {
            v.parse::<RedemptionType>().is_ok()
        })?,
        payment_type: choice("payment_type", q.payment_type, |v| {
            v.parse::<PaymentType>().is_ok()
        })?,
        is_redeemed: choice("is_redeemed", q.is_redeemed, |v| v == "yes" || v == "no")?.map(|v| v == "yes"),
    };
    let (count, rows) = service::find(&state, filter, l.paging.limit, l.paging.offset).await?;
    let redeemed = service::redeemed_among(&state, rows.iter().map(|d| d.id).collect()).await?;
    let results = rows
        .iter()
        .map(|d| DiscountRedeemed {
            discount: d.clone(),
            is_redeemed: redeemed.contains(&d.id),
        })
        .collect();
    Ok(Json(l.page(&state, count, results)))
}

/// POST discounts (staff).
#[utoipa::path(post, path = "/api/v0/discounts/", tag = "discounts", operation_id = "discounts_create",
    request_body = DiscountInput,
    responses((status = 201, description = "The new discount", body = DiscountRow), Refusals, Conflict))]
pub async fn create(
    State(state): State<AppState>,
    s: StaffAccess,
    ApiJson(i): ApiJson<DiscountInput>,
) -> Result<Response, AppError> {
    let d = merge(None, &i)?;
    let d = service::create(&state, s.actor, d).await?;
    Ok((StatusCode::CREATED, Json(d)).into_response())
}

/// GET one discount (staff).
#[utoipa::path(get, path = "/api/v0/discounts/{id}/", tag = "discounts", operation_id = "discounts_retrieve",
    params(("id" = i64, Path, description = "The discount")),
    responses((status = 200, description = "The discount", body = DiscountRedeemed), Refusals))]
pub async fn detail(
    State(state): State<AppState>,
    _s: StaffAccess,
    Path(id): Path<i64>,
) -> Result<Json<DiscountRedeemed>, AppError> {
    let d = service::get(&state, id).await?.ok_or_else(AppError::not_found)?;
    Ok(Json(DiscountRedeemed {
        discount: d,
        is_redeemed: service::is_redeemed(&state, id).await?,
    }))
}

/// PATCH one discount (staff).
#[utoipa::path(patch, path = "/api/v0/discounts/{id}/", tag = "discounts", operation_id = "discounts_partial_update",
    params(("id" = i64, Path, description = "The discount")), request_body = DiscountInput,
    responses((status = 200, description = "The discount as changed", body = DiscountRow), Refusals, Conflict))]
pub async fn update(
    State(state): State<AppState>,
    s: StaffAccess,
    Path(id): Path<i64>,
    ApiJson(i): ApiJson<DiscountInput>,
) -> Result<Json<DiscountRow>, AppError> {
    let base = service::get(&state, id).await?;
    let before = base.clone().ok_or_else(AppError::not_found)?;
    let d = merge(base, &i)?;
    let out = d.clone();
    service::update(&state, s.actor, before, d).await?;
    Ok(Json(out))
}

/// PUT one discount (staff): a full update, so the contract's required fields must be given;
/// the others keep their values when left out (as DRF's update).
#[utoipa::path(put, path = "/api/v0/discounts/{id}/", tag = "discounts", operation_id = "discounts_update",
    params(("id" = i64, Path, description = "The discount")), request_body = DiscountInput,
    responses((status = 200, description = "The discount as changed", body = DiscountRow), Refusals, Conflict))]
pub async fn replace(
    state: State<AppState>,
    s: StaffAccess,
    id: Path<i64>,
    ApiJson(i): ApiJson<DiscountInput>,
) -> Result<Json<DiscountRow>, AppError> {
    let mut missing = std::collections::BTreeMap::new();
    for (name, given) in [
        ("amount", i.amount.is_some()),
        ("discount_code", i.discount_code.is_some()),
        ("discount_type", i.discount_type.is_some()),
        ("redemption_type", i.redemption_type.is_some()),
    ] {
        if !given {
            missing.insert(name.to_owned(), vec!["This field is required.".to_owned()]);
        }
    }
    if !missing.is_empty() {
        return Err(AppError::Invalid(missing));
    }
    update(state, s, id, ApiJson(i)).await
}

/// DELETE one discount (staff): only while nothing has redeemed it (409 otherwise).
#[utoipa::path(delete, path = "/api/v0/discounts/{id}/", tag = "discounts", operation_id = "discounts_destroy",
    params(("id" = i64, Path, description = "The discount")),
    responses((status = 204, description = "Removed"), Refusals, Conflict))]
pub async fn delete(
    State(state): State<AppState>,
    s: StaffAccess,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    crate::commerce::discounts::redemptions::delete_discount(&state, s.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A batch of codes: how many, their prefix, and the terms every code gets.
#[derive(Deserialize, ToSchema)]
pub struct Batch {
    #[serde(default = "one")]
    pub(super) count: u32,
    pub(super) prefix: Option<String>,
    #[serde(flatten)]
    pub(super) terms: DiscountInput,
    #[serde(default)]
    pub(super) one_time: bool,
    #[serde(default)]
    pub(super) once_per_user: bool,
}

fn one() -> u32 {
    1
}

/// A batch's checked template (every code's terms), count and prefix: `count` 1–5000, a prefix
/// (≤ 63) when there is more than one; `max_redemptions` is ignored, as in the original.
pub(super) fn batch_template(b: Batch) -> Result<((DiscountRow, u32), String), AppError> {
    if b.count == 0 || b.count > 5000 {
        return Err(AppError::field("count", "Enter a number between 1 and 5000."));
    }
    let prefix = b.prefix.clone().unwrap_or_default();
    if b.count > 1 && prefix.is_empty() {
        return Err(AppError::field(
            "prefix",
            "You must specify a prefix to create a batch of codes.",
        ));
    }
    if prefix.len() > 63 {
        return Err(AppError::field(
            "prefix",
            "Ensure the prefix has no more than 63 characters.",
        ));
    }
    let mut input = b.terms;
    input.discount_code = Some("batch".into());
    if b.one_time {
        input.redemption_type = Some("one-time".into());
    } else if b.once_per_user {
        input.redemption_type = Some("one-time-per-user".into());
    }
    input.max_redemptions = Some(0);
    let mut template = merge(None, &input)?;
    template.is_bulk = true;
    Ok(((template, b.count), prefix))
}

/// POST `/api/discounts/create_batch/`: `count` codes `prefix+uuid4` (count > 1 needs a
/// prefix ≤ 63); `max_redemptions` is ignored, as in the original.
#[utoipa::path(post, path = "/api/v0/discounts/create_batch/", tag = "discounts", operation_id = "discounts_create_batch_create",
    request_body = Batch,
    responses((status = 201, description = "The new codes", body = Vec<DiscountRow>), Refusals, Conflict))]
pub async fn create_batch(
    State(state): State<AppState>,
    s: StaffAccess,
    ApiJson(b): ApiJson<Batch>,
) -> Result<Response, AppError> {
    let (template, prefix) = batch_template(b)?;
    let count = template.1;
    let codes = service::create_batch(&state, s.actor, template.0, prefix, count).await?;
    Ok((StatusCode::CREATED, Json(codes)).into_response())
}
