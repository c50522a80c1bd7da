//! The `resolve-pending-orders` job: orders pending longer than a threshold are asked about at
//! CyberSource (or the sandbox): paid ones are fulfilled when what was paid matches the form
//! issued (else held for review), unpaid ones cancelled after a day.

use crate::commerce::checkout;
use chrono::Duration;

use crate::commerce::orders::integrity::Evidence;
use crate::commerce::orders::model::OrderState;
use crate::integrations::cybersource::{CyberSource, Decision, ProcessorResponse};
use crate::state::AppState;

/// The pending-order resolution job: asks the gateway about orders pending for more than
/// `min_age`; a paid one is fulfilled, one the gateway never saw (or saw unpaid) for a day is
/// cancelled. Returns a summary line.
pub async fn resolve_pending(state: &AppState, min_age: Duration) -> anyhow::Result<String> {
    let now = state.clock.now();
    let stale = state
        .db
        .read(move |c| checkout::service::stale_pending(c, now - min_age))
        .await?;
    if stale.is_empty() {
        return Ok("no pending orders to resolve".into());
    }
    let cs = CyberSource::from_config(&state.config);
    let client = cs.rest_client(state.http_client.clone())?;
    let refs: Vec<String> = stale.iter().map(|o| o.reference_number.clone()).collect();
    let found = client.resolve_references(&refs, now).await?;
    let (mut fulfilled, mut canceled, mut held) = (0, 0, 0);
    for o in stale {
        let details = found.get(&o.reference_number);
        let old = crate::clock::from_db(&o.created_on).is_some_and(|t| t < now - Duration::days(1));
        let (response, data, evidence) = match details {
            Some(d) if d.is_paid() => {
                let fields = d.to_sa_fields(&cs.credentials.profile_id);
                let data = serde_json::Value::Object(fields);
                (
                    // What the gateway reports, never what we expect: the job holds for review
                    // a payment whose reference, amount or currency differ from the issued form.
                    ProcessorResponse {
                        decision: Decision::Accept,
                        reason_code: "100".into(),
                        message: "resolved by transaction search".into(),
                        transaction_id: d.transaction_id.clone(),
                        reference_number: Some(d.reference_number.clone()),
                        amount: d.amount.clone(),
                        currency: d.currency.clone(),
                        transaction_uuid: None,
                    },
                    data,
                    Some(Evidence::Searched),
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
                    transaction_uuid: None,
                },
                serde_json::json!({}),
                None,
            ),
            _ => continue,
        };
        let id = o.id;
        let applied = state
            .db
            .write(move |c| checkout::service::apply_checked(c, id, &response, &data, evidence, now))
            .await?;
        match applied {
            Some(checkout::service::Applied::Changed(OrderState::Fulfilled)) => fulfilled += 1,
            Some(checkout::service::Applied::Changed(OrderState::Review)) => held += 1,
            Some(checkout::service::Applied::Changed(_)) => canceled += 1,
            _ => {}
        }
    }
    state.outbox.wake();
    Ok(if held == 0 {
        format!("fulfilled {fulfilled}, canceled {canceled}")
    } else {
        format!("fulfilled {fulfilled}, canceled {canceled}, {held} held for review")
    })
}
