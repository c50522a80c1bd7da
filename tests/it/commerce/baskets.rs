//! Baskets, discounts, products, refunds and the pending-order resolution job, driven over HTTP
//! (and through the built-in sandbox CyberSource where money moves).

use serde_json::{Value, json};

use crate::support::TestApp;
use crate::support::commerce::*;
use mitxonline::users::api_keys::Scope;

#[tokio::test]
async fn a_sandbox_payment_fulfils_and_a_staff_refund_downgrades_and_mails_the_learner() {
    let app = TestApp::spawn().await;
    let (run, product) = run_product(&app, "SBX", "150.00").await;
    let (user, client) = learner(&app, "sandbox@example.com").await;
    let body = started_checkout(&app, &client, product).await;
    let order = body["order_id"].as_i64().unwrap();
    let result = pay_on_sandbox(&app, &body, &[("decision", "accept")]).await;
    app.drain_outbox().await; // the sandbox's back-office post
    assert_eq!(order_state(&app, order).await, "fulfilled");
    let browser = post_result(&app, "/checkout/result/", &result).await;
    assert_eq!(browser.status(), 303);
    assert!(
        browser.headers()["location"]
            .to_str()
            .unwrap()
            .ends_with("/dashboard/?payment=accepted")
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

    // The learner asks for a refund; staff refund it, keeping the enrollment as audit.
    let r = client
        .post(app.url("/api/v0/orders/refund-requests/"))
        .json(&json!({"order": order, "refund_reason": "financial_reasons", "consent_given": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let key = app.api_key(Scope::Staff).await;
    let staff = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = staff
        .get(app.url("/staff/refunds/"))
        .header("Authorization", format!("Api-Key {key}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!("mitxonline-{}-{order}", app.state.config.environment)),
        "{page}"
    );
    let request_id = app.scalar_i64("SELECT max(id) FROM refund_requests").await;
    let done = staff
        .post(app.url(&format!("/staff/refunds/{request_id}/")))
        .header("Authorization", format!("Api-Key {key}"))
        .form(&[
            ("action", "refund"),
            ("order", &order.to_string()),
            ("after", "downgrade"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 303, "{}", done.text().await.unwrap());
    assert_eq!(order_state(&app, order).await, "refunded");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM order_transactions WHERE order_id = ?1 AND transaction_type = 'refund'",
            order
        )
        .await,
        1
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM course_run_enrollments WHERE user_id = ?1 AND enrollment_mode = 'audit' AND active = 1", user).await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM paid_course_runs WHERE run_id = ?1",
            run
        )
        .await,
        0
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM refund_requests WHERE status = 'approved'")
            .await,
        1
    );
    let mail = crate::support::identity::last_mail(&app, "sandbox@example.com").await;
    assert!(mail.contains("refunded"), "{mail}");

    // A second refund of the same order is refused and records nothing.
    let again = mitxonline::commerce::refunds::gateway::refund_order(
        &app.state,
        order,
        "again".into(),
        mitxonline::commerce::refunds::model::AfterRefund::Unenroll,
    )
    .await;
    assert!(again.is_err());
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM order_transactions WHERE order_id = ?1 AND transaction_type = 'refund'",
            order
        )
        .await,
        1
    );
}

#[tokio::test]
async fn a_lost_callback_is_recovered_by_the_scheduled_resolution_job() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx", "mail"]);
    let (_, product) = run_product(&app, "LOST", "80.00").await;
    let (user, client) = learner(&app, "lost@example.com").await;
    let body = started_checkout(&app, &client, product).await;
    let order = body["order_id"].as_i64().unwrap();
    pay_on_sandbox(&app, &body, &[("decision", "accept"), ("lose_backoffice", "on")]).await;
    app.drain_outbox().await;
    assert_eq!(
        order_state(&app, order).await,
        "pending",
        "neither result arrived"
    );
    app.advance(std::time::Duration::from_secs(16 * 60));
    let outcome = app.run_job("resolve-pending-orders").await;
    assert!(format!("{outcome:?}").contains("fulfilled 1"), "{outcome:?}");
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
    // Running again changes nothing.
    app.run_job("resolve-pending-orders").await;
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM order_transactions WHERE order_id = ?1",
            order
        )
        .await,
        1
    );
}

