//! The sandbox's use cases: turning the learner's choice into the signed result CyberSource
//! would post, and the outbox message that carries it to the back office.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::config::Config;
use crate::integrations::cybersource::signing::sign_fields;
use crate::outbox::NewMessage;

use super::DESTINATION;

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

/// Whether a checkout form's `override_*` URL may be followed: it must be one of the signed
/// fields (an unsigned field is anyone's) and on our own site (the public URL's origin and
/// path prefix), so the sandbox never posts results, with retries, to an address someone else
/// chose.
pub fn override_allowed(config: &Config, request_fields: &[(String, String)], name: &str) -> bool {
    let get = |k: &str| {
        request_fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    };
    let signed = get("signed_field_names")
        .unwrap_or_default()
        .split(',')
        .any(|n| n == name);
    signed && get(name).is_some_and(|u| config.is_own_url(u))
}

/// The back-office URL for a checkout form: its `override_backoffice_post_url` when signed and
/// on our own site, else the configured sandbox profile URL, else
/// `<public url>/api/checkout/result/`.
pub fn backoffice_url(config: &Config, request_fields: &[(String, String)]) -> String {
    const NAME: &str = "override_backoffice_post_url";
    request_fields
        .iter()
        .find(|(k, _)| k == NAME)
        .map(|(_, v)| v.clone())
        .filter(|v| !v.is_empty() && override_allowed(config, request_fields, NAME))
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
        now.format(crate::integrations::cybersource::checkout::SIGNED_DATE_TIME_FORMAT)
            .to_string(),
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
