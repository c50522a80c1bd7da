//! Learners' refund requests: asking (the support mailbox is told through the outbox), the staff
//! list with what each order has left to refund, denying (audited), and the per-order refund
//! summary of the staff API. Approving goes through [`super::service::refund`].

use std::collections::HashMap;

use rust_decimal::Decimal;

use crate::commerce::error::CommerceError;
use crate::commerce::orders::model::OrderState;
use crate::commerce::refunds::model::NewRefundRequest;
use crate::commerce::refunds::service::RefundRow;
use crate::commerce::refunds::store::RequestRow;
use crate::commerce::{orders, refunds};
use crate::state::AppState;

/// Records a learner's request for a refund of one of their fulfilled orders and mails support.
pub async fn ask(
    state: &AppState,
    user: i64,
    email: String,
    body: NewRefundRequest,
) -> Result<i64, CommerceError> {
    let id = state
        .write_queued(move |c, now| {
            let Some(o) = orders::store::order(c, body.order)?.filter(|o| o.purchaser_id == user) else {
                return Err(CommerceError::Invalid {
                    field: "order",
                    message: "No such order of yours.".into(),
                });
            };
            if o.state != OrderState::Fulfilled {
                return Err(CommerceError::Invalid {
                    field: "order",
                    message: "Only a fulfilled order can be refunded.".into(),
                });
            }
            let id = crate::commerce::refunds::store::insert_request(
                c,
                o.id,
                user,
                &body.refund_reason,
                &body.refund_reason_text,
                now,
            )?;
            crate::mail::queue(
                c,
                now,
                &crate::mail::Email {
                    to: crate::commerce::refunds::model::SUPPORT_EMAIL.into(),
                    subject: format!("Refund request for order {}", o.reference_number),
                    body: format!(
                        "{} asks for a refund of order {} ({}).\nReason: {}\n{}\n",
                        email,
                        o.reference_number,
                        o.total_price_paid,
                        body.refund_reason,
                        body.refund_reason_text
                    ),
                },
            )?;
            Ok(id)
        })
        .await?;
    Ok(id)
}

/// How many refund requests wait for staff (the staff home's count).
pub async fn pending_count(state: &AppState) -> Result<i64, CommerceError> {
    state.db.read(|c| Ok(refunds::store::pending_requests(c)?)).await
}

/// Every refund request, with each order's remaining balance and refunds so far.
pub async fn open_requests(
    state: &AppState,
) -> Result<(Vec<RequestRow>, HashMap<i64, (Decimal, Vec<RefundRow>)>), CommerceError> {
    state
        .db
        .read(|c| {
            let rows = refunds::store::list_requests(c)?;
            let mut left = HashMap::new();
            for r in &rows {
                if let Some(o) = orders::store::order(c, r.order_id)? {
                    let done = crate::commerce::refunds::service::refunds_of(c, o.id)?;
                    left.insert(
                        r.order_id,
                        (crate::commerce::refunds::service::remaining(c, &o)?, done),
                    );
                }
            }
            Ok((rows, left))
        })
        .await
}

/// Denies a refund request (audited).
pub async fn deny(state: &AppState, actor: &str, id: i64) -> Result<(), CommerceError> {
    let actor = actor.to_owned();
    state
        .write_at(move |c, now| {
            refunds::store::set_request_status(c, id, "denied", now)?;
            crate::audit::by_staff(c, &actor, "deny", "refund_request", &id.to_string(), None, now)?;
            Ok(())
        })
        .await
}

/// One refund of an order.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct RefundShape {
    pub id: i64,
    pub amount: String,
    pub reason: String,
    /// `pending`, `done` or `failed`.
    pub status: String,
    pub transaction_id: Option<String>,
    pub created_on: String,
}

/// What was paid for an order, what remains and every refund.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct RefundSummary {
    pub order: i64,
    pub reference_number: String,
    #[schema(inline)]
    pub state: OrderState,
    pub total_price_paid: String,
    pub remaining: String,
    pub refunds: Vec<RefundShape>,
}

/// What was paid for an order, what remains and every refund, for the staff refund API.
pub async fn summary(state: &AppState, id: i64) -> Result<RefundSummary, CommerceError> {
    {
        state
            .db
            .read(move |c| {
                let o = orders::store::order(c, id)?
                    .ok_or_else(|| CommerceError::NotFound("No such order.".into()))?;
                let remaining = refunds::service::remaining(c, &o)?;
                let refunds = refunds::service::refunds_of(c, id)?
                    .into_iter()
                    .map(|(rid, amount, reason, status, txn, created)| RefundShape {
                        id: rid,
                        amount: format!("{amount:.2}"),
                        reason,
                        status,
                        transaction_id: txn,
                        created_on: created,
                    })
                    .collect();
                Ok(RefundSummary {
                    order: o.id,
                    reference_number: o.reference_number,
                    state: o.state,
                    total_price_paid: format!("{:.2}", o.total_price_paid),
                    remaining: format!("{remaining:.2}"),
                    refunds,
                })
            })
            .await
    }
}
