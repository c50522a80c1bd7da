//! The built-in sandbox CyberSource, driven like a browser would: post the signed checkout
//! form, choose on the page, follow the signed result; a FakeServer plays MITx Online's
//! receiving endpoints and every result it gets must verify with our verifier.

use std::time::Duration;

use chrono::{DateTime, Utc};
use mitxonline::integrations::cybersource::{
    CallbackForm, CheckoutForm, CheckoutLine, CheckoutOrder, CyberSource, Decision, RefundRequest, RestError,
    ReturnUrls,
};
use rust_decimal::Decimal;

use crate::support::TestApp;
use crate::support::commerce::{form_action, hidden_inputs};
use crate::support::fake::FakeServer;

struct Sandbox {
    app: TestApp,
    receiver: FakeServer,
    cs: CyberSource,
}

impl Sandbox {
    async fn start() -> Sandbox {
        let receiver = FakeServer::start().await;
        let app = TestApp::builder()
            .env(
                "MITXONLINE_CYBERSOURCE_SANDBOX_BACKOFFICE_URL",
                &format!("{}/api/checkout/result/", receiver.url),
            )
            .spawn()
            .await;
        let cs = CyberSource::from_config(&app.state.config);
        assert!(cs.sandbox, "no credentials configured means the sandbox");
        Sandbox { app, receiver, cs }
    }

    fn checkout_at(&self, order_id: i64, now: DateTime<Utc>) -> CheckoutForm {
        let order = CheckoutOrder {
            username: "learner".into(),
            ip_address: Some("127.0.0.1".into()),
            reference: format!("mitxonline-dev-{order_id}"),
            lines: (0..11)
                .map(|i| CheckoutLine {
                    code: "19".into(),
                    name: format!("Course <{i}> & \"friends\""),
                    sku: format!("19-{i}"),
                    quantity: 1,
                    unit_price: Decimal::new(1000 + i, 2),
                    tax_amount: Decimal::ZERO,
                })
                .collect(),
            merchant_fields: vec![5.into()],
        };
        let urls = ReturnUrls {
            receipt: self.app.url("/checkout/result/"),
            cancel: self.app.url("/checkout/cancelled/"),
            backoffice: None,
        };
        self.cs.checkout(&order, &urls, now)
    }

    fn checkout(&self, order_id: i64) -> CheckoutForm {
        self.checkout_at(order_id, self.app.state.clock.now())
    }

    async fn post_form(&self, form: &CheckoutForm) -> (u16, String) {
        let r = self
            .app
            .client
            .post(&form.url)
            .form(&form.fields)
            .send()
            .await
            .expect("POST checkout form");
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// Posts the checkout form, then chooses on the page; returns the page's result form.
    async fn pay(&self, form: &CheckoutForm, choice: &[(&str, &str)]) -> (String, Vec<(String, String)>) {
        let (status, page) = self.post_form(form).await;
        assert_eq!(status, 200, "{page}");
        let action = form_action(&page, "/sandbox/cybersource/pay/");
        let r = self
            .app
            .client
            .post(self.app.url(&action))
            .form(choice)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let html = r.text().await.unwrap();
        assert!(html.contains("data-autosubmit"), "the result form submits itself");
        assert!(
            html.contains("<button type=\"submit\">Continue</button>"),
            "and works without JavaScript"
        );
        (form_action(&html, "/checkout/"), hidden_inputs(&html))
    }

    fn key(&self) -> String {
        self.cs.credentials.security_key.expose().to_owned()
    }
}

#[tokio::test]
async fn an_accepted_sandbox_payment_posts_verifiable_results_to_the_browser_and_the_back_office() {
    let s = Sandbox::start().await;
    let form = s.checkout(41);
    assert!(form.url.ends_with("/sandbox/cybersource/pay"));
    let (status, page) = s.post_form(&form).await;
    assert_eq!(status, 200);
    assert!(page.contains("mitxonline-dev-41"));
    assert!(
        page.contains("Course &lt;10&gt; &amp; &quot;friends&quot;"),
        "lines are shown, escaped"
    );
    assert!(page.contains("110.55 USD"), "{page}");
    assert!(page.contains("4111111111111111"));

    let (target, fields) = s
        .pay(&form, &[("decision", "accept"), ("card", "5555555555554444")])
        .await;
    assert_eq!(target, s.app.url("/checkout/result/"));
    let browser = CallbackForm { fields };
    assert_eq!(browser.verify(&s.key()), Ok(()));
    let decoded = browser.decode();
    assert_eq!(decoded.decision, Decision::Accept);
    assert_eq!(decoded.reason_code, "100");
    assert_eq!(decoded.reference_number.as_deref(), Some("mitxonline-dev-41"));
    assert_eq!(decoded.amount.as_deref(), Some("110.55"));
    assert_eq!(browser.get("req_card_type"), Some("002"));
    assert_eq!(browser.get("req_item_10_name"), Some("Course <10> & \"friends\""));
    assert_eq!(decoded.transaction_id.len(), 22);

    assert_eq!(s.receiver.count(), 0, "the back-office post waits for the outbox");
    assert_eq!(s.app.drain_outbox().await.delivered, 1);
    let reqs = s.receiver.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].method, "POST");
    assert_eq!(reqs[0].path, "/api/checkout/result/");
    let backoffice =
        CallbackForm::from_body(reqs[0].header("content-type").as_deref(), &reqs[0].body).unwrap();
    assert_eq!(backoffice.verify(&s.key()), Ok(()));
    assert_eq!(
        backoffice.decode(),
        decoded,
        "browser and back office get the same result"
    );
    s.app.shutdown().await;
}

