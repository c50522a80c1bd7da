//! A learner from the request to a paid order at the tier price; validation; typed codes.

use serde_json::json;

use super::{apply, priced_course};
use crate::support::TestApp;
use crate::support::commerce::*;

#[tokio::test]
async fn an_auto_approved_request_prices_the_cart_and_a_paid_order_at_the_tier_discount() {
    let app = TestApp::spawn().await;
    let (course, product, [_, fifty, _]) = priced_course(&app, "FPA1", "1000.00").await;
    let (user, client) = learner(&app, "fp-auto@example.com").await;

    // 2,500,000 INR at 83.4217 per dollar is $29,968.22: the $25,000 tier (50% off), above
    // India's $25,000 threshold, so approved at once.
    let (status, body) = apply(&app, &client, course, "2500000", "INR", "IN").await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["status"], "auto-approved");
    assert_eq!(body["income_usd"], "29968.22");
    assert_eq!(body["original_currency"], "INR");

    let r: serde_json::Value = client
        .get(app.url(&format!("/api/v0/products/{product}/user_flexible_price/")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["product_flexible_price"]["id"], fifty);
    assert_eq!(
        r["product_flexible_price"]["payment_type"],
        "financial-assistance"
    );
    let anonymous: serde_json::Value = app
        .get(&format!("/api/v0/products/{product}/user_flexible_price/"))
        .await
        .json()
        .await
        .unwrap();
    assert!(anonymous["product_flexible_price"].is_null());

    basket_with(&app, &client, product).await;
    let cart: serde_json::Value = client
        .get(app.url("/api/checkout/cart/"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cart["discounted_price"], "500.00", "{cart}");

    let body = started_checkout(&app, &client, product).await;
    assert_eq!(field(&body, "amount"), "500.00");
    let order = body["order_id"].as_i64().unwrap();
    let fields = signed_result(&app, &body["payload"], "ACCEPT", "7000000000000000141");
    assert_eq!(
        post_result(&app, "/api/checkout/result/", &fields).await.status(),
        200
    );
    assert_eq!(order_state(&app, order).await, "fulfilled");
    assert_eq!(
        count(&app, "SELECT count(*) FROM discount_redemptions WHERE order_id = ?1 AND discount_id IN (SELECT id FROM discounts WHERE payment_type = 'financial-assistance')", order).await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM flexible_prices WHERE user_id = ?1",
            user
        )
        .await,
        1
    );
    app.drain_outbox().await;
}

#[tokio::test]
async fn a_second_request_is_refused_until_staff_reset_the_first() {
    let app = TestApp::spawn().await;
    let (course, _, _) = priced_course(&app, "FPA2", "100.00").await;
    let (_, client) = learner(&app, "fp-twice@example.com").await;
    assert_eq!(apply(&app, &client, course, "90000", "USD", "US").await.0, 201);
    let (status, body) = apply(&app, &client, course, "10", "USD", "US").await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("already exists"),
        "{body}"
    );
}

#[tokio::test]
async fn bad_income_currency_or_country_is_a_400_naming_the_field_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let (course, _, _) = priced_course(&app, "FPA3", "100.00").await;
    let (user, client) = learner(&app, "fp-bad@example.com").await;
    for (income, currency, country, field) in [
        ("-5", "USD", "US", "income"),
        ("0", "USD", "US", "income"),
        ("lots", "USD", "US", "income"),
        ("1000", "XYZ", "US", "currency"),
        ("1000", "IRR", "US", "currency"),
        ("1000", "USD", "ZZ", "country_of_income"),
    ] {
        let (status, body) = apply(&app, &client, course, income, currency, country).await;
        assert_eq!(status, 400, "{income} {currency} {country}: {body}");
        assert!(body.get(field).is_some(), "{field} named in {body}");
    }
    let r = client
        .post(app.url("/api/flexible_pricing/applications/"))
        .json(
            &json!({"courseware_type": "course", "courseware_id": course, "income": "100", "currency": "USD",
                      "country_of_income": "US", "country_of_residence": "Narnia"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(
        r.json::<serde_json::Value>()
            .await
            .unwrap()
            .get("country_of_residence")
            .is_some()
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM flexible_prices WHERE user_id = ?1",
            user
        )
        .await,
        0
    );

    // The form page answers the same way, as a page with the errors next to the fields.
    let browser = crate::support::identity::signed_in(&app, "fp-form@example.com", false).await;
    let readable: String = app
        .state
        .db
        .read(move |c| {
            c.query_row("SELECT readable_id FROM courses WHERE id = ?1", [course], |r| {
                r.get(0)
            })
        })
        .await
        .unwrap();
    let page = format!("/courses/{readable}/financial-assistance-request/");
    let r = crate::support::identity::post_form(
        &app,
        &browser,
        &page,
        &page,
        &[
            ("income", "-1"),
            ("currency", "USD"),
            ("country_of_income", "US"),
            ("country_of_residence", "US"),
        ],
    )
    .await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("Enter a positive amount"));
    assert_eq!(app.scalar_i64("SELECT count(*) FROM flexible_prices").await, 0);
}

