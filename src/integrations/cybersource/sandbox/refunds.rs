//! What the sandbox says about the refunds it made, shaped like CyberSource's Transaction
//! Search summaries and Transaction Details of a credit (`ics_credit`): a refund carries its
//! payment's merchant reference, its details link back to the payment (`rootId`), and a
//! payment's details list its refunds under `_links.relatedTransactions`. Staff can also arm
//! the "lose the next refund reply" fault: the next refund is made, but answered with a 504,
//! as when CyberSource's reply never reaches us.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::store::{self, SandboxRefund};
use crate::http::auth::StaffAccess;
use crate::http::error::AppError;
use crate::state::AppState;

/// CyberSource's `submitTimeUtc` format for a stored time.
pub fn submit_time(db_time: &str) -> String {
    crate::clock::from_db(db_time)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| db_time.to_owned())
}

fn credit_application() -> Value {
    json!({
        "name": "ics_credit",
        "reasonCode": "100",
        "rCode": "1",
        "rFlag": "SOK",
        "rMessage": "Request was processed successfully.",
    })
}

/// A Transaction Search hit for a refund.
pub fn summary(r: &SandboxRefund) -> Value {
    json!({
        "id": r.refund_id,
        "submitTimeUtc": submit_time(&r.created_on),
        "clientReferenceInformation": { "code": r.reference_number },
        "applicationInformation": { "reasonCode": "100", "applications": [credit_application()] },
        "orderInformation": { "amountDetails": { "totalAmount": r.amount, "currency": r.currency } },
    })
}

/// Transaction Details of a refund.
pub fn details(r: &SandboxRefund, base: &str) -> Value {
    json!({
        "id": r.refund_id,
        "rootId": r.payment_transaction_id,
        "submitTimeUTC": submit_time(&r.created_on),
        "merchantId": crate::integrations::cybersource::SANDBOX_MERCHANT_ID,
        "applicationInformation": { "reasonCode": "100", "applications": [credit_application()] },
        "clientReferenceInformation": { "code": r.reference_number },
        "orderInformation": { "amountDetails": { "totalAmount": r.amount, "currency": r.currency } },
        "_links": {
            "self": { "href": format!("{base}/tss/v2/transactions/{}", r.refund_id), "method": "GET" },
            "relatedTransactions": [
                { "href": format!("{base}/tss/v2/transactions/{}", r.payment_transaction_id), "method": "GET" }
            ],
        },
    })
}

/// `_links.relatedTransactions` of a payment: its refunds.
pub fn related(refunds: &[SandboxRefund], base: &str) -> Value {
    Value::Array(
        refunds
            .iter()
            .map(
                |r| json!({ "href": format!("{base}/tss/v2/transactions/{}", r.refund_id), "method": "GET" }),
            )
            .collect(),
    )
}

/// `POST /sandbox/cybersource/faults/lose-next-refund-reply` (staff): the next refund the
/// sandbox makes is answered with a 504 instead of its reply.
pub async fn arm_lost_reply(State(state): State<AppState>, _s: StaffAccess) -> Result<Response, AppError> {
    if !crate::integrations::cybersource::CyberSource::from_config(&state.config).sandbox {
        return Err(AppError::NotFound("The sandbox is off.".into()));
    }
    state
        .write_at(move |c, now| store::arm_fault(c, store::LOSE_NEXT_REFUND_REPLY, now))
        .await?;
    Ok((
        StatusCode::OK,
        Json(json!({ "armed": store::LOSE_NEXT_REFUND_REPLY })),
    )
        .into_response())
}
