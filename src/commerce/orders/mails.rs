//! The receipt email (the original's `product_order_receipt`), queued through the outbox in the
//! same transaction as the order change.

use crate::commerce::orders::model::LineRow;
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

/// The receipt: each line with its price and what was paid, the total and the reference.
pub fn queue_receipt(
    c: &Connection,
    order: &OrderRow,
    lines: &[LineRow],
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    let Some((email, name)) = purchaser(c, order.purchaser_id)? else {
        return Ok(());
    };
    let mut body = format!(
        "Dear {},\n\nThank you for your order. Order number: {}\nDate: {}\n\n",
        if name.is_empty() { &email } else { &name },
        order.reference_number,
        now.format("%B %-d, %Y")
    );
    for l in lines {
        let discount =
            l.unit_price * Decimal::from(l.quantity) - l.discounted_price * Decimal::from(l.quantity);
        body.push_str(&format!(
            "- {} (quantity {}): price ${}, discount ${}, paid ${}\n",
            l.description,
            l.quantity,
            l.unit_price,
            discount.round_dp(2),
            (l.discounted_price * Decimal::from(l.quantity)).round_dp(2)
        ));
    }
    body.push_str(&format!(
        "\nTotal paid: ${}\n\nMITx Online\n",
        order.total_price_paid
    ));
    mail::queue(
        c,
        now,
        &Email {
            to: email,
            subject: format!("Your MITx Online receipt ({})", order.reference_number),
            body,
        },
    )?;
    Ok(())
}
