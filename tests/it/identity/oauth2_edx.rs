//! The provider and Open edX together: a fake edX plays edX's side of the per-user token dance
//! (it sends the learner's browser through our `/oauth2/authorize/`, then hands out its own
//! code), the registration token is a real bearer token of ours, staff and the CLI register
//! applications, and `clear-expired-tokens` cleans up.

use mitxonline::integrations::openedx::service::OpenEdx;
use mitxonline::integrations::openedx::store as edx_store;
use serde_json::json;

use super::oauth2::{me_status, register_app, token_request, who};
use crate::support::TestApp;
use crate::support::fake::{FakeServer, Reply};
use crate::support::identity::{make_user, post_form, signed_in};

#[tokio::test]
async fn per_user_edx_tokens_are_obtained_through_our_provider_against_a_real_edx() {
    let edx = FakeServer::start().await;
    let app = TestApp::builder()
        .env("MITXONLINE_OPENEDX_API_BASE_URL", &edx.url)
        .env("MITXONLINE_OPENEDX_CLIENT_ID", "edx-side-client")
        .env("MITXONLINE_OPENEDX_CLIENT_SECRET", "edx-side-secret")
        .spawn()
        .await;
    let edx_complete = format!("{}/auth/complete/ol-oauth2/", edx.url);
    let (our_client, our_secret) = register_app(&app, "edx-oauth-app", &edx_complete, true).await;
    let uid = make_user(&app, "learner@example.com", "a good password", false).await;
    let now = app.state.clock.now();
    app.state
        .db
        .write(move |c| {
            edx_store::get_or_create(c, uid, now)?;
            edx_store::set_username(c, uid, "learner", None, now)?;
            edx_store::mark_synced(c, uid, now)
        })
        .await
        .unwrap();

    // edX's side: the social login bounces through our authorize endpoint…
    let ours = format!(
        "{}/oauth2/authorize/?client_id={our_client}&redirect_uri={}&state=edxstate&response_type=code&scope=user:read",
        app.base,
        url::form_urlencoded::byte_serialize(edx_complete.as_bytes()).collect::<String>()
    );
    edx.push(Reply::status(302).header("location", &ours));
    // …comes back with our code, logs the learner in (edX session cookie)…
    edx.push(
        Reply::status(302)
            .header("location", "/dashboard")
            .header("set-cookie", "edxsessionid=edx-session-1; Path=/; HttpOnly"),
    );
    edx.push(Reply::status(200));
    // …then edX's own authorize redirects to our redirect URI with edX's code, and its token endpoint.
    edx.push(Reply::status(302).header("location", &app.url("/_/auth/complete?code=edx-code-1")));
    edx.push(Reply::json(200, json!({"access_token": "edx-access-1", "refresh_token": "edx-refresh-1", "expires_in": 36000, "token_type": "Bearer", "scope": "read write"})));

    let token = OpenEdx::from_state(&app.state)
        .create_auth_token(uid)
        .await
        .expect("per-user token");
    assert_eq!(token, "edx-access-1");

    let reqs = edx.requests();
    assert_eq!(
        reqs.len(),
        5,
        "{:?}",
        reqs.iter().map(|r| &r.path).collect::<Vec<_>>()
    );
    assert_eq!(reqs[0].path, "/auth/login/ol-oauth2/");
    assert_eq!(reqs[0].query.as_deref(), Some("auth_entry=login"));
    assert_eq!(reqs[1].path, "/auth/complete/ol-oauth2/");
    let complete: std::collections::BTreeMap<String, String> =
        url::form_urlencoded::parse(reqs[1].query.as_deref().unwrap().as_bytes())
            .into_owned()
            .collect();
    assert_eq!(complete["state"], "edxstate");
    assert_eq!(reqs[3].path, "/oauth2/authorize");
    assert_eq!(
        reqs[3].header("cookie").as_deref(),
        Some("edxsessionid=edx-session-1")
    );
    assert!(
        reqs[3]
            .query
            .as_deref()
            .unwrap()
            .contains("client_id=edx-side-client")
    );
    assert_eq!(reqs[4].path, "/oauth2/access_token");
    assert!(String::from_utf8_lossy(&reqs[4].body).contains("code=edx-code-1"));
    let stored = app
        .state
        .db
        .read(move |c| edx_store::find_auth(c, uid))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.access_token.as_deref(), Some("edx-access-1"));
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM sessions WHERE revoked_on IS NULL")
            .await,
        0,
        "the helper session is revoked"
    );

    // What edX's server does with the code we gave it: redeem it and read the user.
    let (status, body) = token_request(
        &app,
        Some((&our_client, &our_secret)),
        &[
            ("grant_type", "authorization_code"),
            ("code", &complete["code"]),
            ("redirect_uri", &edx_complete),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (s, me) = me_status(&app, body["access_token"].as_str().unwrap()).await;
    assert_eq!(s, 200);
    assert_eq!(me["email"], "learner@example.com");
    assert_eq!(me["username"], "learner", "edX's ID key is the edX username");
    assert!(OpenEdx::from_state(&app.state).client.can_create_user_tokens());
    app.shutdown().await;
}

#[tokio::test]
async fn the_token_edx_registers_with_is_a_real_bearer_token_of_ours() {
    let app = TestApp::spawn().await;
    register_app(
        &app,
        "edx-oauth-app",
        "https://edx.example/auth/complete/ol-oauth2/",
        true,
    )
    .await;
    let uid = make_user(&app, "reg@example.com", "a good password", false).await;
    let now = app.state.clock.now();
    let token = app
        .state
        .db
        .write(move |c| mitxonline::oauth2::edx::issue_edx_login_token(c, uid, now))
        .await
        .unwrap();
    let (s, me) = me_status(&app, &token).await;
    assert_eq!(s, 200, "{me}");
    assert_eq!(me["email"], "reg@example.com");
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM access_tokens t JOIN oauth2_applications a ON a.id = t.application_id WHERE a.name = 'edx-oauth-app' AND t.scope = 'read write' AND t.expires_on > '2026-12-31'").await,
        1
    );
    app.advance(std::time::Duration::from_secs(1001 * 3600));
    assert_eq!(who(&app, &token).await, None, "it expires after 1000 hours");
    app.shutdown().await;
}

