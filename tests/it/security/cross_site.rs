//! Issue 11, item 7: cross-site GETs changed state. `GET /checkout/to_payment` created an order
//! (and fulfilled a zero-value one, enrolling the learner) and `GET /cart/add/` replaced the
//! basket, from an `<img>` on any site. Now a request another site started changes nothing and
//! gets a page with a CSRF-protected POST button; our pages and trusted partners keep working.

use serde_json::json;

use crate::support::TestApp;
use crate::support::commerce::{basket_with, discount, run_product};
use crate::support::identity::signed_in;

/// What a browser sends for `<img src=…>` on another site.
const FROM_AN_IMG: [(&str, &str); 3] = [
    ("sec-fetch-site", "cross-site"),
    ("sec-fetch-dest", "image"),
    ("referer", "https://evil.example/cats.html"),
];

async fn basket_products(app: &TestApp) -> Vec<i64> {
    app.state
        .db
        .read(|c| {
            c.prepare("SELECT product_id FROM basket_items ORDER BY product_id")?
                .query_map([], |r| r.get(0))?
                .collect::<Result<Vec<i64>, _>>()
        })
        .await
        .unwrap()
}

fn form_token(html: &str) -> String {
    let marker = "name=\"csrfmiddlewaretoken\" value=\"";
    let at = html
        .find(marker)
        .unwrap_or_else(|| panic!("no CSRF field: {html}"))
        + marker.len();
    html[at..].split('"').next().unwrap().to_owned()
}

