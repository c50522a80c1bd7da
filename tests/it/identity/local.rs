//! Local accounts, sessions and CSRF, seen from outside: sign up, verify, log in, throttling,
//! logout, CSRF and secure cookies. Password, email and token changes are in
//! `credentials.rs`.

use std::time::Duration;

use serde_json::json;

use crate::support::identity::{header_token, last_mail, link_in, log_in, make_user, post_form, signed_in};
use crate::support::{TestApp, client};

fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

fn cookie_value(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned()
}

async fn me_with_cookie(app: &TestApp, session: &str) -> serde_json::Value {
    let r = reqwest::Client::new()
        .get(app.url("/api/users/me"))
        .header("cookie", format!("mitxonline_sessionid={session}"))
        .send()
        .await
        .unwrap();
    r.json().await.unwrap()
}

#[tokio::test]
async fn a_learner_signs_up_confirms_the_emailed_link_and_lands_in_onboarding() {
    let app = TestApp::spawn().await;
    let c = client();
    let r = post_form(
        &app,
        &c,
        "/signup/",
        "/signup/",
        &[
            ("email", "new@example.com"),
            ("name", "New Learner"),
            ("password", "a good password"),
        ],
    )
    .await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Check your email"));
    // Not verified yet: the password alone does not sign in.
    let r = log_in(&app, &c, "new@example.com", "a good password").await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("confirm your email"));

    // That attempt (with the right password) mailed a fresh link; both mails are there.
    let mail = last_mail(&app, "new@example.com").await;
    assert_eq!(app.scalar_i64("SELECT count(*) FROM mail_sandbox").await, 2);
    let link = link_in(&app, &mail);
    assert!(link.starts_with("/verify-email/?token="), "{link}");
    // Following the link (as mail scanners do) changes nothing; the button confirms.
    assert_eq!(client().get(app.url(&link)).send().await.unwrap().status(), 200);
    let token = link.split("token=").nth(1).unwrap().to_owned();
    let r = post_form(&app, &c, &link, "/verify-email/", &[("token", &token)]).await;
    assert_eq!(r.status(), 303);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/create-profile/?next=")
    );
    let cookie = set_cookie(&r, "mitxonline_sessionid").expect("session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && !cookie.contains("Secure"),
        "{cookie}"
    );
    let (_, me) = app.get_json("/api/users/me").await;
    assert_eq!(me["is_authenticated"], false, "another client stays anonymous");
    let me: serde_json::Value = c
        .get(app.url("/api/users/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], "new@example.com");
    assert_eq!(me["name"], "New Learner");
    // The link is single-use.
    let again = client().get(app.url(&link)).send().await.unwrap();
    assert_eq!(again.status(), 400);
    app.shutdown().await;
}

#[tokio::test]
async fn signing_up_twice_with_one_email_creates_nothing_and_bad_fields_are_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let c = client();
    make_user(&app, "taken@example.com", "a good password", false).await;
    let r = post_form(
        &app,
        &c,
        "/signup/",
        "/signup/",
        &[
            ("email", "TAKEN@example.com"),
            ("name", "X Y"),
            ("password", "a good password"),
        ],
    )
    .await;
    // The same answer as for a new address (no account probing); the owner is told instead.
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Check your email"));
    assert!(
        crate::support::identity::last_mail(&app, "taken@example.com")
            .await
            .contains("Someone tried to create a new MITx Online account")
    );
    let r = post_form(
        &app,
        &c,
        "/signup/",
        "/signup/",
        &[("email", "not-an-email"), ("name", "X"), ("password", "1234")],
    )
    .await;
    assert_eq!(r.status(), 400);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Enter a valid email address.") && html.contains("too short"),
        "{html}"
    );
    assert_eq!(app.scalar_i64("SELECT count(*) FROM users").await, 1);
    app.shutdown().await;
}

