//! Gateway mode: the APISIX `X-Userinfo` header, checked against golden values made with
//! PyPI's mitol-django-apigateway (tests/data/identity/golden_userinfo.json).

use base64::Engine as _;
use serde_json::{Value, json};

use crate::support::{TestApp, client};

fn golden() -> Vec<Value> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/identity/golden_userinfo.json"
    ))
    .unwrap();
    serde_json::from_str::<Value>(&text)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn header_of(claims: &Value) -> String {
    base64::engine::general_purpose::STANDARD.encode(claims.to_string())
}

async fn gateway_app() -> TestApp {
    TestApp::builder()
        .env("MITXONLINE_AUTH_MODE", "gateway")
        .spawn()
        .await
}

async fn me_with(app: &TestApp, c: &reqwest::Client, header: Option<&str>) -> Value {
    let mut req = c.get(app.url("/api/users/me"));
    if let Some(h) = header {
        req = req.header("x-userinfo", h);
    }
    req.send().await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn golden_userinfo_headers_sign_in_and_create_the_user_as_the_original() {
    let app = gateway_app().await;
    for g in golden() {
        let header = g["header"].as_str().unwrap();
        let d = &g["decoded"];
        let me = me_with(&app, &client(), Some(header)).await;
        assert_eq!(me["is_authenticated"], true, "{}", g["description"]);
        assert_eq!(me["global_id"], d["sub"]);
        assert_eq!(me["email"], d["email"]);
        assert_eq!(me["username"], d["preferred_username"]);
        assert_eq!(me["name"], d["name"]);
        // The original creates empty address and profile rows with the user.
        assert_eq!(me["legal_address"]["country"], "");
        assert!(me["user_profile"].is_object());
    }
    // The organisation case is the same person as the first: no new account.
    assert_eq!(app.scalar_i64("SELECT count(*) FROM users").await, 3);
    app.shutdown().await;
}

#[tokio::test]
async fn the_provider_updates_username_and_email_but_the_name_only_while_it_is_empty() {
    let app = gateway_app().await;
    let mut claims = json!({"sub": "11111111-2222-4333-8444-555555555555", "email": "first@example.com", "preferred_username": "first", "name": ""});
    let me = me_with(&app, &client(), Some(&header_of(&claims))).await;
    assert_eq!(me["name"], "");
    claims["email"] = json!("second@example.com");
    claims["preferred_username"] = json!("second");
    claims["name"] = json!("Given Name");
    let me = me_with(&app, &client(), Some(&header_of(&claims))).await;
    assert_eq!(
        (me["email"].as_str(), me["username"].as_str(), me["name"].as_str()),
        (Some("second@example.com"), Some("second"), Some("Given Name"))
    );
    claims["name"] = json!("Another Name");
    let me = me_with(&app, &client(), Some(&header_of(&claims))).await;
    assert_eq!(me["name"], "Given Name", "a name we have is kept");
    assert_eq!(app.scalar_i64("SELECT count(*) FROM users").await, 1);
    app.shutdown().await;
}

#[tokio::test]
async fn garbled_or_forged_headers_never_log_anyone_in() {
    let app = gateway_app().await;
    let long_sub = header_of(&json!({"sub": "x".repeat(37), "email": "a@example.com"}));
    let no_sub = header_of(&json!({"email": "a@example.com", "preferred_username": "a"}));
    let bad_email = header_of(&json!({"sub": "abc", "email": "not an email"}));
    let array = base64::engine::general_purpose::STANDARD.encode("[1,2,3]");
    let not_json = base64::engine::general_purpose::STANDARD.encode("{sub: nope");
    for h in [
        "%%%not-base64%%%",
        not_json.as_str(),
        array.as_str(),
        no_sub.as_str(),
        long_sub.as_str(),
        bad_email.as_str(),
        "",
    ] {
        let me = me_with(&app, &client(), Some(h)).await;
        assert_eq!(me["is_authenticated"], false, "header {h:?}");
    }
    assert_eq!(app.scalar_i64("SELECT count(*) FROM users").await, 0);
    app.shutdown().await;
}

#[tokio::test]
async fn the_header_is_ignored_outside_gateway_mode_and_from_untrusted_addresses() {
    let header = golden()[0]["header"].as_str().unwrap().to_owned();
    let local = TestApp::spawn().await;
    assert_eq!(
        me_with(&local, &client(), Some(&header)).await["is_authenticated"],
        false
    );
    assert_eq!(local.scalar_i64("SELECT count(*) FROM users").await, 0);
    local.shutdown().await;
    let untrusted = TestApp::builder()
        .env("MITXONLINE_AUTH_MODE", "gateway")
        .env("MITXONLINE_GATEWAY_TRUSTED_PROXIES", "10.0.0.0/8")
        .spawn()
        .await;
    assert_eq!(
        me_with(&untrusted, &client(), Some(&header)).await["is_authenticated"],
        false
    );
    assert_eq!(untrusted.scalar_i64("SELECT count(*) FROM users").await, 0);
    untrusted.shutdown().await;
}

#[tokio::test]
async fn a_session_made_from_the_header_ends_when_the_header_stops_coming() {
    let app = gateway_app().await;
    let header = golden()[0]["header"].as_str().unwrap().to_owned();
    let c = client();
    assert_eq!(me_with(&app, &c, Some(&header)).await["is_authenticated"], true);
    assert_eq!(me_with(&app, &c, Some(&header)).await["is_authenticated"], true);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM sessions").await,
        1,
        "the session is reused"
    );
    let r = c.get(app.url("/api/users/me")).send().await.unwrap();
    assert!(
        r.headers()
            .get_all("set-cookie")
            .iter()
            .any(|v| v.to_str().unwrap().contains("mitxonline_sessionid=;"))
    );
    assert_eq!(r.json::<Value>().await.unwrap()["is_authenticated"], false);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM sessions WHERE revoked_on IS NULL")
            .await,
        0
    );
    app.shutdown().await;
}