#[tokio::test]
async fn declined_cancelled_review_and_error_results_are_signed_and_go_to_the_pages_named_in_the_form() {
    let s = Sandbox::start().await;
    let (target, fields) = s.pay(&s.checkout(1), &[("decision", "decline")]).await;
    assert_eq!(target, s.app.url("/checkout/result/"));
    let declined = CallbackForm { fields };
    assert_eq!(declined.verify(&s.key()), Ok(()));
    assert_eq!(declined.decode().decision, Decision::Decline);
    assert_eq!(declined.decode().reason_code, "203");
    assert!(!declined.decode().is_paid());

    let (target, fields) = s.pay(&s.checkout(2), &[("decision", "cancel")]).await;
    assert_eq!(target, s.app.url("/checkout/cancelled/"));
    let cancelled = CallbackForm { fields };
    assert_eq!(cancelled.verify(&s.key()), Ok(()));
    assert_eq!(cancelled.decode().decision, Decision::Cancel);
    assert_eq!(cancelled.decode().transaction_id, "");

    let (_, fields) = s.pay(&s.checkout(3), &[("decision", "review")]).await;
    let review = CallbackForm { fields }.decode();
    assert_eq!(
        (review.decision, review.reason_code.as_str()),
        (Decision::Review, "480")
    );
    assert!(!review.is_paid(), "an order held for review is not paid");
    let (_, fields) = s.pay(&s.checkout(4), &[("decision", "error")]).await;
    assert_eq!(CallbackForm { fields }.decode().decision, Decision::Error);

    assert_eq!(s.app.drain_outbox().await.delivered, 4);
    for r in s.receiver.requests() {
        let f = CallbackForm::from_body(r.header("content-type").as_deref(), &r.body).unwrap();
        assert_eq!(f.verify(&s.key()), Ok(()));
    }
    s.app.shutdown().await;
}

#[tokio::test]
async fn a_tampered_checkout_form_is_refused_and_nothing_is_recorded() {
    let s = Sandbox::start().await;
    let mut form = s.checkout(3);
    for (k, v) in &mut form.fields {
        if k == "amount" {
            *v = "0.01".into();
        }
    }
    let (status, page) = s.post_form(&form).await;
    assert_eq!(status, 403);
    assert!(page.contains("signature does not match"), "{page}");
    let rows = s
        .app
        .scalar_i64("SELECT count(*) FROM cybersource_sandbox_payments")
        .await;
    assert_eq!(rows, 0);
    s.app.shutdown().await;
}

#[tokio::test]
async fn a_stale_checkout_form_is_refused_naming_signed_date_time() {
    let s = Sandbox::start().await;
    let form = s.checkout_at(4, s.app.state.clock.now() - chrono::Duration::hours(1));
    let (status, page) = s.post_form(&form).await;
    assert_eq!(status, 400);
    assert!(page.contains("signed_date_time"), "{page}");
    s.app.shutdown().await;
}

#[tokio::test]
async fn a_completed_payment_cannot_be_replayed_or_decided_twice() {
    let s = Sandbox::start().await;
    let form = s.checkout(5);
    let (_, page) = s.post_form(&form).await;
    let action = form_action(&page, "/sandbox/cybersource/pay/");
    let decide = |d: &'static str| {
        s.app
            .client
            .post(s.app.url(&action))
            .form(&[("decision", d)])
            .send()
    };
    assert_eq!(decide("accept").await.unwrap().status().as_u16(), 200);
    assert_eq!(decide("decline").await.unwrap().status().as_u16(), 409);
    let (status, _) = s.post_form(&form).await;
    assert_eq!(
        status, 409,
        "the same signed form (transaction_uuid) is not accepted again"
    );
    assert_eq!(s.app.drain_outbox().await.delivered, 1);
    s.app.shutdown().await;
}

