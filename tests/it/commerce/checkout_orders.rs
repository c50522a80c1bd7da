//! Orders around checkout: pending-order reuse by product version, the gates that refuse a
//! checkout, and a one-time code under 200 concurrent checkouts.

use serde_json::Value;

use crate::support::TestApp;
use crate::support::commerce::*;

#[tokio::test]
async fn a_pending_order_is_reused_for_the_same_product_version_and_not_after_a_price_change() {
    let app = TestApp::spawn().await;
    let (_, product) = run_product(&app, "REUSE", "100.00").await;
    let (_, client) = learner(&app, "reuse@example.com").await;
    let first = started_checkout(&app, &client, product).await["order_id"]
        .as_i64()
        .unwrap();
    let (_, again) = checkout(&app, &client).await;
    assert_eq!(again["order_id"].as_i64().unwrap(), first);
    let now = app.state.clock.now();
    app.state
        .db
        .write(move |c| {
            mitxonline::catalog::store::add_price_version(
                c,
                product,
                "120".parse().unwrap(),
                "New price",
                now,
            )
            .map_err(mitxonline::db::DbError::from)
        })
        .await
        .unwrap();
    let (_, third) = checkout(&app, &client).await;
    assert_ne!(third["order_id"].as_i64().unwrap(), first);
    assert_eq!(field(&third, "amount"), "120.00");
    // The first order's line still holds the price it was offered at.
    let (_, body) = app.get_json("/health/liveness/").await;
    let _ = body;
    assert_eq!(
        count(&app, "SELECT count(*) FROM order_lines l JOIN product_versions v ON v.id = l.product_version_id WHERE l.order_id = ?1 AND v.price = '100.00'", first).await,
        1
    );
}

#[tokio::test]
async fn checkout_refuses_an_empty_basket_and_a_run_already_paid_for() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx", "mail"]);
    let (_, product) = run_product(&app, "GATE", "10.00").await;
    let (_, client) = learner(&app, "gate@example.com").await;
    let (status, body) = checkout(&app, &client).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("basket-empty")));
    let body = started_checkout(&app, &client, product).await;
    let fields = signed_result(&app, &body["payload"], "ACCEPT", "7000000000000000099");
    assert_eq!(
        post_result(&app, "/api/checkout/result/", &fields).await.status(),
        200
    );
    basket_with(&app, &client, product).await;
    let (status, body) = checkout(&app, &client).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("enroll-duplicated")));
}

#[tokio::test]
async fn two_hundred_concurrent_checkouts_redeeming_a_one_time_code_redeem_it_exactly_once() {
    let app = TestApp::spawn().await;
    let (_, product) = run_product(&app, "RUSH", "100.00").await;
    discount(
        &app,
        serde_json::json!({"discount_code": "RUSH1", "amount": "50", "discount_type": "percent-off", "redemption_type": "one-time"}),
    )
    .await;
    let mut clients = Vec::new();
    for i in 0..200 {
        let (_, client) = learner(&app, &format!("rush{i}@example.com")).await;
        basket_with(&app, &client, product).await;
        let r = client
            .post(app.url("/api/checkout/redeem_discount/"))
            .json(&serde_json::json!({"discount": "RUSH1"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        clients.push(client);
    }
    let mut tasks = Vec::new();
    for client in clients {
        let url = app.url("/api/v0/baskets/checkout/");
        tasks.push(tokio::spawn(async move {
            let r = client.get(url).send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }));
    }
    let mut discounted = 0;
    let mut refused = 0;
    for t in tasks {
        let (status, body) = t.await.unwrap();
        match status {
            200 => {
                assert_eq!(field(&body, "amount"), "50.00");
                discounted += 1;
            }
            400 => {
                assert_eq!(body["error"], "discount-invalid");
                refused += 1;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!((discounted, refused), (1, 199));
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM discount_redemptions").await,
        1
    );
}