#[tokio::test]
async fn header_authenticated_changes_need_csrf_too() {
    let app = gateway_app().await;
    let header = golden()[0]["header"].as_str().unwrap().to_owned();
    let c = client();
    let r = c
        .patch(app.url("/api/users/me"))
        .header("x-userinfo", &header)
        .json(&json!({"name": "X Y"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let html = c
        .get(app.url("/profile/"))
        .header("x-userinfo", &header)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let marker = "name=\"csrfmiddlewaretoken\" value=\"";
    let token = html[html.find(marker).unwrap() + marker.len()..]
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let r = c
        .patch(app.url("/api/users/me"))
        .header("x-userinfo", &header)
        .header("x-csrftoken", token)
        .json(&json!({"name": "X Y"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    app.shutdown().await;
}

#[tokio::test]
async fn login_sends_a_first_time_user_to_onboarding_once_and_only_to_allowed_next_urls() {
    let app = gateway_app().await;
    let header = golden()[1]["header"].as_str().unwrap().to_owned();
    let go = |path: &'static str| {
        client()
            .get(app.url(path))
            .header("x-userinfo", header.clone())
            .send()
    };
    let r = go("/login/?next=/catalog/").await.unwrap();
    assert_eq!(r.headers()["location"], "/create-profile/?next=%2Fcatalog%2F");
    let r = go("/login/?next=/catalog/").await.unwrap();
    assert_eq!(r.headers()["location"], "/catalog/", "onboarding is offered once");
    let r = go("/login/?next=https://evil.example/steal").await.unwrap();
    assert_eq!(r.headers()["location"], "/dashboard/");
    let r = go("/login/?next=//evil.example/x").await.unwrap();
    assert_eq!(r.headers()["location"], "/dashboard/");
    // The `next` of an earlier request is remembered in a 30-second cookie.
    let c = client();
    let r = c.get(app.url("/?next=/courses/abc/")).send().await.unwrap();
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("next="))
        .unwrap();
    assert!(cookie.contains("Max-Age=30"), "{cookie}");
    let r = c
        .get(app.url("/login/"))
        .header("x-userinfo", header.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/courses/abc/");
    let own = format!("{}/courses/", app.base);
    let r = client()
        .get(app.url(&format!("/login/?next={own}")))
        .header("x-userinfo", header.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"].to_str().unwrap(), own);
    app.shutdown().await;
}

#[tokio::test]
async fn logout_goes_through_open_edx_then_the_gateway_as_the_original() {
    let app = TestApp::builder()
        .env("MITXONLINE_AUTH_MODE", "gateway")
        .env("MITXONLINE_OPENEDX_API_BASE_URL", "http://127.0.0.1:9/")
        .spawn()
        .await;
    let header = golden()[0]["header"].as_str().unwrap().to_owned();
    let r = client().get(app.url("/logout")).send().await.unwrap();
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.starts_with("http://127.0.0.1:9/logout?redirect_url="), "{to}");
    let r = client()
        .get(app.url("/logout?no_redirect=1"))
        .header("x-userinfo", &header)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["location"].to_str().unwrap(),
        format!("{}/logout/oidc", app.base)
    );
    let r = client()
        .get(app.url("/logout?no_redirect=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["location"].to_str().unwrap(),
        format!("{}/", app.base)
    );
    let (status, body) = app.get_json("/logout/complete").await;
    assert_eq!((status, body), (200, json!({"message": "Logout complete"})));
    app.shutdown().await;
}
