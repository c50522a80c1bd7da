//! A real browser (headless Chromium) buys a certificate: product page → upgrade link → cart
//! → coupon → place order → the sandbox CyberSource page → accept → back to the site, with a
//! fulfilled order, a verified enrollment and a printable receipt.

use std::time::Duration;

use crate::support::TestApp;
use crate::support::browser::Browser;
use crate::support::commerce::discount;

async fn wait_for(b: &Browser, what: &str, test: impl Fn(&str, &str) -> bool) {
    for _ in 0..200 {
        let url = b.current_url().await;
        let src = b.source().await;
        if test(&url, &src) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "never saw {what}; at {} with {}",
        b.current_url().await,
        b.source().await
    );
}

async fn fill(b: &Browser, css: &str, text: &str) {
    let el = b.find(css).await;
    b.clear(&el).await;
    b.type_text(&el, text).await;
}

#[tokio::test]
async fn a_learner_buys_a_certificate_with_a_coupon_through_the_sandbox_in_a_real_browser() {
    let Some(b) = Browser::start().await else { return };
    let app = TestApp::builder().demo(true).dispatcher(true).spawn().await;
    let now = mitxonline::clock::to_db(app.state.clock.now());
    let (product, readable, price) = app
        .state
        .db
        .read(move |c| {
            c.query_row(
                "SELECT p.id, co.readable_id, v.price FROM products p
                 JOIN product_versions v ON v.product_id = p.id
                 JOIN course_runs r ON r.id = p.course_run_id JOIN courses co ON co.id = r.course_id
                 WHERE co.live = 1 AND r.live = 1 AND r.enrollment_start <= ?1
                   AND (r.enrollment_end IS NULL OR r.enrollment_end > ?1) AND r.upgrade_deadline > ?1
                   AND (r.end_date IS NULL OR r.end_date > ?1) AND r.b2b_contract_id IS NULL
                 ORDER BY p.id LIMIT 1",
                [now],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                },
            )
        })
        .await
        .unwrap();
    discount(
        &app,
        serde_json::json!({"discount_code": "BROWSER10", "amount": "10", "discount_type": "dollars-off"}),
    )
    .await;
    crate::support::identity::make_user(&app, "shopper@example.com", "a shopping password", false).await;

    b.goto(&app.url("/login/")).await;
    fill(&b, "#f-email", "shopper@example.com").await;
    fill(&b, "#f-password", "a shopping password").await;
    let button = b.find("form[action='/login/'] button[type=submit]").await;
    b.click(&button).await;
    wait_for(&b, "signed in", |url, _| !url.contains("/login/")).await;

    b.goto(&app.url(&format!("/courses/{readable}/"))).await;
    let link = b
        .find(&format!(
            "form[action='/cart/add/'][data-product-id='{product}'] button[type=submit]"
        ))
        .await;
    b.click(&link).await;
    wait_for(&b, "the cart", |url, src| {
        url.ends_with("/cart/") && src.contains("cart-item")
    })
    .await;
    let price: rust_decimal::Decimal = price.parse().unwrap();
    let total = format!("id=\"cart-total\">${}<", mitxonline::money::round_cents(price));
    wait_for(&b, &total, |_, src| src.contains(&total)).await;

    fill(&b, "#coupon", "BROWSER10").await;
    let apply = b.find("form.coupon button[type=submit]").await;
    b.click(&apply).await;
    let expected = mitxonline::money::round_cents(price - rust_decimal::Decimal::from(10));
    let discounted = format!("id=\"cart-discounted-total\">${expected}<");
    wait_for(&b, &discounted, |_, src| {
        src.contains("cart-discount") && src.contains(&discounted)
    })
    .await;

    let place = b.find("#place-order").await;
    b.click(&place).await;
    // The interstitial posts itself to the sandbox payment page.
    wait_for(&b, "the sandbox page", |url, src| {
        url.contains("/sandbox/cybersource/pay") && src.contains("Accept payment")
    })
    .await;
    let accept = b.find("button[value='accept']").await;
    b.click(&accept).await;
    wait_for(&b, "the return to the site", |url, _| {
        url.contains("payment=accepted")
    })
    .await;

    let order = app.scalar_i64("SELECT max(id) FROM orders").await;
    assert_eq!(
        crate::support::commerce::order_state(&app, order).await,
        "fulfilled"
    );
    assert_eq!(
        app.scalar_i64(
            // The purchaser's (the demo learner holds verified, certified runs of their own).
            "SELECT count(*) FROM course_run_enrollments e
             WHERE e.enrollment_mode = 'verified' AND e.active = 1
               AND e.user_id = (SELECT purchaser_id FROM orders WHERE id = (SELECT max(id) FROM orders))"
        )
        .await,
        1
    );
    b.goto(&app.url(&format!("/orders/receipt/{order}/"))).await;
    let paid = format!("id=\"receipt-total\">${expected}<");
    wait_for(&b, &paid, |_, src| {
        src.contains(&paid) && src.contains("id=\"receipt-state\">fulfilled<")
    })
    .await;
    b.quit().await;
}
