//! Transaction Search and Transaction Details (the reconciliation half of the REST API): the
//! types read from CyberSource's JSON, the search body byte-identical to the SDK's, and the
//! reshaping of details into Secure Acceptance reply fields the original stores.

use serde_json::Value;

use super::rest::{RestError, python_json_str};
/// One hit of a Transaction Search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionSummary {
    pub id: String,
    pub reference_number: String,
    pub submitted_at: String,
}

/// Transaction Details, with the fields the order work needs pulled out.
#[derive(Debug, Clone, PartialEq)]
pub struct TransactionDetails {
    pub transaction_id: String,
    /// The last application's reason code; `100` means paid.
    pub reason_code: String,
    pub message: String,
    pub reference_number: String,
    pub amount: Option<String>,
    pub currency: Option<String>,
    pub raw: Value,
}

pub(crate) fn at<'a>(v: &'a Value, path: &[&str]) -> &'a Value {
    path.iter().fold(v, |v, k| v.get(k).unwrap_or(&Value::Null))
}

pub(crate) fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl TransactionDetails {
    #[cfg(test)]
    pub(crate) fn from_json_for_tests(raw: Value) -> Self {
        Self::from_json(raw).expect("details with an id")
    }

    pub(crate) fn from_json(raw: Value) -> Result<Self, RestError> {
        let last_app = at(&raw, &["applicationInformation", "applications"])
            .as_array()
            .and_then(|a| a.last())
            .cloned()
            .unwrap_or(Value::Null);
        let transaction_id = text(at(&raw, &["rootId"]))
            .or_else(|| text(at(&raw, &["id"])))
            .ok_or_else(|| RestError::BadResponse("transaction details without an id".into()))?;
        Ok(TransactionDetails {
            transaction_id,
            reason_code: text(&last_app["reasonCode"]).unwrap_or_default(),
            message: text(&last_app["rMessage"]).unwrap_or_default(),
            reference_number: text(at(&raw, &["clientReferenceInformation", "code"])).unwrap_or_default(),
            amount: text(at(&raw, &["orderInformation", "amountDetails", "totalAmount"])),
            currency: text(at(&raw, &["orderInformation", "amountDetails", "currency"])),
            raw,
        })
    }

    /// Whether the payment went through (reason code 100).
    pub fn is_paid(&self) -> bool {
        self.reason_code == "100"
    }

    /// The details reshaped like a Secure Acceptance reply (`get_transaction_details`), to be
    /// stored as the transaction's data like a callback's fields.
    pub fn to_sa_fields(&self, profile_id: &str) -> serde_json::Map<String, Value> {
        let r = &self.raw;
        let app = at(r, &["applicationInformation", "applications"])
            .as_array()
            .and_then(|a| a.last())
            .cloned()
            .unwrap_or(Value::Null);
        let submitted = if at(r, &["submitTimeUTC"]).is_null() {
            at(r, &["submitTimeUtc"]).clone()
        } else {
            at(r, &["submitTimeUTC"]).clone()
        };
        let p = |path: &[&str]| at(r, path).clone();
        let s = |v: &str| Value::String(v.to_owned());
        let card = |k: &str| text(at(r, &["paymentInformation", "card", k])).unwrap_or_else(|| "None".into());
        let lines = at(r, &["orderInformation", "lineItems"])
            .as_array()
            .cloned()
            .unwrap_or_default();
        let mut m = serde_json::Map::new();
        let mut put = |k: &str, v: Value| {
            m.insert(k.to_owned(), v);
        };
        put("utf8", s(""));
        put("message", app["rMessage"].clone());
        put("decision", app["reasonCode"].clone());
        put("auth_code", p(&["processorInformation", "approvalCode"]));
        put("auth_time", submitted.clone());
        put("signature", s(""));
        put(
            "req_amount",
            p(&["orderInformation", "amountDetails", "totalAmount"]),
        );
        put("req_locale", s("en-us"));
        put(
            "auth_amount",
            p(&["orderInformation", "amountDetails", "authorizedAmount"]),
        );
        put("reason_code", app["reasonCode"].clone());
        put(
            "req_currency",
            p(&["orderInformation", "amountDetails", "currency"]),
        );
        put("auth_avs_code", p(&["processorInformation", "avs", "code"]));
        put("auth_response", p(&["processorInformation", "responseCode"]));
        for k in [
            "req_card_type",
            "request_token",
            "card_type_name",
            "req_access_key",
        ] {
            put(k, s(""));
        }
        put("req_profile_id", s(profile_id));
        put("transaction_id", p(&["rootId"]));
        put("req_card_number", s(""));
        put("req_consumer_id", p(&["buyerInformation", "merchantCustomerId"]));
        put("req_line_item_count", Value::from(lines.len()));
        put("signed_date_time", submitted);
        put(
            "auth_avs_code_raw",
            p(&["processorInformation", "avs", "codeRaw"]),
        );
        put(
            "auth_trans_ref_no",
            p(&["processorInformation", "networkTransactionId"]),
        );
        put(
            "bill_trans_ref_no",
            p(&["processorInformation", "networkTransactionId"]),
        );
        put("req_payment_method", s("card"));
        put(
            "req_card_expiry_date",
            Value::String(format!("{}-{}", card("expirationMonth"), card("expirationYear"))),
        );
        put("req_transaction_type", s("sale"));
        put("req_transaction_uuid", s(""));
        put("req_customer_ip_address", p(&["deviceInformation", "ipAddress"]));
        put("signed_field_names", s(""));
        for (key, field) in [
            ("req_bill_to_email", "email"),
            ("req_bill_to_surname", "lastName"),
            ("req_bill_to_forename", "firstName"),
            ("req_bill_to_address_city", "locality"),
            ("req_bill_to_address_line1", "address1"),
            ("req_bill_to_address_state", "administrativeArea"),
            ("req_bill_to_address_country", "country"),
            ("req_bill_to_address_postal_code", "postalCode"),
        ] {
            put(key, p(&["orderInformation", "billTo", field]));
        }
        put(
            "req_override_custom_cancel_page",
            s("https://rc.mitxonline.mit.edu/checkout/result/"),
        );
        put(
            "req_override_custom_receipt_page",
            s("https://rc.mitxonline.mit.edu/checkout/result/"),
        );
        put(
            "req_card_type_selection_indicator",
            p(&["paymentInformation", "card", "type"]),
        );
        put("req_reference_number", p(&["clientReferenceInformation", "code"]));
        for (i, line) in lines.iter().enumerate() {
            put(&format!("req_item_{i}_quantity"), line["quantity"].clone());
            put(&format!("req_item_{i}_code"), line["productCode"].clone());
            put(&format!("req_item_{i}_name"), line["productName"].clone());
            put(&format!("req_item_{i}_tax_amount"), line["taxAmount"].clone());
            put(&format!("req_item_{i}_unit_price"), line["unitPrice"].clone());
            put(&format!("req_item_{i}_sku"), line["productSku"].clone());
        }
        for info in at(r, &["merchantDefinedInformation"])
            .as_array()
            .into_iter()
            .flatten()
        {
            if let Some(k) = text(&info["key"]) {
                put(&format!("req_merchant_defined_data{k}"), info["value"].clone());
            }
        }
        m
    }
}

/// The Transaction Search body for these reference numbers (newest first).
pub fn search_body(reference_numbers: &[String], limit: usize) -> String {
    let query = reference_numbers
        .iter()
        .map(|r| format!("clientReferenceInformation.code:{r}"))
        .collect::<Vec<_>>()
        .join(" OR ");
    format!(
        "{{\"save\": false, \"name\": \"MITOL\", \"timezone\": \"UTC\", \"query\": {}, \"offset\": 0, \"limit\": {limit}, \"sort\": \"submitTimeUtc:desc\"}}",
        python_json_str(&query)
    )
}
