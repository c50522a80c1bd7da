//! Changing credentials, seen from outside: password reset and change, email change, service
//! bearer tokens, login redirects (with the gateway prefix) and deactivated accounts.

use std::time::Duration;

use serde_json::json;

use crate::support::identity::{csrf_from, last_mail, link_in, log_in, make_user, post_form, signed_in};
use crate::support::{TestApp, client};

#[tokio::test]
async fn a_password_reset_link_sets_a_new_password_once_and_ends_every_session() {
    let app = TestApp::spawn().await;
    let old = signed_in(&app, "forgot@example.com", false).await;
    let c = client();
    let r = post_form(
        &app,
        &c,
        "/password-reset/",
        "/password-reset/",
        &[("email", "forgot@example.com")],
    )
    .await;
    assert_eq!(r.status(), 200);
    // Unknown addresses get the same answer and no mail.
    let r = post_form(
        &app,
        &c,
        "/password-reset/",
        "/password-reset/",
        &[("email", "ghost@example.com")],
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(last_mail(&app, "ghost@example.com").await, "");
    let link = link_in(&app, &last_mail(&app, "forgot@example.com").await);
    assert!(link.starts_with("/password-reset/confirm/?token="));
    let token = link.split("token=").nth(1).unwrap().to_owned();
    let r = post_form(
        &app,
        &c,
        &link,
        "/password-reset/confirm/",
        &[("token", &token), ("password", "short")],
    )
    .await;
    assert_eq!(r.status(), 400, "weak passwords are refused");
    let r = post_form(
        &app,
        &c,
        &link,
        "/password-reset/confirm/",
        &[("token", &token), ("password", "a brand new password")],
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        c.get(app.url(&link)).send().await.unwrap().status(),
        400,
        "single use"
    );
    let me: serde_json::Value = old
        .get(app.url("/api/users/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["is_authenticated"], false, "the old session ended");
    assert_eq!(
        log_in(&app, &client(), "forgot@example.com", "a good password")
            .await
            .status(),
        400
    );
    assert_eq!(
        log_in(&app, &client(), "forgot@example.com", "a brand new password")
            .await
            .status(),
        303
    );
    app.shutdown().await;
}

#[tokio::test]
async fn changing_the_password_signs_out_other_sessions_but_keeps_this_one() {
    let app = TestApp::spawn().await;
    let a = signed_in(&app, "two@example.com", false).await;
    let b = client();
    assert_eq!(
        log_in(&app, &b, "two@example.com", "a good password")
            .await
            .status(),
        303
    );
    let r = post_form(
        &app,
        &a,
        "/account-settings/",
        "/account-settings/password/",
        &[
            ("current_password", "wrong"),
            ("new_password", "another good one"),
        ],
    )
    .await;
    assert_eq!(r.status(), 400);
    let r = post_form(
        &app,
        &a,
        "/account-settings/",
        "/account-settings/password/",
        &[
            ("current_password", "a good password"),
            ("new_password", "another good one"),
        ],
    )
    .await;
    assert_eq!(r.status(), 200);
    let me_a: serde_json::Value = a
        .get(app.url("/api/users/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let me_b: serde_json::Value = b
        .get(app.url("/api/users/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me_a["is_authenticated"], true);
    assert_eq!(me_b["is_authenticated"], false);
    app.shutdown().await;
}

#[tokio::test]
async fn an_email_change_happens_only_when_the_new_address_confirms_it() {
    let app = TestApp::spawn().await;
    let c = signed_in(&app, "old@example.com", false).await;
    make_user(&app, "other@example.com", "a good password", false).await;
    let r = post_form(
        &app,
        &c,
        "/account-settings/",
        "/account-settings/email/",
        &[("email", "other@example.com"), ("password", "a good password")],
    )
    .await;
    assert_eq!(r.status(), 400, "an address in use is refused");
    let r = post_form(
        &app,
        &c,
        "/account-settings/",
        "/account-settings/email/",
        &[("email", "new@example.com"), ("password", "wrong")],
    )
    .await;
    assert_eq!(r.status(), 400, "the password is checked");
    let r = post_form(
        &app,
        &c,
        "/account-settings/",
        "/account-settings/email/",
        &[("email", "new@example.com"), ("password", "a good password")],
    )
    .await;
    assert_eq!(r.status(), 200);
    let me: serde_json::Value = c
        .get(app.url("/api/users/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], "old@example.com", "not changed before confirmation");
    let link = link_in(&app, &last_mail(&app, "new@example.com").await);
    assert_eq!(c.get(app.url(&link)).send().await.unwrap().status(), 200);
    let me: serde_json::Value = c
        .get(app.url("/api/users/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], "new@example.com");
    app.shutdown().await;
}

#[tokio::test]
async fn a_service_bearer_token_authenticates_without_csrf_until_it_expires() {
    let app = TestApp::spawn().await;
    let uid = crate::support::identity::make_service_account(&app, "svc@example.com", false).await;
    let now = app.state.clock.now();
    let token = app
        .state
        .db
        .write(move |c| {
            mitxonline::users::sessions::issue_access_token(
                c,
                uid,
                "edx-webhooks",
                chrono::Duration::hours(1),
                now,
            )
        })
        .await
        .unwrap();
    let plain = reqwest::Client::new();
    let r = plain
        .patch(app.url("/api/users/me"))
        .bearer_auth(&token)
        .json(&json!({"name": "Service"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    app.advance(Duration::from_secs(2 * 3600));
    let me: serde_json::Value = plain
        .get(app.url("/api/users/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["is_authenticated"], false);
    app.shutdown().await;
}

#[tokio::test]
async fn pages_that_need_a_user_send_anonymous_visitors_to_login_with_next() {
    let app = TestApp::spawn().await;
    let r = app.get("/profile/").await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/login/?next=%2Fprofile%2F");
    let c = client();
    let token = csrf_from(&app, &c, "/login/").await;
    assert_eq!(token.len(), 64);
    app.shutdown().await;
}

#[tokio::test]
async fn behind_the_mitxonline_prefix_login_redirects_keep_the_prefix_once() {
    // As behind APISIX's prefixed route: the public URL carries `/mitxonline`.
    let app = TestApp::builder()
        .public_url("http://127.0.0.1:9/mitxonline")
        .spawn()
        .await;
    make_user(&app, "prefix@example.com", "a good password", false).await;
    let c = client();
    let r = c.get(app.url("/mitxonline/profile/")).send().await.unwrap();
    assert_eq!(
        r.headers()["location"],
        "/mitxonline/login/?next=%2Fmitxonline%2Fprofile%2F"
    );
    let r = post_form(
        &app,
        &c,
        "/mitxonline/login/",
        "/mitxonline/login/",
        &[
            ("email", "prefix@example.com"),
            ("password", "a good password"),
            ("next", "/mitxonline/profile/"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers()["location"],
        "/mitxonline/create-profile/?next=%2Fmitxonline%2Fprofile%2F"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_deactivated_account_cannot_log_in_and_its_sessions_stop_working() {
    let app = TestApp::spawn().await;
    let c = signed_in(&app, "gone@example.com", false).await;
    app.state
        .db
        .write(|c| c.execute("UPDATE users SET is_active = 0", []))
        .await
        .unwrap();
    let me: serde_json::Value = c
        .get(app.url("/api/users/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["is_authenticated"], false);
    assert_eq!(
        log_in(&app, &client(), "gone@example.com", "a good password")
            .await
            .status(),
        400
    );
    app.shutdown().await;
}
