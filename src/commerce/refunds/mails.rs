//! The refund email, queued through the outbox in the same transaction as the refund.

use crate::commerce::orders::model::OrderRow;
use crate::mail::{self, Email};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension};
use rust_decimal::Decimal;

fn purchaser(c: &Connection, user: i64) -> rusqlite::Result<Option<(String, String)>> {
    c.prepare_cached("SELECT email, name FROM users WHERE id = ?1")?
        .query_row([user], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
}

/// The refund notice.
pub fn queue_refund(
    c: &Connection,
    order: &OrderRow,
    amount: Decimal,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    let Some((email, _)) = purchaser(c, order.purchaser_id)? else {
        return Ok(());
    };
    let body = format!(
        "Your order {} has been refunded: ${} will be returned to your original payment method.\n\nMITx Online\n",
        order.reference_number, amount
    );
    mail::queue(
        c,
        now,
        &Email {
            to: email,
            subject: format!("Refund for order {}", order.reference_number),
            body,
        },
    )?;
    Ok(())
}
