//! The sandbox's record of hosted-checkout payments (`cybersource_sandbox_payments`).

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use crate::clock::to_db;
use crate::db::from_row;

/// One payment attempt the sandbox page received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxPayment {
    pub id: i64,
    pub token: String,
    pub transaction_uuid: String,
    pub reference_number: String,
    pub amount: String,
    pub currency: String,
    pub request_fields: Vec<(String, String)>,
    pub decision: Option<String>,
    pub transaction_id: Option<String>,
    pub result_fields: Option<Vec<(String, String)>>,
    pub refund_id: Option<String>,
    pub refunded_amount: Option<String>,
    pub created_on: String,
    pub decided_on: Option<String>,
}

const COLUMNS: &str = "id, token, transaction_uuid, reference_number, amount, currency, request_fields, \
    decision, transaction_id, result_fields, refund_id, refunded_amount, created_on, decided_on";

fn fields(json: &str) -> Vec<(String, String)> {
    serde_json::from_str(json).unwrap_or_default()
}

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SandboxPayment> {
    from_row!(
        r,
        SandboxPayment {
            id,
            token,
            transaction_uuid,
            reference_number,
            amount,
            currency,
            request_fields: (|s: String| fields(&s)),
            decision,
            transaction_id,
            result_fields: (|s: Option<String>| s.map(|s| fields(&s))),
            refund_id,
            refunded_amount,
            created_on,
            decided_on
        }
    )
}

/// A verified checkout form to record.
pub struct NewPayment<'a> {
    pub token: &'a str,
    pub transaction_uuid: &'a str,
    pub reference_number: &'a str,
    pub amount: &'a str,
    pub currency: &'a str,
    pub request_fields: &'a [(String, String)],
}

/// Records a payment attempt; the existing one when this `transaction_uuid` was seen before.
pub fn insert_or_get(
    conn: &Connection,
    p: &NewPayment<'_>,
    now: DateTime<Utc>,
) -> rusqlite::Result<SandboxPayment> {
    let json = serde_json::to_string(p.request_fields).expect("pairs serialise");
    conn.execute(
        "INSERT INTO cybersource_sandbox_payments
            (token, transaction_uuid, reference_number, amount, currency, request_fields, created_on)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (transaction_uuid) DO NOTHING",
        params![
            p.token,
            p.transaction_uuid,
            p.reference_number,
            p.amount,
            p.currency,
            json,
            to_db(now)
        ],
    )?;
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM cybersource_sandbox_payments WHERE transaction_uuid = ?1"),
        [p.transaction_uuid],
        from_row,
    )
}

pub fn by_token(conn: &Connection, token: &str) -> rusqlite::Result<Option<SandboxPayment>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM cybersource_sandbox_payments WHERE token = ?1"),
        [token],
        from_row,
    )
    .optional()
}

pub fn by_transaction_id(conn: &Connection, id: &str) -> rusqlite::Result<Option<SandboxPayment>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM cybersource_sandbox_payments WHERE transaction_id = ?1"),
        [id],
        from_row,
    )
    .optional()
}

/// Records the learner's decision once; `false` when it was already decided.
pub fn decide(
    conn: &Connection,
    id: i64,
    decision: &str,
    transaction_id: Option<&str>,
    result_fields: &[(String, String)],
    now: DateTime<Utc>,
) -> rusqlite::Result<bool> {
    let json = serde_json::to_string(result_fields).expect("pairs serialise");
    let n = conn.execute(
        "UPDATE cybersource_sandbox_payments
            SET decision = ?2, transaction_id = ?3, result_fields = ?4, decided_on = ?5
          WHERE id = ?1 AND decision IS NULL",
        params![id, decision, transaction_id, json, to_db(now)],
    )?;
    Ok(n == 1)
}

/// What a sandbox refund did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundOutcome {
    /// Recorded, with the refund's own id.
    Refunded(String),
    /// The payment was already refunded in full.
    AlreadyRefunded,
    /// This refund plus the earlier ones would exceed the captured amount.
    Exceeds,
}