#[tokio::test]
async fn bad_page_input_is_a_clear_client_error() {
    let s = Sandbox::start().await;
    let r = s.app.get("/sandbox/cybersource/pay").await;
    assert_eq!(r.status().as_u16(), 200, "GET explains the page");
    let r = s
        .app
        .client
        .post(s.app.url("/sandbox/cybersource/pay"))
        .json(&serde_json::json!({"amount": "1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let (_, page) = s.post_form(&s.checkout(6)).await;
    let action = form_action(&page, "/sandbox/cybersource/pay/");
    let r = s
        .app
        .client
        .post(s.app.url(&action))
        .form(&[("decision", "steal")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert!(r.text().await.unwrap().contains("decision"));
    let r = s
        .app
        .client
        .post(s.app.url("/sandbox/cybersource/pay/nope"))
        .form(&[("decision", "accept")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    s.app.shutdown().await;
}

#[tokio::test]
async fn sandbox_refunds_and_searches_answer_from_what_the_page_recorded() {
    let s = Sandbox::start().await;
    s.app.expect_undrained(&["cybersource_sandbox_callback"]);
    let (_, fields) = s
        .pay(
            &s.checkout(7),
            &[("decision", "accept"), ("lose_backoffice", "on")],
        )
        .await;
    let paid = CallbackForm { fields };
    assert_eq!(
        s.app.drain_outbox().await.delivered,
        0,
        "the notification was lost on purpose"
    );
    assert_eq!(s.receiver.count(), 0);
    s.pay(&s.checkout(8), &[("decision", "decline")]).await;

    let rest = s.cs.rest_client(s.app.state.http_client.clone()).unwrap();
    let now = s.app.state.clock.now();
    let refs = vec![
        "mitxonline-dev-7".to_owned(),
        "mitxonline-dev-8".to_owned(),
        "mitxonline-dev-9".to_owned(),
    ];
    let found = rest.resolve_references(&refs, now).await.unwrap();
    assert_eq!(found.len(), 2, "the never-paid order has no transaction");
    let seven = &found["mitxonline-dev-7"];
    assert!(seven.is_paid());
    assert_eq!(seven.transaction_id, paid.decode().transaction_id);
    assert_eq!(seven.amount.as_deref(), Some("110.55"));
    let fields = seven.to_sa_fields(&s.cs.credentials.profile_id);
    assert_eq!(fields["req_reference_number"], "mitxonline-dev-7");
    assert_eq!(fields["req_item_10_sku"], "19-10");
    assert!(!found["mitxonline-dev-8"].is_paid());

    let refund = RefundRequest::from_payment_data(&paid.to_json()).unwrap();
    let too_much = RefundRequest {
        amount: "999.00".into(),
        ..refund.clone()
    };
    assert!(matches!(
        rest.refund(&too_much, now).await,
        Err(RestError::Rejected { status: 400, .. })
    ));
    let answer = rest.refund(&refund, now).await.unwrap();
    assert!(answer.is_success());
    assert_eq!(answer.decision, Decision::Pending);
    match rest.refund(&refund, now).await {
        Err(RestError::Duplicate { .. }) => {}
        other => panic!("a second refund must be a duplicate error, got {other:?}"),
    }
    let unknown = RefundRequest {
        transaction_id: "7999".into(),
        ..refund
    };
    assert!(matches!(
        rest.refund(&unknown, now).await,
        Err(RestError::Rejected { status: 404, .. })
    ));
    s.app.shutdown().await;
}

#[tokio::test]
async fn the_sandbox_rest_api_refuses_unsigned_wrongly_signed_and_stale_requests() {
    let s = Sandbox::start().await;
    let r = s
        .app
        .client
        .post(s.app.url("/sandbox/cybersource/rest/tss/v2/searches"))
        .header("content-type", "application/json")
        .body("{\"query\": \"clientReferenceInformation.code:x\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let mut wrong = s.cs.rest.clone().unwrap();
    wrong.secret = mitxonline::config::Secret::new("d3Jvbmc=");
    let client =
        mitxonline::integrations::cybersource::RestClient::new(s.app.state.http_client.clone(), wrong);
    let got = client
        .find_transactions(&["mitxonline-dev-1".into()], s.app.state.clock.now())
        .await;
    assert!(
        matches!(got, Err(RestError::Rejected { status: 401, .. })),
        "{got:?}"
    );
    s.app.shutdown().await;
}

#[tokio::test]
async fn the_sandbox_is_off_when_real_credentials_are_configured() {
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
    assert!(!CyberSource::from_config(&app.state.config).sandbox);
    let r = app
        .client
        .post(app.url("/sandbox/cybersource/pay"))
        .form(&[("a", "b")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    assert_eq!(app.get("/sandbox/cybersource/pay").await.status().as_u16(), 404);
    app.shutdown().await;
}

#[tokio::test]
async fn a_back_office_that_is_down_gets_the_result_when_it_returns() {
    let s = Sandbox::start().await;
    s.receiver.push(crate::support::fake::Reply::status(503));
    s.pay(&s.checkout(10), &[("decision", "accept")]).await;
    let first = s.app.drain_outbox().await;
    assert_eq!(first.delivered, 0);
    s.app.advance(Duration::from_secs(3600));
    assert_eq!(s.app.drain_outbox().await.delivered, 1);
    assert_eq!(s.receiver.count(), 2);
    let keys = s.receiver.distinct_header("idempotency-key");
    assert_eq!(keys.len(), 1, "retries carry the same idempotency key");
    s.app.shutdown().await;
}
