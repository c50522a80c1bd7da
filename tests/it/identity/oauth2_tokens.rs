//! Token lifecycle at our OAuth2 provider: refresh rotation and revocation, as a client sees
//! them and as the users API then answers.

use super::oauth2::{REDIRECT, consented_code, redeem, register_app, token_request, who};
use crate::support::TestApp;

#[tokio::test]
async fn refresh_rotates_both_tokens_and_the_old_ones_stop_working() {
    let app = TestApp::spawn().await;
    let (id, secret) = register_app(&app, "Refresher", REDIRECT, false).await;
    let (_, code) = consented_code(&app, "refresh@example.com", &id, false).await;
    let (_, first) = redeem(&app, &id, &secret, &code).await;
    let (old_access, old_refresh) = (
        first["access_token"].as_str().unwrap(),
        first["refresh_token"].as_str().unwrap(),
    );

    let (status, second) = token_request(
        &app,
        Some((&id, &secret)),
        &[("grant_type", "refresh_token"), ("refresh_token", old_refresh)],
    )
    .await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(second["scope"], "openid read user:read");
    let new_access = second["access_token"].as_str().unwrap();
    assert_ne!(new_access, old_access);
    assert_ne!(second["refresh_token"].as_str().unwrap(), old_refresh);
    assert!(who(&app, new_access).await.is_some());
    assert_eq!(
        who(&app, old_access).await,
        None,
        "the replaced access token is revoked"
    );

    let (status, body) = token_request(
        &app,
        Some((&id, &secret)),
        &[("grant_type", "refresh_token"), ("refresh_token", old_refresh)],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "a used refresh token: {body}"
    );
    let (status, body) = token_request(
        &app,
        Some((&id, &secret)),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", second["refresh_token"].as_str().unwrap()),
            ("scope", "write"),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope")),
        "widening the scope: {body}"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_revoked_access_token_is_rejected_by_the_users_api() {
    let app = TestApp::spawn().await;
    let (id, secret) = register_app(&app, "Revoker", REDIRECT, false).await;
    let (_, code) = consented_code(&app, "revoke@example.com", &id, false).await;
    let (_, t) = redeem(&app, &id, &secret, &code).await;
    let access = t["access_token"].as_str().unwrap();
    assert!(who(&app, access).await.is_some());
    let r = reqwest::Client::new()
        .get(app.url("/api/v0/userinfo/"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = reqwest::Client::new()
        .post(app.url("/oauth2/revoke_token/"))
        .basic_auth(&id, Some(&secret))
        .form(&[("token", access)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(who(&app, access).await, None);
    let r = reqwest::Client::new()
        .get(app.url("/api/v0/userinfo/"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_ne!(r.status(), 200, "the userinfo API refuses it too");
    let (status, body) = token_request(
        &app,
        Some((&id, &secret)),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", t["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "its refresh token goes too: {body}"
    );
    app.shutdown().await;
}
