//! Refunds whose gateway answer was lost: staff settle them on the order page (failed gives
//! the amount back, done records it with the gateway's id and mails the learner), and the
//! `resolve-pending-refunds` job settles them from what CyberSource shows — against a fake
//! CyberSource speaking the real API and against the built-in sandbox — never refunding twice.

use std::time::Duration;

use serde_json::{Value, json};

use super::refunds_partial::{order_paid_at_gateway, paid_order, refund, staff};
use crate::support::TestApp;
use crate::support::fake::{FakeServer, Reply};

/// An app whose CyberSource REST API is `fake`.
async fn app_with_gateway(fake: &FakeServer) -> TestApp {
    TestApp::builder()
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
        .await
}

async fn summary(s: &reqwest::Client, app: &TestApp, order: i64) -> Value {
    s.get(app.url(&format!("/api/v0/orders/{order}/refunds/")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn page(s: &reqwest::Client, app: &TestApp, order: i64) -> String {
    let r = s
        .get(app.url(&format!("/staff/orders/{order}/")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.text().await.unwrap()
}

async fn settle(
    s: &reqwest::Client,
    app: &TestApp,
    order: i64,
    refund: i64,
    form: &[(&str, &str)],
) -> (u16, String) {
    let r = s
        .post(app.url(&format!("/staff/orders/{order}/refunds/{refund}/settle/")))
        .form(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn staff_mark_a_refund_with_a_lost_answer_failed_on_the_order_page_and_the_amount_comes_back() {
    let fake = FakeServer::start().await;
    let app = app_with_gateway(&fake).await;
    let s = staff(&app).await;
    let order = order_paid_at_gateway(&app).await;
    fake.push(Reply::status(500));
    let (st, err) = refund(&s, &app, order, json!({"amount": "40", "reason": "goodwill"})).await;
    assert_eq!(st, 409, "{err}");
    assert_eq!(summary(&s, &app, order).await["remaining"], "60.00");
    let pending = app.scalar_i64("SELECT max(id) FROM order_refunds").await;

    let html = page(&s, &app, order).await;
    assert!(html.contains("$40.00"), "{html}");
    assert!(html.contains("pending"), "{html}");
    assert!(html.contains("goodwill"), "{html}");
    assert!(html.contains("Mark failed (release the amount)"), "{html}");
    assert!(html.contains("Mark done"), "{html}");
    assert!(html.contains("name=\"transaction_id\""), "{html}");

    // Bad input: 400 naming the field, nothing changed.
    let audit = app.scalar_i64("SELECT count(*) FROM audit_log").await;
    for (form, field) in [
        (vec![("status", "maybe")], "status"),
        (vec![], "status"),
        (vec![("status", "done")], "transaction_id"),
        (
            vec![("status", "done"), ("transaction_id", "  ")],
            "transaction_id",
        ),
        (
            vec![("status", "done"), ("transaction_id", "has space")],
            "transaction_id",
        ),
    ] {
        let (st, body) = settle(&s, &app, order, pending, &form).await;
        assert_eq!(st, 400, "{form:?}");
        assert!(body.contains(field), "{form:?}: {body}");
    }
    let (st, _) = settle(&s, &app, order, 9999, &[("status", "failed")]).await;
    assert_eq!(st, 404);
    let (st, _) = settle(
        &crate::support::client(),
        &app,
        order,
        pending,
        &[("status", "failed")],
    )
    .await;
    assert_eq!(st, 401, "anonymous visitors cannot settle");
    assert_eq!(app.scalar_i64("SELECT count(*) FROM audit_log").await, audit);
    assert_eq!(summary(&s, &app, order).await["refunds"][0]["status"], "pending");

    let (st, _) = settle(&s, &app, order, pending, &[("status", "failed")]).await;
    assert_eq!(st, 303);
    let sum = summary(&s, &app, order).await;
    assert_eq!(sum["remaining"], "100.00", "{sum}");
    assert_eq!(sum["refunds"][0]["status"], "failed");
    assert_eq!(sum["state"], "fulfilled");
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM audit_log WHERE action = 'release_refund'")
            .await,
        1
    );
    let html = page(&s, &app, order).await;
    assert!(
        !html.contains("Mark failed"),
        "a settled refund has no buttons: {html}"
    );
    let (st, body) = settle(&s, &app, order, pending, &[("status", "failed")]).await;
    assert_eq!(st, 400, "only a pending refund can be settled");
    assert!(body.contains("status"), "{body}");
    app.shutdown().await;
}

#[tokio::test]
async fn staff_mark_a_refund_with_a_lost_answer_done_with_the_gateway_id_and_the_learner_is_mailed() {
    let fake = FakeServer::start().await;
    let app = app_with_gateway(&fake).await;
    let s = staff(&app).await;
    let order = order_paid_at_gateway(&app).await;
    fake.push(Reply::status(504).delay(Duration::from_millis(10)));
    let (st, _) = refund(&s, &app, order, json!({"amount": "25.50"})).await;
    assert_eq!(st, 409);
    let pending = app.scalar_i64("SELECT max(id) FROM order_refunds").await;
    let (st, _) = settle(
        &s,
        &app,
        order,
        pending,
        &[("status", "done"), ("transaction_id", "7100000000000000000042")],
    )
    .await;
    assert_eq!(st, 303);
    let sum = summary(&s, &app, order).await;
    assert_eq!(sum["remaining"], "74.50", "{sum}");
    assert_eq!(sum["refunds"][0]["status"], "done");
    assert_eq!(sum["refunds"][0]["transaction_id"], "7100000000000000000042");
    assert_eq!(
        app.scalar_i64(
            "SELECT count(*) FROM order_transactions WHERE transaction_type = 'refund' AND transaction_id = '7100000000000000000042'"
        )
        .await,
        1
    );
    let mail = crate::support::identity::last_mail(&app, "gateway@example.com").await;
    assert!(mail.contains("$25.50"), "{mail}");
    let html = page(&s, &app, order).await;
    assert!(html.contains("7100000000000000000042"), "{html}");
    assert_eq!(fake.count(), 1, "settling never asks the gateway for a refund");
    app.shutdown().await;
}

/// CyberSource's answers for an order whose payment `7000…01` has one refund `7100…77` of
/// 40.00: the search (the payment and the credit), the payment's details (linking the
/// credit) and the credit's details.
fn script_one_refund(fake: &FakeServer, amount: &str) {
    fake.push(Reply::json(
        201,
        json!({"_embedded": {"transactionSummaries": [
            {"id": "7100000000000000000077", "submitTimeUtc": "2026-11-27T10:01:00Z",
             "clientReferenceInformation": {"code": "mitxonline-test-1"},
             "applicationInformation": {"applications": [{"name": "ics_credit", "reasonCode": "100"}]}},
            {"id": "7000000000000000000001", "submitTimeUtc": "2026-11-27T09:00:00Z",
             "clientReferenceInformation": {"code": "mitxonline-test-1"},
             "applicationInformation": {"applications": [{"name": "ics_auth"}, {"name": "ics_bill"}]}}
        ]}}),
    ));
    fake.push(Reply::json(200, json!({"id": "7000000000000000000001",
        "applicationInformation": {"applications": [{"name": "ics_bill", "reasonCode": "100"}]},
        "_links": {"relatedTransactions": [
            {"href": "https://apitest.cybersource.com/tss/v2/transactions/7100000000000000000077", "method": "GET"}
        ]}})));
    fake.push(Reply::json(200, json!({"id": "7100000000000000000077", "rootId": "7000000000000000000001",
        "submitTimeUTC": "2026-11-27T10:01:00Z",
        "applicationInformation": {"applications": [{"name": "ics_credit", "reasonCode": "100", "rMessage": "Request was processed successfully."}]},
        "orderInformation": {"amountDetails": {"totalAmount": amount, "currency": "USD"}}})));
}

#[tokio::test]
async fn the_job_settles_a_lost_refund_from_cybersource_transaction_search_and_details() {
    let fake = FakeServer::start().await;
    let app = app_with_gateway(&fake).await;
    let s = staff(&app).await;
    let order = order_paid_at_gateway(&app).await;
    fake.push(Reply::status(502));
    let (st, _) = refund(&s, &app, order, json!({"amount": "40"})).await;
    assert_eq!(st, 409);

    let run = app.run_job("resolve-pending-refunds").await;
    assert_eq!(run.status, "succeeded");
    assert_eq!(
        run.detail, "no pending refunds to resolve",
        "too young to ask about"
    );
    assert_eq!(fake.count(), 1);

    app.advance(Duration::from_secs(16 * 60));
    script_one_refund(&fake, "40.00");
    let run = app.run_job("resolve-pending-refunds").await;
    assert_eq!(run.status, "succeeded", "{}", run.detail);
    assert!(
        run.detail
            .starts_with("settled 1 as done, 0 as failed; 0 still pending"),
        "{}",
        run.detail
    );
    let requests = fake.requests();
    let paths: Vec<(&str, &str)> = requests[1..]
        .iter()
        .map(|r| (r.method.as_str(), r.path.as_str()))
        .collect();
    assert_eq!(
        paths,
        [
            ("POST", "/tss/v2/searches"),
            ("GET", "/tss/v2/transactions/7000000000000000000001"),
            ("GET", "/tss/v2/transactions/7100000000000000000077"),
        ],
        "only searches and details: never a second refund"
    );
    assert_eq!(
        requests[1].json()["query"],
        "clientReferenceInformation.code:mitxonline-test-1"
    );
    assert!(
        requests[1]
            .header("signature")
            .unwrap()
            .contains("keyid=\"key-1\"")
    );
    let sum = summary(&s, &app, order).await;
    assert_eq!(sum["refunds"][0]["status"], "done", "{sum}");
    assert_eq!(sum["refunds"][0]["transaction_id"], "7100000000000000000077");
    assert_eq!(sum["remaining"], "60.00");
    let mail = crate::support::identity::last_mail(&app, "gateway@example.com").await;
    assert!(mail.contains("$40.00"), "{mail}");

    // Another lost refund of a different amount: CyberSource shows only the recorded one, so
    // the job cannot tell and leaves it pending; the gateway down is "cannot tell" too.
    fake.push(Reply::status(503));
    let (st, _) = refund(&s, &app, order, json!({"amount": "10"})).await;
    assert_eq!(st, 409);
    app.advance(Duration::from_secs(16 * 60));
    script_one_refund(&fake, "40.00");
    let run = app.run_job("resolve-pending-refunds").await;
    assert!(
        run.detail
            .starts_with("settled 0 as done, 0 as failed; 1 still pending"),
        "{}",
        run.detail
    );
    fake.push(Reply::status(503));
    let run = app.run_job("resolve-pending-refunds").await;
    assert!(run.detail.contains("1 still pending"), "{}", run.detail);
    assert!(run.detail.contains("unavailable"), "{}", run.detail);
    assert_eq!(summary(&s, &app, order).await["remaining"], "50.00");

    // A day later with still no such refund at CyberSource, it is released.
    app.advance(Duration::from_secs(25 * 3600));
    script_one_refund(&fake, "40.00");
    let run = app.run_job("resolve-pending-refunds").await;
    assert!(
        run.detail
            .starts_with("settled 0 as done, 1 as failed; 0 still pending"),
        "{}",
        run.detail
    );
    let sum = summary(&s, &app, order).await;
    assert_eq!(sum["remaining"], "60.00", "{sum}");
    assert_eq!(sum["refunds"][1]["status"], "failed");
    app.shutdown().await;
}

#[tokio::test]
async fn the_job_settles_a_refund_the_sandbox_made_but_whose_reply_it_lost() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["mail"]);
    let s = staff(&app).await;
    let (_, order, _, _) = paid_order(&app, "LOST", "90.00").await;
    let r = s
        .post(app.url("/sandbox/cybersource/faults/lose-next-refund-reply"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (st, err) = refund(&s, &app, order, json!({"amount": "30"})).await;
    assert_eq!(st, 409, "{err}");
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM cybersource_sandbox_refunds WHERE reply_lost = 1")
            .await,
        1,
        "the sandbox made the refund"
    );
    // The next refund is answered normally.
    let (st, _) = refund(&s, &app, order, json!({"amount": "20"})).await;
    assert_eq!(st, 201);
    assert_eq!(summary(&s, &app, order).await["remaining"], "40.00");

    app.advance(Duration::from_secs(20 * 60));
    let run = app.run_job("resolve-pending-refunds").await;
    assert_eq!(run.status, "succeeded", "{}", run.detail);
    assert!(run.detail.starts_with("settled 1 as done"), "{}", run.detail);
    let sum = summary(&s, &app, order).await;
    let lost_id: Value = app
        .state
        .db
        .read(|c| {
            Ok::<_, mitxonline::db::DbError>(Value::String(c.query_row(
                "SELECT refund_id FROM cybersource_sandbox_refunds WHERE reply_lost = 1",
                [],
                |r| r.get(0),
            )?))
        })
        .await
        .unwrap();
    assert_eq!(sum["refunds"][0]["status"], "done", "{sum}");
    assert_eq!(sum["refunds"][0]["transaction_id"], lost_id);
    assert_eq!(sum["remaining"], "40.00");
    assert_eq!(
        app.scalar_i64("SELECT refund_count FROM cybersource_sandbox_payments")
            .await,
        2,
        "never refunded twice"
    );
    let run = app.run_job("resolve-pending-refunds").await;
    assert_eq!(run.detail, "no pending refunds to resolve");
    app.shutdown().await;
}

#[tokio::test]
async fn a_credit_found_by_transaction_search_never_fulfils_a_pending_order() {
    use crate::support::commerce::{learner, order_state, run_product, started_checkout};
    let fake = FakeServer::start().await;
    let app = app_with_gateway(&fake).await;
    let (_, product) = run_product(&app, "CREDIT", "50.00").await;
    let (_, client) = learner(&app, "credit@example.com").await;
    let body = started_checkout(&app, &client, product).await;
    let order = body["order_id"].as_i64().unwrap();
    let reference = body["payload"]["reference_number"].as_str().unwrap().to_owned();
    app.advance(Duration::from_secs(16 * 60));
    fake.push(Reply::json(
        201,
        json!({"_embedded": {"transactionSummaries": [
            {"id": "7100000000000000000005", "clientReferenceInformation": {"code": reference}}
        ]}}),
    ));
    fake.push(Reply::json(
        200,
        json!({"id": "7100000000000000000005", "rootId": "7000000000000000000005",
        "clientReferenceInformation": {"code": reference},
        "applicationInformation": {"applications": [{"name": "ics_credit", "reasonCode": "100"}]},
        "orderInformation": {"amountDetails": {"totalAmount": "50.00", "currency": "USD"}}}),
    ));
    let run = app.run_job("resolve-pending-orders").await;
    assert_eq!(run.detail, "fulfilled 0, canceled 0", "{}", run.detail);
    assert_eq!(order_state(&app, order).await, "pending");
    app.shutdown().await;
}

#[tokio::test]
async fn a_lost_full_refund_asked_with_unenroll_unenrolls_when_the_job_settles_it() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx", "mail"]);
    let s = staff(&app).await;
    let (user, order, _, _) = paid_order(&app, "UNENR", "60.00").await;
    let armed = s
        .post(app.url("/sandbox/cybersource/faults/lose-next-refund-reply"))
        .send()
        .await
        .unwrap();
    assert_eq!(armed.status(), 200);
    let (st, _) = refund(
        &s,
        &app,
        order,
        json!({"unenroll": true, "reason": "wrong course"}),
    )
    .await;
    assert_eq!(st, 409);
    let active = "SELECT count(*) FROM course_run_enrollments WHERE user_id = ?1 AND active = 1";
    assert_eq!(crate::support::commerce::count(&app, active, user).await, 1);
    app.advance(Duration::from_secs(16 * 60));
    let run = app.run_job("resolve-pending-refunds").await;
    assert!(run.detail.starts_with("settled 1 as done"), "{}", run.detail);
    let sum = summary(&s, &app, order).await;
    assert_eq!(sum["state"], "refunded", "{sum}");
    assert_eq!(
        crate::support::commerce::count(&app, active, user).await,
        0,
        "the enrollment goes as the staff member asked"
    );
    app.shutdown().await;
}
