//! The CyberSource REST API calls MITx Online makes (integrations §4.5): refunds, and the
//! Transaction Search + Details used to resolve orders whose callback was lost (failure mode 1).
//!
//! Requests are authenticated with CyberSource's HTTP Signature scheme exactly as the official
//! Python SDK sends it (headers `v-c-merchant-id`, `Date`, `Host`, `Digest`, `Signature`), and
//! bodies are byte-identical to the SDK's, so the `Digest` matches golden vectors. A
//! `DUPLICATE_REQUEST` refund reply is an error, never a success (failure mode 5).

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit as _, Mac as _};
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use url::Url;

use super::callback::Decision;
use super::transactions::{TransactionDetails, TransactionSummary, at, search_body, text};
use crate::config::Secret;

/// Merchant credentials for the REST API.
#[derive(Debug, Clone)]
pub struct RestCredentials {
    /// `https://api.cybersource.com` (production), `https://apitest.cybersource.com` (test), or
    /// the built-in sandbox.
    pub base_url: Url,
    pub merchant_id: String,
    pub key_id: String,
    /// base64 shared secret, as CyberSource issues it.
    pub secret: Secret,
}

/// What went wrong talking to CyberSource.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RestError {
    #[error("the CyberSource REST credentials are not configured")]
    NotConfigured,
    #[error("the CyberSource REST credentials are unusable: {0}")]
    InvalidCredentials(String),
    #[error("the payment transaction cannot be refunded: {0}")]
    InvalidTransaction(String),
    #[error("CyberSource could not be reached: {0}")]
    Transport(String),
    /// The same refund was already requested; it must not be recorded as a new refund.
    #[error("CyberSource refused a duplicate request: {message}")]
    Duplicate { message: String },
    #[error("CyberSource rejected the request (HTTP {status}, {reason}): {message}")]
    Rejected {
        status: u16,
        reason: String,
        message: String,
    },
    #[error("CyberSource is unavailable (HTTP {status})")]
    Unavailable { status: u16 },
    #[error("CyberSource answered something unreadable: {0}")]
    BadResponse(String),
}

impl RestError {
    /// Worth retrying later with the same request.
    pub fn is_transient(&self) -> bool {
        matches!(self, RestError::Transport(_) | RestError::Unavailable { .. })
    }
}

/// The headers that authenticate one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    pub merchant_id: String,
    pub date: String,
    pub host: String,
    /// `SHA-256=<base64>`; only for requests with a body.
    pub digest: Option<String>,
    pub signature: String,
}

/// RFC 7231 date, as the SDK's `Date` header (`Wed, 04 Mar 2026 05:06:07 GMT`).
pub fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// `SHA-256=` + base64 of the body's SHA-256.
pub fn digest(body: &[u8]) -> String {
    format!("SHA-256={}", STANDARD.encode(Sha256::digest(body)))
}

/// The `Host` value for a base URL (`apitest.cybersource.com`, `127.0.0.1:8013`).
pub fn host_of(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_owned(),
    }
}

/// The string that is signed: `host`, `date`, `request-target`, `digest` (with a body) and
/// `v-c-merchant-id` lines, joined by `\n`.
pub fn signing_string(
    method: &str,
    request_target: &str,
    host: &str,
    date: &str,
    digest: Option<&str>,
    merchant_id: &str,
) -> String {
    let mut s = format!(
        "host: {host}\ndate: {date}\nrequest-target: {} {request_target}\n",
        method.to_ascii_lowercase()
    );
    if let Some(d) = digest {
        s.push_str(&format!("digest: {d}\n"));
    }
    s.push_str(&format!("v-c-merchant-id: {merchant_id}"));
    s
}

/// Signs one request. `request_target` is the path and query as sent.
pub fn sign(
    creds: &RestCredentials,
    method: &str,
    request_target: &str,
    date: &str,
    body: Option<&[u8]>,
) -> Result<SignedHeaders, RestError> {
    let key = STANDARD
        .decode(creds.secret.expose().trim())
        .map_err(|_| RestError::InvalidCredentials("the merchant secret is not base64".into()))?;
    let host = host_of(&creds.base_url);
    let digest = body.map(digest);
    let text = signing_string(
        method,
        request_target,
        &host,
        date,
        digest.as_deref(),
        &creds.merchant_id,
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes any key length");
    mac.update(text.as_bytes());
    let headers = if digest.is_some() {
        "host date request-target digest v-c-merchant-id"
    } else {
        "host date request-target v-c-merchant-id"
    };
    let signature = format!(
        "keyid=\"{}\", algorithm=\"HmacSHA256\", headers=\"{headers}\", signature=\"{}\"",
        creds.key_id,
        STANDARD.encode(mac.finalize().into_bytes())
    );
    Ok(SignedHeaders {
        merchant_id: creds.merchant_id.clone(),
        date: date.to_owned(),
        host,
        digest,
        signature,
    })
}

/// A JSON string literal as Python's `json.dumps` writes it (ASCII only, `\uXXXX` escapes).
pub fn python_json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A refund of a captured payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    /// The payment's CyberSource `transaction_id`.
    pub transaction_id: String,
    /// The amount as stored (`req_amount`, e.g. `100.00`).
    pub amount: String,
    pub currency: String,
}

