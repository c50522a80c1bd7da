//! Retiring an account (the staff Retire form, `mitxonline user retire`): deactivated, email
//! replaced, password unusable, sessions ended, audited; a blocked address cannot make an
//! account again, by sign-up or through the gateway.

use base64::Engine as _;
use serde_json::{Value, json};

use crate::support::identity::{
    csrf_from, log_in, make_user, me_at, post_form, signed_in, signed_in_superuser,
};
use crate::support::process::run_cli;
use crate::support::{TestApp, client};

async fn me(app: &TestApp, c: &reqwest::Client) -> Value {
    me_at(c, &app.url("/api/users/me")).await
}

#[tokio::test]
async fn a_superuser_retires_and_blocks_an_account_which_can_never_sign_in_or_sign_up_again() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx", "mail", "hubspot"]);
    let learner = signed_in(&app, "leaving@example.com", false).await;
    assert_eq!(me(&app, &learner).await["is_authenticated"], true);
    let id = app
        .scalar_i64("SELECT id FROM users WHERE email = 'leaving@example.com'")
        .await;
    let admin = signed_in_superuser(&app, "root@example.com").await;
    let page = admin
        .get(app.url("/staff/users/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!("action=\"/staff/users/{id}/retire/\"")),
        "a Retire form"
    );

    let r = post_form(
        &app,
        &admin,
        "/staff/users/",
        &format!("/staff/users/{id}/retire/"),
        &[("block", "on")],
    )
    .await;
    assert!(r.status().is_redirection(), "{}", r.status());
    let (email, active, hash): (String, bool, Option<String>) = app
        .state
        .db
        .read(move |c| {
            c.query_row(
                "SELECT email, is_active, password_hash FROM users WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
        })
        .await
        .unwrap();
    assert!(
        email.starts_with("retired_email_") && email.ends_with("@retired.127.0.0.1"),
        "{email}"
    );
    assert!(!active && hash.is_none());
    assert_eq!(
        me(&app, &learner).await["is_authenticated"],
        false,
        "its session ended"
    );
    let r = log_in(&app, &client(), "leaving@example.com", "a good password").await;
    assert_ne!(r.status(), 303, "the old credentials sign no one in");
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM audit_log WHERE action = 'retire' AND object_type = 'user'")
            .await,
        1
    );

    // The blocked address cannot make a new account.
    let c = client();
    let token = csrf_from(&app, &c, "/signup/").await;
    let r = c
        .post(app.url("/signup/"))
        .form(&[
            ("email", "Leaving@Example.com"),
            ("name", "Back Again"),
            ("password", "another password"),
            ("csrfmiddlewaretoken", &token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("cannot be used to make an account")
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM users WHERE lower(email) = 'leaving@example.com'")
            .await,
        0
    );

    // Refused: retiring again, a superuser, oneself; a learner cannot retire anyone.
    let r = post_form(
        &app,
        &admin,
        "/staff/users/",
        &format!("/staff/users/{id}/retire/"),
        &[],
    )
    .await;
    assert_eq!(r.status(), 400);
    let root = app
        .scalar_i64("SELECT id FROM users WHERE email = 'root@example.com'")
        .await;
    let r = post_form(
        &app,
        &admin,
        "/staff/users/",
        &format!("/staff/users/{root}/retire/"),
        &[],
    )
    .await;
    assert_eq!(r.status(), 400);
    make_user(&app, "bystander@example.com", "a good password", false).await;
    let other = app
        .scalar_i64("SELECT id FROM users WHERE email = 'bystander@example.com'")
        .await;
    let r = post_form(
        &app,
        &learner,
        "/login/",
        &format!("/staff/users/{other}/retire/"),
        &[],
    )
    .await;
    assert!(matches!(r.status().as_u16(), 401 | 403), "{}", r.status());
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM users WHERE email = 'bystander@example.com' AND is_active = 1")
            .await,
        1
    );
    app.shutdown().await;
}

#[tokio::test]
async fn the_cli_retires_by_email_and_a_blocked_address_gets_no_account_through_the_gateway() {
    let app = TestApp::builder()
        .env("MITXONLINE_AUTH_MODE", "gateway")
        .spawn()
        .await;
    app.expect_undrained(&["openedx", "hubspot"]);
    make_user(&app, "gone@example.com", "a good password", false).await;
    let out = run_cli(
        app.dir.path(),
        &[],
        &[
            "user",
            "retire",
            "gone@example.com",
            "nobody@example.com",
            "--block",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "one unknown account");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("retired user") && stdout.contains("gone@example.com is on the blocklist"),
        "{stdout}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("no account nobody@example.com"));

    let header = base64::engine::general_purpose::STANDARD.encode(
        json!({"sub": "7f7f7f7f-1111-4222-8333-944444444444", "email": "gone@example.com",
               "preferred_username": "gone2", "name": "Gone"})
        .to_string(),
    );
    let r: Value = client()
        .get(app.url("/api/users/me"))
        .header("x-userinfo", header)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["is_authenticated"], false, "{r}");
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM users WHERE email = 'gone@example.com'")
            .await,
        0
    );
    app.shutdown().await;
}
