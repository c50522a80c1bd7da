//! The app behind a prefix-stripping TLS reverse proxy configured from the APISIX routes, as a
//! browser meets it on MIT Learn's API host: links, redirects, pagination, cookies, CSRF and
//! logout all keep `/mitxonline`.

use base64::Engine as _;
use serde_json::{Value, json};

use super::apisix;
use super::nginx::{Gateway, IDP_COOKIE};
use crate::support::TestApp;
use crate::support::identity::me_at;
use crate::support::process::free_port;

const LEARNER: &str = "gateway.learner@example.com";

fn userinfo(email: &str, sub: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(
        json!({"sub": sub, "email": email, "email_verified": true,
               "preferred_username": email.split('@').next().unwrap(), "name": "Gateway Learner"})
        .to_string(),
    )
}

/// Every site-relative `href`, `action` and `src` of a page.
fn local_links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["href=\"", "action=\"", "src=\""] {
        for part in html.split(attr).skip(1) {
            let v = part.split('"').next().unwrap_or_default();
            if v.starts_with('/') && !v.starts_with("//") {
                out.push(v.to_owned());
            }
        }
    }
    out
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

fn set_cookies(r: &reqwest::Response) -> Vec<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

async fn me(gw: &Gateway, c: &reqwest::Client) -> Value {
    me_at(c, &gw.url("/mitxonline/api/users/me")).await
}

