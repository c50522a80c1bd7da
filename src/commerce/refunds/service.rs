//! Partial (and full) refunds of a fulfilled order (surface §3.7), in three steps:
//!
//! 1. **Reserve** — on the writer thread, in one transaction: the order must be fulfilled; the
//!    remaining balance is what was paid minus every refund that is done *or still pending*;
//!    the asked amount (default: the whole remaining balance) must be > 0, have at most two
//!    decimals and be ≤ that balance; an `order_refunds` row is written `pending`. Because all
//!    writes are serialised, two concurrent refunds can never reserve more than was paid.
//! 2. **Ask the gateway** (CyberSource REST or the sandbox) for that amount, outside any
//!    transaction. A refusal marks the reservation `failed`, releasing its amount, and
//!    changes nothing else.
//! 3. **Record** — the reservation becomes `done`, a `refund` transaction is written, the
//!    learner's pending refund requests are approved and the refund mail (with the amount)
//!    is queued. Only when nothing remains does the order move to `refunded` and its
//!    enrollments get downgraded or unenrolled; until then it stays `fulfilled` (we never
//!    produce the original's `partially_refunded` state, which the original never produced
//!    either: a partly refunded course is still paid for).
//!
//! When the gateway's answer is unknown (a timeout, a 5xx, an unreadable reply), or the
//! process dies between steps 2 and 3, the reservation stays `pending`: its amount stays
//! reserved (never refunded twice) until staff settle it with [`settle`] — `failed` gives the
//! amount back to the balance, `done` (with the gateway's refund id) records the refund as in
//! step 3.

use crate::commerce::{checkout, orders, refunds};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};
use rust_decimal::Decimal;
use serde_json::json;

use crate::commerce::orders::model::OrderRow;

use crate::commerce::error::CommerceError;
use crate::commerce::orders::model::OrderState;
use crate::commerce::refunds::model::AfterRefund;
use crate::commerce::refunds::model::RefundError;

use crate::clock::to_db;
use crate::integrations::cybersource::{CyberSource, RefundRequest, RestError};
use crate::state::AppState;

/// Paid minus every done or pending refund.
pub fn remaining(c: &Connection, order: &OrderRow) -> rusqlite::Result<Decimal> {
    let mut refunded = Decimal::ZERO;
    let mut stmt = c.prepare_cached(
        "SELECT amount FROM order_refunds WHERE order_id = ?1 AND status IN ('pending', 'done')",
    )?;
    for a in stmt.query_map([order.id], |r| r.get::<_, String>(0))? {
        refunded += a?.parse::<Decimal>().unwrap_or_default();
    }
    Ok((order.total_price_paid - refunded).max(Decimal::ZERO))
}

/// A refund of an order: `(id, amount, reason, status, transaction id, created_on)`.
pub type RefundRow = (i64, Decimal, String, String, Option<String>, String);

pub fn refunds_of(c: &Connection, order: i64) -> rusqlite::Result<Vec<RefundRow>> {
    c.prepare_cached(
        "SELECT id, amount, reason, status, transaction_id, created_on FROM order_refunds WHERE order_id = ?1 ORDER BY id",
    )?
    .query_map([order], |r| {
        Ok((
            r.get(0)?,
            r.get::<_, String>(1)?.parse().unwrap_or_default(),
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
        ))
    })?
    .collect()
}

/// Parses a staff-entered amount: a number > 0 with at most two decimals.
pub fn parse_amount(raw: &str) -> Result<Decimal, String> {
    let d: Decimal = raw
        .trim()
        .parse()
        .map_err(|_| "A valid number is required.".to_owned())?;
    if d <= Decimal::ZERO {
        return Err("The amount must be greater than zero.".into());
    }
    if d.normalize().scale() > 2 {
        return Err("Ensure that there are no more than 2 decimal places.".into());
    }
    Ok(d)
}

fn amount_error(message: String) -> RefundError {
    RefundError::Commerce(CommerceError::Invalid {
        field: "amount",
        message,
    })
}

struct Reserved {
    refund: i64,
    amount: Decimal,
    order: OrderRow,
    payment: Option<serde_json::Value>,
}

