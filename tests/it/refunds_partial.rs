//! Partial refunds through the staff API and the `/staff/refunds/` page, against the built-in
//! sandbox CyberSource: a partial then the remaining refund, over-refunds refused, bad amounts
//! named, and concurrent refunds that never exceed what was paid.

use serde_json::{Value, json};

use crate::commerce::pay_on_sandbox;
use crate::commerce_helpers::*;
use crate::support::TestApp;
use mitxonline::users::api_keys::Scope;

async fn staff(app: &TestApp) -> reqwest::Client {
    let key = app.api_key(Scope::Staff).await;
    let mut h = reqwest::header::HeaderMap::new();
    h.insert("Authorization", format!("Api-Key {key}").parse().unwrap());
    reqwest::Client::builder()
        .default_headers(h)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A learner's order for a run at `price`, paid on the sandbox: `(user, order, run)`.
async fn paid_order(app: &TestApp, tag: &str, price: &str) -> (i64, i64, i64, reqwest::Client) {
    let (run, product) = run_product(app, tag, price).await;
    let (user, client) = learner(app, &format!("{}@example.com", tag.to_lowercase())).await;
    let body = started_checkout(app, &client, product).await;
    let order = body["order_id"].as_i64().unwrap();
    pay_on_sandbox(app, &body, &[("decision", "accept")]).await;
    app.drain_outbox().await;
    assert_eq!(order_state(app, order).await, "fulfilled");
    (user, order, run, client)
}

async fn refund(s: &reqwest::Client, app: &TestApp, order: i64, body: Value) -> (u16, Value) {
    let r = s
        .post(app.url(&format!("/api/v0/orders/{order}/refunds/")))
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn verified_enrollments(app: &TestApp, user: i64) -> i64 {
    count(
        app,
        "SELECT count(*) FROM course_run_enrollments WHERE user_id = ?1 AND enrollment_mode = 'verified' AND active = 1",
        user,
    )
    .await
}

#[tokio::test]
async fn a_partial_refund_keeps_the_order_fulfilled_and_the_remaining_refund_completes_it() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let (user, order, _, _) = paid_order(&app, "PART", "150.00").await;

    let (st, body) = refund(&s, &app, order, json!({"amount": "50", "reason": "goodwill"})).await;
    assert_eq!(st, 201, "{body}");
    assert_eq!(body["state"], "fulfilled");
    assert_eq!(body["total_price_paid"], "150.00");
    assert_eq!(body["remaining"], "100.00");
    assert_eq!(body["refunds"][0]["amount"], "50.00");
    assert_eq!(body["refunds"][0]["status"], "done");
    assert_eq!(body["refunds"][0]["reason"], "goodwill");
    assert_eq!(
        verified_enrollments(&app, user).await,
        1,
        "a partial refund keeps the seat"
    );
    let mail = crate::identity_helpers::last_mail(&app, "part@example.com").await;
    assert!(mail.contains("$50.00"), "{mail}");

    // More than remains is refused, naming amount, and changes nothing.
    let (st, err) = refund(&s, &app, order, json!({"amount": "100.01"})).await;
    assert_eq!(st, 400);
    assert!(err["amount"].to_string().contains("100.00"), "{err}");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM order_refunds WHERE order_id = ?1",
            order
        )
        .await,
        1
    );

    // No amount: everything that remains; the order is now refunded and downgraded.
    let (st, body) = refund(&s, &app, order, json!({})).await;
    assert_eq!(st, 201, "{body}");
    assert_eq!(body["state"], "refunded");
    assert_eq!(body["remaining"], "0.00");
    assert_eq!(body["refunds"][1]["amount"], "100.00");
    assert_eq!(verified_enrollments(&app, user).await, 0);
    let mail = crate::identity_helpers::last_mail(&app, "part@example.com").await;
    assert!(mail.contains("$100.00"), "{mail}");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM order_transactions WHERE order_id = ?1 AND transaction_type = 'refund'",
            order
        )
        .await,
        2
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM audit_log WHERE object_type = 'order' AND action = 'refund'")
            .await,
        2
    );
    // The gateway saw exactly what was paid, in two refunds.
    assert_eq!(
        app.scalar_i64(
            "SELECT CAST(refunded_amount AS INTEGER) * 100 + refund_count FROM cybersource_sandbox_payments"
        )
        .await,
        15002
    );
    // A refunded order cannot be refunded again.
    let (st, err) = refund(&s, &app, order, json!({"amount": "1"})).await;
    assert_eq!(st, 400);
    assert!(err.get("order").is_some(), "{err}");
    let anonymous = crate::support::client()
        .get(app.url(&format!("/api/v0/orders/{order}/refunds/")))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    app.shutdown().await;
}

