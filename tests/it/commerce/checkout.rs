//! Checkout and the payment results: the signed payload, the back-office and browser returns
//! (signature, unknown order, replays, races), the order state machine and fulfilment.

use serde_json::Value;

use crate::support::TestApp;
use crate::support::commerce::*;

#[tokio::test]
async fn the_checkout_payload_is_signed_for_the_order_reference_and_the_discounted_price() {
    let app = TestApp::spawn().await;
    let (run, product) = run_product(&app, "PAY1", "100.00").await;
    let (_, client) = learner(&app, "payer@example.com").await;
    let body = started_checkout(&app, &client, product).await;
    let order = body["order_id"].as_i64().unwrap();
    assert_eq!(body["no_checkout"], false);
    assert_eq!(body["method"], "POST");
    assert!(
        body["url"]
            .as_str()
            .unwrap()
            .ends_with("/sandbox/cybersource/pay")
    );
    assert_eq!(
        field(&body, "reference_number"),
        format!("mitxonline-{}-{order}", app.state.config.environment)
    );
    assert_eq!(field(&body, "amount"), "100.00");
    assert_eq!(field(&body, "item_0_unit_price"), "100.00");
    assert_eq!(field(&body, "item_0_sku"), format!("29-{run}"));
    assert_eq!(field(&body, "transaction_type"), "sale");
    assert!(field(&body, "override_custom_receipt_page").ends_with("/checkout/result/"));
    let names = field(&body, "signed_field_names");
    assert!(names.split(',').any(|n| n == "signed_field_names"));
    assert_eq!(order_state(&app, order).await, "pending");
}

