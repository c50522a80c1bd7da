//! Our OAuth2/OIDC provider, driven over HTTP the way a client (Open edX) uses it: the
//! authorization-code flow with PKCE and consent, token errors per RFC 6749, refresh rotation,
//! revocation, ID tokens checked against the published JWKS.

use base64::Engine as _;
use mitxonline::oauth2::store;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::support::TestApp;
use crate::support::identity::{csrf_from, signed_in};

pub const REDIRECT: &str = "https://client.example/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

/// Registers an application directly; returns (client_id, secret).
pub async fn register_app(app: &TestApp, name: &str, redirect: &str, skip: bool) -> (String, String) {
    let now = app.state.clock.now();
    let (name, redirect) = (name.to_owned(), redirect.to_owned());
    let (a, secret) = app
        .state
        .db
        .write(move |c| store::create_app(c, &name, &[redirect], skip, now))
        .await
        .unwrap();
    (a.client_id, secret)
}

fn challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn authorize_path(client_id: &str, redirect: &str, scope: &str) -> String {
    let q = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect)
        .append_pair("scope", scope)
        .append_pair("state", "st4te")
        .append_pair("nonce", "n0nce")
        .append_pair("code_challenge", &challenge(VERIFIER))
        .append_pair("code_challenge_method", "S256")
        .finish();
    format!("/oauth2/authorize/?{q}")
}

