//! The staff discount list: the original's filters, newest first, and its two paginations.

use serde_json::{Value, json};

use super::discounts_nested::a_discount;
use crate::support::TestApp;
use crate::support::commerce::*;

#[tokio::test]
async fn the_discount_list_filters_by_code_type_and_redemption_newest_first_and_pages_like_the_original() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx", "mail"]);
    let s = staff(&app).await;
    let (_, product) = run_product(&app, "FILT", "10.00").await;
    let plain = a_discount(&app, "PLAIN-ONE", "10").await;
    let staffd = discount(
        &app,
        json!({"discount_code": "STAFF-TWO", "amount": "5", "discount_type": "dollars-off",
               "redemption_type": "one-time", "payment_type": "staff"}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let redeemed = a_discount(&app, "USED-THREE", "100").await;
    let (_, client) = learner(&app, "filter@example.com").await;
    let r = client
        .post(app.url(&format!(
            "/api/v0/baskets/create_from_product/{product}/USED-THREE/"
        )))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    assert_eq!(checkout(&app, &client).await.0, 200);

    let ids = |v: &Value| -> Vec<i64> {
        v["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_i64().unwrap())
            .collect()
    };
    let (_, all) = send(s.get(app.url("/api/discounts/"))).await;
    assert_eq!(ids(&all), vec![redeemed, staffd, plain], "newest first");
    let (_, page) = send(s.get(app.url("/api/discounts/?l=2"))).await;
    assert_eq!(
        (page["count"].clone(), ids(&page)),
        (json!(3), vec![redeemed, staffd])
    );
    assert!(
        page["next"]
            .as_str()
            .unwrap()
            .ends_with("/api/discounts/?l=2&o=2")
    );
    for (query, want) in [
        ("q=two", vec![staffd]),
        ("redemption_type=one-time", vec![staffd]),
        ("payment_type=staff", vec![staffd]),
        ("is_redeemed=yes", vec![redeemed]),
        ("is_redeemed=no", vec![staffd, plain]),
    ] {
        let (st, v) = send(s.get(app.url(&format!("/api/discounts/?{query}")))).await;
        assert_eq!((st, ids(&v)), (200, want), "{query}");
    }
    let (_, v0) = send(s.get(app.url("/api/v0/discounts/?payment_type=staff"))).await;
    assert_eq!(
        v0.as_array().map(Vec::len),
        Some(1),
        "v0 without limit is a plain list: {v0}"
    );
    for (query, field) in [
        ("redemption_type=twice", "redemption_type"),
        ("payment_type=free", "payment_type"),
        ("is_redeemed=maybe", "is_redeemed"),
        ("l=x", "l"),
    ] {
        let (st, err) = send(s.get(app.url(&format!("/api/discounts/?{query}")))).await;
        assert_eq!(st, 400, "{query}");
        assert!(err.get(field).is_some(), "{query}: {err}");
    }
    app.shutdown().await;
}
