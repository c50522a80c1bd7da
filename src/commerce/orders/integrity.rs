//! Binding what we charge to what we signed: every checkout form issued for an order is
//! recorded (`order_checkout_payloads`), and a payment result may change the order only when
//! it matches the newest one — amount, currency, reference number and transaction uuid. A
//! result that does not match holds the order in `review` with an alert for staff
//! (`order_alerts`), because money may have moved for a price we no longer stand behind.

use chrono::{DateTime, Utc};
use maud::{Markup, html};
use rusqlite::{Connection, OptionalExtension as _, params};
use rust_decimal::Decimal;
use serde_json::json;

use crate::clock::to_db;
use crate::commerce::orders::model::OrderState;
use crate::commerce::orders::store;
use crate::db::from_row;
use crate::integrations::cybersource::{CheckoutForm, ProcessorResponse};

/// The parts of a signed checkout form a result must echo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    pub transaction_uuid: String,
    pub reference_number: String,
    pub amount: String,
    pub currency: String,
}

impl Issued {
    /// What a form signs (every one of these fields is signed by [`CheckoutForm`]).
    pub fn from_form(form: &CheckoutForm) -> Issued {
        let get = |k: &str| {
            form.fields
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        Issued {
            transaction_uuid: get("transaction_uuid"),
            reference_number: get("reference_number"),
            amount: get("amount"),
            currency: get("currency"),
        }
    }
}

/// Where a result came from, which decides what it can be compared on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    /// A signed result posted by the gateway or the browser: every field is compared.
    Posted,
    /// What Transaction Search reports: it has no transaction uuid, so reference, amount and
    /// currency are compared.
    Searched,
}

/// Records a form just signed for an order; from now on only it can pay the order.
pub fn record_issued(
    c: &Connection,
    order_id: i64,
    issued: &Issued,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    c.prepare_cached(
        "INSERT INTO order_checkout_payloads (order_id, transaction_uuid, reference_number, amount, currency, issued_on)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        order_id,
        issued.transaction_uuid,
        issued.reference_number,
        issued.amount,
        issued.currency,
        to_db(now)
    ])?;
    Ok(())
}

/// The newest form issued for an order.
pub fn last_issued(c: &Connection, order_id: i64) -> rusqlite::Result<Option<Issued>> {
    c.prepare_cached(
        "SELECT transaction_uuid, reference_number, amount, currency FROM order_checkout_payloads
         WHERE order_id = ?1 ORDER BY id DESC LIMIT 1",
    )?
    .query_row([order_id], |r| {
        from_row!(
            r,
            Issued {
                transaction_uuid,
                reference_number,
                amount,
                currency
            }
        )
    })
    .optional()
}

/// The fields in which `response` differs from what was issued (all of them when nothing was
/// issued); empty when it matches. Amounts compare as decimals (`100.0` = `100.00`), the rest
/// exactly; a missing field never matches.
pub fn mismatches(
    issued: Option<&Issued>,
    response: &ProcessorResponse,
    evidence: Evidence,
) -> Vec<&'static str> {
    let Some(issued) = issued else {
        return vec![
            "req_transaction_uuid",
            "req_reference_number",
            "req_amount",
            "req_currency",
        ];
    };
    let same = |got: Option<&str>, want: &str| got == Some(want);
    let amount = |v: &str| v.trim().parse::<Decimal>().ok();
    let mut out = Vec::new();
    if evidence == Evidence::Posted && !same(response.transaction_uuid.as_deref(), &issued.transaction_uuid) {
        out.push("req_transaction_uuid");
    }
    if !same(response.reference_number.as_deref(), &issued.reference_number) {
        out.push("req_reference_number");
    }
    let got_amount = response.amount.as_deref().and_then(amount);
    if got_amount.is_none() || got_amount != amount(&issued.amount) {
        out.push("req_amount");
    }
    if !same(response.currency.as_deref(), &issued.currency) {
        out.push("req_currency");
    }
    out
}

