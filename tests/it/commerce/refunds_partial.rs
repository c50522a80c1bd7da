//! Partial refunds through the staff API and the `/staff/refunds/` page, against the built-in
//! sandbox CyberSource: a partial then the remaining refund, over-refunds refused, bad amounts
//! named, and concurrent refunds that never exceed what was paid.

use serde_json::{Value, json};

use crate::support::TestApp;
use crate::support::commerce::pay_on_sandbox;
use crate::support::commerce::*;
use mitxonline::users::api_keys::Scope;

pub(crate) async fn staff(app: &TestApp) -> reqwest::Client {
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
pub(crate) async fn paid_order(app: &TestApp, tag: &str, price: &str) -> (i64, i64, i64, reqwest::Client) {
    let (run, product) = run_product(app, tag, price).await;
    let (user, client) = learner(app, &format!("{}@example.com", tag.to_lowercase())).await;
    let body = started_checkout(app, &client, product).await;
    let order = body["order_id"].as_i64().unwrap();
    pay_on_sandbox(app, &body, &[("decision", "accept")]).await;
    app.drain_outbox().await;
    assert_eq!(order_state(app, order).await, "fulfilled");
    (user, order, run, client)
}

pub(crate) async fn refund(s: &reqwest::Client, app: &TestApp, order: i64, body: Value) -> (u16, Value) {
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
    let mail = crate::support::identity::last_mail(&app, "part@example.com").await;
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
    let mail = crate::support::identity::last_mail(&app, "part@example.com").await;
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
    app.expect_undrained(&["openedx", "mail"]);
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
    app.expect_undrained(&["mail"]);
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
    assert!(
        html.contains("$20.00 — done"),
        "the order's refunds are listed: {html}"
    );
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

/// A fulfilled order paid `100.00` with CyberSource transaction data, for a gateway fake.
pub(crate) async fn order_paid_at_gateway(app: &TestApp) -> i64 {
    let (user, _) = learner(app, "gateway@example.com").await;
    let now = mitxonline::clock::to_db(app.state.clock.now());
    app.state
        .db
        .write(move |c| {
            c.execute(
                "INSERT INTO orders (state, purchaser_id, total_price_paid, reference_number, created_on, updated_on)
                 VALUES ('fulfilled', ?1, '100.00', 'mitxonline-test-1', ?2, ?2)",
                rusqlite::params![user, now],
            )?;
            let order = c.last_insert_rowid();
            c.execute(
                "INSERT INTO order_transactions (transaction_id, order_id, amount, data, transaction_type, created_on)
                 VALUES ('7000000000000000000001', ?1, '100.00', ?2, 'payment', ?3)",
                rusqlite::params![
                    order,
                    json!({"transaction_id": "7000000000000000000001", "req_amount": "100.00", "req_currency": "USD"}).to_string(),
                    now
                ],
            )?;
            Ok::<_, mitxonline::db::DbError>(order)
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn an_unknown_gateway_answer_keeps_the_amount_reserved_until_staff_settle_it() {
    use crate::support::fake::{FakeServer, Reply};
    let fake = FakeServer::start().await;
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
        .env(
            "MITXONLINE_CYBERSOURCE_MERCHANT_SECRET",
            "c2hhcmVkLXNlY3JldC1mb3ItdGhlLWZha2U=",
        )
        .env("MITXONLINE_CYBERSOURCE_REST_API_URL", &fake.url)
        .spawn()
        .await;
    app.expect_undrained(&["mail"]);
    let s = staff(&app).await;
    let order = order_paid_at_gateway(&app).await;
    let summary = |s: reqwest::Client, url: String| async move {
        s.get(url).send().await.unwrap().json::<Value>().await.unwrap()
    };
    let url = app.url(&format!("/api/v0/orders/{order}/refunds/"));

    fake.push(Reply::status(503));
    let (st, err) = refund(&s, &app, order, json!({"amount": "40"})).await;
    assert_eq!(st, 409, "{err}");
    assert!(err.to_string().contains("pending"), "{err}");
    let sum = summary(s.clone(), url.clone()).await;
    assert_eq!(sum["remaining"], "60.00");
    assert_eq!(sum["refunds"][0]["status"], "pending");
    let pending = sum["refunds"][0]["id"].as_i64().unwrap();
    // The reservation holds: 70 is more than remains.
    let (st, err) = refund(&s, &app, order, json!({"amount": "70"})).await;
    assert_eq!(st, 400);
    assert!(err.get("amount").is_some(), "{err}");
    assert_eq!(fake.count(), 1, "the refused request never reached the gateway");

    let settle = |body: Value| {
        s.patch(app.url(&format!("/api/v0/orders/{order}/refunds/{pending}/")))
            .json(&body)
            .send()
    };
    let r = settle(json!({"status": "maybe"})).await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("status"));
    let r = settle(json!({"status": "done"})).await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("transaction_id"));
    let r = settle(json!({"status": "failed"})).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(summary(s.clone(), url.clone()).await["remaining"], "100.00");
    let r = settle(json!({"status": "failed"})).await.unwrap();
    assert_eq!(r.status(), 400, "only a pending refund can be settled");

    // Another unknown answer, this time settled as done: the order is refunded in full.
    fake.push(Reply::status(503));
    let (st, _) = refund(&s, &app, order, json!({})).await;
    assert_eq!(st, 409);
    let sum = summary(s.clone(), url.clone()).await;
    let second = sum["refunds"][1]["id"].as_i64().unwrap();
    let r = s
        .patch(app.url(&format!("/api/v0/orders/{order}/refunds/{second}/")))
        .json(&json!({"status": "done", "transaction_id": "7100000000000000000009"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let sum: Value = r.json().await.unwrap();
    assert_eq!(sum["state"], "refunded");
    assert_eq!(sum["remaining"], "0.00");
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM audit_log WHERE object_type = 'order' AND action IN ('refund', 'release_refund')")
            .await,
        2
    );
    app.shutdown().await;
}