#[tokio::test]
async fn a_course_without_a_zero_dollar_tier_gives_a_clear_error_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let (course, _, [zero, _, _]) = priced_course(&app, "FPA4", "100.00").await;
    let key = app.api_key(mitxonline::users::api_keys::Scope::Staff).await;
    let tiers: serde_json::Value = reqwest::Client::new()
        .get(app.url(&format!("/api/v0/discounts/{zero}/tiers/")))
        .header("Authorization", format!("Api-Key {key}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let tier = tiers[0]["id"].as_i64().unwrap();
    let r = reqwest::Client::new()
        .delete(app.url(&format!("/api/v0/discounts/{zero}/tiers/{tier}/")))
        .header("Authorization", format!("Api-Key {key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let (_, client) = learner(&app, "fp-notier@example.com").await;
    let (status, body) = apply(&app, &client, course, "100", "USD", "US").await;
    assert_eq!(status, 400);
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("$0-income-threshold Tier has not yet been configured"),
        "{body}"
    );
    assert_eq!(app.scalar_i64("SELECT count(*) FROM flexible_prices").await, 0);
}

#[tokio::test]
async fn a_financial_assistance_code_can_never_be_typed_even_by_its_approved_learner() {
    let app = TestApp::spawn().await;
    let (course, product, [_, fifty, _]) = priced_course(&app, "FPA5", "200.00").await;
    let (_, client) = learner(&app, "fp-typed@example.com").await;
    let (_, stranger) = learner(&app, "fp-stranger@example.com").await;
    assert_eq!(apply(&app, &client, course, "2500000", "INR", "IN").await.0, 201);
    let code = "FA-FPA5-50";
    for c in [&client, &stranger] {
        basket_with(&app, c, product).await;
        let r = c
            .post(app.url("/api/checkout/redeem_discount/"))
            .json(&json!({"discount": code}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(
            body["message"],
            "Financial assistance discounts cannot be entered as codes."
        );
    }
    // The approved learner still has the discount, applied automatically; the stranger has none.
    let cart = |c: reqwest::Client| {
        let url = app.url("/api/checkout/cart/");
        async move {
            c.get(url)
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };
    assert_eq!(cart(client.clone()).await["discounted_price"], "100.00");
    assert_eq!(cart(stranger.clone()).await["discounted_price"], "200.00");
    let _ = fifty;
}

#[tokio::test]
async fn the_course_page_shows_an_approved_learner_their_price_beside_the_struck_list_price() {
    let app = TestApp::spawn().await;
    let (course, _, _) = priced_course(&app, "FPPG", "800.00").await;
    let page = super::course_page(&app, course).await;
    let (_, client) = learner(&app, "fp-page@example.com").await;
    let html = |c: reqwest::Client| {
        let url = app.url(&page);
        async move {
            let r = c.get(url).send().await.unwrap();
            assert_eq!(r.status(), 200);
            r.text().await.unwrap()
        }
    };
    let before = html(client.clone()).await;
    assert!(before.contains("Get a certificate: $800.00"), "{before}");
    assert!(!before.contains("your-price"));

    let (status, body) = apply(&app, &client, course, "2500000", "INR", "IN").await;
    assert_eq!(
        (status, body["status"].as_str()),
        (201, Some("auto-approved")),
        "{body}"
    );
    let after = html(client.clone()).await;
    assert!(
        after.contains(
            "Get a certificate: <del class=\"list-price\">$800.00</del> Your price: <strong class=\"your-price\">$400.00</strong>"
        ),
        "{after}"
    );
    let guest = html(reqwest::Client::new()).await;
    assert!(guest.contains("Get a certificate: $800.00") && !guest.contains("your-price"));
    let (_, stranger) = learner(&app, "fp-page-stranger@example.com").await;
    assert!(!html(stranger).await.contains("your-price"));
}

#[tokio::test]
async fn the_course_page_shows_a_learner_the_price_an_automatic_discount_gives_them() {
    let app = TestApp::spawn().await;
    let (course, product, _) = priced_course(&app, "AUTOP", "100.00").await;
    let page = super::course_page(&app, course).await;
    let (_, client) = learner(&app, "auto-page@example.com").await;
    let html = |c: reqwest::Client| {
        let url = app.url(&page);
        async move { c.get(url).send().await.unwrap().text().await.unwrap() }
    };
    assert!(!html(client.clone()).await.contains("your-price"));
    discount(
        &app,
        json!({"discount_code": "AUTO25", "amount": "25", "discount_type": "percent-off", "automatic": true}),
    )
    .await;
    let mine = html(client.clone()).await;
    assert!(
        mine.contains(
            "<del class=\"list-price\">$100.00</del> Your price: <strong class=\"your-price\">$75.00</strong>"
        ),
        "{mine}"
    );
    // The cart agrees with the page.
    assert_eq!(
        basket_with(&app, &client, product).await["discounted_price"],
        "75.00"
    );
    let guest = html(reqwest::Client::new()).await;
    assert!(!guest.contains("your-price"), "{guest}");
}
