//! Plain SQL over learners' refund requests.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

use crate::clock::to_db;
use crate::db::from_row;

pub fn insert_request(
    c: &Connection,
    order: i64,
    user: i64,
    reason: &str,
    text: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<i64> {
    c.execute(
        "INSERT INTO refund_requests (order_id, user_id, refund_reason, refund_reason_text, consent_given, created_on, updated_on)
         VALUES (?1, ?2, ?3, ?4, 1, ?5, ?5)",
        params![order, user, reason, text, to_db(now)],
    )?;
    Ok(c.last_insert_rowid())
}

/// A learner's refund request, for the staff page.
#[derive(Debug, Clone)]
pub struct RequestRow {
    pub id: i64,
    pub order_id: i64,
    pub reference: String,
    pub email: String,
    pub total: String,
    pub reason: String,
    pub text: String,
    pub status: String,
    pub created_on: String,
}

pub fn list_requests(c: &Connection) -> rusqlite::Result<Vec<RequestRow>> {
    c.prepare(
        "SELECT r.id, r.order_id, COALESCE(o.reference_number, ''), u.email, o.total_price_paid, r.refund_reason,
                r.refund_reason_text, r.status, r.created_on
         FROM refund_requests r JOIN orders o ON o.id = r.order_id JOIN users u ON u.id = r.user_id
         ORDER BY r.status = 'pending' DESC, r.id DESC LIMIT 200",
    )?
    .query_map([], |r| from_row!(r, RequestRow { id, order_id, reference, email, total, reason, text, status, created_on }))?
    .collect()
}

/// How many refund requests wait for staff.
pub fn pending_requests(c: &Connection) -> rusqlite::Result<i64> {
    c.query_row(
        "SELECT count(*) FROM refund_requests WHERE status = 'pending'",
        [],
        |r| r.get(0),
    )
}

pub fn set_request_status(
    c: &Connection,
    id: i64,
    status: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<usize> {
    c.execute(
        "UPDATE refund_requests SET status = ?2, updated_on = ?3 WHERE id = ?1 AND status = 'pending'",
        params![id, status, to_db(now)],
    )
}