async fn get_with(client: &reqwest::Client, url: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut req = client.get(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn an_img_on_another_site_cannot_replace_the_basket_through_cart_add() {
    let app = TestApp::spawn().await;
    let (_, kept) = run_product(&app, "KEEP", "50.00").await;
    let (_, other) = run_product(&app, "OTHER", "70.00").await;
    let browser = signed_in(&app, "basket-owner@example.com", false).await;
    let r = browser
        .post(app.url("/api/checkout/add_to_cart/"))
        .header(
            "X-CSRFToken",
            crate::support::identity::header_token(&app, &browser).await,
        )
        .json(&json!({"product_id": kept}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(basket_products(&app).await, [kept]);

    let link = app.url(&format!("/cart/add/?product_id={other}"));
    let older_browser = [("referer", "https://evil.example/cats.html")];
    let opaque = [("origin", "null")];
    for headers in [&FROM_AN_IMG[..], &older_browser[..], &opaque[..]] {
        let r = get_with(&browser, &link, headers).await;
        assert_eq!(r.status(), 200, "{headers:?}");
        let html = r.text().await.unwrap();
        assert!(html.contains("method=\"post\" action=\"/cart/add/\""), "{html}");
        assert!(
            html.contains(&format!("name=\"product_id\" value=\"{other}\"")),
            "{html}"
        );
        assert!(!form_token(&html).is_empty());
        assert_eq!(
            basket_products(&app).await,
            [kept],
            "{headers:?}: nothing changed"
        );
    }

    // The page's button performs the action; without the token it is refused.
    let html = get_with(&browser, &link, &FROM_AN_IMG)
        .await
        .text()
        .await
        .unwrap();
    let r = browser
        .post(app.url("/cart/add/"))
        .form(&[("product_id", other.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(basket_products(&app).await, [kept]);
    let r = browser
        .post(app.url("/cart/add/"))
        .form(&[
            ("product_id", other.to_string()),
            ("csrfmiddlewaretoken", form_token(&html)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    assert!(r.headers()["location"].to_str().unwrap().ends_with("/cart/"));
    assert_eq!(basket_products(&app).await, [other]);
    app.shutdown().await;
}

#[tokio::test]
async fn an_anonymous_visitor_gets_no_basket_from_an_img_and_the_post_needs_the_token() {
    let app = TestApp::spawn().await;
    let (_, product) = run_product(&app, "ANONIMG", "50.00").await;
    let visitor = crate::support::client();
    let link = app.url(&format!("/cart/add/?product_id={product}"));
    let r = get_with(&visitor, &link, &FROM_AN_IMG).await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()
            .get_all("set-cookie")
            .iter()
            .all(|c| !c.to_str().unwrap().starts_with("anonymous_basket_id=")),
        "no basket cookie"
    );
    let html = r.text().await.unwrap();
    assert_eq!(app.scalar_i64("SELECT count(*) FROM baskets").await, 0);
    let r = visitor
        .post(app.url("/cart/add/"))
        .form(&[("product_id", product.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "no CSRF token");
    assert_eq!(app.scalar_i64("SELECT count(*) FROM baskets").await, 0);
    let r = visitor
        .post(app.url("/cart/add/"))
        .form(&[
            ("product_id", product.to_string()),
            ("csrfmiddlewaretoken", form_token(&html)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(basket_products(&app).await, [product]);
    app.shutdown().await;
}

#[tokio::test]
async fn an_img_on_another_site_cannot_start_a_checkout_or_fulfil_a_free_order() {
    let app = TestApp::spawn().await;
    // The fulfilled free order pushes its enrollment to edX and mails a receipt; not drained.
    app.expect_undrained(&["openedx", "mail"]);
    let (_, product) = run_product(&app, "FREEIMG", "100.00").await;
    discount(
        &app,
        json!({"discount_code": "IMGFREE", "amount": "100", "discount_type": "percent-off"}),
    )
    .await;
    let browser = signed_in(&app, "free-img@example.com", false).await;
    let token = crate::support::identity::header_token(&app, &browser).await;
    let r = browser
        .post(app.url(&format!("/api/v0/baskets/create_from_product/{product}/IMGFREE/")))
        .header("X-CSRFToken", &token)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let verified =
        || app.scalar_i64("SELECT count(*) FROM course_run_enrollments WHERE enrollment_mode = 'verified'");
    for path in ["/checkout/to_payment", "/checkout/anonymous"] {
        let r = get_with(&browser, &app.url(path), &FROM_AN_IMG).await;
        assert_eq!(r.status(), 200, "{path}");
        let html = r.text().await.unwrap();
        assert!(
            html.contains(&format!("method=\"post\" action=\"{path}\"")),
            "{html}"
        );
        assert_eq!(
            app.scalar_i64("SELECT count(*) FROM orders").await,
            0,
            "{path}: no order"
        );
        assert_eq!(verified().await, 0, "{path}: nobody enrolled");
    }
    // The button: a CSRF-protected POST places the (free) order.
    let html = get_with(&browser, &app.url("/checkout/to_payment"), &FROM_AN_IMG)
        .await
        .text()
        .await
        .unwrap();
    let r = browser
        .post(app.url("/checkout/to_payment"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "no token");
    assert_eq!(app.scalar_i64("SELECT count(*) FROM orders").await, 0);
    let r = browser
        .post(app.url("/checkout/to_payment"))
        .form(&[("csrfmiddlewaretoken", form_token(&html))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .contains("payment=accepted")
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM orders WHERE state = 'fulfilled'")
            .await,
        1
    );
    assert_eq!(verified().await, 1);
    app.shutdown().await;
}

#[tokio::test]
async fn links_from_our_own_pages_and_from_a_trusted_partner_still_act() {
    let app = TestApp::builder()
        .env("MITXONLINE_TRUSTED_ORIGINS", "https://learn.example")
        .spawn()
        .await;
    let (_, product) = run_product(&app, "TRUSTED", "60.00").await;
    let link = app.url(&format!("/cart/add/?product_id={product}"));
    let own_page = format!("{}/courses/x/", app.base);
    let cases: [&[(&str, &str)]; 5] = [
        &[("sec-fetch-site", "same-origin"), ("referer", &own_page)],
        &[
            ("sec-fetch-site", "cross-site"),
            ("referer", "https://learn.example/search?q=x"),
        ],
        &[
            ("sec-fetch-site", "same-site"),
            ("origin", "https://learn.example"),
        ],
        &[("sec-fetch-site", "none")],
        &[],
    ];
    for headers in cases {
        let visitor = crate::support::client();
        let r = get_with(&visitor, &link, headers).await;
        assert_eq!(r.status(), 302, "{headers:?}");
        assert!(r.headers()["location"].to_str().unwrap().ends_with("/cart/"));
    }
    // A look-alike of the partner is another site.
    let r = get_with(
        &crate::support::client(),
        &link,
        &[
            ("sec-fetch-site", "cross-site"),
            ("referer", "https://learn.example.evil.example/"),
        ],
    )
    .await;
    assert_eq!(r.status(), 200);

    // Our own cart page places the order with a POST form.
    let (_, client) = crate::support::commerce::learner(&app, "own-pages@example.com").await;
    basket_with(&app, &client, product).await;
    let browser = signed_in(&app, "own-cart@example.com", false).await;
    let token = crate::support::identity::header_token(&app, &browser).await;
    let r = browser
        .post(app.url(&format!("/api/v0/baskets/create_from_product/{product}/")))
        .header("X-CSRFToken", &token)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let cart = browser
        .get(app.url("/cart/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        cart.contains("method=\"post\" action=\"/checkout/to_payment\""),
        "{cart}"
    );
    let r = browser
        .post(app.url("/checkout/to_payment"))
        .form(&[("csrfmiddlewaretoken", form_token(&cart))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.text().await.unwrap().contains("payment-form"),
        "the signed form for the gateway"
    );
    app.shutdown().await;
}
