//! A refund of whatever remains of an order, through [`super::service`] (reserve, ask the gateway
//! outside any transaction, record).

use crate::commerce::refunds::model::{AfterRefund, RefundError};

use crate::commerce::orders::model::OrderRow;
use crate::state::AppState;

/// Refunds all that remains of a fulfilled order (see [`super::partial_refunds`], which
/// also takes partial amounts), then downgrades or unenrolls as chosen, mails the learner
/// and marks the learner's pending refund requests approved.
pub async fn refund_order(
    state: &AppState,
    order_id: i64,
    reason: String,
    after: AfterRefund,
) -> Result<OrderRow, RefundError> {
    crate::commerce::refunds::service::refund(state, order_id, None, reason, "system".into(), after).await
}

/// Refunds all that remains of the fulfilled order with this reference number (the Google
/// Sheets refund rows, the original's `refund_order(reference_number=…, unenroll=True)`).
pub async fn refund_order_by_reference(
    state: &AppState,
    reference: &str,
    reason: String,
    after: AfterRefund,
) -> Result<OrderRow, RefundError> {
    let key = reference.trim().to_owned();
    let order = state
        .db
        .read(move |c| crate::commerce::orders::store::order_by_reference(c, &key))
        .await?
        .ok_or(RefundError::NoOrder)?;
    refund_order(state, order.id, reason, after).await
}