fn reserve(
    c: &Connection,
    order_id: i64,
    amount: Option<Decimal>,
    reason: &str,
    actor: &str,
    after: AfterRefund,
    now: DateTime<Utc>,
) -> Result<Reserved, RefundError> {
    let order = orders::store::order(c, order_id)?.ok_or(RefundError::NoOrder)?;
    let payment = orders::store::transactions(c, order_id)?
        .into_iter()
        .find(|t| t.3 == "payment")
        .map(|t| t.2);
    if !order.state.staff_refundable(payment.is_some()) {
        return Err(RefundError::NotFulfilled(order.state.as_str()));
    }
    let left = remaining(c, &order)?;
    let amount = match amount {
        None => left,
        Some(a) if a > left => {
            return Err(amount_error(format!(
                "Ensure this value is less than or equal to the remaining refundable balance ({left})."
            )));
        }
        Some(a) => a,
    };
    let mut amount = amount;
    amount.rescale(2);
    if amount.is_zero() && !order.total_price_paid.is_zero() {
        return Err(amount_error(
            "Nothing remains to be refunded on this order.".into(),
        ));
    }
    c.execute(
        "INSERT INTO order_refunds (order_id, amount, reason, status, actor, after_refund, created_on, updated_on)
         VALUES (?1, ?2, ?3, 'pending', ?4, ?5, ?6, ?6)",
        params![
            order_id,
            amount.to_string(),
            reason,
            actor,
            if after == AfterRefund::Unenroll { "unenroll" } else { "downgrade" },
            to_db(now)
        ],
    )?;
    let refund = c.last_insert_rowid();
    Ok(Reserved {
        refund,
        amount,
        order,
        payment,
    })
}

/// Refunds `amount` (default: all that remains) of a fulfilled order; see the module doc.
/// Returns the order as it is afterwards.
pub async fn refund(
    state: &AppState,
    order_id: i64,
    amount: Option<Decimal>,
    reason: String,
    actor: String,
    after: AfterRefund,
) -> Result<OrderRow, RefundError> {
    let now = state.clock.now();
    let (why, who) = (reason.clone(), actor.clone());
    let r = state
        .db
        .write(move |c| reserve(c, order_id, amount, &why, &who, after, now))
        .await?;
    let asked = async {
        if r.amount.is_zero() {
            return Ok((
                format!("zero-refund-{}", uuid::Uuid::new_v4().simple()),
                json!({}),
            ));
        }
        let mut data = r.payment.clone().unwrap_or_default();
        data["req_amount"] = json!(format!("{:.2}", r.amount));
        let req = RefundRequest::from_payment_data(&data)?;
        let client = CyberSource::from_config(&state.config).rest_client(state.http_client.clone())?;
        let resp = client.refund(&req, now).await?;
        if !resp.is_success() {
            return Err(RefundError::NotAccepted(resp.decision.as_str()));
        }
        let id = resp
            .refund_id
            .clone()
            .unwrap_or_else(|| format!("refund-{}", uuid::Uuid::new_v4().simple()));
        Ok((id, resp.data))
    }
    .await;
    let refund_id = r.refund;
    let (transaction, raw) = match asked {
        Ok(v) => v,
        // The gateway may or may not have refunded (a timeout, a 5xx, an unreadable reply):
        // the reservation stays pending, keeping its amount out of reach, until staff settle
        // it with [`settle`] after looking at CyberSource.
        Err(RefundError::Gateway(e)) if e.is_transient() || matches!(e, RestError::BadResponse(_)) => {
            return Err(RefundError::Unknown {
                refund: refund_id,
                cause: e.to_string(),
            });
        }
        Err(e) => {
            state
                .db
                .write(move |c| {
                    c.execute(
                        "UPDATE order_refunds SET status = 'failed', updated_on = ?2 WHERE id = ?1",
                        params![refund_id, to_db(now)],
                    )?;
                    Ok::<_, CommerceError>(())
                })
                .await?;
            return Err(e);
        }
    };
    let (amount, order) = (r.amount, r.order);
    let updated = state
        .db
        .write(move |c| {
            record(
                c,
                refund_id,
                &order,
                amount,
                &transaction,
                &raw,
                &reason,
                &actor,
                after,
                now,
            )
        })
        .await?;
    state.outbox.wake();
    Ok(updated)
}