#[tokio::test]
async fn an_accepted_back_office_result_fulfils_once_with_a_verified_enrollment_a_paid_run_and_a_receipt() {
    let app = TestApp::spawn().await;
    let (run, product) = run_product(&app, "PAY2", "100.00").await;
    let (user, client) = learner(&app, "buyer@example.com").await;
    let body = started_checkout(&app, &client, product).await;
    let order = body["order_id"].as_i64().unwrap();
    let fields = signed_result(&app, &body["payload"], "ACCEPT", "7000000000000000001");
    let r = post_result(&app, "/api/checkout/result/", &fields).await;
    assert_eq!(r.status(), 200);
    assert_eq!(order_state(&app, order).await, "fulfilled");
    assert_eq!(
        count(&app, "SELECT count(*) FROM course_run_enrollments WHERE user_id = ?1 AND enrollment_mode = 'verified' AND active = 1", user).await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM paid_course_runs WHERE run_id = ?1",
            run
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM order_transactions WHERE order_id = ?1",
            order
        )
        .await,
        1
    );
    // The replay changes nothing and still answers 200.
    let again = post_result(&app, "/api/checkout/result/", &fields).await;
    assert_eq!(again.status(), 200);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM order_transactions WHERE order_id = ?1",
            order
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM order_transitions WHERE order_id = ?1",
            order
        )
        .await,
        2
    );
    let mail = crate::support::identity::last_mail(&app, "buyer@example.com").await;
    assert!(
        mail.contains(&format!("mitxonline-{}-{order}", app.state.config.environment)),
        "{mail}"
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM mail_sandbox WHERE to_address = 'buyer@example.com'")
            .await,
        1
    );
    // The basket that held what was bought is gone.
    let (status, _) = {
        let r = client.get(app.url("/api/checkout/cart/")).send().await.unwrap();
        (r.status().as_u16(), ())
    };
    assert_eq!(status, 406);
    // History and status show it.
    let h: Value = client
        .get(app.url("/api/orders/history/"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(h["results"][0]["id"], order);
    assert_eq!(h["results"][0]["total_price_paid"], "100.00");
    let one = client
        .get(app.url(&format!("/api/v0/orders/history/{order}/")))
        .send()
        .await
        .unwrap();
    assert_eq!(one.status(), 200);
    assert_eq!(one.json::<Value>().await.unwrap(), h["results"][0]);
    let (_, stranger) = learner(&app, "history-stranger@example.com").await;
    for path in [
        format!("/api/v0/orders/history/{order}/"),
        "/api/v0/orders/history/nope/".into(),
    ] {
        let r = stranger.get(app.url(&path)).send().await.unwrap();
        assert_eq!(r.status(), 404, "{path}");
        assert_eq!(
            r.json::<Value>().await.unwrap()["detail"],
            "No Order matches the given query."
        );
    }
    let s: Value = client
        .get(app.url(&format!("/api/v0/orders/status/{order}/")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(s["state"], "fulfilled");
    let receipt: Value = client
        .get(app.url(&format!("/api/orders/receipt/{order}/")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(receipt["transactions"]["card_type"], "Visa");
    assert_eq!(receipt["lines"][0]["total_paid"], "100.00");
}

#[tokio::test]
async fn tampered_unsigned_and_unknown_results_change_nothing_and_answer_401_403_or_404() {
    let app = TestApp::spawn().await;
    let (_, product) = run_product(&app, "PAY3", "100.00").await;
    let (_, client) = learner(&app, "tamper@example.com").await;
    let body = started_checkout(&app, &client, product).await;
    let order = body["order_id"].as_i64().unwrap();
    let good = signed_result(&app, &body["payload"], "ACCEPT", "7000000000000000002");

    let mut tampered = good.clone();
    for (k, v) in tampered.iter_mut() {
        if k == "req_amount" {
            *v = "1.00".into();
        }
    }
    assert_eq!(
        post_result(&app, "/api/checkout/result/", &tampered)
            .await
            .status(),
        401
    );
    assert_eq!(
        post_result(&app, "/checkout/result/", &tampered).await.status(),
        403
    );

    let unsigned: Vec<_> = good.iter().filter(|(k, _)| k != "signature").cloned().collect();
    assert_eq!(
        post_result(&app, "/api/checkout/result/", &unsigned)
            .await
            .status(),
        401
    );
    assert_eq!(
        post_result(&app, "/checkout/result/", &unsigned).await.status(),
        403
    );

    let not_a_form = reqwest::Client::new()
        .post(app.url("/api/checkout/result/"))
        .json(&serde_json::json!({"decision": "ACCEPT"}))
        .send()
        .await
        .unwrap();
    assert_eq!(not_a_form.status(), 401);

    let mut other = body["payload"].clone();
    other["reference_number"] = Value::String(format!("mitxonline-{}-999999", app.state.config.environment));
    let unknown = signed_result(&app, &other, "ACCEPT", "7000000000000000003");
    assert_eq!(
        post_result(&app, "/api/checkout/result/", &unknown)
            .await
            .status(),
        404
    );
    assert_eq!(
        post_result(&app, "/checkout/result/", &unknown).await.status(),
        404
    );

    assert_eq!(order_state(&app, order).await, "pending");
    assert_eq!(app.scalar_i64("SELECT count(*) FROM order_transactions").await, 0);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM course_run_enrollments")
            .await,
        0
    );
}

#[tokio::test]
async fn a_result_for_an_order_already_fulfilled_changes_nothing() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx", "mail"]);
    let (_, product) = run_product(&app, "PAY4", "50.00").await;
    let (_, client) = learner(&app, "late@example.com").await;
    let body = started_checkout(&app, &client, product).await;
    let order = body["order_id"].as_i64().unwrap();
    let accept = signed_result(&app, &body["payload"], "ACCEPT", "7000000000000000004");
    assert_eq!(
        post_result(&app, "/api/checkout/result/", &accept).await.status(),
        200
    );
    for decision in ["DECLINE", "CANCEL", "ERROR", "REVIEW"] {
        let late = signed_result(&app, &body["payload"], decision, "7000000000000000005");
        assert_eq!(
            post_result(&app, "/api/checkout/result/", &late).await.status(),
            200
        );
        let browser = post_result(&app, "/checkout/result/", &late).await;
        assert_eq!(browser.status(), 303);
        assert!(
            browser.headers()["location"]
                .to_str()
                .unwrap()
                .contains("/dashboard/")
        );
    }
    assert_eq!(order_state(&app, order).await, "fulfilled");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM order_transitions WHERE order_id = ?1",
            order
        )
        .await,
        2
    );
}

#[tokio::test]
async fn the_browser_return_racing_the_back_office_post_fulfils_once_with_one_enrollment_and_one_mail() {
    let app = TestApp::spawn().await;
    let (_, product) = run_product(&app, "RACE", "75.00").await;
    for round in 0..5 {
        let email = format!("race{round}@example.com");
        let (user, client) = learner(&app, &email).await;
        let body = started_checkout(&app, &client, product).await;
        let order = body["order_id"].as_i64().unwrap();
        let fields = signed_result(
            &app,
            &body["payload"],
            "ACCEPT",
            &format!("70000000000000001{round}"),
        );
        let (a, b) = tokio::join!(
            post_result(&app, "/api/checkout/result/", &fields),
            post_result(&app, "/checkout/result/", &fields)
        );
        assert_eq!(a.status(), 200);
        assert_eq!(b.status(), 303);
        assert_eq!(order_state(&app, order).await, "fulfilled");
        assert_eq!(
            count(
                &app,
                "SELECT count(*) FROM order_transactions WHERE order_id = ?1",
                order
            )
            .await,
            1
        );
        assert_eq!(
            count(
                &app,
                "SELECT count(*) FROM course_run_enrollments WHERE user_id = ?1",
                user
            )
            .await,
            1
        );
        assert_eq!(
            count(
                &app,
                "SELECT count(*) FROM paid_course_runs WHERE user_id = ?1",
                user
            )
            .await,
            1
        );
        let _ = crate::support::identity::last_mail(&app, &email).await;
        let mails = app
            .state
            .db
            .read(move |c| {
                c.query_row(
                    "SELECT count(*) FROM mail_sandbox WHERE to_address = ?1",
                    [email],
                    |r| r.get::<_, i64>(0),
                )
                .map_err(mitxonline::db::DbError::from)
            })
            .await
            .unwrap();
        assert_eq!(mails, 1);
    }
}

#[tokio::test]
async fn decline_frees_the_code_review_and_cancel_cancel_and_error_errors() {
    let app = TestApp::spawn().await;
    let (_, product) = run_product(&app, "FSM", "100.00").await;
    discount(
        &app,
        serde_json::json!({"discount_code": "ONCE", "amount": "10", "discount_type": "percent-off", "redemption_type": "one-time"}),
    )
    .await;
    for (i, (decision, state)) in [
        ("DECLINE", "declined"),
        ("REVIEW", "canceled"),
        ("CANCEL", "canceled"),
        ("ERROR", "errored"),
    ]
    .iter()
    .enumerate()
    {
        let (_, client) = learner(&app, &format!("fsm{i}@example.com")).await;
        basket_with(&app, &client, product).await;
        let r = client
            .post(app.url("/api/checkout/redeem_discount/"))
            .json(&serde_json::json!({"discount": "ONCE"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{decision}: the code is free again");
        let (status, body) = checkout(&app, &client).await;
        assert_eq!(status, 200);
        assert_eq!(field(&body, "amount"), "90.00");
        let order = body["order_id"].as_i64().unwrap();
        let res = signed_result(&app, &body["payload"], decision, "");
        assert_eq!(
            post_result(&app, "/api/checkout/result/", &res).await.status(),
            200
        );
        assert_eq!(order_state(&app, order).await, *state);
        assert_eq!(
            count(
                &app,
                "SELECT count(*) FROM course_run_enrollments WHERE run_id > 0 AND ?1 > 0",
                1
            )
            .await,
            0
        );
    }
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM discount_redemptions r JOIN orders o ON o.id = r.order_id WHERE o.state = 'declined'")
            .await,
        0
    );
}

#[tokio::test]
async fn a_zero_value_order_is_fulfilled_at_once_without_the_gateway() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx", "mail"]);
    let (_, product) = run_product(&app, "FREE", "100.00").await;
    discount(
        &app,
        serde_json::json!({"discount_code": "ALL", "amount": "100", "discount_type": "percent-off"}),
    )
    .await;
    let (user, client) = learner(&app, "free@example.com").await;
    basket_with(&app, &client, product).await;
    let r = client
        .post(app.url("/api/checkout/redeem_discount/"))
        .json(&serde_json::json!({"discount": "ALL"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (status, body) = checkout(&app, &client).await;
    assert_eq!(status, 200);
    assert_eq!(body["no_checkout"], true);
    let order = body["order_id"].as_i64().unwrap();
    assert_eq!(order_state(&app, order).await, "fulfilled");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM course_run_enrollments WHERE user_id = ?1 AND enrollment_mode = 'verified'",
            user
        )
        .await,
        1
    );
}
