//! Issue 11, items 1 and 2, replayed from outside: a staff member (or a staff-scope key) trying
//! to become a superuser, and tokens of OAuth2 applications used beyond their scopes.

use mitxonline::users::api_keys::Scope;
use serde_json::{Value, json};

use crate::support::identity::{
    make_service_account, make_user, post_form, service_token, signed_in, signed_in_superuser,
};
use crate::support::{TestApp, client};

fn minted(html: &str) -> Option<String> {
    let marker = "<code id=\"new-token\">";
    Some(
        html[html.find(marker)? + marker.len()..]
            .split('<')
            .next()?
            .to_owned(),
    )
}

#[tokio::test]
async fn a_staff_member_cannot_mint_a_bearer_token_for_a_superuser() {
    let app = TestApp::spawn().await;
    let staff = signed_in(&app, "curious-staff@example.com", true).await;
    let root = signed_in_superuser(&app, "root@example.com").await;
    let page = "/staff/access-tokens/";
    let form = |email: &'static str| vec![("email", email), ("name", "x"), ("days", "30")];
    let r = post_form(&app, &staff, "/profile/", page, &form("root@example.com")).await;
    assert_eq!(r.status(), 403, "plain staff cannot mint at all");
    // Not even a superuser mints a token for a person's account, superuser or not.
    for email in ["root@example.com", "curious-staff@example.com"] {
        let r = post_form(&app, &root, page, page, &form(email)).await;
        assert_eq!(r.status(), 400);
        assert!(r.text().await.unwrap().contains("not a service account"));
    }
    assert_eq!(app.scalar_i64("SELECT count(*) FROM access_tokens").await, 0);
    make_service_account(&app, "scim-bot@example.com", true).await;
    let r = post_form(&app, &root, page, page, &form("scim-bot@example.com")).await;
    assert_eq!(r.status(), 201);
    let token = minted(&r.text().await.unwrap()).unwrap();
    let r = reqwest::Client::new()
        .get(app.url("/scim/v2/Users"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the service account's token works for SCIM");
    app.shutdown().await;
}

#[tokio::test]
async fn a_staff_api_key_cannot_change_roles_or_mint_staff_keys() {
    let app = TestApp::spawn().await;
    let key = app.api_key(Scope::Staff).await;
    let victim = make_user(&app, "someone@example.com", "a good password", false).await;
    let keyed = || reqwest::Client::new();
    let r = keyed()
        .post(app.url(&format!("/staff/users/{victim}/roles/")))
        .header("authorization", format!("Api-Key {key}"))
        .form(&[("is_superuser", "on"), ("is_staff", "on"), ("is_active", "on")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM users WHERE is_superuser = 1 OR is_staff = 1")
            .await,
        0,
        "no role changed"
    );
    let r = keyed()
        .post(app.url("/api/v0/staff/api_keys/"))
        .header("authorization", format!("Api-Key {key}"))
        .json(&json!({"name": "escalate", "scope": "staff"}));
    assert_eq!(app.send_json(r).await.0, 403);
    // A catalog key is still fine for the key; a staff key from plain staff is not.
    let r = keyed()
        .post(app.url("/api/v0/staff/api_keys/"))
        .header("authorization", format!("Api-Key {key}"))
        .json(&json!({"name": "etl", "scope": "catalog"}));
    assert_eq!(app.send_json(r).await.0, 201);
    let staff = signed_in(&app, "staff@example.com", true).await;
    let r = post_form(
        &app,
        &staff,
        "/staff/api-keys/",
        "/staff/api-keys/",
        &[("name", "mine"), ("scope", "staff")],
    )
    .await;
    assert_eq!(r.status(), 403);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM api_keys WHERE scope = 'staff'")
            .await,
        1,
        "only the test's own key"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_bearer_token_for_a_persons_account_signs_nobody_in_and_persons_never_become_service_accounts() {
    let app = TestApp::spawn().await;
    let person = make_user(&app, "person@example.com", "a good password", true).await;
    // A token minted before the rule (straight into the table) for a person's account.
    let token = service_token(&app, person).await;
    let me: Value = reqwest::Client::new()
        .get(app.url("/api/users/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["is_authenticated"], false);
    let root = signed_in_superuser(&app, "root@example.com").await;
    let r = post_form(
        &app,
        &root,
        "/staff/users/",
        &format!("/staff/users/{person}/roles/"),
        &[
            ("is_staff", "on"),
            ("is_active", "on"),
            ("is_service_account", "on"),
        ],
    )
    .await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("person's account"));
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM users WHERE is_service_account = 1")
            .await,
        0
    );
    // A service account never signs in as a person: no password reset for it.
    make_service_account(&app, "bot@example.com", true).await;
    let c = client();
    post_form(
        &app,
        &c,
        "/password-reset/",
        "/password-reset/",
        &[("email", "bot@example.com")],
    )
    .await;
    assert_eq!(
        crate::support::identity::last_mail(&app, "bot@example.com").await,
        ""
    );
    app.shutdown().await;
}

#[tokio::test]
async fn staff_who_are_not_superusers_see_no_reset_links_in_the_mailbox_or_dead_letters() {
    let app = TestApp::spawn().await;
    make_user(&app, "victim@example.com", "a good password", false).await;
    let c = client();
    let r = post_form(
        &app,
        &c,
        "/password-reset/",
        "/password-reset/",
        &[("email", "victim@example.com")],
    )
    .await;
    assert_eq!(r.status(), 200);
    app.drain_outbox().await;
    let staff = signed_in(&app, "staff@example.com", true).await;
    let html = staff
        .get(app.url("/staff/mail/?to=victim@example.com"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Reset your MITx Online password"), "{html}");
    let token_in = |h: &str| {
        h.split("?token=")
            .nth(1)
            .map(|t| {
                t.chars()
                    .take_while(char::is_ascii_alphanumeric)
                    .collect::<String>()
            })
            .unwrap_or_default()
    };
    assert_eq!(token_in(&html), "", "the link's secret is masked: {html}");
    let root = signed_in_superuser(&app, "root@example.com").await;
    let html = root
        .get(app.url("/staff/mail/?to=victim@example.com"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(token_in(&html).len(), 40, "superusers see the link");
    // A dead letter carrying a link is masked the same way in the staff API.
    app.expect_undelivered_to("mail");
    app.state
        .db
        .write(|c| {
            c.execute(
                "UPDATE outbox SET status = 'dead', payload = json_set(payload, '$.body', 'go ?token=SECRETSECRET')",
                [],
            )
        })
        .await
        .unwrap();
    let dead = app
        .send_json(staff.get(app.url("/api/v0/staff/outbox/dead/")))
        .await
        .1
        .to_string();
    assert!(
        !dead.contains("SECRETSECRET") && dead.contains("hidden"),
        "{dead}"
    );
    let dead = app
        .send_json(root.get(app.url("/api/v0/staff/outbox/dead/")))
        .await
        .1
        .to_string();
    assert!(dead.contains("SECRETSECRET"), "{dead}");
    app.shutdown().await;
}

/// An access token our provider issued to an application, with `scope`, for `user_id`.
async fn app_token(app: &TestApp, user_id: i64, scope: &'static str) -> String {
    let now = app.state.clock.now();
    app.state
        .db
        .write(move |c| {
            let (a, _) = mitxonline::oauth2::store::create_app(
                c,
                &format!("app-{scope}"),
                &["https://client.example/cb".to_owned()],
                false,
                now,
            )?;
            mitxonline::oauth2::store::issue_access_token(
                c,
                Some(a.id),
                &a.name,
                user_id,
                scope,
                chrono::Duration::hours(1),
                now,
            )
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn an_oauth2_application_token_of_a_superuser_reaches_only_routes_of_its_scopes() {
    let app = TestApp::spawn().await;
    let root = make_user(&app, "root@example.com", "a good password", true).await;
    app.state
        .db
        .write(move |c| c.execute("UPDATE users SET is_superuser = 1 WHERE id = ?1", [root]))
        .await
        .unwrap();
    let token = app_token(&app, root, "user:read").await;
    let call = |m: &str, path: &str| {
        reqwest::Client::new()
            .request(m.parse().unwrap(), app.url(path))
            .bearer_auth(&token)
            .json(&json!({}))
            .send()
    };
    let me: Value = call("GET", "/api/users/me").await.unwrap().json().await.unwrap();
    assert_eq!(me["email"], "root@example.com", "user:read reads the user");
    assert_eq!(call("GET", "/api/v0/userinfo/").await.unwrap().status(), 200);
    for (m, path) in [
        ("PATCH", "/api/users/me"),
        ("GET", "/staff/"),
        ("GET", "/staff/users/"),
        ("POST", "/staff/users/1/roles/"),
        ("GET", "/api/v0/staff/jobs/"),
        ("GET", "/scim/v2/Users"),
        ("POST", "/api/v0/orders/1/refunds/"),
        ("GET", "/api/orders/history/"),
        ("POST", "/api/openedx_webhook/enrollment/"),
        ("GET", "/api/v0/user_search/"),
    ] {
        let r = call(m, path).await.unwrap();
        assert_eq!(r.status(), 403, "{m} {path}: {}", r.text().await.unwrap());
    }
    // A token without a reading scope does not read the user either.
    let check_only = app_token(&app, root, "b2b:manager-check").await;
    let r = reqwest::Client::new()
        .get(app.url("/api/users/me"))
        .bearer_auth(&check_only)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("user:read"));
    app.shutdown().await;
}
