//! Plain SQL over orders, their lines, transitions, transactions and redemptions (V8).

use crate::money;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};
use rust_decimal::Decimal;

use crate::commerce::orders::model::LineRow;

use crate::commerce::orders::model::OrderRow;

use crate::clock::to_db;
use crate::commerce::orders::model::OrderState;
use crate::db::from_row;

const ORDER_SQL: &str = "SELECT id, state, purchaser_id, total_price_paid, COALESCE(reference_number, ''), created_on, updated_on FROM orders";

fn order_row(r: &Row<'_>) -> rusqlite::Result<OrderRow> {
    let state: String = r.get(1)?;
    Ok(OrderRow {
        id: r.get(0)?,
        state: state.parse().map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, Box::new(e))
        })?,
        purchaser_id: r.get(2)?,
        total_price_paid: money::from_db(r.get(3)?),
        reference_number: r.get(4)?,
        created_on: r.get(5)?,
        updated_on: r.get(6)?,
    })
}

pub fn order(c: &Connection, id: i64) -> rusqlite::Result<Option<OrderRow>> {
    c.prepare_cached(&format!("{ORDER_SQL} WHERE id = ?1"))?
        .query_row([id], order_row)
        .optional()
}

pub fn order_by_reference(c: &Connection, reference: &str) -> rusqlite::Result<Option<OrderRow>> {
    c.prepare_cached(&format!("{ORDER_SQL} WHERE reference_number = ?1"))?
        .query_row([reference], order_row)
        .optional()
}

/// A user's orders in the given states, newest first.
pub fn orders_of(c: &Connection, user: i64, states: &[OrderState]) -> rusqlite::Result<Vec<OrderRow>> {
    let list = states
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(",");
    c.prepare_cached(&format!(
        "{ORDER_SQL} WHERE purchaser_id = ?1 AND state IN ({list}) ORDER BY created_on DESC, id DESC"
    ))?
    .query_map([user], order_row)?
    .collect()
}

pub fn pending_orders(c: &Connection, user: i64) -> rusqlite::Result<Vec<OrderRow>> {
    orders_of(c, user, &[OrderState::Pending])
}

/// Pending orders created before `before` (for the resolution job).
pub fn stale_pending(c: &Connection, before: DateTime<Utc>, limit: i64) -> rusqlite::Result<Vec<OrderRow>> {
    c.prepare_cached(&format!(
        "{ORDER_SQL} WHERE state = 'pending' AND created_on < ?1 AND total_price_paid != '0.00' ORDER BY id LIMIT ?2"
    ))?
    .query_map(params![to_db(before), limit], order_row)?
    .collect()
}