#[tokio::test]
async fn bad_amounts_are_400_naming_amount_and_learners_cannot_refund() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let (_, order, _, learner_client) = paid_order(&app, "BADAMT", "80.00").await;
    let audit_before = app.scalar_i64("SELECT count(*) FROM audit_log").await;
    for bad in [
        json!("0"),
        json!(0),
        json!("-5"),
        json!("1.005"),
        json!(1.001),
        json!("abc"),
        json!(true),
        json!({"x": 1}),
        json!("80.01"),
    ] {
        let (st, err) = refund(&s, &app, order, json!({"amount": bad})).await;
        assert_eq!(st, 400, "{bad}: {err}");
        assert!(err.get("amount").is_some(), "{bad}: {err}");
    }
    let (st, _) = refund(&learner_client, &app, order, json!({"amount": "1"})).await;
    assert_eq!(st, 403);
    let (st, _) = refund(&crate::support::client(), &app, order, json!({"amount": "1"})).await;
    assert_eq!(st, 401);
    let (st, _) = refund(&s, &app, 9999, json!({"amount": "1"})).await;
    assert_eq!(st, 404);
    assert_eq!(app.scalar_i64("SELECT count(*) FROM order_refunds").await, 0);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM order_transactions WHERE order_id = ?1 AND transaction_type = 'refund'",
            order
        )
        .await,
        0
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM audit_log").await,
        audit_before
    );
    assert_eq!(order_state(&app, order).await, "fulfilled");
    app.shutdown().await;
}

#[tokio::test]
async fn concurrent_partial_refunds_never_exceed_what_was_paid() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let (_, order, _, _) = paid_order(&app, "RACE", "100.00").await;
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let (s, url) = (s.clone(), app.url(&format!("/api/v0/orders/{order}/refunds/")));
        tasks.push(tokio::spawn(async move {
            s.post(url)
                .json(&json!({"amount": "30.00"}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 3, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 400).count(), 7, "{statuses:?}");
    let summary: Value = s
        .get(app.url(&format!("/api/v0/orders/{order}/refunds/")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(summary["remaining"], "10.00", "{summary}");
    assert_eq!(summary["state"], "fulfilled");
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM order_refunds WHERE status = 'done'")
            .await,
        3
    );
    assert_eq!(
        app.scalar_i64("SELECT CAST(refunded_amount AS INTEGER) FROM cybersource_sandbox_payments")
            .await,
        90
    );
    // The last 10.00 completes it.
    let (st, body) = refund(&s, &app, order, json!({"amount": 10})).await;
    assert_eq!((st, body["state"].clone()), (201, json!("refunded")));
    app.shutdown().await;
}

#[tokio::test]
async fn the_staff_refunds_page_takes_an_amount_defaulting_to_the_remaining_balance() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let (_, order, _, client) = paid_order(&app, "PAGE", "120.00").await;
    let r = client
        .post(app.url("/api/v0/orders/refund-requests/"))
        .json(&json!({"order": order, "refund_reason": "financial_reasons", "consent_given": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let html = s
        .get(app.url("/staff/refunds/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("name=\"amount\""), "{html}");
    assert!(html.contains("120.00"), "{html}");
    let request = app.scalar_i64("SELECT max(id) FROM refund_requests").await;
    let post = |amount: &'static str| {
        s.post(app.url(&format!("/staff/refunds/{request}/")))
            .form(&[
                ("action", "refund"),
                ("order", &order.to_string()),
                ("after", "downgrade"),
                ("amount", amount),
            ])
            .send()
    };
    let bad = post("lots").await.unwrap();
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("amount"));
    assert_eq!(app.scalar_i64("SELECT count(*) FROM order_refunds").await, 0);
    let ok = post("20").await.unwrap();
    assert_eq!(ok.status(), 303);
    assert_eq!(order_state(&app, order).await, "fulfilled");
    let html = s
        .get(app.url("/staff/refunds/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("approved"), "{html}");
    let summary: Value = s
        .get(app.url(&format!("/api/v0/orders/{order}/refunds/")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(summary["remaining"], "100.00");
    app.shutdown().await;
}