#[tokio::test]
async fn behind_the_gateway_links_redirects_cookies_csrf_and_logout_keep_the_prefix() {
    let Some(tools) = super::nginx::tools() else {
        return;
    };
    let port = free_port();
    let public = format!("https://127.0.0.1:{port}/mitxonline");
    let app = TestApp::builder()
        .env("MITXONLINE_AUTH_MODE", "gateway")
        .env("MITXONLINE_GATEWAY_TRUSTED_PROXIES", "127.0.0.1/32")
        .env("MITXONLINE_FRAME_ANCESTORS", "'self' https://courses.example")
        .public_url(&public)
        .demo(true)
        .spawn()
        .await;
    // The demo's edX messages are not what these tests are about.
    app.expect_undrained(&["openedx"]);
    let upstream = app.base.trim_start_matches("http://").to_owned();
    let doc = apisix::load(&apisix::test_env(&upstream, &format!("{public}/logout/")));
    let who = userinfo(LEARNER, "5d9c2a8e-1b3f-4c6d-8e7f-9a0b1c2d3e4f");
    let gw = Gateway::start(&tools, &doc, port, &upstream, &who).await;
    let c = Gateway::client();

    // The home page: every link, form and asset stays under the prefix; the gateway's headers.
    let r = c.get(gw.url("/mitxonline/")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.starts_with("default-src 'self'; script-src 'self';"), "{csp}");
    assert!(
        csp.ends_with("frame-ancestors 'self' https://courses.example"),
        "{csp}"
    );
    assert_eq!(r.headers()["referrer-policy"], "origin");
    let links = local_links(&r.text().await.unwrap());
    assert!(links.len() > 5, "{links:?}");
    let outside: Vec<&String> = links.iter().filter(|l| !l.starts_with("/mitxonline/")).collect();
    assert!(outside.is_empty(), "links that leave the prefix: {outside:?}");
    for l in links
        .iter()
        .filter(|l| l.contains("/static/") || l.ends_with(".css"))
    {
        let s = c.get(gw.url(l)).send().await.unwrap().status();
        assert_eq!(s, 200, "{l}");
    }

    // A client cannot claim to be someone: the gateway drops its X-Userinfo.
    let forged = userinfo("victim@example.com", "00000000-0000-4000-8000-000000000001");
    let anon: Value = c
        .get(gw.url("/mitxonline/api/users/me"))
        .header("x-userinfo", forged)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(anon["is_authenticated"], false);

    // Pagination links point back through the gateway and work there.
    let page: Value = c
        .get(gw.url("/mitxonline/api/v2/courses/?page_size=1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let next = page["next"].as_str().expect("a second page").to_owned();
    assert!(next.starts_with(&format!("{public}/api/v2/courses/")), "{next}");
    let second: Value = c.get(&next).send().await.unwrap().json().await.unwrap();
    assert_eq!(second["results"].as_array().unwrap().len(), 1);
    assert_ne!(second["results"][0]["id"], page["results"][0]["id"]);

    // The cart needs a signed-in learner: the gateway sends an anonymous browser to sign in.
    let r = c.get(gw.url("/mitxonline/cart/")).send().await.unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(location(&r), "/fake-idp/authorize/mitxonline/cart/");

    // Signing in: the gateway forces it on /login/, the app takes the userinfo and sends the
    // learner on under the prefix with its own session cookie scoped to it.
    let r = c
        .get(gw.url("/mitxonline/login/?next=/dashboard/"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        location(&r),
        "/fake-idp/authorize/mitxonline/login/?next=/dashboard/"
    );
    let r = c.get(gw.url(&location(&r))).send().await.unwrap();
    assert_eq!(location(&r), "/mitxonline/login/?next=/dashboard/");
    assert!(
        set_cookies(&r)
            .iter()
            .any(|s| s.starts_with(&format!("{IDP_COOKIE}=")))
    );
    let r = c.get(gw.url(&location(&r))).send().await.unwrap();
    assert!(r.status().is_redirection(), "{}", r.status());
    let target = location(&r);
    assert!(
        target.starts_with("/mitxonline/") || target.starts_with(&format!("{public}/")),
        "{target}"
    );
    let cookies = set_cookies(&r);
    let session = cookies
        .iter()
        .find(|s| s.contains("HttpOnly") && !s.starts_with(IDP_COOKIE))
        .unwrap_or_else(|| panic!("a session cookie: {cookies:?}"));
    assert!(session.contains("; Path=/mitxonline;"), "{session}");
    assert!(session.contains("; Secure"), "{session}");
    let me_now = me(&gw, &c).await;
    assert_eq!(me_now["is_authenticated"], true);
    assert_eq!(me_now["email"], LEARNER);

    // CSRF through the gateway: a course page's "add to cart" form posts under the prefix; the
    // token is required, and with it (and our own Origin) the product lands in the cart.
    let courses: Value = c
        .get(gw.url("/mitxonline/api/v2/courses/?page_size=50"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut form = None;
    for co in courses["results"].as_array().unwrap() {
        let html = c
            .get(gw.url(&format!(
                "/mitxonline/courses/{}/",
                co["readable_id"].as_str().unwrap()
            )))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if let Some(f) = html.split("action=\"/mitxonline/cart/add/\"").nth(1) {
            let field = |name: &str| {
                f.split(&format!("name=\"{name}\" value=\""))
                    .nth(1)
                    .and_then(|v| v.split('"').next())
                    .map(str::to_owned)
            };
            form = Some((
                field("csrfmiddlewaretoken").unwrap(),
                field("product_id").unwrap(),
            ));
            break;
        }
    }
    let (token, product) = form.expect("a course page with an add-to-cart form");
    let origin = gw.origin.clone();
    let refused = c
        .post(gw.url("/mitxonline/cart/add/"))
        .header("origin", &origin)
        .form(&[("product_id", product.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403, "no token, no change");
    let added = c
        .post(gw.url("/mitxonline/cart/add/"))
        .header("origin", &origin)
        .form(&[
            ("product_id", product.as_str()),
            ("csrfmiddlewaretoken", token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert!(added.status().is_redirection(), "{}", added.status());
    let to = location(&added);
    assert!(
        to.starts_with("/mitxonline/") || to.starts_with(&format!("{public}/")),
        "{to}"
    );
    let count: Value = c
        .get(gw.url("/mitxonline/api/checkout/basket_items_count/"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(count, 1, "the product is in the cart");

    // Logging out: sub-paths of the logout path come back to it; the gateway ends its session
    // and returns to the app's logout, after which the app's own session is gone too.
    let r = c
        .get(gw.url("/mitxonline/logout/oidc/extra"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/mitxonline/logout/oidc");
    let r = c.get(gw.url("/mitxonline/logout/oidc")).send().await.unwrap();
    assert_eq!(location(&r), format!("{public}/logout/"));
    assert!(
        set_cookies(&r)
            .iter()
            .any(|s| s.starts_with(&format!("{IDP_COOKIE}=;")))
    );
    let r = c.get(location(&r)).send().await.unwrap();
    assert!(r.status().is_redirection(), "{}", r.status());
    assert_eq!(me(&gw, &c).await["is_authenticated"], false);
    let r = c.get(gw.url("/mitxonline/cart/")).send().await.unwrap();
    assert_eq!(location(&r), "/fake-idp/authorize/mitxonline/cart/");
    app.shutdown().await;
}
