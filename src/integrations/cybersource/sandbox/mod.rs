//! The built-in sandbox CyberSource, the default when no `MITXONLINE_CYBERSOURCE_*` credentials
//! are set (DESIGN decision 8).
//!
//! `POST /sandbox/cybersource/pay` plays the hosted checkout page: it verifies the signed form
//! exactly as CyberSource would, records it, and shows the order with test cards and Accept /
//! Decline / Review / Error / Cancel buttons. The learner's choice produces a correctly signed result that is
//! (1) handed back to the browser as an auto-submitting form to the receipt/cancel page named
//! in the checkout form (a plain button without JavaScript), and (2) posted server-to-server
//! to the back-office URL **through the outbox** (destination `cybersource_sandbox_callback`):
//! the notification is then durable and retried if our own endpoint is briefly down, and the
//! page's "lose the notification" box simulates the real service's single, unretried post
//! (failure mode 1), so reconciliation can be exercised. Its REST endpoints under
//! `/sandbox/cybersource/rest` check CyberSource HTTP signatures and answer refunds,
//! transaction searches and details from what the page recorded.

mod api;
mod pages;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use serde_json::json;

use super::signing::sign_fields;
use crate::app::AppState;
use crate::config::Config;
use crate::outbox::{BoxFuture, Deliverer, Delivery, Message, NewMessage};

/// Where the hosted checkout page lives.
pub const PAY_PATH: &str = "/sandbox/cybersource/pay";
/// The REST API's base path.
pub const REST_BASE: &str = "/sandbox/cybersource/rest";
/// Outbox destination of server-to-server results.
pub const DESTINATION: &str = "cybersource_sandbox_callback";

/// Test cards shown on the page: number, CyberSource card type code, name.
pub const TEST_CARDS: &[(&str, &str, &str)] = &[
    ("4111111111111111", "001", "Visa"),
    ("5555555555554444", "002", "Mastercard"),
    ("378282246310005", "003", "American Express"),
    ("6011111111111117", "004", "Discover"),
];

/// What the learner chose on the sandbox page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    Accept,
    Decline,
    /// Held for Decision Manager review (MITx Online cancels such orders).
    Review,
    /// A processing error at CyberSource.
    Error,
    Cancel,
}

impl Choice {
    pub fn parse(s: &str) -> Option<Choice> {
        match s {
            "accept" => Some(Choice::Accept),
            "decline" => Some(Choice::Decline),
            "review" => Some(Choice::Review),
            "error" => Some(Choice::Error),
            "cancel" => Some(Choice::Cancel),
            _ => None,
        }
    }

    pub fn decision(self) -> &'static str {
        match self {
            Choice::Accept => "ACCEPT",
            Choice::Decline => "DECLINE",
            Choice::Review => "REVIEW",
            Choice::Error => "ERROR",
            Choice::Cancel => "CANCEL",
        }
    }
}

/// The back-office URL for a checkout form: its `override_backoffice_post_url`, else the
/// configured sandbox profile URL, else `<public url>/api/checkout/result/`.
pub fn backoffice_url(config: &Config, request_fields: &[(String, String)]) -> String {
    request_fields
        .iter()
        .find(|(k, _)| k == "override_backoffice_post_url")
        .map(|(_, v)| v.clone())
        .filter(|v| !v.is_empty())
        .or_else(|| {
            config
                .cybersource_sandbox_backoffice_url
                .as_ref()
                .map(ToString::to_string)
        })
        .unwrap_or_else(|| config.absolute_url("/api/checkout/result/"))
}

/// A CyberSource-looking 22-digit transaction id.
pub fn transaction_id(payment_id: i64, now: DateTime<Utc>) -> String {
    format!(
        "7{:011}{:010}",
        now.timestamp().rem_euclid(100_000_000_000),
        payment_id.rem_euclid(10_000_000_000)
    )
}

