//! Issue 11, item 3: an order was fulfilled for less than its price. A pending order is reused
//! and re-priced under the same reference, and results were applied without comparing what was
//! signed with what was issued. Now a result fulfils only when its `req_amount`,
//! `req_currency`, `req_reference_number` and `req_transaction_uuid` match the last checkout
//! form issued for the order; anything else holds the order for review, visible to staff.

use serde_json::{Value, json};

use crate::support::TestApp;
use crate::support::commerce::{
    basket_with, checkout, count, discount, field, learner, order_state, pay_on_sandbox, post_result,
    run_product, signed_result,
};
use mitxonline::users::api_keys::Scope;

const PATHS: [&str; 2] = ["/checkout/result/", "/api/checkout/result/"];

/// The reported exploit up to the replay: a one-time 90 % code, the signed form kept, the code
/// removed, checkout again. Returns `(user, client, order, kept payload, current payload)`.
async fn discounted_then_repriced(app: &TestApp, tag: &str) -> (i64, reqwest::Client, i64, Value, Value) {
    let (_, product) = run_product(app, tag, "100.00").await;
    let code = format!("{tag}-90");
    discount(
        app,
        json!({"discount_code": code, "amount": "90", "discount_type": "percent-off", "redemption_type": "one-time"}),
    )
    .await;
    let (user, client) = learner(app, &format!("{}@example.com", tag.to_lowercase())).await;
    basket_with(app, &client, product).await;
    let r = client
        .post(app.url("/api/checkout/redeem_discount/"))
        .json(&json!({"discount": code}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (status, kept) = checkout(app, &client).await;
    assert_eq!(status, 200, "{kept}");
    assert_eq!(field(&kept, "amount"), "10.00");
    let r = client
        .delete(app.url("/api/v0/baskets/clear/"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    basket_with(app, &client, product).await;
    let (status, current) = checkout(app, &client).await;
    assert_eq!(status, 200, "{current}");
    assert_eq!(field(&current, "amount"), "100.00");
    let order = kept["order_id"].as_i64().unwrap();
    assert_eq!(
        current["order_id"].as_i64(),
        Some(order),
        "the pending order is reused"
    );
    assert_eq!(
        field(&current, "reference_number"),
        field(&kept, "reference_number")
    );
    assert_ne!(
        field(&current, "transaction_uuid"),
        field(&kept, "transaction_uuid"),
        "re-pricing issues a new transaction uuid"
    );
    (
        user,
        client,
        order,
        kept["payload"].clone(),
        current["payload"].clone(),
    )
}

async fn verified_enrollments(app: &TestApp, user: i64) -> i64 {
    count(
        app,
        "SELECT count(*) FROM course_run_enrollments WHERE user_id = ?1 AND enrollment_mode = 'verified'",
        user,
    )
    .await
}

/// Staff see the order held for review on the order list and on the order page.
async fn assert_staff_alerted(app: &TestApp, order: i64, reference: &str) {
    let key = app.api_key(Scope::Staff).await;
    let staff = reqwest::Client::new();
    for path in ["/staff/orders/".to_owned(), format!("/staff/orders/{order}/")] {
        let page = staff
            .get(app.url(&path))
            .header("Authorization", format!("Api-Key {key}"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("held for review"), "{path}: {page}");
        assert!(page.contains(reference), "{path}: {page}");
    }
}

/// Posts a result the way the gateway would, then checks nothing was fulfilled.
async fn assert_held_for_review(
    app: &TestApp,
    path: &str,
    result: &[(String, String)],
    (user, client, order): (i64, &reqwest::Client, i64),
    reference: &str,
) {
    let r = post_result(app, path, result).await;
    if path.starts_with("/api/") {
        assert_eq!(r.status(), 200, "the back office acknowledges what it received");
    } else {
        assert_eq!(r.status(), 303);
        let to = r.headers()["location"].to_str().unwrap().to_owned();
        assert!(to.contains("payment=review"), "{to}");
        let page = client
            .get(app.url(&to))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("payment is under review"), "{page}");
    }
    assert_eq!(order_state(app, order).await, "review", "{path}");
    assert_eq!(
        verified_enrollments(app, user).await,
        0,
        "{path}: nothing was enrolled"
    );
    assert_eq!(
        count(
            app,
            "SELECT count(*) FROM discount_redemptions WHERE order_id = ?1",
            order
        )
        .await,
        0,
        "{path}: no code was redeemed by this order"
    );
    assert_eq!(
        count(
            app,
            "SELECT count(*) FROM order_transactions WHERE order_id = ?1",
            order
        )
        .await,
        0,
        "{path}: no payment was recorded"
    );
    let status: Value = client
        .get(app.url(&format!("/api/v0/orders/status/{order}/")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["state"], "review", "{status}");
    assert_staff_alerted(app, order, reference).await;
    // The same result again changes nothing; the order stays held.
    post_result(app, path, result).await;
    assert_eq!(order_state(app, order).await, "review");
}

#[tokio::test]
async fn a_signed_form_kept_from_a_discounted_checkout_cannot_pay_the_repriced_order() {
    let app = TestApp::spawn().await;
    for (i, path) in PATHS.iter().enumerate() {
        let (user, client, order, kept, _current) = discounted_then_repriced(&app, &format!("KEPT{i}")).await;
        let reference = kept["reference_number"].as_str().unwrap().to_owned();
        let paid_ten_percent = signed_result(&app, &kept, "ACCEPT", &format!("70000000000000000000{i}"));
        assert_held_for_review(&app, path, &paid_ten_percent, (user, &client, order), &reference).await;
        let code: &'static str = if i == 0 { "KEPT0-90" } else { "KEPT1-90" };
        let r = client
            .post(app.url("/api/checkout/redeem_discount/"))
            .json(&json!({"discount": code}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "the code was never spent on this order");
    }
    app.shutdown().await;
}

#[tokio::test]
async fn a_correctly_signed_accept_for_one_cent_does_not_fulfil_the_order() {
    let app = TestApp::spawn().await;
    for (i, path) in PATHS.iter().enumerate() {
        let (_, product) = run_product(&app, &format!("CENT{i}"), "100.00").await;
        let (user, client) = learner(&app, &format!("cent{i}@example.com")).await;
        basket_with(&app, &client, product).await;
        let (_, body) = checkout(&app, &client).await;
        let order = body["order_id"].as_i64().unwrap();
        let mut payload = body["payload"].clone();
        payload["amount"] = json!("0.01");
        let reference = field(&body, "reference_number");
        let one_cent = signed_result(&app, &payload, "ACCEPT", &format!("70000000000000000001{i}"));
        assert_held_for_review(&app, path, &one_cent, (user, &client, order), &reference).await;
    }
    // Nor another currency, nor another order's reference, nor a made-up transaction uuid.
    for (i, (k, v)) in [
        ("currency", "JPY"),
        ("transaction_uuid", "00000000000000000000000000000000"),
    ]
    .iter()
    .enumerate()
    {
        let (_, product) = run_product(&app, &format!("ODD{i}"), "100.00").await;
        let (user, client) = learner(&app, &format!("odd{i}@example.com")).await;
        basket_with(&app, &client, product).await;
        let (_, body) = checkout(&app, &client).await;
        let order = body["order_id"].as_i64().unwrap();
        let mut payload = body["payload"].clone();
        payload[*k] = json!(v);
        let result = signed_result(&app, &payload, "ACCEPT", &format!("70000000000000000002{i}"));
        assert_eq!(
            post_result(&app, "/api/checkout/result/", &result).await.status(),
            200
        );
        assert_eq!(order_state(&app, order).await, "review", "{k}");
        assert_eq!(verified_enrollments(&app, user).await, 0, "{k}");
    }
    app.shutdown().await;
}

#[tokio::test]
async fn the_last_issued_form_still_pays_the_repriced_order_in_full() {
    let app = TestApp::spawn().await;
    // Fulfilment pushes the enrollment to edX and mails the receipt; not drained.
    app.expect_undrained(&["openedx", "mail"]);
    let (user, _client, order, _kept, current) = discounted_then_repriced(&app, "HONEST").await;
    let paid = signed_result(&app, &current, "ACCEPT", "7000000000000000000099");
    assert_eq!(
        post_result(&app, "/api/checkout/result/", &paid).await.status(),
        200
    );
    assert_eq!(order_state(&app, order).await, "fulfilled");
    assert_eq!(verified_enrollments(&app, user).await, 1);
    app.shutdown().await;
}

#[tokio::test]
async fn a_payment_transaction_search_reports_for_less_than_was_issued_is_held_for_review_not_fulfilled() {
    let app = TestApp::spawn().await;
    let (user, client, order, kept, _current) = discounted_then_repriced(&app, "SEARCH").await;
    // The kept 10 % form is paid on the (sandbox) gateway; neither result reaches us.
    let checkout_json =
        json!({ "url": app.state.config.absolute_url("/sandbox/cybersource/pay"), "payload": kept });
    pay_on_sandbox(
        &app,
        &checkout_json,
        &[("decision", "accept"), ("lose_backoffice", "on")],
    )
    .await;
    app.drain_outbox().await;
    assert_eq!(order_state(&app, order).await, "pending");
    app.advance(std::time::Duration::from_secs(16 * 60));
    let outcome = app.run_job("resolve-pending-orders").await;
    assert!(
        format!("{outcome:?}").contains("1 held for review"),
        "{outcome:?}"
    );
    assert_eq!(order_state(&app, order).await, "review");
    assert_eq!(verified_enrollments(&app, user).await, 0);
    let reference = kept["reference_number"].as_str().unwrap().to_owned();
    assert_staff_alerted(&app, order, &reference).await;
    drop(client);
    app.shutdown().await;
}
