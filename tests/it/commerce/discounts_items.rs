//! One item of each nested discount resource (the contract's retrieve/update operations), a
//! discount's full update and removal, and a redemption read and removed so a one-time code can
//! be used again.

use serde_json::json;

use super::discounts_nested::a_discount;
use crate::support::TestApp;
use crate::support::commerce::*;

#[tokio::test]
async fn each_linked_product_user_and_tier_is_read_and_put_one_at_a_time() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx", "mail"]);
    let s = staff(&app).await;
    let (run, product) = run_product(&app, "ITEM", "100.00").await;
    let course = count(&app, "SELECT course_id FROM course_runs WHERE id = ?1", run).await;
    let (user, _) = learner(&app, "item@example.com").await;
    let id = a_discount(&app, "ITEMS", "10").await;
    let base = app.url(&format!("/api/v0/discounts/{id}"));

    // PUT on a product or user link makes the link (201), again changes nothing (200).
    let (st, list) = send(
        s.put(format!("{base}/products/{product}/"))
            .json(&json!({"product_id": product})),
    )
    .await;
    assert_eq!(st, 201, "{list}");
    let (st, _) = send(
        s.put(format!("{base}/products/{product}/"))
            .json(&json!({"product_id": product})),
    )
    .await;
    assert_eq!(st, 200);
    let (st, one) = send(s.get(format!("{base}/products/{product}/"))).await;
    assert_eq!(st, 200, "{one}");
    assert_eq!(one["product"]["id"], product);
    assert_eq!(one["discount"]["id"], id);
    assert_eq!(one, list[0]);
    let (st, body) = send(s.get(format!("{base}/products/424242/"))).await;
    assert_eq!(st, 404, "{body}");
    assert!(body.to_string().contains("424242"), "{body}");

    let (st, _) = send(
        s.put(format!("{base}/assignees/{user}/"))
            .json(&json!({"user": user})),
    )
    .await;
    assert_eq!(st, 201);
    let (st, one) = send(s.get(format!("{base}/assignees/{user}/"))).await;
    assert_eq!(st, 200, "{one}");
    assert_eq!(one["user"]["email"], "item@example.com");
    assert_eq!(send(s.get(format!("{base}/assignees/424242/"))).await.0, 404);

    // A tier: read one, PUT its threshold.
    let (st, tier) = send(s.post(format!("{base}/tiers/")).json(&json!({
        "courseware_type": "course", "courseware_id": course, "current": true, "income_threshold_usd": "25000"
    })))
    .await;
    assert_eq!(st, 201, "{tier}");
    let tid = tier["id"].as_i64().unwrap();
    let (st, one) = send(s.get(format!("{base}/tiers/{tid}/"))).await;
    assert_eq!((st, &one), (200, &tier));
    let (st, put) = send(
        s.put(format!("{base}/tiers/{tid}/"))
            .json(&json!({"income_threshold_usd": "40000"})),
    )
    .await;
    assert_eq!(st, 200, "{put}");
    assert_eq!(put["income_threshold_usd"], json!(40000));
    let (_, again) = send(s.get(format!("{base}/tiers/{tid}/"))).await;
    assert_eq!(again["income_threshold_usd"], json!(40000));
    assert_eq!(send(s.get(format!("{base}/tiers/{}/", tid + 100))).await.0, 404);
    app.shutdown().await;
}

