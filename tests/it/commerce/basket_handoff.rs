//! `?anonymous_basket_id=<uuid>`: MIT Learn hands an anonymous basket made on its API host to
//! this site; the visitor takes it, the parameter leaves the URL, signing in keeps the basket.

use crate::support::commerce::*;
use crate::support::identity::{log_in, make_user};
use crate::support::{TestApp, client};

fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

async fn items(app: &TestApp, c: &reqwest::Client) -> i64 {
    c.get(app.url("/api/checkout/basket_items_count/"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_handed_off_basket_is_adopted_the_parameter_dropped_and_kept_through_sign_in() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx", "mail", "hubspot"]);
    let (_, product) = run_product(&app, "HAND", "60.00").await;

    // Learn's API calls make an anonymous basket (its cookie stays on Learn's API host).
    let learn_side = client();
    let r = learn_side
        .post(app.url(&format!("/api/v0/baskets/create_from_product/{product}/")))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let cookie = set_cookie(&r, "anonymous_basket_id").expect("an anonymous basket cookie");
    let id = cookie
        .split(';')
        .next()
        .unwrap()
        .split('=')
        .nth(1)
        .unwrap()
        .to_owned();

    // The browser arrives here with the id: it takes the basket and the URL loses the id.
    let browser = client();
    let r = browser
        .get(app.url(&format!("/catalog/?anonymous_basket_id={id}&tab=courses")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(r.headers()["location"], "/catalog/?tab=courses");
    let adopted = set_cookie(&r, "anonymous_basket_id").expect("the basket cookie is set");
    assert!(adopted.starts_with(&format!("anonymous_basket_id={id};")) && adopted.contains("HttpOnly"));
    assert_eq!(items(&app, &browser).await, 1);

    // Signing in keeps it: the basket becomes the account's.
    make_user(&app, "handoff@example.com", "a good password", false).await;
    let r = log_in(&app, &browser, "handoff@example.com", "a good password").await;
    assert_eq!(r.status(), 303);
    assert_eq!(items(&app, &browser).await, 1);
    assert_eq!(
        app.scalar_i64(
            "SELECT count(*) FROM baskets b JOIN users u ON u.id = b.user_id WHERE u.email = 'handoff@example.com'"
        )
        .await,
        1
    );
    // Signed in, the parameter is only dropped.
    let r = browser
        .get(app.url(&format!("/dashboard/?anonymous_basket_id={id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(r.headers()["location"], "/dashboard/");
    assert!(set_cookie(&r, "anonymous_basket_id").is_none());
    app.shutdown().await;
}

#[tokio::test]
async fn a_bad_or_unknown_id_is_ignored_an_own_basket_is_kept_and_a_post_is_not_redirected() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx", "mail", "hubspot"]);
    let (_, product) = run_product(&app, "HAND2", "60.00").await;
    for bad in ["not-a-uuid", "5d9c2a8e-1b3f-4c6d-8e7f-9a0b1c2d3e4f"] {
        let r = client()
            .get(app.url(&format!("/?anonymous_basket_id={bad}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 302, "{bad}");
        assert_eq!(r.headers()["location"], "/");
        assert!(set_cookie(&r, "anonymous_basket_id").is_none(), "{bad}");
    }
    // A visitor with a basket of their own keeps it.
    let mine = client();
    mine.post(app.url(&format!("/api/v0/baskets/create_from_product/{product}/")))
        .send()
        .await
        .unwrap();
    let other = client();
    let r = other
        .post(app.url(&format!("/api/v0/baskets/create_from_product/{product}/")))
        .send()
        .await
        .unwrap();
    let theirs = set_cookie(&r, "anonymous_basket_id").unwrap();
    let theirs = theirs
        .split(';')
        .next()
        .unwrap()
        .split('=')
        .nth(1)
        .unwrap()
        .to_owned();
    let r = mine
        .get(app.url(&format!("/?anonymous_basket_id={theirs}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    assert!(set_cookie(&r, "anonymous_basket_id").is_none());
    // A POST carrying the parameter reaches its handler (a redirect would lose the body).
    let r = client()
        .post(app.url(&format!(
            "/api/v0/baskets/create_from_product/{product}/?anonymous_basket_id={theirs}"
        )))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    app.shutdown().await;
}
