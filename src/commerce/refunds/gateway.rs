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