/// pending → review, with the alert staff see and a log line. `false` when the order was not
/// pending (nothing changed).
pub fn hold_for_review(
    c: &Connection,
    order_id: i64,
    fields: &[&str],
    issued: Option<&Issued>,
    response: &ProcessorResponse,
    now: DateTime<Utc>,
) -> rusqlite::Result<bool> {
    let reason = format!(
        "payment result does not match the issued form ({})",
        fields.join(", ")
    );
    if !store::transition(c, order_id, OrderState::Pending, OrderState::Review, &reason, now)? {
        return Ok(false);
    }
    let detail = json!({
        "mismatched": fields,
        "decision": response.decision.as_str(),
        "transaction_id": response.transaction_id,
        "received": {
            "req_transaction_uuid": response.transaction_uuid,
            "req_reference_number": response.reference_number,
            "req_amount": response.amount,
            "req_currency": response.currency,
        },
        "issued": issued.map(|i| json!({
            "transaction_uuid": i.transaction_uuid,
            "reference_number": i.reference_number,
            "amount": i.amount,
            "currency": i.currency,
        })),
    });
    c.prepare_cached(
        "INSERT INTO order_alerts (order_id, kind, detail, created_on) VALUES (?1, 'payment_mismatch', ?2, ?3)",
    )?
    .execute(params![order_id, detail.to_string(), to_db(now)])?;
    tracing::warn!(
        order_id,
        mismatched = %fields.join(","),
        decision = response.decision.as_str(),
        transaction_id = %response.transaction_id,
        received_amount = response.amount.as_deref().unwrap_or(""),
        issued_amount = issued.map(|i| i.amount.as_str()).unwrap_or(""),
        "ALERT payment result does not match the checkout form issued for the order; order held for review"
    );
    Ok(true)
}

/// One alert for the staff pages.
pub struct Alert {
    pub order_id: i64,
    /// `payment_mismatch` or `duplicate_payment` (see [`super::duplicates`]).
    pub kind: String,
    pub reference: String,
    pub detail: serde_json::Value,
    pub created_on: String,
}

fn alerts_where(c: &Connection, filter: &str, arg: i64) -> rusqlite::Result<Vec<Alert>> {
    c.prepare_cached(&format!(
        "SELECT a.order_id, a.kind, COALESCE(o.reference_number, ''), a.detail, a.created_on
         FROM order_alerts a JOIN orders o ON o.id = a.order_id
         WHERE {filter} ORDER BY a.id DESC LIMIT 50"
    ))?
    .query_map([arg], |r| {
        from_row!(
            r,
            Alert {
                order_id,
                kind,
                reference,
                detail: (|detail: String| serde_json::from_str(&detail).unwrap_or_default()),
                created_on
            }
        )
    })?
    .collect()
}

/// Alerts of orders still held for review (newest first), for the order list.
pub fn open_alerts(c: &Connection) -> rusqlite::Result<Vec<Alert>> {
    alerts_where(c, "o.state = 'review' AND ?1 = ?1", 0)
}

/// Every alert of one order (newest first), for the order page.
pub fn alerts_of(c: &Connection, order_id: i64) -> rusqlite::Result<Vec<Alert>> {
    alerts_where(c, "a.order_id = ?1", order_id)
}

