//! A second payment for what the purchaser already holds. A learner whose first payment's
//! answer was lost (a closed tab, a crash between the gateway and us) can pay again from a
//! basket that has grown meanwhile: a new order, paid and fulfilled. When the first order's
//! result then arrives, fulfilling it would sell the same seat twice. Instead the order is held
//! in `review` with its payment recorded (the money did move) and a `duplicate_payment` alert
//! naming the order that already paid, so staff refund it from the order page; the enrollments
//! the other order granted stay as they are. (The original fulfils such an order a second time.)

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};
use rust_decimal::Decimal;
use serde_json::json;

use crate::clock::to_db;
use crate::commerce::orders::model::{OrderRow, OrderState};
use crate::commerce::orders::store;

/// The order's products that another fulfilled order of the same purchaser already paid for:
/// `(product id, that order's id)`, by product.
pub fn already_paid(c: &Connection, order: &OrderRow) -> rusqlite::Result<Vec<(i64, i64)>> {
    c.prepare_cached(
        "SELECT l.product_id, min(o.id) FROM order_lines l
         JOIN order_lines l2 ON l2.product_id = l.product_id AND l2.order_id <> l.order_id
         JOIN orders o ON o.id = l2.order_id AND o.purchaser_id = ?2 AND o.state = 'fulfilled'
         WHERE l.order_id = ?1 GROUP BY l.product_id ORDER BY l.product_id",
    )?
    .query_map(params![order.id, order.purchaser_id], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })?
    .collect()
}

/// A paid result for a pending order of which `paid` lists what was already bought: pending →
/// review, the payment recorded, the alert written. False when the order was no longer pending.
#[allow(clippy::too_many_arguments)]
pub fn hold(
    c: &Connection,
    order_id: i64,
    paid: &[(i64, i64)],
    transaction_id: &str,
    amount: Decimal,
    data: &serde_json::Value,
    now: DateTime<Utc>,
) -> rusqlite::Result<bool> {
    let orders: Vec<i64> = paid.iter().map(|p| p.1).collect();
    let reason = format!(
        "paid again for what order(s) {} already paid; refund it",
        orders.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
    );
    if !store::transition(c, order_id, OrderState::Pending, OrderState::Review, &reason, now)? {
        return Ok(false);
    }
    store::insert_transaction(c, transaction_id, order_id, amount, data, "payment", "", now)?;
    let detail = json!({
        "products": paid.iter().map(|p| p.0).collect::<Vec<_>>(),
        "paid_by_orders": orders,
        "transaction_id": transaction_id,
        "amount": amount.to_string(),
    });
    c.prepare_cached(
        "INSERT INTO order_alerts (order_id, kind, detail, created_on) VALUES (?1, 'duplicate_payment', ?2, ?3)",
    )?
    .execute(params![order_id, detail.to_string(), to_db(now)])?;
    tracing::warn!(
        order_id,
        transaction_id,
        amount = %amount,
        "ALERT a second payment for products already paid for; order held for review, to be refunded"
    );
    Ok(true)
}