#[tokio::test]
async fn a_logged_out_session_cookie_no_longer_works() {
    let app = TestApp::spawn().await;
    make_user(&app, "out@example.com", "a good password", false).await;
    let c = client();
    let r = log_in(&app, &c, "out@example.com", "a good password").await;
    assert_eq!(r.status(), 303);
    let session = cookie_value(&set_cookie(&r, "mitxonline_sessionid").unwrap());
    assert_eq!(me_with_cookie(&app, &session).await["email"], "out@example.com");
    let r = c.get(app.url("/logout")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert!(
        set_cookie(&r, "mitxonline_sessionid")
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(me_with_cookie(&app, &session).await["is_authenticated"], false);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM sessions WHERE revoked_on IS NOT NULL")
            .await,
        1
    );
    app.shutdown().await;
}

#[tokio::test]
async fn login_brute_force_is_throttled_per_account_and_per_address() {
    let app = TestApp::spawn().await;
    make_user(&app, "victim@example.com", "the right password", false).await;
    let c = client();
    for _ in 0..5 {
        assert_eq!(
            log_in(&app, &c, "victim@example.com", "wrong guess")
                .await
                .status(),
            400
        );
    }
    // Even the right password is refused while the account is throttled.
    let r = log_in(&app, &c, "victim@example.com", "the right password").await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    // After the window the right password works again.
    app.advance(Duration::from_secs(16 * 60));
    assert_eq!(
        log_in(&app, &c, "victim@example.com", "the right password")
            .await
            .status(),
        303
    );

    // One address guessing many accounts is throttled too.
    app.advance(Duration::from_secs(16 * 60));
    let c = client();
    for i in 0..20 {
        log_in(&app, &c, &format!("nobody{i}@example.com"), "guess").await;
    }
    assert_eq!(
        log_in(&app, &c, "victim@example.com", "the right password")
            .await
            .status(),
        429
    );
    app.shutdown().await;
}

#[tokio::test]
async fn state_changing_requests_with_a_session_need_the_csrf_token() {
    let app = TestApp::spawn().await;
    let c = signed_in(&app, "csrf@example.com", false).await;
    let body = json!({"name": "Changed Name"});
    let r = c
        .patch(app.url("/api/users/me"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let err: serde_json::Value = r.json().await.unwrap();
    assert_eq!(err["detail"], "CSRF Failed: CSRF token missing.");
    let r = c
        .patch(app.url("/api/users/me"))
        .header("x-csrftoken", "x".repeat(32))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let (_, me) = (
        0,
        c.get(app.url("/api/users/me"))
            .send()
            .await
            .unwrap()
            .json::<serde_json::Value>()
            .await
            .unwrap(),
    );
    assert_eq!(me["name"], "Test Person", "nothing changed");
    let token = header_token(&app, &c).await;
    let r = c
        .patch(app.url("/api/users/me"))
        .header("x-csrftoken", &token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["name"],
        "Changed Name"
    );
    // Anonymous form posts are checked by the forms themselves.
    let r = client()
        .post(app.url("/login/"))
        .form(&[("email", "a@b.co"), ("password", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    app.shutdown().await;
}

#[tokio::test]
async fn over_https_cookies_are_secure_and_the_referer_must_be_our_site() {
    let app = TestApp::builder()
        .public_url("https://mitxonline.example.edu")
        .spawn()
        .await;
    make_user(&app, "tls@example.com", "a good password", false).await;
    let r = client().get(app.url("/login/")).send().await.unwrap();
    let csrf = set_cookie(&r, "csrftoken").unwrap();
    assert!(csrf.contains("Secure"), "{csrf}");
    let secret = cookie_value(&csrf);
    let post = |referer: Option<&'static str>| {
        let mut b = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .post(app.url("/login/"))
            .header("cookie", format!("csrftoken={secret}"))
            .form(&[
                ("email", "tls@example.com"),
                ("password", "a good password"),
                ("csrfmiddlewaretoken", secret.as_str()),
            ]);
        if let Some(r) = referer {
            b = b.header("referer", r);
        }
        b.send()
    };
    let r = post(None).await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("Referer checking failed"));
    assert_eq!(
        post(Some("https://evil.example/login/")).await.unwrap().status(),
        403
    );
    let r = post(Some("https://mitxonline.example.edu/login/")).await.unwrap();
    assert_eq!(r.status(), 303);
    let session = set_cookie(&r, "mitxonline_sessionid").unwrap();
    assert!(
        session.contains("Secure") && session.contains("HttpOnly"),
        "{session}"
    );
    app.shutdown().await;
}
