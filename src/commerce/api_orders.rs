//! Products, order history, receipts, status and learners' refund requests (legacy and v0).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use rusqlite::Connection;
use serde::Deserialize;
use serde_json::{Value, json};

use super::model::{OrderRow, OrderState};
use super::service::CommerceError;
use super::{shapes, store};
use crate::http::error::AppError;
use crate::http::json::ApiJson;
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

/// `is_refund_eligible`: within 7 days of purchase, or within 7 days of a bought run's start
/// when bought before it started.
pub fn refund_eligible(c: &Connection, o: &OrderRow, now: DateTime<Utc>) -> rusqlite::Result<bool> {
    if o.state != OrderState::Fulfilled {
        return Ok(false);
    }
    let Some(bought) = crate::clock::from_db(&o.created_on) else {
        return Ok(false);
    };
    if now <= bought + Duration::days(7) {
        return Ok(true);
    }
    for l in store::lines(c, o.id)? {
        if let Some(p) = store::product(c, l.product_id)?
            && let Some(start) = p.start_date.as_deref().and_then(crate::clock::from_db)
            && bought < start
            && now <= start + Duration::days(7)
        {
            return Ok(true);
        }
    }
    Ok(false)
}

async fn products_json(state: &AppState) -> Result<Vec<Value>, AppError> {
    let now = state.clock.now();
    let rows = state
        .db
        .read(|c| Ok::<_, CommerceError>(store::products(c)?))
        .await?;
    Ok(rows
        .iter()
        .filter(|p| {
            p.enrollment_end
                .as_deref()
                .and_then(crate::clock::from_db)
                .is_none_or(|e| e > now)
        })
        .map(shapes::product)
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
        .read(move |c| Ok::<_, CommerceError>(store::product(c, id)?))
        .await?
        .filter(|p| p.is_active)
        .ok_or_else(|| AppError::NotFound("No Product matches the given query.".into()))?;
    Ok(Json(shapes::product(&p)))
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
            for o in store::orders_of(c, user.id, &[OrderState::Fulfilled, OrderState::Refunded])? {
                let lines = store::lines(c, o.id)?;
                out.push(shapes::history_order(&o, &lines, refund_eligible(c, &o, now)?));
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
            let Some(o) = store::order(c, id)?.filter(|o| o.purchaser_id == user) else {
                return Err(CommerceError::NotFound("Not found.".into()));
            };
            let lines = store::lines(c, o.id)?;
            let txns = store::transactions(c, o.id)?;
            let payment = txns.iter().rev().find(|t| t.3 == "payment").map(|t| t.2.clone()).unwrap_or_default();
            let mut line_json = Vec::new();
            for l in &lines {
                let p = store::product(c, l.product_id)?;
                let qty = rust_decimal::Decimal::from(l.quantity);
                line_json.push(json!({
                    "quantity": l.quantity,
                    "CEUs": null,
                    "content_title": p.as_ref().map(|p| p.title.clone()),
                    "content_type": if l.course_run_id.is_some() { "courserun" } else { "program" },
                    "readable_id": p.as_ref().map(|p| p.readable_id.clone()),
                    "start_date": p.as_ref().and_then(|p| p.start_date.clone()),
                    "end_date": p.as_ref().and_then(|p| p.end_date.clone()),
                    "price": super::discounts::round_cents(l.unit_price).to_string(),
                    "discount": super::discounts::round_cents((l.unit_price - l.discounted_price) * qty).to_string(),
                    "total_paid": super::discounts::round_cents(l.discounted_price * qty).to_string(),
                }));
            }
            let discounts: Vec<Value> = store::order_redemptions(c, o.id)?
                .into_iter()
                .filter_map(|d| store::discount(c, d).ok().flatten())
                .map(|d| shapes::discount(&d))
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
                "total_price_paid": super::discounts::round_cents(o.total_price_paid).to_string(),
                "lines": line_json,
                "discounts": discounts,
                "refunds": refunds,
                "reference_number": o.reference_number,
                "created_on": o.created_on,
                "transactions": shapes::receipt_transaction(&payment),
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
                Ok(id) => store::order(c, id)?,
                Err(_) => store::order_by_reference(c, &key)?,
            };
            Ok::<_, CommerceError>(o.filter(|o| o.purchaser_id == user.id))
        })
        .await?;
    Ok(match found {
        Some(o) => Json(shapes::status(&o)).into_response(),
        None => (StatusCode::NOT_FOUND, Json(json!({"state": "Not found."}))).into_response(),
    })
}

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
            let Some(o) = store::order(c, body.order)?.filter(|o| o.purchaser_id == user.id) else {
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
            let id = super::refunds::insert_request(
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
                    to: super::refunds::SUPPORT_EMAIL.into(),
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
