//! Order use cases for learners and staff: products for sale, a learner's order history and
//! receipts, order lookup by id or reference, and the staff console's search and detail. The
//! purchaser's email comes from the users module.

use rusqlite::{Connection, params};
use serde_json::Value;

use crate::commerce::error::CommerceError;
use crate::commerce::orders::model::{LineRow, OrderRow, OrderState};
use crate::commerce::orders::store::TransactionRow;
use crate::commerce::refunds::eligibility::refund_eligible;
use crate::commerce::{basket, discounts, orders, refunds};
use crate::db::from_row;
use crate::state::AppState;

/// One row of the search results.
pub struct Found {
    pub id: i64,
    pub state: String,
    pub total: String,
    pub reference: String,
    pub email: String,
    pub created_on: String,
}

/// The newest 50 orders matching `q` (an order id, a reference number, or part of an email);
/// the newest 50 of all when `q` is empty.
fn search_rows(c: &Connection, q: &str) -> rusqlite::Result<Vec<Found>> {
    found(
        c,
        "WHERE ?1 = '' OR CAST(o.id AS TEXT) = ?1 OR o.reference_number = ?1 OR u.email LIKE '%' || ?1 || '%'
         ORDER BY o.id DESC LIMIT 50",
        params![q],
    )
}

/// [`Found`] rows of the orders matching `filter` (a `WHERE … ORDER BY …` over `orders o`
/// joined to `users u`).
fn found(c: &Connection, filter: &str, args: impl rusqlite::Params) -> rusqlite::Result<Vec<Found>> {
    c.prepare_cached(&format!(
        "SELECT o.id, o.state, o.total_price_paid, COALESCE(o.reference_number, ''), u.email, o.created_on
         FROM orders o JOIN users u ON u.id = o.purchaser_id {filter}"
    ))?
    .query_map(args, |r| {
        from_row!(
            r,
            Found {
                id,
                state,
                total,
                reference,
                email,
                created_on
            }
        )
    })?
    .collect()
}

/// Every order the learner placed, in any state, newest first, each with its refunds (the
/// staff learner page).
pub async fn of_purchaser(
    state: &AppState,
    user: i64,
) -> Result<Vec<(Found, Vec<refunds::service::RefundRow>)>, CommerceError> {
    let rows = state
        .db
        .read(move |c| {
            let mut out = Vec::new();
            for o in found(c, "WHERE o.purchaser_id = ?1 ORDER BY o.id DESC", [user])? {
                let refunds = refunds::service::refunds_of(c, o.id)?;
                out.push((o, refunds));
            }
            Ok::<_, rusqlite::Error>(out)
        })
        .await?;
    Ok(rows)
}

/// The staff search: see [`search_rows`].
pub async fn search(state: &AppState, needle: String) -> Result<Vec<Found>, CommerceError> {
    state.db.read(move |c| Ok(search_rows(c, &needle)?)).await
}

/// Alerts of the orders still held for review, newest first (the top of the staff order list).
pub async fn open_alerts(state: &AppState) -> Result<Vec<orders::integrity::Alert>, CommerceError> {
    state.db.read(|c| Ok(orders::integrity::open_alerts(c)?)).await
}