/// Records a (possibly partial) refund of payment `id`, captured for `paid`: several partial
/// refunds are allowed up to the captured amount, each with its own refund id.
/// `reply_lost` marks a refund whose reply the sandbox drops (see [`take_fault`]).
pub fn refund(
    conn: &Connection,
    id: i64,
    amount: rust_decimal::Decimal,
    paid: rust_decimal::Decimal,
    reply_lost: bool,
    now: DateTime<Utc>,
) -> rusqlite::Result<RefundOutcome> {
    let (so_far, count): (Option<String>, i64) = conn.query_row(
        "SELECT refunded_amount, refund_count FROM cybersource_sandbox_payments WHERE id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let so_far: rust_decimal::Decimal = so_far.and_then(|s| s.parse().ok()).unwrap_or_default();
    if count > 0 && so_far >= paid {
        return Ok(RefundOutcome::AlreadyRefunded);
    }
    if so_far + amount > paid {
        return Ok(RefundOutcome::Exceeds);
    }
    let refund_id = super::transaction_id(id + 5_000_000_000 + count * 100_000_000, now);
    conn.execute(
        "UPDATE cybersource_sandbox_payments
            SET refund_id = ?2, refunded_amount = ?3, refunded_on = ?4, refund_count = refund_count + 1
          WHERE id = ?1",
        params![id, refund_id, (so_far + amount).to_string(), to_db(now)],
    )?;
    conn.execute(
        "INSERT INTO cybersource_sandbox_refunds (payment_id, refund_id, amount, currency, reply_lost, created_on)
         SELECT id, ?2, ?3, currency, ?4, ?5 FROM cybersource_sandbox_payments WHERE id = ?1",
        params![id, refund_id, amount.to_string(), reply_lost, to_db(now)],
    )?;
    Ok(RefundOutcome::Refunded(refund_id))
}

/// Decided payments with a transaction id for these references, newest first.
pub fn search(
    conn: &Connection,
    references: &[String],
    limit: usize,
) -> rusqlite::Result<Vec<SandboxPayment>> {
    let mut out = Vec::new();
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM cybersource_sandbox_payments
          WHERE reference_number = ?1 AND transaction_id IS NOT NULL"
    ))?;
    for r in references {
        out.extend(stmt.query_map([r], from_row)?.collect::<Result<Vec<_>, _>>()?);
    }
    out.sort_by(|a, b| b.decided_on.cmp(&a.decided_on).then(b.id.cmp(&a.id)));
    out.truncate(limit);
    Ok(out)
}

/// The fault that makes the sandbox lose its reply to the next refund it makes.
pub const LOSE_NEXT_REFUND_REPLY: &str = "lose_next_refund_reply";

/// Arms a fault (idempotent).
pub fn arm_fault(conn: &Connection, name: &str, now: DateTime<Utc>) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO cybersource_sandbox_faults (name, armed_on) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
        params![name, to_db(now)],
    )?;
    Ok(())
}

/// Whether a fault is armed, disarming it.
pub fn take_fault(conn: &Connection, name: &str) -> rusqlite::Result<bool> {
    Ok(conn.execute("DELETE FROM cybersource_sandbox_faults WHERE name = ?1", [name])? == 1)
}

/// One refund the sandbox made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxRefund {
    pub payment_id: i64,
    pub refund_id: String,
    pub amount: String,
    pub currency: String,
    pub reply_lost: bool,
    pub created_on: String,
    /// The payment's transaction id and reference number.
    pub payment_transaction_id: String,
    pub reference_number: String,
}

const REFUND_COLUMNS: &str = "r.payment_id, r.refund_id, r.amount, r.currency, r.reply_lost, r.created_on, \
    COALESCE(p.transaction_id, ''), p.reference_number";

fn refund_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SandboxRefund> {
    from_row!(
        r,
        SandboxRefund {
            payment_id,
            refund_id,
            amount,
            currency,
            reply_lost,
            created_on,
            payment_transaction_id,
            reference_number
        }
    )
}

/// The refunds of a payment, oldest first.
pub fn refunds_of_payment(conn: &Connection, payment: i64) -> rusqlite::Result<Vec<SandboxRefund>> {
    conn.prepare(&format!(
        "SELECT {REFUND_COLUMNS} FROM cybersource_sandbox_refunds r
           JOIN cybersource_sandbox_payments p ON p.id = r.payment_id
          WHERE r.payment_id = ?1 ORDER BY r.id"
    ))?
    .query_map([payment], refund_row)?
    .collect()
}

/// A refund by its own id.
pub fn refund_by_id(conn: &Connection, refund_id: &str) -> rusqlite::Result<Option<SandboxRefund>> {
    conn.query_row(
        &format!(
            "SELECT {REFUND_COLUMNS} FROM cybersource_sandbox_refunds r
               JOIN cybersource_sandbox_payments p ON p.id = r.payment_id
              WHERE r.refund_id = ?1"
        ),
        [refund_id],
        refund_row,
    )
    .optional()
}

/// The refunds of payments with these references (a refund carries its payment's reference,
/// as CyberSource's follow-on transactions do).
pub fn refunds_for_references(
    conn: &Connection,
    references: &[String],
) -> rusqlite::Result<Vec<SandboxRefund>> {
    let mut out = Vec::new();
    let mut stmt = conn.prepare(&format!(
        "SELECT {REFUND_COLUMNS} FROM cybersource_sandbox_refunds r
           JOIN cybersource_sandbox_payments p ON p.id = r.payment_id
          WHERE p.reference_number = ?1 ORDER BY r.id"
    ))?;
    for r in references {
        out.extend(stmt.query_map([r], refund_row)?.collect::<Result<Vec<_>, _>>()?);
    }
    Ok(out)
}