/// The alert box on the staff pages.
pub fn section(ctx: &crate::http::page::PageCtx, alerts: &[Alert]) -> Markup {
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "(none)".into(),
        other => other.to_string(),
    };
    html! {
        @if !alerts.is_empty() {
            section class="notice alert" role="alert" {
                h2 { "Payments held for review" }
                p { "These orders were not fulfilled: a payment result did not match the checkout form issued for the order (check the payment at CyberSource, then refund it or ask the learner to pay again), or a learner paid again for what another order had paid (refund it)." }
                ul {
                    @for a in alerts {
                        @if a.kind == "duplicate_payment" { li {
                            a href=(ctx.prefix.url(&format!("/staff/orders/{}/", a.order_id))) { "Order " (a.reference) }
                            " held for review (" (a.created_on) "): paid again for what order "
                            (a.detail["paid_by_orders"].as_array().map(|m| m.iter().map(text).collect::<Vec<_>>().join(", ")).unwrap_or_default())
                            " already paid — " (text(&a.detail["amount"])) ", transaction " code { (text(&a.detail["transaction_id"])) } "; refund it."
                        } } @else { li {
                            a href=(ctx.prefix.url(&format!("/staff/orders/{}/", a.order_id))) { "Order " (a.reference) }
                            " held for review (" (a.created_on) "): "
                            (text(&a.detail["decision"])) " result differs in "
                            (a.detail["mismatched"].as_array().map(|m| m.iter().map(text).collect::<Vec<_>>().join(", ")).unwrap_or_default())
                            " — received " (text(&a.detail["received"]["req_amount"])) " " (text(&a.detail["received"]["req_currency"]))
                            ", issued " (text(&a.detail["issued"]["amount"])) " " (text(&a.detail["issued"]["currency"]))
                            ", transaction " code { (text(&a.detail["transaction_id"])) }
                        } }
                    }
                }
            }
        }
    }
}

/// CyberSource results since `since`, for the data-flow map: the newest payment recorded,
/// payments recorded since, and results that did not match what was issued (alerts) since.
pub fn result_figures(c: &Connection, since: DateTime<Utc>) -> rusqlite::Result<(Option<String>, i64, i64)> {
    let since = crate::clock::to_db(since);
    c.query_row(
        "SELECT (SELECT max(created_on) FROM order_transactions WHERE transaction_type = 'payment'),
                (SELECT count(*) FROM order_transactions WHERE transaction_type = 'payment' AND created_on >= ?1),
                (SELECT count(*) FROM order_alerts WHERE created_on >= ?1)",
        [since],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integrations::cybersource::Decision;

    fn issued() -> Issued {
        Issued {
            transaction_uuid: "u2".into(),
            reference_number: "mitxonline-dev-1".into(),
            amount: "100.00".into(),
            currency: "USD".into(),
        }
    }

    fn response(uuid: &str, amount: &str, currency: &str) -> ProcessorResponse {
        ProcessorResponse {
            decision: Decision::Accept,
            reason_code: "100".into(),
            message: String::new(),
            transaction_id: "7".into(),
            reference_number: Some("mitxonline-dev-1".into()),
            amount: Some(amount.into()),
            currency: Some(currency.into()),
            transaction_uuid: Some(uuid.into()),
        }
    }

    #[test]
    fn only_the_last_issued_form_matches() {
        let i = issued();
        assert!(mismatches(Some(&i), &response("u2", "100.00", "USD"), Evidence::Posted).is_empty());
        assert!(mismatches(Some(&i), &response("u2", "100", "USD"), Evidence::Posted).is_empty());
        assert_eq!(
            mismatches(Some(&i), &response("u1", "10.00", "USD"), Evidence::Posted),
            ["req_transaction_uuid", "req_amount"]
        );
        assert_eq!(
            mismatches(Some(&i), &response("u2", "0.01", "USD"), Evidence::Posted),
            ["req_amount"]
        );
        assert_eq!(
            mismatches(Some(&i), &response("u2", "100.00", "usd"), Evidence::Posted),
            ["req_currency"]
        );
        assert_eq!(
            mismatches(Some(&i), &response("", "100.00", "USD"), Evidence::Searched),
            Vec::<&str>::new(),
            "Transaction Search has no uuid"
        );
        let mut missing = response("u2", "100.00", "USD");
        missing.amount = None;
        assert_eq!(mismatches(Some(&i), &missing, Evidence::Posted), ["req_amount"]);
        assert_eq!(
            mismatches(None, &response("u2", "100.00", "USD"), Evidence::Posted).len(),
            4
        );
    }
}
