//! The CyberSource REST client against a scripted fake of CyberSource: what we send (HTTP
//! Signature headers, digests, bodies) and how we read what comes back — especially that a
//! DUPLICATE_REQUEST refund reply is never taken for a refund (failure mode 5), and that lost
//! callbacks are resolved through Transaction Search (failure mode 1).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit as _, Mac as _};
use mitxonline::integrations::cybersource::rest::signing_string;
use mitxonline::integrations::cybersource::{CyberSource, Decision, RefundRequest, RestClient, RestError};
use serde_json::json;
use sha2::{Digest as _, Sha256};

use crate::support::TestApp;
use crate::support::fake::{FakeServer, Recorded, Reply};

const SECRET: &str = "c2hhcmVkLXNlY3JldC1mb3ItdGhlLWZha2U="; // base64("shared-secret-for-the-fake")

async fn client_for(fake: &FakeServer) -> (TestApp, RestClient) {
    let app = TestApp::builder()
        .env(
            "MITXONLINE_CYBERSOURCE_SECURE_ACCEPTANCE_URL",
            &format!("{}/pay", fake.url),
        )
        .env("MITXONLINE_CYBERSOURCE_ACCESS_KEY", "ak")
        .env("MITXONLINE_CYBERSOURCE_PROFILE_ID", "pid")
        .env("MITXONLINE_CYBERSOURCE_SECURITY_KEY", "sk")
        .env("MITXONLINE_CYBERSOURCE_MERCHANT_ID", "mit_merchant")
        .env("MITXONLINE_CYBERSOURCE_MERCHANT_KEY_ID", "key-1")
        .env("MITXONLINE_CYBERSOURCE_MERCHANT_SECRET", SECRET)
        .env("MITXONLINE_CYBERSOURCE_REST_API_URL", &fake.url)
        .spawn()
        .await;
    let cs = CyberSource::from_config(&app.state.config);
    assert!(!cs.sandbox);
    let client = cs.rest_client(app.state.http_client.clone()).unwrap();
    (app, client)
}