#[tokio::test]
async fn an_anonymous_basket_is_kept_in_a_cookie_and_claimed_by_the_user_who_signs_in() {
    let app = TestApp::spawn().await;
    let (_, product) = run_product(&app, "ANON", "40.00").await;
    let anon = reqwest::Client::new();
    let r = anon
        .post(app.url("/api/checkout/add_to_cart/"))
        .json(&json!({"product_id": product}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("anonymous_basket_id="));
    let cart: Value = anon
        .get(app.url("/api/checkout/cart/"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cart["user"], Value::Null);
    assert_eq!(cart["total_price"], "40.00");
    assert_eq!(cart["basket_items"][0]["product"]["id"], product);
    let n: Value = anon
        .get(app.url("/api/checkout/basket_items_count/"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(n, 1);
    let (user, client) = learner(&app, "claimer@example.com").await;
    let r = client
        .get(app.url("/api/checkout/cart/"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    let cart: Value = r.json().await.unwrap();
    assert_eq!(cart["user"], user);
    assert_eq!(app.scalar_i64("SELECT count(*) FROM baskets").await, 1);
}

#[tokio::test]
async fn discount_math_takes_the_lowest_price_without_stacking_and_bad_codes_name_the_reason() {
    let app = TestApp::spawn().await;
    let (_, product) = run_product(&app, "MATH", "99.99").await;
    discount(
        &app,
        json!({"discount_code": "THIRD", "amount": "33.333", "discount_type": "percent-off"}),
    )
    .await;
    discount(
        &app,
        json!({"discount_code": "FIXED", "amount": "70", "discount_type": "fixed-price"}),
    )
    .await;
    let soon = mitxonline::clock::to_db(app.state.clock.now() + chrono::Duration::hours(1));
    discount(&app, json!({"discount_code": "OLD", "amount": "10", "discount_type": "dollars-off", "expiration_date": soon})).await;
    let (_, client) = learner(&app, "math@example.com").await;
    let redeem = |code: &'static str| {
        let client = client.clone();
        let url = app.url("/api/checkout/redeem_discount/");
        async move {
            let r = client
                .post(url)
                .json(&json!({ "discount": code }))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    assert_eq!(redeem("THIRD").await.0, 406, "no basket yet");
    basket_with(&app, &client, product).await;
    assert_eq!(redeem("THIRD").await.0, 200);
    let cart: Value = client
        .get(app.url("/api/checkout/cart/"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // 99.99 − 99.99 × 0.33333 = 66.6600333 → 66.66
    assert_eq!(cart["discounted_price"], "66.66");
    assert_eq!(
        redeem("FIXED").await.0,
        200,
        "one discount per basket: the new code replaces the old"
    );
    let cart: Value = client
        .get(app.url("/api/checkout/cart/"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cart["discounted_price"], "70.00");
    assert_eq!(cart["discounts"].as_array().unwrap().len(), 1);
    let (status, body) = redeem("NOPE").await;
    assert_eq!(status, 404);
    assert!(body["message"].as_str().unwrap().contains("NOPE"));
    app.advance(std::time::Duration::from_secs(2 * 3600));
    let (status, body) = redeem("OLD").await;
    assert_eq!(status, 404);
    assert!(body["message"].as_str().unwrap().contains("expired"), "{body}");
}

#[tokio::test]
async fn v0_add_discount_applies_the_code_and_answers_the_basket() {
    let app = TestApp::spawn().await;
    let (_, product) = run_product(&app, "ADDD", "80.00").await;
    discount(
        &app,
        json!({"discount_code": "QUARTER", "amount": "25", "discount_type": "percent-off"}),
    )
    .await;
    let (_, client) = learner(&app, "add-discount@example.com").await;
    let add = |query: &'static str| {
        let client = client.clone();
        let url = app.url(&format!("/api/v0/baskets/add_discount/{query}"));
        async move {
            let r = client.post(url).send().await.unwrap();
            (
                r.status().as_u16(),
                r.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    assert_eq!(add("?discount_code=QUARTER").await.0, 406, "no basket yet");
    basket_with(&app, &client, product).await;
    let (status, body) = add("").await;
    assert_eq!(status, 400);
    assert!(body["discount_code"].is_array(), "{body}");
    let (status, body) = add("?discount_code=NOPE").await;
    assert_eq!(status, 404);
    assert!(body["message"].as_str().unwrap().contains("NOPE"), "{body}");
    let (status, basket) = add("?discount_code=QUARTER").await;
    assert_eq!(status, 200, "{basket}");
    assert_eq!(basket["discounted_price"], "60.00");
    assert_eq!(basket["discounts"][0]["discount_code"], "QUARTER", "{basket}");
    assert_eq!(basket["basket_items"][0]["product"]["id"], product);
    let anonymous = app
        .client
        .post(app.url("/api/v0/baskets/add_discount/?discount_code=QUARTER"))
        .send()
        .await
        .unwrap();
    assert!(
        matches!(anonymous.status().as_u16(), 401 | 403),
        "{}",
        anonymous.status()
    );
}

#[tokio::test]
async fn bad_discount_and_basket_input_is_a_clear_client_error_that_changes_nothing() {
    let app = TestApp::spawn().await;
    let key = app.api_key(Scope::Staff).await;
    let staff = reqwest::Client::new();
    let post = |path: &'static str, body: Value| {
        staff
            .post(app.url(path))
            .header("Authorization", format!("Api-Key {key}"))
            .json(&body)
            .send()
    };
    let r = post(
        "/api/v0/discounts/",
        json!({"discount_code": "X", "amount": "150", "discount_type": "percent-off"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.json::<Value>().await.unwrap()["amount"].is_array());
    let r = post(
        "/api/v0/discounts/",
        json!({"discount_code": "X", "amount": "5", "discount_type": "half-off"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.json::<Value>().await.unwrap()["discount_type"].is_array());
    let r = post(
        "/api/v0/discounts/",
        json!({"discount_code": "X", "amount": "abc", "discount_type": "dollars-off"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 400);
    let r = post(
        "/api/discounts/create_batch/",
        json!({"count": 2, "amount": "5", "discount_type": "dollars-off"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.json::<Value>().await.unwrap()["prefix"].is_array());
    assert_eq!(app.scalar_i64("SELECT count(*) FROM discounts").await, 0);
    let r = post(
        "/api/discounts/create_batch/",
        json!({"count": 3, "prefix": "SPRING-", "amount": "5", "discount_type": "dollars-off", "one_time": true}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 201);
    let codes: Value = r.json().await.unwrap();
    assert_eq!(codes.as_array().unwrap().len(), 3);
    assert!(codes[0]["discount_code"].as_str().unwrap().starts_with("SPRING-"));
    assert_eq!(codes[0]["redemption_type"], "one-time");
    assert_eq!(codes[0]["is_bulk"], true);
    // The contract's v0 path is the same operation.
    let r = post(
        "/api/v0/discounts/create_batch/",
        json!({"count": 2, "prefix": "FALL-", "amount": "5", "discount_type": "dollars-off"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM discounts WHERE discount_code LIKE 'FALL-%'")
            .await,
        2
    );

    // Learners cannot reach staff endpoints.
    let (_, client) = learner(&app, "notstaff@example.com").await;
    let r = client.get(app.url("/api/v0/discounts/")).send().await.unwrap();
    assert_eq!(r.status(), 403);

    let r = client
        .post(app.url("/api/checkout/add_to_cart/"))
        .json(&json!({"product_id": 424242}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = client
        .post(app.url("/api/checkout/add_to_cart/"))
        .json(&json!({"product_id": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = client
        .post(app.url("/api/v0/baskets/create_from_product/abc/"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = app.get("/cart/add/?product_id=zz").await;
    assert_eq!(r.status(), 400);
    assert_eq!(app.scalar_i64("SELECT count(*) FROM basket_items").await, 0);
    let r = client
        .post(app.url("/api/v0/orders/refund-requests/"))
        .json(&json!({"order": 1, "refund_reason": "bored", "consent_given": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let (status, body) = {
        let r = client
            .get(app.url("/api/v0/orders/status/77/"))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json::<Value>().await.unwrap())
    };
    assert_eq!((status, body), (404, json!({"state": "Not found."})));
}

#[tokio::test]
async fn refund_requests_need_consent_and_the_learners_own_fulfilled_order() {
    let app = TestApp::spawn().await;
    let (_, product) = run_product(&app, "RR", "20.00").await;
    let (_, client) = learner(&app, "rr@example.com").await;
    let (_, other) = learner(&app, "other@example.com").await;
    let body = started_checkout(&app, &client, product).await;
    let order = body["order_id"].as_i64().unwrap();
    let ask = |c: &reqwest::Client, consent: bool| {
        c.post(app.url("/api/v0/orders/refund-requests/"))
            .json(&json!({"order": order, "refund_reason": "other", "refund_reason_text": "changed plans", "consent_given": consent}))
            .send()
    };
    assert_eq!(ask(&client, true).await.unwrap().status(), 400, "still pending");
    let fields = signed_result(&app, &body["payload"], "ACCEPT", "7000000000000000777");
    assert_eq!(
        post_result(&app, "/api/checkout/result/", &fields).await.status(),
        200
    );
    assert_eq!(ask(&client, false).await.unwrap().status(), 400);
    assert_eq!(ask(&other, true).await.unwrap().status(), 400);
    assert_eq!(app.scalar_i64("SELECT count(*) FROM refund_requests").await, 0);
    assert_eq!(ask(&client, true).await.unwrap().status(), 201);
    let mail =
        crate::support::identity::last_mail(&app, mitxonline::commerce::refunds::model::SUPPORT_EMAIL).await;
    assert!(mail.contains("rr@example.com"), "{mail}");
}

#[tokio::test]
async fn products_and_cart_links_use_the_originals_shapes() {
    let app = TestApp::spawn().await;
    let (run, product) = run_product(&app, "SHAPE", "12.5").await;
    let (_, client) = learner(&app, "shape@example.com").await;
    let list: Value = client
        .get(app.url("/api/v0/products/"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["count"], 1);
    let p = &list["results"][0];
    assert_eq!(p["id"], product);
    assert_eq!(p["price"], "12.50");
    assert_eq!(p["purchasable_object"]["id"], run);
    assert_eq!(
        p["purchasable_object"]["courseware_id"],
        "course-v1:MITxT+SHAPE+1T2026"
    );
    let r = app.get(&format!("/cart/add/?course_run_id={run}")).await;
    assert_eq!(r.status(), 302);
    assert!(r.headers()["location"].to_str().unwrap().ends_with("/cart/"));
    let basket = basket_with(&app, &client, product).await;
    assert_eq!(basket["basket_items"][0]["discounted_price"], "12.50");
    let r = client
        .delete(app.url("/api/v0/baskets/clear/"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let n: Value = client
        .get(app.url("/api/checkout/basket_items_count/"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(n, 0);
}

#[tokio::test]
async fn anonymous_baskets_idle_for_two_weeks_are_culled_and_user_baskets_are_kept() {
    let app = TestApp::spawn().await;
    let (_, product) = run_product(&app, "CULL", "10.00").await;
    let r = reqwest::Client::new()
        .post(app.url("/api/checkout/add_to_cart/"))
        .json(&json!({"product_id": product}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (_, client) = learner(&app, "keeper@example.com").await;
    basket_with(&app, &client, product).await;
    app.advance(std::time::Duration::from_secs(13 * 86400));
    app.run_job("cull-anonymous-baskets").await;
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM baskets").await,
        2,
        "not idle long enough"
    );
    app.advance(std::time::Duration::from_secs(2 * 86400));
    app.run_job("cull-anonymous-baskets").await;
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM baskets WHERE anonymous_id IS NOT NULL")
            .await,
        0
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM baskets WHERE user_id IS NOT NULL")
            .await,
        1
    );
}
