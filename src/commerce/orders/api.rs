//! Products, order history, receipts and status over JSON (legacy and v0).

use crate::commerce::error::CommerceError;
use crate::commerce::orders::model::OrderState;
use crate::commerce::refunds::eligibility::refund_eligible;
use crate::commerce::{basket, discounts, orders};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::http::error::AppError;
use crate::http::session::CurrentUser;
use crate::state::AppState;

#[derive(Deserialize, Default)]
pub struct Page {
    limit: Option<String>,
    offset: Option<String>,
}

impl Page {
    fn parse(&self, default: usize) -> Result<(usize, usize), AppError> {
        let n = |name: &str, v: &Option<String>, d: usize| match v.as_deref().filter(|s| !s.is_empty()) {
            None => Ok(d),
            Some(s) => s
                .parse::<usize>()
                .map_err(|_| AppError::field(name, "A valid non-negative integer is required.")),
        };
        Ok((
            n("limit", &self.limit, default)?.clamp(1, 1000),
            n("offset", &self.offset, 0)?,
        ))
    }
}

/// DRF LimitOffset envelope.
pub fn paginate(state: &AppState, path: &str, items: Vec<Value>, limit: usize, offset: usize) -> Value {
    let count = items.len();
    let url = |o: usize| {
        state
            .config
            .absolute_url(&format!("{path}?limit={limit}&offset={o}"))
    };
    let next = (offset + limit < count).then(|| url(offset + limit));
    let previous = (offset > 0).then(|| url(offset.saturating_sub(limit)));
    let results: Vec<Value> = items.into_iter().skip(offset).take(limit).collect();
    json!({"count": count, "next": next, "previous": previous, "results": results})
}

async fn products_json(state: &AppState) -> Result<Vec<Value>, AppError> {
    let now = state.clock.now();
    let rows = state
        .db
        .read(|c| Ok::<_, CommerceError>(basket::store::products(c)?))
        .await?;
    Ok(rows
        .iter()
        .filter(|p| {
            p.enrollment_end
                .as_deref()
                .and_then(crate::clock::from_db)
                .is_none_or(|e| e > now)
        })
        .map(basket::shapes::product)
        .collect())
}

/// GET `/api/products/` and `/api/v0/products/` (LimitOffset, default 2).
pub async fn products(
    State(state): State<AppState>,
    Query(page): Query<Page>,
    uri: axum::http::Uri,
) -> Result<Json<Value>, AppError> {
    let (limit, offset) = page.parse(2)?;
    let items = products_json(&state).await?;
    Ok(Json(paginate(&state, uri.path(), items, limit, offset)))
}

/// GET `/api/products/{id}/`.
pub async fn product(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Value>, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::not_found())?;
    let p = state
        .db
        .read(move |c| Ok::<_, CommerceError>(basket::store::product(c, id)?))
        .await?
        .filter(|p| p.is_active)
        .ok_or_else(|| AppError::NotFound("No Product matches the given query.".into()))?;
    Ok(Json(basket::shapes::product(&p)))
}

/// GET `/api/orders/history/` (all, newest first) and `/api/v0/orders/history/` (LimitOffset 20).
pub async fn history(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Query(page): Query<Page>,
    uri: axum::http::Uri,
) -> Result<Json<Value>, AppError> {
    let now = state.clock.now();
    let items = state
        .db
        .read(move |c| {
            let mut out = Vec::new();
            for o in orders::store::orders_of(c, user.id, &[OrderState::Fulfilled, OrderState::Refunded])? {
                let lines = orders::store::lines(c, o.id)?;
                out.push(orders::shapes::history_order(
                    &o,
                    &lines,
                    refund_eligible(c, &o, now)?,
                ));
            }
            Ok::<_, CommerceError>(out)
        })
        .await?;
    let (limit, offset) = page.parse(20)?;
    Ok(Json(paginate(&state, uri.path(), items, limit, offset)))
}