/// Checks a recorded request's HTTP Signature the way CyberSource does.
fn assert_signed(req: &Recorded, fake: &FakeServer) {
    let host = fake.url.trim_start_matches("http://");
    assert_eq!(req.header("host").as_deref(), Some(host));
    assert_eq!(req.header("v-c-merchant-id").as_deref(), Some("mit_merchant"));
    let date = req.header("date").expect("Date header");
    assert!(date.ends_with(" GMT"), "{date}");
    let digest = req.header("digest");
    if req.method == "POST" {
        let want = format!("SHA-256={}", STANDARD.encode(Sha256::digest(&req.body)));
        assert_eq!(digest.as_deref(), Some(want.as_str()));
    } else {
        assert_eq!(digest, None, "GET requests carry no digest");
    }
    let sig = req.header("signature").expect("Signature header");
    let headers = if req.method == "POST" {
        "host date request-target digest v-c-merchant-id"
    } else {
        "host date request-target v-c-merchant-id"
    };
    let prefix = format!("keyid=\"key-1\", algorithm=\"HmacSHA256\", headers=\"{headers}\", signature=\"");
    let given = sig
        .strip_prefix(&prefix)
        .and_then(|s| s.strip_suffix('"'))
        .expect("signature layout");
    let text = signing_string(
        &req.method,
        &req.path,
        host,
        &date,
        digest.as_deref(),
        "mit_merchant",
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(&STANDARD.decode(SECRET).unwrap()).unwrap();
    mac.update(text.as_bytes());
    assert_eq!(given, STANDARD.encode(mac.finalize().into_bytes()));
    assert_eq!(
        req.header("content-type").as_deref(),
        Some("application/json;charset=utf-8")
    );
}

fn refund_request() -> RefundRequest {
    RefundRequest::from_payment_data(&json!({
        "transaction_id": "7000000000000000000001", "req_amount": "100.00", "req_currency": "USD",
        "decision": "ACCEPT"
    }))
    .unwrap()
}

#[tokio::test]
async fn a_refund_is_signed_like_the_sdk_and_a_pending_reply_is_a_refund() {
    let fake = FakeServer::start().await;
    fake.push(Reply::json(
        201,
        json!({
            "id": "7100000000000000000002", "status": "PENDING",
            "processorInformation": {"responseCode": "100"}
        }),
    ));
    let (app, client) = client_for(&fake).await;
    let answer = client
        .refund(&refund_request(), app.state.clock.now())
        .await
        .unwrap();
    assert!(answer.is_success());
    assert_eq!(answer.decision, Decision::Pending);
    assert_eq!(answer.reason_code, "100");
    assert_eq!(answer.refund_id.as_deref(), Some("7100000000000000000002"));
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].method, "POST");
    assert_eq!(reqs[0].path, "/pts/v2/payments/7000000000000000000001/refunds");
    assert_signed(&reqs[0], &fake);
    let body = reqs[0].json();
    assert_eq!(
        body["clientReferenceInformation"]["transactionId"],
        "7000000000000000000001"
    );
    assert_eq!(
        body["orderInformation"]["amountDetails"],
        json!({"totalAmount": "100.00", "currency": "USD"})
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_duplicate_refund_reply_is_an_error_and_never_a_refund() {
    let fake = FakeServer::start().await;
    fake.push(Reply::json(
        400,
        json!({
            "status": "INVALID_REQUEST", "reason": "DUPLICATE_REQUEST", "message": "Declined - duplicate"
        }),
    ));
    let (app, client) = client_for(&fake).await;
    let got = client.refund(&refund_request(), app.state.clock.now()).await;
    assert_eq!(
        got,
        Err(RestError::Duplicate {
            message: "Declined - duplicate".into()
        })
    );
    assert!(!got.unwrap_err().is_transient());
    app.shutdown().await;
}

#[tokio::test]
async fn outages_are_transient_and_rejections_and_odd_replies_are_not_refunds() {
    let fake = FakeServer::start().await;
    fake.push(Reply::status(502));
    fake.push(Reply::json(429, json!({})));
    fake.push(Reply::json(
        400,
        json!({"reason": "INVALID_DATA", "message": "bad amount"}),
    ));
    fake.push(Reply::json(201, json!({"id": "x", "status": "DECLINED"})));
    fake.push(Reply::status(200));
    let (app, client) = client_for(&fake).await;
    let now = app.state.clock.now();
    let r = refund_request();
    let e = client.refund(&r, now).await.unwrap_err();
    assert!(e.is_transient() && matches!(e, RestError::Unavailable { status: 502 }));
    assert!(client.refund(&r, now).await.unwrap_err().is_transient());
    let e = client.refund(&r, now).await.unwrap_err();
    assert_eq!(
        e,
        RestError::Rejected {
            status: 400,
            reason: "INVALID_DATA".into(),
            message: "bad amount".into()
        }
    );
    let declined = client.refund(&r, now).await.unwrap();
    assert!(!declined.is_success(), "only ACCEPT or PENDING refund money");
    assert!(matches!(
        client.refund(&r, now).await,
        Err(RestError::BadResponse(_))
    ));
    let bad = RefundRequest {
        transaction_id: "../../admin".into(),
        ..r
    };
    assert!(matches!(
        client.refund(&bad, now).await,
        Err(RestError::InvalidTransaction(_))
    ));
    assert_eq!(fake.count(), 5, "an unsafe transaction id is never sent");
    app.shutdown().await;
}

#[tokio::test]
async fn a_cybersource_that_cannot_be_reached_is_a_transient_error() {
    let nobody = crate::support::fake::DownPort::reserve();
    let fake_url = nobody.url();
    let app = TestApp::builder()
        .env(
            "MITXONLINE_CYBERSOURCE_SECURE_ACCEPTANCE_URL",
            &format!("{fake_url}/pay"),
        )
        .env("MITXONLINE_CYBERSOURCE_ACCESS_KEY", "ak")
        .env("MITXONLINE_CYBERSOURCE_PROFILE_ID", "pid")
        .env("MITXONLINE_CYBERSOURCE_SECURITY_KEY", "sk")
        .env("MITXONLINE_CYBERSOURCE_MERCHANT_ID", "m")
        .env("MITXONLINE_CYBERSOURCE_MERCHANT_KEY_ID", "k")
        .env("MITXONLINE_CYBERSOURCE_MERCHANT_SECRET", SECRET)
        .env("MITXONLINE_CYBERSOURCE_REST_API_URL", &fake_url)
        .spawn()
        .await;
    let client = CyberSource::from_config(&app.state.config)
        .rest_client(app.state.http_client.clone())
        .unwrap();
    let e = client
        .refund(&refund_request(), app.state.clock.now())
        .await
        .unwrap_err();
    assert!(matches!(e, RestError::Transport(_)) && e.is_transient(), "{e:?}");
    app.shutdown().await;
}

#[tokio::test]
async fn without_merchant_credentials_rest_calls_are_not_configured() {
    let app = TestApp::builder()
        .env(
            "MITXONLINE_CYBERSOURCE_SECURE_ACCEPTANCE_URL",
            "http://127.0.0.1:9/pay",
        )
        .env("MITXONLINE_CYBERSOURCE_ACCESS_KEY", "ak")
        .env("MITXONLINE_CYBERSOURCE_PROFILE_ID", "pid")
        .env("MITXONLINE_CYBERSOURCE_SECURITY_KEY", "sk")
        .spawn()
        .await;
    let cs = CyberSource::from_config(&app.state.config);
    assert!(matches!(
        cs.rest_client(app.state.http_client.clone()),
        Err(RestError::NotConfigured)
    ));
    app.shutdown().await;
}

fn details(id: &str, reference: &str, reason: &str) -> serde_json::Value {
    json!({
        "id": id, "rootId": id, "submitTimeUTC": "2026-03-03T05:00:00Z",
        "applicationInformation": {"applications": [{"reasonCode": reason, "rMessage": "m"}]},
        "orderInformation": {"amountDetails": {"totalAmount": "100.00", "currency": "USD"}, "lineItems": []},
        "clientReferenceInformation": {"code": reference}
    })
}

#[tokio::test]
async fn lost_callbacks_are_resolved_by_transaction_search_preferring_a_paid_attempt() {
    let fake = FakeServer::start().await;
    fake.push(Reply::json(201, json!({
        "totalCount": 3,
        "_embedded": {"transactionSummaries": [
            {"id": "703", "submitTimeUtc": "2026-03-04T05:00:00Z", "clientReferenceInformation": {"code": "mitxonline-prod-1"}},
            {"id": "702", "submitTimeUtc": "2026-03-03T05:00:00Z", "clientReferenceInformation": {"code": "mitxonline-prod-2"}},
            {"id": "701", "submitTimeUtc": "2026-03-02T05:00:00Z", "clientReferenceInformation": {"code": "mitxonline-prod-1"}}
        ]}
    })));
    fake.push(Reply::json(200, details("703", "mitxonline-prod-1", "203")));
    fake.push(Reply::json(200, details("702", "mitxonline-prod-2", "481")));
    fake.push(Reply::json(200, details("701", "mitxonline-prod-1", "100")));
    let (app, client) = client_for(&fake).await;
    let refs = vec![
        "mitxonline-prod-1".to_owned(),
        "mitxonline-prod-2".to_owned(),
        "mitxonline-prod-3".to_owned(),
    ];
    let found = client
        .resolve_references(&refs, app.state.clock.now())
        .await
        .unwrap();
    assert_eq!(found.len(), 2);
    assert!(
        found["mitxonline-prod-1"].is_paid(),
        "an older paid attempt beats a newer decline"
    );
    assert_eq!(found["mitxonline-prod-1"].transaction_id, "701");
    assert!(!found["mitxonline-prod-2"].is_paid());

    let reqs = fake.requests();
    assert_eq!(reqs.len(), 4);
    assert_eq!(
        (reqs[0].method.as_str(), reqs[0].path.as_str()),
        ("POST", "/tss/v2/searches")
    );
    assert_eq!(
        reqs[0].json()["query"],
        "clientReferenceInformation.code:mitxonline-prod-1 OR clientReferenceInformation.code:mitxonline-prod-2 OR clientReferenceInformation.code:mitxonline-prod-3"
    );
    assert_eq!(reqs[0].json()["sort"], "submitTimeUtc:desc");
    assert_eq!(reqs[0].json()["limit"], 20);
    assert_eq!(
        (reqs[1].method.as_str(), reqs[1].path.as_str()),
        ("GET", "/tss/v2/transactions/703")
    );
    for r in &reqs {
        assert_signed(r, &fake);
    }
    app.shutdown().await;
}
