//! Refunds through the CyberSource REST API (or the sandbox) and the pending-order resolution
//! job (surface §3.6–3.7). The network call happens between two transactions: read what to
//! refund, ask the gateway, then record the refund — only a successful refund (ACCEPT or
//! PENDING) changes anything; a duplicate is never counted as a refund.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, params};
use rust_decimal::Decimal;

use super::checkout;
use super::model::{OrderRow, OrderState};
use super::service::CommerceError;
use super::{fulfilment, mails, store};
use crate::app::AppState;
use crate::clock::to_db;
use crate::integrations::cybersource::{CyberSource, Decision, ProcessorResponse, RefundRequest, RestError};

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
    #[error(transparent)]
    Commerce(#[from] CommerceError),
}

/// Refunds a fulfilled order in full, then downgrades or unenrolls as chosen, mails the
/// learner and marks the learner's pending refund requests approved.
pub async fn refund_order(
    state: &AppState,
    order_id: i64,
    reason: String,
    after: AfterRefund,
) -> Result<OrderRow, RefundError> {
    let (order, data) = state
        .db
        .read(move |c| {
            let o = store::order(c, order_id)?;
            let data = store::transactions(c, order_id)?
                .into_iter()
                .find(|t| t.3 == "payment")
                .map(|t| t.2);
            Ok::<_, CommerceError>((o, data))
        })
        .await?;
    let order = order.ok_or(RefundError::NoOrder)?;
    if order.state != OrderState::Fulfilled {
        return Err(RefundError::NotFulfilled(order.state.as_str()));
    }
    let now = state.clock.now();
    let (refund_id, amount, raw) = if order.total_price_paid.is_zero() {
        (
            format!("zero-refund-{}", uuid::Uuid::new_v4().simple()),
            Decimal::ZERO,
            serde_json::json!({}),
        )
    } else {
        let mut data = data.unwrap_or_default();
        data["req_amount"] = serde_json::json!(order.total_price_paid.to_string());
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
        (id, order.total_price_paid, resp.data)
    };
    let updated = state
        .db
        .write(move |c| {
            if !store::transition(c, order_id, OrderState::Fulfilled, OrderState::Refunded, &reason, now)? {
                return Err(CommerceError::Invalid { field: "order", message: "The order is no longer fulfilled.".into() });
            }
            store::insert_transaction(c, &refund_id, order_id, amount, &raw, "refund", &reason, now)?;
            let o = store::order(c, order_id)?.ok_or_else(|| CommerceError::NotFound("order".into()))?;
            for line in store::lines(c, order_id)? {
                fulfilment::revoke(c, o.purchaser_id, order_id, &line, after, now)?;
            }
            mails::queue_refund(c, &o, amount, now)?;
            c.execute(
                "UPDATE refund_requests SET status = 'approved', updated_on = ?2 WHERE order_id = ?1 AND status = 'pending'",
                params![order_id, to_db(now)],
            )?;
            Ok(o)
        })
        .await?;
    state.outbox.wake();
    Ok(updated)
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