#[tokio::test]
async fn a_put_needs_every_required_field_and_only_an_unredeemed_discount_can_be_deleted() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx", "mail"]);
    let s = staff(&app).await;
    let (_, product) = run_product(&app, "PUTDEL", "80.00").await;
    let id = a_discount(&app, "WHOLE", "10").await;
    let url = app.url(&format!("/api/v0/discounts/{id}/"));

    let (st, body) = send(s.put(&url).json(&json!({"amount": "20"}))).await;
    assert_eq!(st, 400, "{body}");
    for field in ["discount_code", "discount_type", "redemption_type"] {
        assert!(body[field].is_array(), "{field} named in {body}");
    }
    let (_, unchanged) = send(s.get(&url)).await;
    assert_eq!(unchanged["amount"], "10");
    let (st, put) = send(s.put(&url).json(&json!({
        "amount": "20", "discount_code": "WHOLE2", "discount_type": "dollars-off", "redemption_type": "one-time"
    })))
    .await;
    assert_eq!(st, 200, "{put}");
    let (_, now) = send(s.get(&url)).await;
    assert_eq!(now["discount_code"], "WHOLE2");
    assert_eq!(now["discount_type"], "dollars-off");
    assert_eq!(now["redemption_type"], "one-time");

    // Redeemed: deleting would erase what the order used, so it is a conflict.
    let free = a_discount(&app, "GONE", "100").await;
    let (_, client) = learner(&app, "redeemer@example.com").await;
    let r = client
        .post(app.url(&format!("/api/v0/baskets/create_from_product/{product}/GONE/")))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    assert_eq!(checkout(&app, &client).await.0, 200);
    let (_, redeemed) = send(s.get(app.url(&format!("/api/v0/discounts/{free}/")))).await;
    assert_eq!(redeemed["is_redeemed"], true);
    assert_eq!(send(s.get(&url)).await.1["is_redeemed"], false);
    let (st, body) = send(s.delete(app.url(&format!("/api/v0/discounts/{free}/")))).await;
    assert_eq!(st, 409, "{body}");
    assert!(body.to_string().contains("expiration_date"), "{body}");
    assert_eq!(
        count(&app, "SELECT count(*) FROM discounts WHERE id = ?1", free).await,
        1
    );

    // Used by a financial-assistance tier: the tier must go first.
    let (run, _) = run_product(&app, "TIERED", "80.00").await;
    let course = count(&app, "SELECT course_id FROM course_runs WHERE id = ?1", run).await;
    let tiered = a_discount(&app, "TIERED", "30").await;
    let (st, _) = send(s.post(app.url(&format!("/api/v0/discounts/{tiered}/tiers/"))).json(&json!({
        "courseware_type": "course", "courseware_id": course, "current": true, "income_threshold_usd": "0"
    })))
    .await;
    assert_eq!(st, 201);
    let (st, body) = send(s.delete(app.url(&format!("/api/v0/discounts/{tiered}/")))).await;
    assert_eq!(st, 409, "{body}");
    assert!(body.to_string().contains("tier"), "{body}");
    assert_eq!(
        count(&app, "SELECT count(*) FROM discounts WHERE id = ?1", tiered).await,
        1
    );

    // Never redeemed: gone, with an audit row holding what it was.
    let (st, _) = send(s.delete(&url)).await;
    assert_eq!(st, 204);
    assert_eq!(send(s.get(&url)).await.0, 404);
    assert_eq!(send(s.delete(&url)).await.0, 404);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM audit_log WHERE object_type = 'discount' AND action = 'delete'")
            .await,
        1
    );
    app.shutdown().await;
}

#[tokio::test]
async fn removing_a_redemption_lets_a_one_time_code_be_used_again_and_nothing_else_is_editable() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx", "mail"]);
    let s = staff(&app).await;
    let (_, product) = run_product(&app, "ONCE", "50.00").await;
    let id = discount(
        &app,
        json!({"discount_code": "ONCE", "amount": "100", "discount_type": "percent-off", "redemption_type": "one-time"}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let (user, client) = learner(&app, "once@example.com").await;
    let use_code = || async {
        client
            .post(app.url(&format!("/api/v0/baskets/create_from_product/{product}/ONCE/")))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    assert!(use_code().await < 300);
    let (st, body) = checkout(&app, &client).await;
    assert_eq!(st, 200, "{body}");
    let base = app.url(&format!("/api/v0/discounts/{id}/redemptions/"));
    let (_, list) = send(s.get(&base)).await;
    let rid = list[0]["id"].as_i64().unwrap();

    let (st, one) = send(s.get(format!("{base}{rid}/"))).await;
    assert_eq!((st, &one), (200, &list[0]));
    assert_eq!(one["redeemed_by"]["id"], user);
    // Every field is read-only: the same values are accepted, a change is refused by name.
    let (st, same) = send(
        s.patch(format!("{base}{rid}/"))
            .json(&json!({"redeemed_by": user})),
    )
    .await;
    assert_eq!((st, &same), (200, &one));
    let (st, body) = send(
        s.put(format!("{base}{rid}/"))
            .json(&json!({"redeemed_order": 424242})),
    )
    .await;
    assert_eq!(st, 400, "{body}");
    assert!(body["redeemed_order"].is_array(), "{body}");
    let (st, body) = send(s.post(&base).json(&json!({"redeemed_by": user}))).await;
    assert_eq!(st, 400, "{body}");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM discount_redemptions WHERE discount_id = ?1",
            id
        )
        .await,
        1
    );

    // Removed: the same learner can use the one-time code on a new order.
    let (st, _) = send(s.delete(format!("{base}{rid}/"))).await;
    assert_eq!(st, 204);
    assert_eq!(send(s.get(format!("{base}{rid}/"))).await.0, 404);
    assert_eq!(send(s.delete(format!("{base}{rid}/"))).await.0, 404);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM audit_log WHERE object_type = 'discount_redemption'")
            .await,
        1
    );
    let (_, product2) = run_product(&app, "ONCE2", "50.00").await;
    let r = client
        .post(app.url(&format!("/api/v0/baskets/create_from_product/{product2}/ONCE/")))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let (st, body) = checkout(&app, &client).await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(body["no_checkout"], true, "the code applied again: {body}");
    app.shutdown().await;
}