#[tokio::test]
async fn staff_register_applications_on_the_staff_page_and_others_cannot() {
    let app = TestApp::spawn().await;
    let learner = signed_in(&app, "notstaff@example.com", false).await;
    assert_eq!(
        learner
            .get(app.url("/staff/oauth2/"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let staff = signed_in(&app, "staff@example.com", true).await;
    let bad = post_form(
        &app,
        &staff,
        "/staff/oauth2/",
        "/staff/oauth2/",
        &[("name", "Bad"), ("redirect_uris", "not a url")],
    )
    .await;
    assert_eq!(bad.status(), 400);
    assert!(
        bad.text()
            .await
            .unwrap()
            .contains("is not an absolute http(s) URL")
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM oauth2_applications").await,
        0
    );
    let studio = [
        ("name", "Studio"),
        ("redirect_uris", "https://studio.example/cb"),
        ("skip_authorization", "on"),
    ];
    // An application that skips consent is a superuser's decision.
    let r = post_form(&app, &staff, "/staff/oauth2/", "/staff/oauth2/", &studio).await;
    assert_eq!(r.status(), 403);
    let staff = crate::support::identity::signed_in_superuser(&app, "root@example.com").await;
    let r = post_form(&app, &staff, "/staff/oauth2/", "/staff/oauth2/", &studio).await;
    assert_eq!(r.status(), 201);
    let html = r.text().await.unwrap();
    let secret = html
        .split("id=\"new-client-secret\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    let client_id = html
        .split("id=\"new-client-id\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.scalar_i64("SELECT skip_authorization FROM oauth2_applications WHERE name = 'Studio'")
            .await,
        1
    );
    // The secret works for client authentication (an unknown code, not an unknown client).
    let (status, body) = token_request(
        &app,
        Some((&client_id, &secret)),
        &[
            ("grant_type", "authorization_code"),
            ("code", "nope"),
            ("redirect_uri", "https://studio.example/cb"),
        ],
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
    assert!(
        !staff
            .get(app.url("/staff/oauth2/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .contains(&secret),
        "shown once"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn the_cli_registers_an_application_and_prints_the_secret_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = crate::support::process::run_cli(
        dir.path(),
        &[],
        &[
            "oauth2",
            "app",
            "create",
            "edx-oauth-app",
            "--redirect-uri",
            "https://edx.example/auth/complete/ol-oauth2/",
            "--skip-authorization",
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("client_id: ") && text.contains("client_secret: "),
        "{text}"
    );
    let listed = crate::support::process::run_cli(dir.path(), &[], &["oauth2", "app", "list"]);
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listed.contains("edx-oauth-app") && listed.contains("(skips consent)"),
        "{listed}"
    );
    let secret = text
        .lines()
        .find_map(|l| l.strip_prefix("client_secret: "))
        .unwrap();
    assert!(!listed.contains(secret));
    let bad = crate::support::process::run_cli(
        dir.path(),
        &[],
        &["oauth2", "app", "create", "x", "--redirect-uri", "ftp://nope"],
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("redirect_uris"));
}

#[tokio::test]
async fn clear_expired_tokens_removes_dead_codes_and_tokens_but_keeps_live_ones() {
    let app = TestApp::spawn().await;
    let (id, secret) = register_app(&app, "Cleaner", "https://c.example/cb", true).await;
    let browser = signed_in(&app, "clean@example.com", false).await;
    let auth = |scope: &str| {
        format!(
            "/oauth2/authorize/?response_type=code&client_id={id}&redirect_uri=https%3A%2F%2Fc.example%2Fcb&scope={scope}"
        )
    };
    let code_of = |r: reqwest::Response| {
        let loc = r.headers()["location"].to_str().unwrap().to_owned();
        loc.split("code=")
            .nth(1)
            .unwrap()
            .split('&')
            .next()
            .unwrap()
            .to_owned()
    };
    let live = code_of(browser.get(app.url(&auth("read"))).send().await.unwrap());
    let (_, t) = token_request(
        &app,
        Some((&id, &secret)),
        &[
            ("grant_type", "authorization_code"),
            ("code", &live),
            ("redirect_uri", "https://c.example/cb"),
        ],
    )
    .await;
    let _stale = code_of(browser.get(app.url(&auth("read"))).send().await.unwrap());
    app.advance(std::time::Duration::from_secs(120));
    let outcome = app.run_job("clear-expired-tokens").await;
    assert!(format!("{outcome:?}").contains("deleted"), "{outcome:?}");
    assert_eq!(app.scalar_i64("SELECT count(*) FROM oauth2_codes").await, 0);
    assert_eq!(
        who(&app, t["access_token"].as_str().unwrap()).await.as_deref(),
        Some("clean@example.com"),
        "a live token survives"
    );
    app.advance(std::time::Duration::from_secs(11 * 3600));
    app.run_job("clear-expired-tokens").await;
    // The access token expired, but its refresh token is live: both kept, and refresh works.
    let (status, _) = token_request(
        &app,
        Some((&id, &secret)),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", t["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(status, 200);
    app.run_job("clear-expired-tokens").await;
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM oauth2_refresh_tokens").await,
        1,
        "the rotated one is gone"
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM access_tokens WHERE application_id IS NOT NULL")
            .await,
        1
    );
    app.shutdown().await;
}
