//! Refunds through the CyberSource REST API (or the sandbox) and the pending-order resolution
//! job (surface §3.6–3.7). The network call happens between two transactions: read what to
//! refund, ask the gateway, then record the refund — only a successful refund (ACCEPT or
//! PENDING) changes anything; a duplicate is never counted as a refund. Amounts, partial
//! refunds and the reservation that prevents over-refunding are in [`super::partial_refunds`];
//! [`refund_order`] refunds whatever remains.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, params};

use super::checkout;
use super::model::{OrderRow, OrderState};
use super::service::CommerceError;
use crate::clock::to_db;
use crate::integrations::cybersource::{CyberSource, Decision, ProcessorResponse, RestError};
use crate::state::AppState;

pub const SUPPORT_EMAIL: &str = "mitxonline-support@mit.edu";

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
    .query_map([], |r| {
        Ok(RequestRow {
            id: r.get(0)?,
            order_id: r.get(1)?,
            reference: r.get(2)?,
            email: r.get(3)?,
            total: r.get(4)?,
            reason: r.get(5)?,
            text: r.get(6)?,
            status: r.get(7)?,
            created_on: r.get(8)?,
        })
    })?
    .collect()
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

/// What to do with the learner's enrollments after a refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterRefund {
    /// Keep the enrollment, as audit (what the original's "unenroll" option really does).
    Downgrade,
    /// Deactivate the enrollment with status `refunded`.
    Unenroll,
}

/// Why a refund did not happen.
#[derive(Debug, thiserror::Error)]
pub enum RefundError {
    #[error("Only a fulfilled order can be refunded (this one is {0}).")]
    NotFulfilled(&'static str),
    #[error("No such order.")]
    NoOrder,
    #[error("The gateway refused the refund: {0}")]
    Gateway(#[from] RestError),
    #[error("The gateway did not accept the refund (decision {0}).")]
    NotAccepted(&'static str),
    #[error(
        "CyberSource's answer is unknown ({cause}); refund {refund} stays pending with its amount reserved until staff settle it"
    )]
    Unknown { refund: i64, cause: String },
    #[error(transparent)]
    Commerce(#[from] CommerceError),
}

impl From<crate::db::DbError> for RefundError {
    fn from(e: crate::db::DbError) -> Self {
        RefundError::Commerce(CommerceError::Db(e))
    }
}

impl From<rusqlite::Error> for RefundError {
    fn from(e: rusqlite::Error) -> Self {
        RefundError::Commerce(CommerceError::from(e))
    }
}

/// Refunds all that remains of a fulfilled order (see [`super::partial_refunds`], which
/// also takes partial amounts), then downgrades or unenrolls as chosen, mails the learner
/// and marks the learner's pending refund requests approved.
pub async fn refund_order(
    state: &AppState,
    order_id: i64,
    reason: String,
    after: AfterRefund,
) -> Result<OrderRow, RefundError> {
    super::partial_refunds::refund(state, order_id, None, reason, "system".into(), after).await
}

/// The pending-order resolution job: asks the gateway about orders pending for more than
/// `min_age`; a paid one is fulfilled, one the gateway never saw (or saw unpaid) for a day is
/// cancelled. Returns a summary line.
pub async fn resolve_pending(state: &AppState, min_age: Duration) -> anyhow::Result<String> {
    let now = state.clock.now();
    let stale = state
        .db
        .read(move |c| checkout::stale_pending(c, now - min_age))
        .await?;
    if stale.is_empty() {
        return Ok("no pending orders to resolve".into());
    }
    let cs = CyberSource::from_config(&state.config);
    let client = cs.rest_client(state.http_client.clone())?;
    let refs: Vec<String> = stale.iter().map(|o| o.reference_number.clone()).collect();
    let found = client.resolve_references(&refs, now).await?;
    let (mut fulfilled, mut canceled) = (0, 0);
    for o in stale {
        let details = found.get(&o.reference_number);
        let old = crate::clock::from_db(&o.created_on).is_some_and(|t| t < now - Duration::days(1));
        let (response, data) = match details {
            Some(d) if d.is_paid() => {
                let fields = d.to_sa_fields(&cs.credentials.profile_id);
                let data = serde_json::Value::Object(fields);
                (
                    ProcessorResponse {
                        decision: Decision::Accept,
                        reason_code: "100".into(),
                        message: "resolved by transaction search".into(),
                        transaction_id: d.transaction_id.clone(),
                        reference_number: Some(o.reference_number.clone()),
                        amount: data.get("req_amount").and_then(|v| v.as_str()).map(str::to_owned),
                        currency: Some("USD".into()),
                    },
                    data,
                )
            }
            _ if old => (
                ProcessorResponse {
                    decision: Decision::Cancel,
                    reason_code: String::new(),
                    message: "no payment found by transaction search".into(),
                    transaction_id: String::new(),
                    reference_number: Some(o.reference_number.clone()),
                    amount: None,
                    currency: None,
                },
                serde_json::json!({}),
            ),
            _ => continue,
        };
        let id = o.id;
        let applied = state
            .db
            .write(move |c| checkout::apply_result(c, id, &response, &data, now))
            .await?;
        match applied {
            Some(checkout::Applied::Changed(OrderState::Fulfilled)) => fulfilled += 1,
            Some(checkout::Applied::Changed(_)) => canceled += 1,
            _ => {}
        }
    }
    state.outbox.wake();
    Ok(format!("fulfilled {fulfilled}, canceled {canceled}"))
}