impl RefundRequest {
    /// From a payment transaction's stored data (`get_refund_request`): needs
    /// `transaction_id`, `req_amount`, `req_currency`. PayPal payments (`paypal_token`) cannot be
    /// refunded through this API, as in MITx Online.
    pub fn from_payment_data(data: &Value) -> Result<RefundRequest, RestError> {
        if data.get("paypal_token").is_some() {
            return Err(RestError::InvalidTransaction(
                "the order was paid with PayPal; Finance must refund it".into(),
            ));
        }
        let field = |k: &str| {
            data.get(k)
                .and_then(|v| match v {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .ok_or_else(|| RestError::InvalidTransaction(format!("the payment data has no `{k}`")))
        };
        Ok(RefundRequest {
            transaction_id: field("transaction_id")?,
            amount: field("req_amount")?,
            currency: field("req_currency")?,
        })
    }

    /// The body exactly as the SDK serialises `RefundPaymentRequest`.
    pub fn body(&self) -> String {
        format!(
            "{{\"clientReferenceInformation\": {{\"transactionId\": {}, \"partner\": {{\"developerId\": \"J0TV2I9S\"}}}}, \
             \"processingInformation\": null, \"paymentInformation\": null, \"orderInformation\": \
             {{\"amountDetails\": {{\"totalAmount\": {}, \"currency\": {}}}}}, \"buyerInformation\": null, \
             \"deviceInformation\": null, \"merchantInformation\": null, \"aggregatorInformation\": null, \
             \"pointOfSaleInformation\": null, \"merchantDefinedInformation\": null, \"travelInformation\": null, \
             \"promotionInformation\": null}}",
            python_json_str(&self.transaction_id),
            python_json_str(&self.amount),
            python_json_str(&self.currency),
        )
    }
}

/// CyberSource's answer to a refund.
#[derive(Debug, Clone, PartialEq)]
pub struct RefundResponse {
    /// `status`: PENDING for a successful refund.
    pub decision: Decision,
    /// `processorInformation.responseCode`.
    pub reason_code: String,
    /// The refund's own id (`id`).
    pub refund_id: Option<String>,
    pub data: Value,
}

impl RefundResponse {
    /// MITx Online records a refund on ACCEPT or PENDING.
    pub fn is_success(&self) -> bool {
        matches!(self.decision, Decision::Accept | Decision::Pending)
    }
}

fn safe_id(id: &str) -> Result<&str, RestError> {
    if !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(id)
    } else {
        Err(RestError::InvalidTransaction(format!(
            "`{id}` is not a CyberSource transaction id"
        )))
    }
}

/// A client for one merchant.
#[derive(Clone)]
pub struct RestClient {
    http: reqwest::Client,
    creds: RestCredentials,
}

impl RestClient {
    pub fn new(http: reqwest::Client, creds: RestCredentials) -> Self {
        Self { http, creds }
    }

