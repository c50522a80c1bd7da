//! Issue 11, items 8 and 10, replayed from outside: open redirects through `next`, and cookies
//! without `Secure` under https.

use serde_json::json;

use crate::support::identity::{csrf_from, make_user, signed_in};
use crate::support::{TestApp, client};

/// `next` values browsers (or proxies) would send somewhere else.
const BYPASSES: &[&str] = &[
    "//evil.example/",
    "/\\evil.example/",
    "\\\\evil.example/",
    "\\/evil.example/",
    "https:evil.example",
    "https:/evil.example",
    "https://evil.example/",
    "HTTPS://evil.example/",
    "//127.0.0.1.evil.example/",
    "https://user@evil.example/",
    "/%2F/evil.example/",
    "/%2f%2fevil.example/",
    "/%5Cevil.example/",
    "/%252F/evil.example/",
    "/%09/evil.example/",
    "/\t/evil.example/",
    "/\n/evil.example/",
    "/\r\n/evil.example/",
    "\t//evil.example/",
    " //evil.example/",
    "//\tevil.example/",
    "javascript:alert(document.domain)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
];

fn with_next(path: &str, next: &str) -> String {
    let q: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("next", next)
        .finish();
    format!("{path}?{q}")
}

#[tokio::test]
async fn open_redirect_bypasses_in_next_all_land_on_our_own_site() {
    let app = TestApp::spawn().await;
    let c = signed_in(&app, "redirected@example.com", false).await;
    for next in BYPASSES {
        let r = c.get(app.url(&with_next("/login/", next))).send().await.unwrap();
        assert_eq!(r.status(), 303, "{next:?}");
        assert_eq!(r.headers()["location"], "/dashboard/", "login with next={next:?}");
        let html = c
            .get(app.url(&with_next("/create-profile-extra/", next)))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            html.contains(r#"<a href="/dashboard/">Skip for now</a>"#),
            "Skip for now with next={next:?}: {html}"
        );
        let r = c
            .get(app.url(&with_next("/account/action/complete", next)))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.headers()["location"],
            "/dashboard/",
            "account action with next={next:?}"
        );
    }
    // What must keep working: our paths and our own origin.
    for (next, to) in [
        ("/catalog/?page=2", "/catalog/?page=2".to_owned()),
        (
            "/courses/course-v1:MITx+1/",
            "/courses/course-v1:MITx+1/".to_owned(),
        ),
        (&app.url("/cart/"), app.url("/cart/")),
    ] {
        let r = c.get(app.url(&with_next("/login/", next))).send().await.unwrap();
        assert_eq!(r.headers()["location"].to_str().unwrap(), to, "{next}");
    }
    app.shutdown().await;
}

fn set_cookies(r: &reqwest::Response) -> Vec<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn every_cookie_is_secure_when_the_public_url_is_https() {
    let origin = "https://mitxonline.example";
    let app = TestApp::builder().public_url(origin).spawn().await;
    make_user(&app, "secure@example.com", "a good password", false).await;
    let c = client();
    let mut seen = Vec::new();
    let r = c.get(app.url("/login/")).send().await.unwrap();
    seen.extend(set_cookies(&r));
    let token = csrf_from(&app, &c, "/login/").await;
    let r = c
        .post(app.url("/login/"))
        .header("origin", origin)
        .form(&[
            ("email", "secure@example.com"),
            ("password", "a good password"),
            ("csrfmiddlewaretoken", &token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    seen.extend(set_cookies(&r));
    let r = c
        .post(app.url("/api/profile/details/"))
        .header("origin", origin)
        .header("x-csrftoken", &token)
        .json(&json!({
            "name": "Secure Learner", "username": "secure_1",
            "legal_address": {"country": "FR", "first_name": "S", "last_name": "L"},
            "user_profile": {"year_of_birth": 1985, "gender": "f"}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    seen.extend(set_cookies(&r));
    let r = c
        .post(app.url("/logout/"))
        .header("origin", origin)
        .header("x-csrftoken", &token)
        .send()
        .await
        .unwrap();
    seen.extend(set_cookies(&r));
    let names: Vec<&str> = seen.iter().filter_map(|s| s.split('=').next()).collect();
    for wanted in ["csrftoken", "mitxonline_sessionid", "user-message"] {
        assert!(names.contains(&wanted), "{wanted} was set: {seen:?}");
    }
    for c in &seen {
        assert!(c.ends_with("; Secure") || c.contains("; Secure;"), "{c}");
    }
    app.shutdown().await;
}