pub fn insert_order(
    c: &Connection,
    purchaser: i64,
    environment: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<i64> {
    c.prepare_cached(
        "INSERT INTO orders (state, purchaser_id, total_price_paid, created_on, updated_on) VALUES ('pending', ?1, '0.00', ?2, ?2)",
    )?
    .execute(params![purchaser, to_db(now)])?;
    let id = c.last_insert_rowid();
    let reference = crate::integrations::cybersource::reference_number(environment, id);
    c.prepare_cached("UPDATE orders SET reference_number = ?2 WHERE id = ?1")?
        .execute(params![id, reference])?;
    record_transition(c, id, None, OrderState::Pending, "created", now)?;
    crate::integrations::hubspot::deal(c, now, id, "pending")?;
    Ok(id)
}

pub fn set_total(c: &Connection, order: i64, total: Decimal, now: DateTime<Utc>) -> rusqlite::Result<()> {
    c.prepare_cached("UPDATE orders SET total_price_paid = ?2, updated_on = ?3 WHERE id = ?1")?
        .execute(params![order, total.to_string(), to_db(now)])?;
    Ok(())
}

/// Moves an order from `from` to `to` if it is still in `from`; records the transition.
/// Returns false (and changes nothing) when the order is no longer in `from`.
pub fn transition(
    c: &Connection,
    order: i64,
    from: OrderState,
    to: OrderState,
    reason: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<bool> {
    let n = c
        .prepare_cached("UPDATE orders SET state = ?3, updated_on = ?4 WHERE id = ?1 AND state = ?2")?
        .execute(params![order, from.as_str(), to.as_str(), to_db(now)])?;
    if n == 1 {
        record_transition(c, order, Some(from), to, reason, now)?;
        crate::integrations::hubspot::deal(c, now, order, to.as_str())?;
    }
    Ok(n == 1)
}

fn record_transition(
    c: &Connection,
    order: i64,
    from: Option<OrderState>,
    to: OrderState,
    reason: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    c.prepare_cached(
        "INSERT INTO order_transitions (order_id, from_state, to_state, reason, created_on) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![order, from.map(|s| s.as_str()), to.as_str(), reason, to_db(now)])?;
    Ok(())
}

pub fn lines(c: &Connection, order: i64) -> rusqlite::Result<Vec<LineRow>> {
    c.prepare_cached(
        "SELECT l.id, l.order_id, l.product_id, l.product_version_id, l.quantity, v.price, l.discounted_price,
                v.description, p.course_run_id, p.program_id
         FROM order_lines l JOIN product_versions v ON v.id = l.product_version_id JOIN products p ON p.id = l.product_id
         WHERE l.order_id = ?1 ORDER BY l.id",
    )?
    .query_map([order], |r| {
        from_row!(r, LineRow { id, order_id, product_id, product_version_id, quantity, unit_price: money::from_db, discounted_price: money::from_db, description, course_run_id, program_id })
    })?
    .collect()
}

pub fn replace_lines(c: &Connection, order: i64, lines: &[(i64, i64, u32, Decimal)]) -> rusqlite::Result<()> {
    c.prepare_cached("DELETE FROM order_lines WHERE order_id = ?1")?
        .execute([order])?;
    let mut ins = c.prepare_cached(
        "INSERT INTO order_lines (order_id, product_id, product_version_id, quantity, discounted_price) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (product, version, qty, price) in lines {
        ins.execute(params![order, product, version, qty, price.to_string()])?;
    }
    Ok(())
}

/// Product versions of an order's lines, sorted (pending-order reuse compares these).
pub fn line_versions(c: &Connection, order: i64) -> rusqlite::Result<Vec<i64>> {
    c.prepare_cached(
        "SELECT product_version_id FROM order_lines WHERE order_id = ?1 ORDER BY product_version_id",
    )?
    .query_map([order], |r| r.get(0))?
    .collect()
}

pub fn order_redemptions(c: &Connection, order: i64) -> rusqlite::Result<Vec<i64>> {
    c.prepare_cached("SELECT discount_id FROM discount_redemptions WHERE order_id = ?1 ORDER BY id")?
        .query_map([order], |r| r.get(0))?
        .collect()
}

pub fn clear_redemptions(c: &Connection, order: i64) -> rusqlite::Result<usize> {
    c.prepare_cached("DELETE FROM discount_redemptions WHERE order_id = ?1")?
        .execute([order])
}

pub fn add_redemption(
    c: &Connection,
    order: i64,
    discount: i64,
    user: i64,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    c.prepare_cached(
        "INSERT INTO discount_redemptions (order_id, discount_id, redeemed_by_id, redemption_date) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![order, discount, user, to_db(now)])?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub fn insert_transaction(
    c: &Connection,
    transaction_id: &str,
    order: i64,
    amount: Decimal,
    data: &serde_json::Value,
    kind: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    c.prepare_cached(
        "INSERT INTO order_transactions (transaction_id, order_id, amount, data, transaction_type, reason, created_on)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![transaction_id, order, amount.to_string(), data.to_string(), kind, reason, to_db(now)])?;
    Ok(())
}

/// `(transaction id, amount, data, type, created_on)`.
pub type TransactionRow = (String, Decimal, serde_json::Value, String, String);

/// An order's transactions, oldest first.
pub fn transactions(c: &Connection, order: i64) -> rusqlite::Result<Vec<TransactionRow>> {
    c.prepare_cached(
        "SELECT transaction_id, amount, data, transaction_type, created_on FROM order_transactions WHERE order_id = ?1 ORDER BY id",
    )?
    .query_map([order], |r| {
        Ok((
            r.get(0)?,
            money::from_db(r.get(1)?),
            serde_json::from_str(&r.get::<_, String>(2)?).unwrap_or_default(),
            r.get(3)?,
            r.get(4)?,
        ))
    })?
    .collect()
}

/// True when the user has a fulfilled order for this product.
pub fn has_paid_for(c: &Connection, user: i64, product: i64) -> rusqlite::Result<bool> {
    c.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM order_lines l JOIN orders o ON o.id = l.order_id
         WHERE o.purchaser_id = ?1 AND o.state = 'fulfilled' AND l.product_id = ?2)",
    )?
    .query_row(params![user, product], |r| r.get(0))
}

pub fn blocked_in(c: &Connection, user: i64, course: i64) -> rusqlite::Result<bool> {
    c.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM blocked_countries b JOIN legal_addresses a ON a.country = b.country
         WHERE a.user_id = ?1 AND b.course_id = ?2)",
    )?
    .query_row(params![user, course], |r| r.get(0))
}

/// What the receipt is looked up by.
#[derive(Debug, Clone, Copy)]
pub enum Bought {
    Run(i64),
    Program(i64),
}

/// The newest fulfilled order of `user` with a line for the run's / program's product.
pub fn latest_fulfilled(c: &Connection, user: i64, bought: Bought) -> rusqlite::Result<Option<i64>> {
    let (column, id) = match bought {
        Bought::Run(id) => ("course_run_id", id),
        Bought::Program(id) => ("program_id", id),
    };
    c.prepare_cached(&format!(
        "SELECT o.id FROM orders o
         JOIN order_lines l ON l.order_id = o.id
         JOIN products p ON p.id = l.product_id
         WHERE o.purchaser_id = ?1 AND o.state = 'fulfilled' AND p.{column} = ?2
         ORDER BY o.created_on DESC, o.id DESC LIMIT 1"
    ))?
    .query_row(params![user, id], |r| r.get(0))
    .optional()
}

/// The newest fulfilled order of `user` with a line for `product`.
pub fn fulfilled_order_with_product(
    c: &Connection,
    user: i64,
    product: i64,
) -> rusqlite::Result<Option<i64>> {
    c.prepare_cached(
        "SELECT o.id FROM order_lines l JOIN orders o ON o.id = l.order_id
         WHERE o.purchaser_id = ?1 AND o.state = 'fulfilled' AND l.product_id = ?2 ORDER BY o.id DESC LIMIT 1",
    )?
    .query_row([user, product], |r| r.get(0))
    .optional()
}
