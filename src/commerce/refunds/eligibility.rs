//! Whether an order may still be refunded at the learner's request (the original's window and
//! rules), shown in the order history.

use crate::commerce::orders::model::OrderRow;
use crate::commerce::orders::model::OrderState;
use crate::commerce::{basket, orders};
use chrono::{DateTime, Duration, Utc};
use rusqlite::Connection;

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
    for l in orders::store::lines(c, o.id)? {
        if let Some(p) = basket::store::product(c, l.product_id)?
            && let Some(start) = p.start_date.as_deref().and_then(crate::clock::from_db)
            && bought < start
            && now <= start + Duration::days(7)
        {
            return Ok(true);
        }
    }
    Ok(false)
}