fn query_of(location: &str) -> std::collections::BTreeMap<String, String> {
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Signs a user in, goes through consent (Allow), returns (browser, code).
pub async fn consented_code(
    app: &TestApp,
    email: &str,
    client_id: &str,
    staff: bool,
) -> (reqwest::Client, String) {
    let browser = signed_in(app, email, staff).await;
    let path = authorize_path(client_id, REDIRECT, "openid read user:read");
    let token = csrf_from(app, &browser, &path).await;
    let code = allow(app, &browser, &path, &token).await;
    (browser, code)
}

async fn allow(app: &TestApp, browser: &reqwest::Client, path: &str, csrf: &str) -> String {
    let q = query_of(&format!("http://x{path}"));
    let mut form: Vec<(String, String)> = q.into_iter().collect();
    form.push(("csrfmiddlewaretoken".into(), csrf.into()));
    form.push(("allow".into(), "Authorize".into()));
    let r = browser
        .post(app.url("/oauth2/authorize/"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let loc = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(loc.starts_with(REDIRECT), "{loc}");
    let q = query_of(&loc);
    assert_eq!(q["state"], "st4te");
    q["code"].clone()
}

pub async fn token_request(
    app: &TestApp,
    basic: Option<(&str, &str)>,
    form: &[(&str, &str)],
) -> (u16, Value) {
    let mut req = reqwest::Client::new().post(app.url("/oauth2/token/")).form(form);
    if let Some((id, secret)) = basic {
        req = req.basic_auth(id, Some(secret));
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

pub async fn redeem(app: &TestApp, id: &str, secret: &str, code: &str) -> (u16, Value) {
    token_request(
        app,
        Some((id, secret)),
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await
}

pub async fn me_status(app: &TestApp, bearer: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .get(app.url("/api/users/me"))
        .bearer_auth(bearer)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

/// The email `/api/users/me` says the bearer belongs to (it answers anonymous callers too).
pub async fn who(app: &TestApp, bearer: &str) -> Option<String> {
    let (status, me) = me_status(app, bearer).await;
    assert_eq!(status, 200);
    me["email"].as_str().map(str::to_owned)
}

pub async fn tokens_issued(app: &TestApp) -> i64 {
    app.scalar_i64("SELECT count(*) FROM access_tokens WHERE application_id IS NOT NULL")
        .await
}

#[tokio::test]
async fn the_authorization_code_flow_with_pkce_issues_tokens_that_open_the_users_api() {
    let app = TestApp::spawn().await;
    let (id, secret) = register_app(&app, "Partner", REDIRECT, false).await;
    let browser = signed_in(&app, "flow@example.com", true).await;
    let path = authorize_path(&id, REDIRECT, "openid read user:read");
    let page = browser.get(app.url(&path)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Authorize Partner?") && html.contains("Deny"),
        "{html}"
    );
    let csrf = csrf_from(&app, &browser, &path).await;
    let code = allow(&app, &browser, &path, &csrf).await;

    let (status, body) = redeem(&app, &id, &secret, &code).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "openid read user:read");
    assert_eq!(body["expires_in"], 36000);
    assert!(body["refresh_token"].as_str().is_some_and(|s| !s.is_empty()));
    let access = body["access_token"].as_str().unwrap();
    let (s, me) = me_status(&app, access).await;
    assert_eq!(s, 200, "{me}");
    assert_eq!(me["email"], "flow@example.com");
    let r = reqwest::Client::new()
        .get(app.url("/oauth2/userinfo/"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    let info: Value = r.json().await.unwrap();
    assert_eq!(info["email"], "flow@example.com");
    assert_eq!(info["is_staff"], true);
    app.shutdown().await;
}

#[tokio::test]
async fn the_id_token_verifies_with_the_published_jwks_and_carries_the_claims() {
    let app = TestApp::spawn().await;
    let (id, secret) = register_app(&app, "OIDC client", REDIRECT, false).await;
    let (_, code) = consented_code(&app, "oidc@example.com", &id, true).await;
    let (status, body) = redeem(&app, &id, &secret, &code).await;
    assert_eq!(status, 200, "{body}");
    let id_token = body["id_token"].as_str().expect("an id_token for scope openid");

    let (_, disco) = app.get_json("/.well-known/openid-configuration").await;
    assert_eq!(disco["issuer"], app.url("/oauth2"));
    assert_eq!(disco["token_endpoint"], app.url("/oauth2/token/"));
    let jwks_url = disco["jwks_uri"].as_str().unwrap();
    let jwks: Value = reqwest::get(jwks_url).await.unwrap().json().await.unwrap();
    let key = &jwks["keys"][0];
    assert_eq!(key["alg"], "RS256");
    let header = jsonwebtoken::decode_header(id_token).unwrap();
    assert_eq!(header.kid.as_deref(), key["kid"].as_str());
    let dk = jsonwebtoken::DecodingKey::from_rsa_components(
        key["n"].as_str().unwrap(),
        key["e"].as_str().unwrap(),
    )
    .unwrap();
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    v.set_audience(&[&id]);
    v.set_issuer(&[app.url("/oauth2")]);
    v.validate_exp = false; // the app's clock is the reference, not the test's
    let claims = jsonwebtoken::decode::<Value>(id_token, &dk, &v).unwrap().claims;
    assert_eq!(claims["nonce"], "n0nce");
    assert_eq!(claims["email"], "oidc@example.com");
    assert_eq!(claims["is_staff"], true);
    assert_eq!(claims["name"], "Test Person");
    assert!(
        claims["preferred_username"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
    assert!(claims["sub"].as_str().is_some_and(|s| !s.is_empty()));

    // A second fetch publishes the same key (generated once, kept in the database).
    let again: Value = reqwest::get(jwks_url).await.unwrap().json().await.unwrap();
    assert_eq!(again, jwks);
    app.shutdown().await;
}

#[tokio::test]
async fn bad_token_requests_get_the_rfc_6749_error_and_issue_nothing() {
    let app = TestApp::spawn().await;
    let (id, secret) = register_app(&app, "Strict", REDIRECT, false).await;
    let (other_id, other_secret) = register_app(&app, "Other", REDIRECT, false).await;
    let (_, code) = consented_code(&app, "errors@example.com", &id, false).await;
    let (id, secret, code) = (id.as_str(), secret.as_str(), code.as_str());
    let (other_id, other_secret) = (other_id.as_str(), other_secret.as_str());

    type Case<'a> = (
        &'a str,
        Option<(&'a str, &'a str)>,
        Vec<(&'a str, &'a str)>,
        u16,
        &'a str,
    );
    let cases: Vec<Case> = vec![
        (
            "wrong redirect_uri",
            Some((id, secret)),
            vec![
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", "https://client.example/other"),
                ("code_verifier", VERIFIER),
            ],
            400,
            "invalid_grant",
        ),
        (
            "wrong verifier",
            Some((id, secret)),
            vec![
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", "wrong-verifier-wrong-verifier-wrong-verifier-x"),
            ],
            400,
            "invalid_grant",
        ),
        (
            "missing verifier",
            Some((id, secret)),
            vec![
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", REDIRECT),
            ],
            400,
            "invalid_grant",
        ),
        (
            "wrong secret",
            Some((id, "not-the-secret")),
            vec![
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", VERIFIER),
            ],
            401,
            "invalid_client",
        ),
        (
            "wrong secret in the form",
            None,
            vec![
                ("grant_type", "authorization_code"),
                ("client_id", id),
                ("client_secret", "nope"),
                ("code", code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", VERIFIER),
            ],
            401,
            "invalid_client",
        ),
        (
            "another client's code",
            Some((other_id, other_secret)),
            vec![
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", VERIFIER),
            ],
            400,
            "invalid_grant",
        ),
        (
            "unknown grant type",
            Some((id, secret)),
            vec![("grant_type", "password"), ("username", "x")],
            400,
            "unsupported_grant_type",
        ),
        (
            "no grant type",
            Some((id, secret)),
            vec![("code", code)],
            400,
            "invalid_request",
        ),
    ];
    for (what, basic, form, want_status, want_error) in cases {
        let (status, body) = token_request(&app, basic, &form).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (want_status, Some(want_error)),
            "{what}: {body}"
        );
        assert!(body["error_description"].is_string(), "{what}: {body}");
    }
    assert_eq!(tokens_issued(&app).await, 0, "nothing issued by refused requests");

    // The code still works once (client secret in the form this time)…
    let (status, body) = token_request(
        &app,
        None,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", id),
            ("client_secret", secret),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let access = body["access_token"].as_str().unwrap().to_owned();
    assert!(who(&app, &access).await.is_some());
    // …and only once: a replay is refused and revokes what the code was redeemed for.
    let (status, body) = redeem(&app, id, secret, code).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    assert_eq!(
        who(&app, &access).await,
        None,
        "replaying a code revokes its tokens"
    );
    assert_eq!(tokens_issued(&app).await, 1);
    app.shutdown().await;
}

#[tokio::test]
async fn an_expired_code_is_an_invalid_grant() {
    let app = TestApp::spawn().await;
    let (id, secret) = register_app(&app, "Slow", REDIRECT, false).await;
    let (_, code) = consented_code(&app, "slow@example.com", &id, false).await;
    app.advance(std::time::Duration::from_secs(61));
    let (status, body) = redeem(&app, &id, &secret, &code).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    assert_eq!(tokens_issued(&app).await, 0);
    app.shutdown().await;
}

#[tokio::test]
async fn anonymous_visitors_are_sent_to_login_and_come_back() {
    let app = TestApp::spawn().await;
    let (id, _) = register_app(&app, "Anon", REDIRECT, true).await;
    let path = authorize_path(&id, REDIRECT, "read");
    let r = crate::support::client().get(app.url(&path)).send().await.unwrap();
    assert!(r.status().is_redirection());
    let loc = r.headers()["location"].to_str().unwrap();
    assert!(loc.starts_with("/login/?next=%2Foauth2%2Fauthorize%2F"), "{loc}");
    assert_eq!(app.scalar_i64("SELECT count(*) FROM oauth2_codes").await, 0);
    app.shutdown().await;
}

#[tokio::test]
async fn denying_consent_returns_access_denied_to_the_client() {
    let app = TestApp::spawn().await;
    let (id, _) = register_app(&app, "Denied", REDIRECT, false).await;
    let browser = signed_in(&app, "deny@example.com", false).await;
    let path = authorize_path(&id, REDIRECT, "read");
    let csrf = csrf_from(&app, &browser, &path).await;
    let mut form: Vec<(String, String)> = query_of(&format!("http://x{path}")).into_iter().collect();
    form.push(("csrfmiddlewaretoken".into(), csrf));
    form.push(("deny".into(), "Cancel".into()));
    let r = browser
        .post(app.url("/oauth2/authorize/"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let q = query_of(r.headers()["location"].to_str().unwrap());
    assert_eq!(q["error"], "access_denied");
    assert_eq!(q["state"], "st4te");
    assert!(!q.contains_key("code"));
    assert_eq!(app.scalar_i64("SELECT count(*) FROM oauth2_codes").await, 0);
    app.shutdown().await;
}

#[tokio::test]
async fn bad_authorization_requests_are_refused_without_redirecting_to_unknown_uris() {
    let app = TestApp::spawn().await;
    let (id, _) = register_app(&app, "Careful", REDIRECT, true).await;
    let browser = signed_in(&app, "careful@example.com", false).await;
    let r = browser
        .get(app.url(&authorize_path(&id, "https://evil.example/cb", "read")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.headers().get("location").is_none());
    let r = browser
        .get(app.url(&authorize_path("unknown", REDIRECT, "read")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // Known client and URI: other problems go back to the client as errors.
    let r = browser
        .get(app.url(&authorize_path(&id, REDIRECT, "admin")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        query_of(r.headers()["location"].to_str().unwrap())["error"],
        "invalid_scope"
    );
    // Skip-authorization apps get a code at once.
    let r = browser
        .get(app.url(&authorize_path(&id, REDIRECT, "read")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(query_of(r.headers()["location"].to_str().unwrap()).contains_key("code"));
    app.shutdown().await;
}
