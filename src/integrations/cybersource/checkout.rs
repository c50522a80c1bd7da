//! The signed form that sends a learner to the Secure Acceptance hosted checkout
//! (`CyberSourcePaymentGateway.prepare_checkout`, integrations §4.2): same fields, same order,
//! same value formatting, so the original's profile settings keep working unchanged.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use uuid::Uuid;

use super::Credentials;
use super::signing::{python_decimal_str, sign_fields};
use crate::money::round_cents;
/// `signed_date_time` format (UTC, seconds, `Z`).
pub const SIGNED_DATE_TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%SZ";

/// CyberSource accepts at most this many `merchant_defined_dataN` fields.
const MAX_MERCHANT_FIELDS: usize = 100;

/// One line of the order, priced after discounts.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckoutLine {
    /// MITx Online: the product's content type id.
    pub code: String,
    /// The product description; cut to 254 characters.
    pub name: String,
    /// MITx Online: `<content_type_id>-<object_id>`.
    pub sku: String,
    pub quantity: u32,
    /// The discounted unit price (`Line.discounted_price`).
    pub unit_price: Decimal,
    /// Tax for the whole line; MITx Online sends `0`.
    pub tax_amount: Decimal,
}

impl CheckoutLine {
    /// A line the way MITx Online builds it from an order line (`generate_checkout_payload`):
    /// code = content type id, sku = `<content type id>-<object id>`, quantity 1, tax 0, and the
    /// discounted price of the line.
    pub fn product(
        content_type_id: i64,
        object_id: i64,
        description: &str,
        discounted_price: Decimal,
    ) -> Self {
        CheckoutLine {
            code: content_type_id.to_string(),
            name: description.to_owned(),
            sku: format!("{content_type_id}-{object_id}"),
            quantity: 1,
            unit_price: discounted_price,
            tax_amount: Decimal::ZERO,
        }
    }
}

/// What the order work hands over to start a payment.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckoutOrder {
    /// Sent as the SHA-256 hex of itself (`consumer_id`); MITx Online uses the edX username.
    pub username: String,
    /// The learner's IP; an unknown IP is signed as the literal `None`, like the original.
    pub ip_address: Option<String>,
    /// `mitxonline-<environment>-<order id>`, see [`super::reference_number`].
    pub reference: String,
    pub lines: Vec<CheckoutLine>,
    /// `merchant_defined_data1..`; MITx Online sends the basket id (a number). Strings and
    /// numbers are posted as Python's `str()` renders them; the JSON payload keeps their type.
    pub merchant_fields: Vec<serde_json::Value>,
}

/// Where CyberSource sends the learner and the server-to-server notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnUrls {
    /// `override_custom_receipt_page` (MITx Online: `<site>/checkout/result/`).
    pub receipt: String,
    /// `override_custom_cancel_page` (the same page in MITx Online).
    pub cancel: String,
    /// `override_backoffice_post_url`; `None` uses the profile's setting, as MITx Online does.
    pub backoffice: Option<String>,
}

/// A form to render as hidden inputs and auto-submit (`checkout_interstitial.html`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckoutForm {
    pub url: String,
    pub method: &'static str,
    /// Field names and values in the original's order, `signed_field_names` and `signature` last.
    pub fields: Vec<(String, String)>,
    /// The same fields with the original's JSON types (quantities and counts are numbers, an
    /// unknown IP is `null`), for the v0 checkout API's `payload`.
    pub payload: serde_json::Map<String, serde_json::Value>,
}

impl CheckoutForm {
    /// The value of one field.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// `{"url", "method", "payload": {...}}` as the original's checkout API returns it.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "url": self.url, "method": self.method, "payload": self.payload })
    }
}

