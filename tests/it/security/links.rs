//! Issue 11, item 5: script in CMS links. `faq_url`, `price_link` and
//! `financial_assistance_form_url` took `javascript:` and were rendered as `href`s. Every URL
//! field now takes only http(s) URLs and site paths, and every response carries a CSP.

use serde_json::Value;

use crate::support::TestApp;
use crate::support::catalog::{course, seed};
use mitxonline::users::api_keys::Scope;

const URL_FIELDS: [&str; 4] = [
    "faq_url",
    "video_url",
    "price_link",
    "financial_assistance_form_url",
];

const BAD_LINKS: [&str; 9] = [
    "javascript:alert(document.cookie)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example/",
    "/\\evil.example",
    "https:evil.example",
];

async fn save(app: &TestApp, key: &str, form: &[(&str, &str)]) -> reqwest::Response {
    app.client
        .post(app.url("/staff/cms/pages/1/"))
        .header("Authorization", format!("Api-Key {key}"))
        .header("Accept", "application/json")
        .form(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_javascript_url_in_any_cms_link_field_is_refused_naming_the_field_and_nothing_is_saved() {
    let app = TestApp::spawn().await;
    seed(&app, |c, now| course(c, now, 1, true, true).map(|_| ())).await;
    let key = app.api_key(Scope::Staff).await;
    let before = app.scalar_i64("SELECT count(*) FROM cms_revisions").await;
    for field in URL_FIELDS {
        for bad in BAD_LINKS {
            let r = save(
                &app,
                &key,
                &[("title", "Course 001"), (field, bad), ("action", "publish")],
            )
            .await;
            assert_eq!(r.status(), 400, "{field}={bad:?}");
            let body: Value = r.json().await.unwrap();
            assert!(body[field].is_array(), "{field}={bad:?}: {body}");
        }
    }
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM cms_revisions").await,
        before,
        "nothing was saved"
    );
    let page = app
        .get("/courses/course-v1:TEST+C001/")
        .await
        .text()
        .await
        .unwrap();
    assert!(!page.to_ascii_lowercase().contains("javascript:"), "{page}");

    // http(s) URLs and site paths are still links.
    let r = save(
        &app,
        &key,
        &[
            ("title", "Course 001"),
            ("faq_url", "https://mitxonline.zendesk.com/hc/en-us"),
            ("price_link", "/pricing/"),
            ("price_text", "See pricing"),
            ("financial_assistance_form_url", "/financial-assistance/"),
            ("video_url", "https://www.youtube.com/watch?v=x"),
            ("action", "publish"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let page = app
        .get("/courses/course-v1:TEST+C001/")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("href=\"https://mitxonline.zendesk.com/hc/en-us\""),
        "{page}"
    );
    assert!(page.contains("href=\"/pricing/\""), "{page}");
    assert!(page.contains("href=\"/financial-assistance/\""), "{page}");
    app.shutdown().await;
}

#[tokio::test]
async fn a_script_link_stored_before_links_were_checked_is_never_rendered_published_or_rolled_back() {
    let app = TestApp::spawn().await;
    seed(&app, |c, now| course(c, now, 1, true, true).map(|_| ())).await;
    let key = app.api_key(Scope::Staff).await;
    let r = save(
        &app,
        &key,
        &[
            ("title", "Course 001"),
            ("price_text", "Pay"),
            ("action", "publish"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    // Content written by an older version, straight into the revisions.
    app.state
        .db
        .write(|c| {
            c.execute(
                "UPDATE cms_revisions SET content = json_set(content,
                    '$.faq_url', 'javascript:alert(1)',
                    '$.price_link', 'javascript:alert(2)',
                    '$.financial_assistance_form_url', 'javascript:alert(3)')
                 WHERE page_id = 1",
                [],
            )
            .map_err(mitxonline::db::DbError::from)
        })
        .await
        .unwrap();
    let page = app
        .get("/courses/course-v1:TEST+C001/")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Course 001"), "{page}");
    assert!(!page.to_ascii_lowercase().contains("javascript:"), "{page}");

    let post = |path: String, form: Vec<(&'static str, String)>| {
        let app = &app;
        let key = key.clone();
        async move {
            app.client
                .post(app.url(&path))
                .header("Authorization", format!("Api-Key {key}"))
                .header("Accept", "application/json")
                .form(&form)
                .send()
                .await
                .unwrap()
        }
    };
    let r = post("/staff/cms/pages/1/publish".into(), vec![]).await;
    assert_eq!(r.status(), 400);
    assert!(r.json::<Value>().await.unwrap()["faq_url"].is_array());
    let first = app
        .scalar_i64("SELECT min(id) FROM cms_revisions WHERE page_id = 1")
        .await;
    let before = app.scalar_i64("SELECT count(*) FROM cms_revisions").await;
    let r = post(
        "/staff/cms/pages/1/rollback".into(),
        vec![("revision_id", first.to_string())],
    )
    .await;
    assert_eq!(r.status(), 400);
    assert!(r.json::<Value>().await.unwrap()["faq_url"].is_array());
    assert_eq!(app.scalar_i64("SELECT count(*) FROM cms_revisions").await, before);
    app.shutdown().await;
}

/// What a CSP without `'unsafe-inline'` would block, in our own markup.
fn inline_code(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let mut found = Vec::new();
    for (i, _) in lower.match_indices("<script") {
        let tag = &lower[i..lower[i..].find('>').map_or(lower.len(), |e| i + e)];
        if !tag.contains(" src=") {
            found.push(tag.to_owned());
        }
    }
    for chunk in lower.split('<').skip(1) {
        let tag = chunk.split('>').next().unwrap_or_default();
        for attr in tag.split_ascii_whitespace().skip(1) {
            let name = attr.split('=').next().unwrap_or_default();
            if name == "style" || (name.starts_with("on") && name.len() > 2 && attr.contains('=')) {
                found.push(format!("<{tag}>"));
            }
        }
    }
    found
}

#[tokio::test]
async fn every_page_carries_a_content_security_policy_and_our_markup_has_no_inline_script() {
    let app = TestApp::builder().demo(true).spawn().await;
    app.expect_undrained(&["openedx", "mail"]);
    let course: String = app
        .state
        .db
        .read(|c| {
            c.query_row(
                "SELECT readable_id FROM courses WHERE live = 1 ORDER BY id LIMIT 1",
                [],
                |r| r.get(0),
            )
            .map_err(mitxonline::db::DbError::from)
        })
        .await
        .unwrap();
    let course_page = format!("/courses/{course}/");
    for path in [
        "/",
        "/catalog/",
        course_page.as_str(),
        "/login/",
        "/signup/",
        "/cart/",
        "/sandbox/cybersource/pay",
        "/no-such-page/",
        "/api/v2/courses/",
        "/health/liveness/",
    ] {
        let r = app.get(path).await;
        let csp = r
            .headers()
            .get("content-security-policy")
            .unwrap_or_else(|| panic!("{path} has no CSP"))
            .to_str()
            .unwrap()
            .to_owned();
        assert!(csp.starts_with("default-src 'self'"), "{path}: {csp}");
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert!(csp.contains("frame-ancestors 'self'"), "{path}: {csp}");
        assert_eq!(r.headers()["x-frame-options"], "DENY", "{path}");
        assert!(
            r.headers().get("strict-transport-security").is_none(),
            "{path}: http, no HSTS"
        );
        let html = r.text().await.unwrap();
        assert_eq!(inline_code(&html), Vec::<String>::new(), "{path}");
    }
    // Signed-in pages too: the cart, the dashboard and a receipt (its Print button included).
    use crate::support::commerce::{learner, post_result, run_product, signed_result, started_checkout};
    let (_, product) = run_product(&app, "CSP", "30.00").await;
    let (_, client) = learner(&app, "csp@example.com").await;
    let checkout = started_checkout(&app, &client, product).await;
    let order = checkout["order_id"].as_i64().unwrap();
    let paid = signed_result(&app, &checkout["payload"], "ACCEPT", "7000000000000000000777");
    assert_eq!(
        post_result(&app, "/api/checkout/result/", &paid).await.status(),
        200
    );
    for path in [
        "/cart/".to_owned(),
        "/dashboard/".to_owned(),
        format!("/orders/receipt/{order}/"),
    ] {
        let r = client.get(app.url(&path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert!(r.headers().contains_key("content-security-policy"), "{path}");
        let html = r.text().await.unwrap();
        assert_eq!(inline_code(&html), Vec::<String>::new(), "{path}");
        if path.contains("receipt") {
            assert!(html.contains("data-print"), "{html}");
        }
    }
    app.shutdown().await;
}

#[tokio::test]
async fn framing_follows_mitxonline_frame_ancestors_and_https_sites_send_hsts() {
    let app = TestApp::builder()
        .public_url("https://mitxonline.example")
        .env(
            "MITXONLINE_FRAME_ANCESTORS",
            "'self' https://courses.example.edu https://*.edx.org",
        )
        .spawn()
        .await;
    let r = app.get("/health/liveness/").await;
    let csp = r.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        csp.ends_with("frame-ancestors 'self' https://courses.example.edu https://*.edx.org"),
        "{csp}"
    );
    assert!(
        r.headers().get("x-frame-options").is_none(),
        "X-Frame-Options cannot name other sites; the CSP decides"
    );
    assert_eq!(r.headers()["strict-transport-security"], "max-age=31536000");
    app.shutdown().await;

    let dir = tempfile::tempdir().unwrap();
    let out = crate::support::process::run_cli(
        dir.path(),
        &[("MITXONLINE_FRAME_ANCESTORS", "https://x.example; script-src *")],
        &["config", "check"],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("MITXONLINE_FRAME_ANCESTORS"));
}

#[tokio::test]
async fn key_pages_work_in_a_real_browser_under_the_csp_without_a_single_violation() {
    let Some(b) = crate::support::browser::Browser::start().await else {
        return;
    };
    let app = TestApp::builder().demo(true).spawn().await;
    app.expect_undrained(&["openedx"]);
    let course: String = app
        .state
        .db
        .read(|c| {
            c.query_row(
                "SELECT readable_id FROM courses WHERE live = 1 ORDER BY id LIMIT 1",
                [],
                |r| r.get(0),
            )
            .map_err(mitxonline::db::DbError::from)
        })
        .await
        .unwrap();
    for path in [
        "/",
        "/catalog/",
        &format!("/courses/{course}/"),
        "/login/",
        "/signup/",
        "/cart/",
    ] {
        b.goto(&app.url(path)).await;
        // app.js is a module: it ran when it set up its enhancements without being blocked.
        let loaded = b.eval("return document.readyState").await;
        assert_eq!(loaded, "complete", "{path}");
        let csp: Vec<String> = b
            .console()
            .await
            .into_iter()
            .filter(|m| m.contains("Content Security Policy") || m.contains("Refused to"))
            .collect();
        assert_eq!(csp, Vec::<String>::new(), "{path}");
    }
    // The check can see a violation: an injected inline script is refused and reported.
    b.eval(
        "const s = document.createElement('script'); s.textContent = 'window.injected = 1';
         document.body.appendChild(s); return true;",
    )
    .await;
    assert_eq!(
        b.eval("return window.injected === undefined").await,
        true,
        "inline script is blocked"
    );
    let reported = b.console().await;
    assert!(
        reported.iter().any(|m| m.contains("Content Security Policy")),
        "{reported:?}"
    );
    b.quit().await;
    app.shutdown().await;
}