/// The receipt JSON of an order the user owns.
pub async fn receipt_json(state: &AppState, user: i64, id: i64) -> Result<Value, AppError> {
    let now = state.clock.now();
    state
        .db
        .read(move |c| {
            let Some(o) = orders::store::order(c, id)?.filter(|o| o.purchaser_id == user) else {
                return Err(CommerceError::NotFound("Not found.".into()));
            };
            let lines = orders::store::lines(c, o.id)?;
            let txns = orders::store::transactions(c, o.id)?;
            let payment = txns.iter().rev().find(|t| t.3 == "payment").map(|t| t.2.clone()).unwrap_or_default();
            let mut line_json = Vec::new();
            for l in &lines {
                let p = basket::store::product(c, l.product_id)?;
                let qty = rust_decimal::Decimal::from(l.quantity);
                line_json.push(json!({
                    "quantity": l.quantity,
                    "CEUs": null,
                    "content_title": p.as_ref().map(|p| p.title.clone()),
                    "content_type": if l.course_run_id.is_some() { "courserun" } else { "program" },
                    "readable_id": p.as_ref().map(|p| p.readable_id.clone()),
                    "start_date": p.as_ref().and_then(|p| p.start_date.clone()),
                    "end_date": p.as_ref().and_then(|p| p.end_date.clone()),
                    "price": crate::money::round_cents(l.unit_price).to_string(),
                    "discount": crate::money::round_cents((l.unit_price - l.discounted_price) * qty).to_string(),
                    "total_paid": crate::money::round_cents(l.discounted_price * qty).to_string(),
                }));
            }
            let discounts: Vec<Value> = orders::store::order_redemptions(c, o.id)?
                .into_iter()
                .filter_map(|d| discounts::store::discount(c, d).ok().flatten())
                .map(|d| discounts::shapes::discount(&d))
                .collect();
            let refunds: Vec<Value> = txns
                .iter()
                .filter(|t| t.3 == "refund")
                .map(|t| json!({"amount": t.1.to_string(), "date": t.4}))
                .collect();
            Ok(json!({
                "id": o.id,
                "state": o.state.as_str(),
                "purchaser": o.purchaser_id,
                "total_price_paid": crate::money::round_cents(o.total_price_paid).to_string(),
                "lines": line_json,
                "discounts": discounts,
                "refunds": refunds,
                "reference_number": o.reference_number,
                "created_on": o.created_on,
                "transactions": orders::shapes::receipt_transaction(&payment),
                "street_address": {
                    "line": [payment.get("req_bill_to_address_line1").and_then(Value::as_str).unwrap_or("")],
                    "postal_code": payment.get("req_bill_to_address_postal_code"),
                    "country": payment.get("req_bill_to_address_country"),
                    "city": payment.get("req_bill_to_address_city"),
                },
                "refund_eligible": refund_eligible(c, &o, now)?,
            }))
        })
        .await
        .map_err(AppError::from)
}

/// GET `/api/orders/receipt/{id}/`: owner only (others get 404).
pub async fn receipt(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::not_found())?;
    Ok(Json(receipt_json(&state, user.id, id).await?))
}

/// GET `/api/v0/orders/status/{id or reference}/`: 404 `{"state": "Not found."}`.
pub async fn status(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(key): Path<String>,
) -> Result<Response, AppError> {
    let found = state
        .db
        .read(move |c| {
            let o = match key.parse::<i64>() {
                Ok(id) => orders::store::order(c, id)?,
                Err(_) => orders::store::order_by_reference(c, &key)?,
            };
            Ok::<_, CommerceError>(o.filter(|o| o.purchaser_id == user.id))
        })
        .await?;
    Ok(match found {
        Some(o) => Json(orders::shapes::status(&o)).into_response(),
        None => (StatusCode::NOT_FOUND, Json(json!({"state": "Not found."}))).into_response(),
    })
}