/// Builds and signs the checkout form. `now` and `transaction_uuid` are parameters so the
/// result is reproducible; callers pass the clock's now and `Uuid::new_v4()`.
pub fn prepare_checkout(
    credentials: &Credentials,
    order: &CheckoutOrder,
    urls: &ReturnUrls,
    now: DateTime<Utc>,
    transaction_uuid: Uuid,
) -> CheckoutForm {
    let mut lines = Vec::new();
    let mut total = Decimal::ZERO;
    let mut tax_total = Decimal::ZERO;
    for (i, line) in order.lines.iter().enumerate() {
        total += Decimal::from(line.quantity) * line.unit_price;
        tax_total += line.tax_amount;
        lines.push((format!("item_{i}_code"), line.code.clone()));
        lines.push((format!("item_{i}_name"), line.name.chars().take(254).collect()));
        lines.push((format!("item_{i}_quantity"), line.quantity.to_string()));
        lines.push((format!("item_{i}_sku"), line.sku.clone()));
        lines.push((
            format!("item_{i}_tax_amount"),
            python_decimal_str(line.tax_amount),
        ));
        lines.push((
            format!("item_{i}_unit_price"),
            python_decimal_str(line.unit_price),
        ));
    }
    let consumer_id = hex(&Sha256::digest(order.username.as_bytes()));
    let mut fields: Vec<(String, String)> = vec![
        ("access_key".into(), credentials.access_key.clone()),
        ("amount".into(), round_cents(total + tax_total).to_string()),
        ("tax_amount".into(), round_cents(tax_total).to_string()),
        ("consumer_id".into(), consumer_id),
        ("currency".into(), "USD".into()),
        ("locale".into(), "en-us".into()),
    ];
    fields.extend(lines);
    fields.push(("line_item_count".into(), order.lines.len().to_string()));
    let mut typed: Vec<(String, Value)> = Vec::new();
    for (i, value) in order.merchant_fields.iter().take(MAX_MERCHANT_FIELDS).enumerate() {
        let name = format!("merchant_defined_data{}", i + 1);
        fields.push((name.clone(), python_str(value)));
        typed.push((name, value.clone()));
    }
    fields.extend([
        ("reference_number".into(), order.reference.clone()),
        ("profile_id".into(), credentials.profile_id.clone()),
        (
            "signed_date_time".into(),
            now.format(SIGNED_DATE_TIME_FORMAT).to_string(),
        ),
        ("override_custom_receipt_page".into(), urls.receipt.clone()),
        ("override_custom_cancel_page".into(), urls.cancel.clone()),
        ("transaction_type".into(), "sale".into()),
        ("transaction_uuid".into(), transaction_uuid.simple().to_string()),
        ("unsigned_field_names".into(), String::new()),
        (
            "customer_ip_address".into(),
            order
                .ip_address
                .clone()
                .filter(|ip| !ip.is_empty())
                .unwrap_or_else(|| "None".into()),
        ),
    ]);
    if let Some(url) = urls.backoffice.as_ref().filter(|u| !u.is_empty()) {
        fields.push(("override_backoffice_post_url".into(), url.clone()));
    }
    let fields = sign_fields(credentials.security_key.expose(), fields);
    let payload = fields
        .iter()
        .map(|(k, v)| {
            let value = if let Some((_, t)) = typed.iter().find(|(n, _)| n == k) {
                t.clone()
            } else if k == "line_item_count" || (k.starts_with("item_") && k.ends_with("_quantity")) {
                v.parse::<u64>()
                    .map(Value::from)
                    .unwrap_or_else(|_| Value::String(v.clone()))
            } else if k == "customer_ip_address" && order.ip_address.as_deref().is_none_or(str::is_empty) {
                Value::Null
            } else {
                Value::String(v.clone())
            };
            (k.clone(), value)
        })
        .collect();
    CheckoutForm {
        url: credentials.secure_acceptance_url.clone(),
        method: "POST",
        fields,
        payload,
    }
}

/// A JSON scalar as Python's `str()` renders it (`12`, `two`, `None`, `True`).
fn python_str(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        other => other.to_string(),
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
