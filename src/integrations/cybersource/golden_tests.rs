//! Byte-for-byte comparison with golden vectors produced by the original's Python library
//! (`tests/data/cybersource/make_golden.py` → `golden.json`).

use chrono::DateTime;
use serde_json::Value;
use url::Url;

use super::rest::{self, RestCredentials};
use super::signing::sign_fields;
use super::transactions::search_body;
use super::*;

fn golden() -> Value {
    serde_json::from_str(include_str!("../../../tests/data/cybersource/golden.json"))
        .expect("golden.json parses")
}

fn pairs(v: &Value) -> Vec<(String, String)> {
    v.as_array()
        .expect("array of pairs")
        .iter()
        .map(|p| {
            (
                p[0].as_str().unwrap().to_owned(),
                p[1].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn credentials(g: &Value) -> Credentials {
    Credentials {
        secure_acceptance_url: "https://testsecureacceptance.cybersource.com/pay".into(),
        access_key: "golden-access-key".into(),
        profile_id: "GOLDEN-PROFILE-0001".into(),
        security_key: Secret::new(g["security_key"].as_str().unwrap()),
    }
}

fn rest_credentials(g: &Value) -> RestCredentials {
    let m = &g["merchant"];
    RestCredentials {
        base_url: Url::parse(&format!("https://{}", m["host"].as_str().unwrap())).unwrap(),
        merchant_id: m["id"].as_str().unwrap().into(),
        key_id: m["key_id"].as_str().unwrap().into(),
        secret: Secret::new(m["secret"].as_str().unwrap()),
    }
}

#[test]
fn checkout_forms_match_the_original_field_for_field_and_byte_for_byte() {
    let g = golden();
    for case in g["checkouts"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let input = &case["input"];
        let order = CheckoutOrder {
            username: input["username"].as_str().unwrap().into(),
            ip_address: input["ip_address"].as_str().map(str::to_owned),
            reference: input["reference"].as_str().unwrap().into(),
            lines: input["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|it| CheckoutLine {
                    code: it["code"].as_str().unwrap().into(),
                    name: it["name"].as_str().unwrap().into(),
                    sku: it["sku"].as_str().unwrap().into(),
                    quantity: u32::try_from(it["quantity"].as_u64().unwrap()).unwrap(),
                    unit_price: it["unit_price"].as_str().unwrap().parse().unwrap(),
                    tax_amount: it["tax_amount"].as_str().unwrap().parse().unwrap(),
                })
                .collect(),
            merchant_fields: input["merchant_fields"].as_array().unwrap().to_vec(),
        };
        let urls = ReturnUrls {
            receipt: input["receipt_url"].as_str().unwrap().into(),
            cancel: input["cancel_url"].as_str().unwrap().into(),
            backoffice: input["backoffice_post_url"].as_str().map(str::to_owned),
        };
        let now = DateTime::parse_from_rfc3339(input["signed_date_time_utc"].as_str().unwrap())
            .unwrap()
            .to_utc();
        let uuid = Uuid::parse_str(input["transaction_uuid"].as_str().unwrap()).unwrap();
        let form = prepare_checkout(&credentials(&g), &order, &urls, now, uuid);
        assert_eq!(form.url, case["url"].as_str().unwrap(), "{name}");
        assert_eq!(form.method, case["method"].as_str().unwrap(), "{name}");
        assert_eq!(form.fields, pairs(&case["fields"]), "{name}");
        assert_eq!(
            Value::Object(form.payload.clone()),
            case["payload"],
            "{name}: JSON payload types"
        );
        assert_eq!(form.to_json()["payload"], case["payload"], "{name}");
    }
}

#[test]
fn arbitrary_dicts_sign_like_the_original() {
    let g = golden();
    for case in g["signed"].as_array().unwrap() {
        let signed = sign_fields(g["security_key"].as_str().unwrap(), pairs(&case["input"]));
        assert_eq!(signed, pairs(&case["fields"]));
    }
}

#[test]
fn callback_verification_agrees_with_the_original() {
    let g = golden();
    let key = g["security_key"].as_str().unwrap();
    for case in g["verifications"].as_array().unwrap() {
        let form = CallbackForm {
            fields: pairs(&case["fields"]),
        };
        assert_eq!(
            form.verify(key).is_ok(),
            case["valid"].as_bool().unwrap(),
            "{}",
            case["name"]
        );
    }
}

#[test]
fn decisions_map_like_the_original_including_missing_and_unknown_as_error() {
    let g = golden();
    for case in g["decisions"].as_array().unwrap() {
        let got = Decision::parse(case["decision"].as_str());
        assert_eq!(
            got.as_str(),
            case["state"].as_str().unwrap(),
            "{:?}",
            case["decision"]
        );
    }
}

fn assert_signed_like(g: &Value, case: &str, method: &str, body: Option<&str>) {
    let req = &g[case]["request"];
    let url = Url::parse(req["url"].as_str().unwrap()).unwrap();
    let h = rest::sign(
        &rest_credentials(g),
        method,
        url.path(),
        g["merchant"]["date"].as_str().unwrap(),
        body.map(str::as_bytes),
    )
    .unwrap();
    let want = &req["headers"];
    assert_eq!(h.merchant_id, want["v-c-merchant-id"].as_str().unwrap(), "{case}");
    assert_eq!(h.date, want["Date"].as_str().unwrap(), "{case}");
    assert_eq!(h.host, want["Host"].as_str().unwrap(), "{case}");
    assert_eq!(h.digest.as_deref(), want["Digest"].as_str(), "{case}");
    assert_eq!(h.signature, want["Signature"].as_str().unwrap(), "{case}");
}

#[test]
fn refund_requests_match_the_sdk_body_digest_and_signature() {
    let g = golden();
    let refund = RefundRequest::from_payment_data(&serde_json::json!({
        "transaction_id": "7000000000000000000001", "req_amount": "100.00", "req_currency": "USD"
    }))
    .unwrap();
    let body = refund.body();
    assert_eq!(body, g["refund_ok"]["request"]["body"].as_str().unwrap());
    assert_signed_like(&g, "refund_ok", "POST", Some(&body));
}

#[test]
fn transaction_search_matches_the_sdk_body_and_signature() {
    let g = golden();
    let body = search_body(&["mitxonline-dev-1".into(), "mitxonline-dev-2".into()], 20);
    assert_eq!(body, g["search"]["request"]["body"].as_str().unwrap());
    assert_signed_like(&g, "search", "POST", Some(&body));
}

#[test]
fn transaction_details_are_fetched_and_reshaped_like_the_original() {
    let g = golden();
    assert_signed_like(&g, "details", "GET", None);
    let details = super::transactions::TransactionDetails::from_json_for_tests(g["details"]["reply"].clone());
    assert!(details.is_paid());
    assert_eq!(details.reference_number, "mitxonline-dev-1");
    let fields = Value::Object(details.to_sa_fields("GOLDEN-PROFILE-0001"));
    assert_eq!(fields, g["details"]["outcome"]["ok"]);
}

#[test]
fn paypal_payments_and_incomplete_data_are_not_refundable() {
    assert!(RefundRequest::from_payment_data(&serde_json::json!({"paypal_token": "x", "transaction_id": "1", "req_amount": "1", "req_currency": "USD"})).is_err());
    assert_eq!(
        RefundRequest::from_payment_data(&serde_json::json!({"transaction_id": "1", "req_currency": "USD"})),
        Err(RestError::InvalidTransaction(
            "the payment data has no `req_amount`".into()
        ))
    );
}

#[test]
fn product_lines_are_built_like_mitx_online_builds_them() {
    let line = CheckoutLine::product(19, 100, "Course run 0", "100.00".parse().unwrap());
    let g = golden();
    let item = &g["checkouts"][1]["input"]["items"][0];
    assert_eq!(line.code, item["code"].as_str().unwrap());
    assert_eq!(line.sku, item["sku"].as_str().unwrap());
    assert_eq!(line.name, item["name"].as_str().unwrap());
    assert_eq!(line.tax_amount.to_string(), item["tax_amount"].as_str().unwrap());
    assert_eq!(line.quantity, 1);
}