    pub(super) async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<(u16, Value), RestError> {
        let base = self.creds.base_url.as_str().trim_end_matches('/');
        let url = format!("{base}{path}");
        let target = Url::parse(&url).map_err(|e| RestError::InvalidCredentials(e.to_string()))?;
        let request_target = match target.query() {
            Some(q) => format!("{}?{q}", target.path()),
            None => target.path().to_owned(),
        };
        let date = http_date(now);
        let h = sign(
            &self.creds,
            method,
            &request_target,
            &date,
            body.as_deref().map(str::as_bytes),
        )?;
        let accept = if path.starts_with("/tss/v2/searches") {
            "application/json;charset=utf-8"
        } else {
            "application/hal+json;charset=utf-8"
        };
        let mut req = if method == "GET" {
            self.http.get(url)
        } else {
            self.http.post(url)
        }
        .timeout(Duration::from_secs(30))
        .header("v-c-merchant-id", &h.merchant_id)
        .header("Date", &h.date)
        .header("Host", &h.host)
        .header("Signature", &h.signature)
        .header("Accept", accept)
        .header("Content-Type", "application/json;charset=utf-8");
        if let Some(d) = &h.digest {
            req = req.header("Digest", d);
        }
        if let Some(b) = body {
            req = req.body(b);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| RestError::Transport(e.to_string()))?;
        let status = resp.status().as_u16();
        let text = resp
            .text()
            .await
            .map_err(|e| RestError::Transport(e.to_string()))?;
        let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if status == 429 || status >= 500 {
            return Err(RestError::Unavailable { status });
        }
        if !(200..300).contains(&status) {
            let reason = json["reason"].as_str().unwrap_or_default().to_owned();
            let message = json["message"].as_str().unwrap_or_default().to_owned();
            if reason == "DUPLICATE_REQUEST" {
                return Err(RestError::Duplicate { message });
            }
            return Err(RestError::Rejected {
                status,
                reason,
                message,
            });
        }
        if json.is_null() {
            return Err(RestError::BadResponse(format!(
                "HTTP {status} without a JSON body"
            )));
        }
        Ok((status, json))
    }

    /// Refunds a payment. Only [`RefundResponse::is_success`] means money goes back.
    pub async fn refund(
        &self,
        refund: &RefundRequest,
        now: DateTime<Utc>,
    ) -> Result<RefundResponse, RestError> {
        let id = safe_id(&refund.transaction_id)?;
        let (_, data) = self
            .send(
                "POST",
                &format!("/pts/v2/payments/{id}/refunds"),
                Some(refund.body()),
                now,
            )
            .await?;
        Ok(RefundResponse {
            decision: Decision::parse(data["status"].as_str()),
            reason_code: text(at(&data, &["processorInformation", "responseCode"])).unwrap_or_default(),
            refund_id: text(&data["id"]),
            data,
        })
    }

    /// Transaction Search for these reference numbers, newest first.
    pub async fn find_transactions(
        &self,
        reference_numbers: &[String],
        now: DateTime<Utc>,
    ) -> Result<Vec<TransactionSummary>, RestError> {
        if reference_numbers.is_empty() {
            return Ok(Vec::new());
        }
        let limit = reference_numbers.len().max(20);
        let (_, data) = self
            .send(
                "POST",
                "/tss/v2/searches",
                Some(search_body(reference_numbers, limit)),
                now,
            )
            .await?;
        let hits = at(&data, &["_embedded", "transactionSummaries"])
            .as_array()
            .cloned()
            .unwrap_or_default();
        hits.iter()
            .map(|h| {
                Ok(TransactionSummary {
                    id: text(&h["id"])
                        .ok_or_else(|| RestError::BadResponse("a search hit without an id".into()))?,
                    reference_number: text(at(h, &["clientReferenceInformation", "code"]))
                        .unwrap_or_default(),
                    submitted_at: text(&h["submitTimeUtc"]).unwrap_or_default(),
                })
            })
            .collect()
    }

    /// Transaction Details of one transaction.
    pub async fn transaction_details(
        &self,
        transaction_id: &str,
        now: DateTime<Utc>,
    ) -> Result<TransactionDetails, RestError> {
        let id = safe_id(transaction_id)?;
        let (_, data) = self
            .send("GET", &format!("/tss/v2/transactions/{id}"), None, now)
            .await?;
        TransactionDetails::from_json(data)
    }

    /// What happened to each of these orders at CyberSource: per reference number, the
    /// newest paid transaction if any attempt was paid, else the newest one. References with
    /// no transaction are absent (the learner never paid; the order can be cancelled later).
    pub async fn resolve_references(
        &self,
        reference_numbers: &[String],
        now: DateTime<Utc>,
    ) -> Result<BTreeMap<String, TransactionDetails>, RestError> {
        let hits = self.find_transactions(reference_numbers, now).await?;
        let mut out: BTreeMap<String, TransactionDetails> = BTreeMap::new();
        for hit in hits {
            if !reference_numbers.contains(&hit.reference_number) {
                continue;
            }
            if out
                .get(&hit.reference_number)
                .is_some_and(TransactionDetails::is_paid)
            {
                continue;
            }
            let details = self.transaction_details(&hit.id, now).await?;
            // A refund (credit) of a payment carries its reference but is not a payment.
            if super::refund_lookup::refund_from_details(&details.raw).is_some() {
                continue;
            }
            let replace = match out.get(&hit.reference_number) {
                None => true,
                Some(_) => details.is_paid(),
            };
            if replace {
                out.insert(hit.reference_number.clone(), details);
            }
        }
        Ok(out)
    }
}