/// The signed result fields for a decision, like Secure Acceptance's reply: every request
/// field echoed as `req_<name>`, the decision, reason code, message, transaction id, card and
/// bill-to details.
pub fn result_fields(
    security_key: &str,
    request_fields: &[(String, String)],
    choice: Choice,
    card: (&str, &str, &str),
    transaction_id: Option<&str>,
    now: DateTime<Utc>,
) -> Vec<(String, String)> {
    let get = |k: &str| {
        request_fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let mut out: Vec<(String, String)> = Vec::new();
    let mut put = |k: &str, v: String| out.push((k.to_owned(), v));
    put("utf8", "✓".into());
    put("decision", choice.decision().into());
    let (reason, message) = match choice {
        Choice::Accept => ("100", "Request was processed successfully."),
        Choice::Decline => (
            "203",
            "General decline of the card. No other information was provided by the issuing bank.",
        ),
        Choice::Review => ("480", "The order is marked for review by Decision Manager."),
        Choice::Error => ("150", "General system failure."),
        Choice::Cancel => ("", "The consumer cancelled the transaction."),
    };
    if !reason.is_empty() {
        put("reason_code", reason.into());
    }
    put("message", message.into());
    if let Some(id) = transaction_id {
        put("transaction_id", id.into());
    }
    if choice == Choice::Accept {
        put("auth_amount", get("amount"));
        put("auth_code", "888888".into());
        put("auth_response", "100".into());
        put("auth_time", now.format("%Y-%m-%dT%H%M%SZ").to_string());
        put(
            "auth_trans_ref_no",
            format!("SB{}", transaction_id.unwrap_or_default()),
        );
    }
    if !matches!(choice, Choice::Cancel | Choice::Error) {
        let (number, code, name) = card;
        let last4 = &number[number.len().saturating_sub(4)..];
        put(
            "req_card_number",
            format!("{}{last4}", "x".repeat(number.len().saturating_sub(4))),
        );
        put("req_card_type", code.into());
        put("card_type_name", name.into());
        put("req_card_expiry_date", "12-2030".into());
        put("req_payment_method", "card".into());
        for (k, v) in [
            ("req_bill_to_forename", "Sandbox"),
            ("req_bill_to_surname", "Learner"),
            ("req_bill_to_email", "sandbox.learner@example.com"),
            ("req_bill_to_address_line1", "77 Massachusetts Ave"),
            ("req_bill_to_address_city", "Cambridge"),
            ("req_bill_to_address_state", "MA"),
            ("req_bill_to_address_postal_code", "02139"),
            ("req_bill_to_address_country", "US"),
        ] {
            put(k, v.into());
        }
    }
    for (k, v) in request_fields {
        if !matches!(
            k.as_str(),
            "signature" | "signed_field_names" | "unsigned_field_names" | "signed_date_time"
        ) {
            put(&format!("req_{k}"), v.clone());
        }
    }
    put(
        "signed_date_time",
        now.format(super::checkout::SIGNED_DATE_TIME_FORMAT).to_string(),
    );
    sign_fields(security_key, out)
}

/// The outbox message that posts a result to the back office.
pub fn callback_message(url: &str, fields: &[(String, String)], transaction_uuid: &str) -> NewMessage {
    NewMessage {
        destination: DESTINATION.to_owned(),
        kind: "result".to_owned(),
        payload: json!({ "url": url, "fields": fields }),
        idempotency_key: format!("cybersource-sandbox-{transaction_uuid}"),
    }
}

/// Posts results as `application/x-www-form-urlencoded`, like CyberSource's back-office post.
pub struct CallbackDeliverer {
    client: reqwest::Client,
}

impl Deliverer for CallbackDeliverer {
    fn deliver<'a>(&'a self, msg: &'a Message) -> BoxFuture<'a, Delivery> {
        Box::pin(async move {
            let url = msg.payload["url"].as_str().unwrap_or_default();
            let fields: Vec<(String, String)> =
                serde_json::from_value(msg.payload["fields"].clone()).unwrap_or_default();
            if url.is_empty() || fields.is_empty() {
                return Delivery::Permanent {
                    error: "payload has no url or fields".into(),
                };
            }
            let sent = self
                .client
                .post(url)
                .header("Idempotency-Key", &msg.idempotency_key)
                .timeout(Duration::from_secs(10))
                .form(&fields)
                .send()
                .await;
            match sent {
                Err(e) => Delivery::Transient {
                    error: format!("request failed: {e}"),
                    retry_after: None,
                },
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let retry_after = resp
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    let text = resp.text().await.unwrap_or_default();
                    Delivery::from_status(status, retry_after.as_deref(), &text)
                }
            }
        })
    }
}

pub fn register(state: &AppState) {
    state.outbox.register(
        DESTINATION,
        Arc::new(CallbackDeliverer {
            client: state.http_client.clone(),
        }),
    );
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(PAY_PATH, post(pages::receive_checkout).get(pages::explain))
        .route(&format!("{PAY_PATH}/{{token}}"), post(pages::decide))
        .route(
            &format!("{REST_BASE}/pts/v2/payments/{{id}}/refunds"),
            post(api::refund),
        )
        .route(&format!("{REST_BASE}/tss/v2/searches"), post(api::search))
        .route(
            &format!("{REST_BASE}/tss/v2/transactions/{{id}}"),
            get(api::details),
        )
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::integrations::cybersource::CallbackForm;

    #[test]
    fn sandbox_results_echo_the_request_and_verify_with_the_same_key() {
        let now = Utc.with_ymd_and_hms(2026, 3, 4, 5, 6, 7).unwrap();
        let request = sign_fields(
            "k",
            vec![
                ("amount".into(), "10.00".into()),
                ("reference_number".into(), "mitxonline-dev-3".into()),
                ("signed_date_time".into(), "2026-03-04T05:00:00Z".into()),
            ],
        );
        let fields = result_fields("k", &request, Choice::Accept, TEST_CARDS[0], Some("7123"), now);
        let form = CallbackForm { fields };
        assert_eq!(form.verify("k"), Ok(()));
        assert_eq!(form.get("req_reference_number"), Some("mitxonline-dev-3"));
        assert_eq!(form.get("req_card_number"), Some("xxxxxxxxxxxx1111"));
        assert_eq!(form.get("req_signature"), None);
        assert_eq!(form.get("signed_date_time"), Some("2026-03-04T05:06:07Z"));
        let decoded = form.decode();
        assert!(decoded.is_paid());
        assert_eq!(decoded.transaction_id, "7123");
    }

    #[test]
    fn a_cancelled_payment_has_no_reason_code_card_or_transaction() {
        let now = Utc.with_ymd_and_hms(2026, 3, 4, 5, 6, 7).unwrap();
        let form = CallbackForm {
            fields: result_fields("k", &[], Choice::Cancel, TEST_CARDS[0], None, now),
        };
        let d = form.decode();
        assert_eq!(d.decision, crate::integrations::cybersource::Decision::Cancel);
        assert_eq!((d.reason_code.as_str(), d.transaction_id.as_str()), ("", ""));
        assert_eq!(form.get("req_card_number"), None);
    }

    #[test]
    fn transaction_ids_have_twenty_two_digits() {
        let now = Utc.with_ymd_and_hms(2026, 3, 4, 5, 6, 7).unwrap();
        let id = transaction_id(42, now);
        assert_eq!(id.len(), 22);
        assert!(id.bytes().all(|b| b.is_ascii_digit()));
    }
}