#[allow(clippy::too_many_arguments)]
fn record(
    c: &Connection,
    refund_id: i64,
    order: &OrderRow,
    amount: Decimal,
    transaction: &str,
    raw: &serde_json::Value,
    reason: &str,
    actor: &str,
    after: AfterRefund,
    now: DateTime<Utc>,
) -> Result<OrderRow, CommerceError> {
    c.execute(
        "UPDATE order_refunds SET status = 'done', transaction_id = ?2, updated_on = ?3 WHERE id = ?1",
        params![refund_id, transaction, to_db(now)],
    )?;
    orders::store::insert_transaction(c, transaction, order.id, amount, raw, "refund", reason, now)?;
    let left = remaining(c, order)?;
    // From fulfilled, or from review (a held second payment, which granted nothing to revoke).
    if left.is_zero()
        && orders::store::transition(c, order.id, order.state, OrderState::Refunded, reason, now)?
        && order.state == OrderState::Fulfilled
    {
        for line in orders::store::lines(c, order.id)? {
            checkout::fulfilment::revoke(c, order.purchaser_id, order.id, &line, after, now)?;
        }
    }
    refunds::mails::queue_refund(c, order, amount, now)?;
    c.execute(
        "UPDATE refund_requests SET status = 'approved', updated_on = ?2 WHERE order_id = ?1 AND status = 'pending'",
        params![order.id, to_db(now)],
    )?;
    crate::audit::record(
        c,
        None,
        actor,
        "refund",
        "order",
        &order.id.to_string(),
        None,
        Some(
            &json!({"amount": amount.to_string(), "remaining": left.to_string(), "transaction_id": transaction, "reason": reason}),
        ),
        now,
    )?;
    orders::store::order(c, order.id)?.ok_or_else(|| CommerceError::NotFound("order".into()))
}

/// Staff settle a refund left `pending` (see the module doc): `None` marks it failed and
/// releases its amount; `Some(transaction id)` records it as done, as a successful reply would.
/// The enrollments are unenrolled when `after` says so or when the refund was asked with
/// "unenroll".
pub async fn settle(
    state: &AppState,
    order_id: i64,
    refund_id: i64,
    done: Option<String>,
    actor: String,
    after: AfterRefund,
) -> Result<OrderRow, RefundError> {
    let out = state
        .write_queued(move |c, now| {
            let order = orders::store::order(c, order_id)?.ok_or(RefundError::NoOrder)?;
            let row = refunds_of(c, order_id)?
                .into_iter()
                .find(|r| r.0 == refund_id)
                .ok_or_else(|| {
                    RefundError::Commerce(CommerceError::NotFound("No such refund of this order.".into()))
                })?;
            let asked_unenroll: bool = c.query_row(
                "SELECT after_refund = 'unenroll' FROM order_refunds WHERE id = ?1",
                [refund_id],
                |r| r.get(0),
            )?;
            let after = if asked_unenroll {
                AfterRefund::Unenroll
            } else {
                after
            };
            if row.3 != "pending" {
                return Err(RefundError::Commerce(CommerceError::Invalid {
                    field: "status",
                    message: format!("Only a pending refund can be settled (this one is {}).", row.3),
                }));
            }
            match done {
                None => {
                    c.execute(
                        "UPDATE order_refunds SET status = 'failed', updated_on = ?2 WHERE id = ?1",
                        params![refund_id, to_db(now)],
                    )?;
                    crate::audit::record(
                        c,
                        None,
                        &actor,
                        "release_refund",
                        "order",
                        &order_id.to_string(),
                        None,
                        Some(&json!({"refund": refund_id, "amount": row.1.to_string()})),
                        now,
                    )?;
                    Ok(order)
                }
                Some(txn) => Ok(record(
                    c,
                    refund_id,
                    &order,
                    row.1,
                    &txn,
                    &json!({"settled_by": actor}),
                    &row.2,
                    &actor,
                    after,
                    now,
                )?),
            }
        })
        .await?;
    Ok(out)
}
