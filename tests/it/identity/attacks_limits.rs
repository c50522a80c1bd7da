//! Issue 11, item 9, replayed from outside: parallel password guessing, locking an owner out,
//! flooding a mailbox, guessing discount codes. Client addresses come from `X-Forwarded-For`
//! (the test client is a trusted proxy, 127.0.0.1, by default).

use serde_json::json;

use crate::support::identity::{csrf_from, header_token, make_user, signed_in};
use crate::support::{TestApp, client};

async fn login_from(
    app: &TestApp,
    c: &reqwest::Client,
    ip: &str,
    email: &str,
    pw: &str,
) -> reqwest::Response {
    let token = csrf_from(app, c, "/login/").await;
    c.post(app.url("/login/"))
        .header("x-forwarded-for", ip)
        .form(&[
            ("email", email),
            ("password", pw),
            ("csrfmiddlewaretoken", &token),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn parallel_wrong_passwords_do_not_pass_five_per_fifteen_minutes() {
    let app = TestApp::spawn().await;
    make_user(&app, "target@example.com", "the right password", false).await;
    let c = client();
    let token = csrf_from(&app, &c, "/login/").await;
    let attempts = (0..12).map(|i| {
        let (c, token, url) = (c.clone(), token.clone(), app.url("/login/"));
        async move {
            c.post(url)
                .form(&[
                    ("email", "target@example.com"),
                    ("password", &format!("guess {i}")),
                    ("csrfmiddlewaretoken", &token),
                ])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    });
    let statuses = futures_util::future::join_all(attempts).await;
    let tried = statuses.iter().filter(|s| **s == 400).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((tried, refused), (5, 7), "{statuses:?}");
    let r = login_from(&app, &c, "127.0.0.1", "target@example.com", "the right password").await;
    assert_eq!(r.status(), 429);
    app.shutdown().await;
}

#[tokio::test]
async fn an_attackers_failed_logins_do_not_lock_the_owner_out_from_their_own_address() {
    let app = TestApp::spawn().await;
    make_user(&app, "owner@example.com", "the right password", false).await;
    let attacker = client();
    for _ in 0..5 {
        let r = login_from(&app, &attacker, "203.0.113.66", "owner@example.com", "guess").await;
        assert_eq!(r.status(), 400);
    }
    let r = login_from(
        &app,
        &attacker,
        "203.0.113.66",
        "owner@example.com",
        "the right password",
    )
    .await;
    assert_eq!(
        r.status(),
        429,
        "the attacker's address is locked out of this account"
    );
    let retry: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=15 * 60).contains(&retry), "{retry}");
    let owner = client();
    let r = login_from(
        &app,
        &owner,
        "198.51.100.7",
        "owner@example.com",
        "the right password",
    )
    .await;
    assert_eq!(r.status(), 303, "the owner still signs in from their own address");

    // Guessing spread over many addresses meets the slower per-account backstop.
    for n in 0..8 {
        let ip = format!("203.0.113.{}", 100 + n);
        for _ in 0..5 {
            login_from(&app, &attacker, &ip, "owner@example.com", "guess").await;
        }
    }
    let r = login_from(
        &app,
        &client(),
        "198.51.100.8",
        "owner@example.com",
        "the right password",
    )
    .await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    app.shutdown().await;
}

async fn reset_from(app: &TestApp, ip: &str, email: &str) -> reqwest::Response {
    let c = client();
    let token = csrf_from(app, &c, "/password-reset/").await;
    c.post(app.url("/password-reset/"))
        .header("x-forwarded-for", ip)
        .form(&[("email", email), ("csrfmiddlewaretoken", &token)])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_mailbox_cannot_be_flooded_with_reset_sign_up_or_email_change_mail() {
    let app = TestApp::spawn().await;
    make_user(&app, "flooded@example.com", "a good password", false).await;
    for n in 0..3 {
        let r = reset_from(&app, &format!("192.0.2.{n}"), "flooded@example.com").await;
        assert_eq!(r.status(), 200);
    }
    // Per address, whichever client asks.
    let r = reset_from(&app, "192.0.2.200", "FLOODED@example.com").await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    // Per client, whichever addresses it names (known or not).
    for n in 0..10 {
        let r = reset_from(&app, "192.0.2.99", &format!("nobody{n}@example.com")).await;
        assert_eq!(r.status(), 200);
    }
    assert_eq!(
        reset_from(&app, "192.0.2.99", "other@example.com").await.status(),
        429
    );
    app.drain_outbox().await;
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM mail_sandbox WHERE to_address = 'flooded@example.com'")
            .await,
        3
    );

    // Sign-up with a known address answers as for a new one, three times an hour.
    for n in 0..4 {
        let c = client();
        let token = csrf_from(&app, &c, "/signup/").await;
        let r = c
            .post(app.url("/signup/"))
            .header("x-forwarded-for", format!("192.0.2.{}", 10 + n))
            .form(&[
                ("email", "flooded@example.com"),
                ("name", "Someone Else"),
                ("password", "another password"),
                ("csrfmiddlewaretoken", &token),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), if n < 3 { 200 } else { 429 });
    }

    // Email change requests.
    let me = signed_in(&app, "changer@example.com", false).await;
    let token = header_token(&app, &me).await;
    for n in 0..4 {
        let r = me
            .post(app.url("/api/change-emails/"))
            .header("x-csrftoken", &token)
            .json(&json!({"new_email": format!("new{n}@example.com"), "password": "a good password"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), if n < 3 { 201 } else { 429 }, "request {n}");
    }
    assert_eq!(app.scalar_i64("SELECT count(*) FROM users").await, 2);
    app.drain_outbox().await;
    app.shutdown().await;
}

#[tokio::test]
async fn discount_codes_cannot_be_guessed_without_limit() {
    let app = TestApp::spawn().await;
    let me = signed_in(&app, "guesser@example.com", false).await;
    let token = header_token(&app, &me).await;
    let mut statuses = Vec::new();
    for n in 0..11 {
        let r = me
            .post(app.url("/api/checkout/redeem_discount/"))
            .header("x-csrftoken", &token)
            .json(&json!({"discount": format!("GUESS{n}")}))
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
        if n == 10 {
            assert!(r.headers().contains_key("retry-after"));
        }
    }
    assert!(statuses[..10].iter().all(|s| *s != 429), "{statuses:?}");
    assert_eq!(statuses[10], 429, "{statuses:?}");
    app.shutdown().await;
}
