//! Finding the refunds CyberSource made of a payment (for refunds whose reply was lost): a
//! Transaction Search for the order's merchant reference (follow-on credits carry it), plus
//! the payment's Transaction Details `_links.relatedTransactions`; each candidate's details
//! say whether it is a credit (`ics_credit`), whether it succeeded (reason code 100) and how
//! much it returned.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;

use super::rest::{RestClient, RestError};
use super::transactions::{at, search_body, text};

/// A refund (credit) CyberSource knows about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundFound {
    /// The refund's own id (what a successful reply's `id` would have been).
    pub id: String,
    pub amount: Option<Decimal>,
    pub submitted_at: String,
    /// The credit application's reason code is 100.
    pub succeeded: bool,
}

fn applications(v: &Value) -> Vec<Value> {
    at(v, &["applicationInformation", "applications"])
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn credit_of(v: &Value) -> Option<Value> {
    applications(v)
        .into_iter()
        .find(|a| a["name"].as_str() == Some("ics_credit"))
}

/// A transaction id from a details link (`…/tss/v2/transactions/<id>`).
fn id_from_href(href: &str) -> Option<String> {
    let id = href.trim_end_matches('/').rsplit('/').next()?;
    (!id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric())).then(|| id.to_owned())
}

/// Reads Transaction Details as a refund; `None` when it is not a credit.
pub fn refund_from_details(raw: &Value) -> Option<RefundFound> {
    let credit = credit_of(raw)?;
    let id = text(&raw["id"])?;
    let submitted = text(&raw["submitTimeUTC"])
        .or_else(|| text(&raw["submitTimeUtc"]))
        .unwrap_or_default();
    Some(RefundFound {
        id,
        amount: text(at(raw, &["orderInformation", "amountDetails", "totalAmount"]))
            .and_then(|a| a.parse().ok()),
        submitted_at: submitted,
        succeeded: text(&credit["reasonCode"]).as_deref() == Some("100"),
    })
}

impl RestClient {
    /// Every refund of this order's payment that CyberSource can show, oldest first.
    pub async fn find_refunds(
        &self,
        reference_number: &str,
        payment_transaction_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<RefundFound>, RestError> {
        let mut candidates: Vec<String> = Vec::new();
        let (_, found) = self
            .send(
                "POST",
                "/tss/v2/searches",
                Some(search_body(&[reference_number.to_owned()], 100)),
                now,
            )
            .await?;
        for hit in at(&found, &["_embedded", "transactionSummaries"])
            .as_array()
            .into_iter()
            .flatten()
        {
            let same_ref =
                text(at(hit, &["clientReferenceInformation", "code"])).as_deref() == Some(reference_number);
            let apps = applications(hit);
            // A hit that names its applications and has no credit is a payment: skip it.
            let maybe_credit = apps.is_empty() || credit_of(hit).is_some();
            if let Some(id) = text(&hit["id"])
                && same_ref
                && maybe_credit
                && Some(id.as_str()) != payment_transaction_id
                && !candidates.contains(&id)
            {
                candidates.push(id);
            }
        }
        if let Some(payment) = payment_transaction_id {
            let payment = payment.to_owned();
            let (_, details) = self
                .send(
                    "GET",
                    &format!("/tss/v2/transactions/{}", safe(&payment)?),
                    None,
                    now,
                )
                .await?;
            for link in at(&details, &["_links", "relatedTransactions"])
                .as_array()
                .into_iter()
                .flatten()
            {
                if let Some(id) = link["href"].as_str().and_then(id_from_href)
                    && id != payment
                    && !candidates.contains(&id)
                {
                    candidates.push(id);
                }
            }
        }
        let mut out = Vec::new();
        for id in candidates {
            let (_, details) = self
                .send("GET", &format!("/tss/v2/transactions/{}", safe(&id)?), None, now)
                .await?;
            if let Some(r) = refund_from_details(&details) {
                out.push(r);
            }
        }
        out.sort_by(|a, b| a.submitted_at.cmp(&b.submitted_at).then(a.id.cmp(&b.id)));
        Ok(out)
    }
}

fn safe(id: &str) -> Result<&str, RestError> {
    if !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(id)
    } else {
        Err(RestError::InvalidTransaction(format!(
            "`{id}` is not a CyberSource transaction id"
        )))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_credit_is_read_from_transaction_details_and_a_payment_is_not() {
        let credit = json!({
            "id": "7100000000000000000009", "rootId": "7000000000000000000001",
            "submitTimeUTC": "2026-11-27T10:00:00Z",
            "applicationInformation": { "applications": [{ "name": "ics_credit", "reasonCode": "100" }] },
            "orderInformation": { "amountDetails": { "totalAmount": "40.00", "currency": "USD" } },
        });
        let r = refund_from_details(&credit).unwrap();
        assert_eq!(r.id, "7100000000000000000009");
        assert_eq!(r.amount, Some("40.00".parse().unwrap()));
        assert!(r.succeeded);
        let refused = json!({
            "id": "71", "applicationInformation": { "applications": [{ "name": "ics_credit", "reasonCode": "233" }] },
        });
        assert!(!refund_from_details(&refused).unwrap().succeeded);
        let payment = json!({
            "id": "70", "applicationInformation": { "applications": [{ "name": "ics_bill", "reasonCode": "100" }] },
        });
        assert_eq!(refund_from_details(&payment), None);
    }

    #[test]
    fn related_transaction_links_give_their_ids_and_odd_links_none() {
        assert_eq!(
            id_from_href("https://api.cybersource.com/tss/v2/transactions/7100000000000000000009"),
            Some("7100000000000000000009".into())
        );
        assert_eq!(id_from_href("https://x/tss/v2/transactions/7100?a=%2e"), None);
        assert_eq!(id_from_href(""), None);
    }
}