/// `(from, to, reason, when)` of every transition of an order, oldest first.
fn transitions(c: &Connection, order: i64) -> rusqlite::Result<Vec<(String, String, String, String)>> {
    c.prepare(
        "SELECT COALESCE(from_state, ''), to_state, reason, created_on FROM order_transitions
         WHERE order_id = ?1 ORDER BY id",
    )?
    .query_map([order], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
    .collect()
}

/// What the order page shows.
pub struct Detail {
    pub order: OrderRow,
    pub email: String,
    pub lines: Vec<LineRow>,
    pub moves: Vec<(String, String, String, String)>,
    pub txns: Vec<TransactionRow>,
    pub refunds: Vec<refunds::service::RefundRow>,
    pub remaining: rust_decimal::Decimal,
    /// Payment results held for review ([`orders::integrity`]).
    pub alerts: Vec<orders::integrity::Alert>,
}

/// The staff order page's data; `None` for an unknown order.
pub async fn staff_detail(state: &AppState, id: i64) -> Result<Option<Detail>, CommerceError> {
    state
        .db
        .read(move |c| {
            let Some(o) = orders::store::order(c, id)? else {
                return Ok::<_, CommerceError>(None);
            };
            let email = crate::users::store::find_by_id(c, o.purchaser_id)?
                .map(|u| u.email)
                .unwrap_or_default();
            Ok(Some(Detail {
                email,
                lines: orders::store::lines(c, id)?,
                moves: transitions(c, id)?,
                txns: orders::store::transactions(c, id)?,
                refunds: refunds::service::refunds_of(c, id)?,
                remaining: refunds::service::remaining(c, &o)?,
                alerts: orders::integrity::alerts_of(c, id)?,
                order: o,
            }))
        })
        .await
}

/// How many orders are held for review (the staff home's count).
pub async fn in_review(state: &AppState) -> Result<i64, CommerceError> {
    state
        .db
        .read(|c| {
            Ok(
                c.query_row("SELECT count(*) FROM orders WHERE state = 'review'", [], |r| {
                    r.get(0)
                })?,
            )
        })
        .await
}

/// One order.
pub async fn get(state: &AppState, id: i64) -> Result<Option<OrderRow>, CommerceError> {
    state.db.read(move |c| Ok(orders::store::order(c, id)?)).await
}

/// The active products whose enrollment has not ended, in the original's shape.
pub async fn products(state: &AppState) -> Result<Vec<basket::shapes::Product>, CommerceError> {
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

/// One product (active or not).
pub async fn product(state: &AppState, id: i64) -> Result<Option<basket::model::ProductRow>, CommerceError> {
    state.db.read(move |c| Ok(basket::store::product(c, id)?)).await
}

/// The learner's fulfilled and refunded orders, newest first, in the history shape.
pub async fn history(
    state: &AppState,
    user: i64,
) -> Result<Vec<orders::shapes::HistoryOrder>, CommerceError> {
    history_shaped(state, user, None).await
}

/// One order of the learner's history (`/api/v0/orders/history/{id}/`); another learner's
/// order, or one not fulfilled or refunded, is DRF's 404.
pub async fn history_order(
    state: &AppState,
    user: i64,
    id: i64,
) -> Result<orders::shapes::HistoryOrder, CommerceError> {
    history_shaped(state, user, Some(id))
        .await?
        .pop()
        .ok_or_else(|| CommerceError::NotFound("No Order matches the given query.".into()))
}

/// The history shapes of the learner's orders (only `id` when given).
async fn history_shaped(
    state: &AppState,
    user: i64,
    only: Option<i64>,
) -> Result<Vec<orders::shapes::HistoryOrder>, CommerceError> {
    let now = state.clock.now();
    state
        .db
        .read(move |c| {
            let mut out = Vec::new();
            for (o, lines) in history_of(c, user, only)? {
                out.push(orders::shapes::history_order(
                    &o,
                    &lines,
                    refund_eligible(c, &o, now)?,
                ));
            }
            Ok(out)
        })
        .await
}

/// The learner's fulfilled and refunded orders (only `id` when given) with their lines,
/// newest first.
fn history_of(
    c: &rusqlite::Connection,
    user: i64,
    only: Option<i64>,
) -> rusqlite::Result<Vec<(OrderRow, Vec<LineRow>)>> {
    let mut out = Vec::new();
    let found = orders::store::orders_of(c, user, &[OrderState::Fulfilled, OrderState::Refunded])?;
    for o in found.into_iter().filter(|o| only.is_none_or(|id| id == o.id)) {
        let lines = orders::store::lines(c, o.id)?;
        out.push((o, lines));
    }
    Ok(out)
}

/// The learner's fulfilled and refunded orders with their lines, for the history page.
pub async fn history_rows(
    state: &AppState,
    user: i64,
) -> Result<Vec<(OrderRow, Vec<LineRow>)>, CommerceError> {
    Ok(state.db.read(move |c| history_of(c, user, None)).await?)
}

/// The receipt JSON of an order the user owns.
pub async fn receipt(state: &AppState, user: i64, id: i64) -> Result<orders::shapes::Receipt, CommerceError> {
    let now = state.clock.now();
    state
        .db
        .read(move |c| {
            let Some(o) = orders::store::order(c, id)?.filter(|o| o.purchaser_id == user) else {
                return Err(CommerceError::NotFound("Not found.".into()));
            };
            let lines = orders::store::lines(c, o.id)?;
            let txns = orders::store::transactions(c, o.id)?;
            let payment = txns
                .iter()
                .rev()
                .find(|t| t.3 == "payment")
                .map(|t| t.2.clone())
                .unwrap_or_default();
            let mut line_json = Vec::new();
            for l in &lines {
                let p = basket::store::product(c, l.product_id)?;
                let qty = rust_decimal::Decimal::from(l.quantity);
                line_json.push(orders::shapes::ReceiptLine {
                    quantity: l.quantity,
                    ceus: None,
                    content_title: p.as_ref().map(|p| p.title.clone()),
                    content_type: if l.course_run_id.is_some() {
                        "courserun"
                    } else {
                        "program"
                    }
                    .to_owned(),
                    readable_id: p.as_ref().map(|p| p.readable_id.clone()),
                    start_date: p.as_ref().and_then(|p| p.start_date.clone()),
                    end_date: p.as_ref().and_then(|p| p.end_date.clone()),
                    price: crate::money::round_cents(l.unit_price).to_string(),
                    discount: crate::money::round_cents((l.unit_price - l.discounted_price) * qty)
                        .to_string(),
                    total_paid: crate::money::round_cents(l.discounted_price * qty).to_string(),
                });
            }
            let discounts = orders::store::order_redemptions(c, o.id)?
                .into_iter()
                .filter_map(|d| discounts::store::discount(c, d).ok().flatten())
                .collect();
            let refunds = txns
                .iter()
                .filter(|t| t.3 == "refund")
                .map(|t| orders::shapes::ReceiptRefund {
                    amount: t.1.to_string(),
                    date: t.4.clone(),
                })
                .collect();
            let text = |k: &str| payment.get(k).and_then(Value::as_str).map(str::to_owned);
            Ok(orders::shapes::Receipt {
                id: o.id,
                state: o.state,
                purchaser: o.purchaser_id,
                total_price_paid: crate::money::round_cents(o.total_price_paid).to_string(),
                lines: line_json,
                discounts,
                refunds,
                reference_number: o.reference_number.clone(),
                created_on: o.created_on.clone(),
                transactions: orders::shapes::receipt_transaction(&payment),
                street_address: orders::shapes::StreetAddress {
                    line: vec![text("req_bill_to_address_line1").unwrap_or_default()],
                    postal_code: text("req_bill_to_address_postal_code"),
                    country: text("req_bill_to_address_country"),
                    city: text("req_bill_to_address_city"),
                },
                refund_eligible: refund_eligible(c, &o, now)?,
            })
        })
        .await
}

/// An order of this user by id or reference number.
pub async fn find_own(state: &AppState, user: i64, key: String) -> Result<Option<OrderRow>, CommerceError> {
    state
        .db
        .read(move |c| {
            let o = match key.parse::<i64>() {
                Ok(id) => orders::store::order(c, id)?,
                Err(_) => orders::store::order_by_reference(c, &key)?,
            };
            Ok(o.filter(|o| o.purchaser_id == user))
        })
        .await
}

/// The learner's latest fulfilled order holding the run's or program's product.
pub async fn latest_receipt(
    state: &AppState,
    user: i64,
    bought: orders::store::Bought,
) -> Result<Option<i64>, CommerceError> {
    state
        .db
        .read(move |c| Ok(orders::store::latest_fulfilled(c, user, bought)?))
        .await
}
