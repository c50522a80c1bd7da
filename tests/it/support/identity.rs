//! Shared steps of the identity tests: CSRF tokens from pages, the sandbox mailbox, local
//! accounts, signing in.

use mitxonline::users::store::{self, NewUser};

use crate::support::TestApp;

/// The masked CSRF token a page rendered into its forms (and the cookie, now in `client`).
pub async fn csrf_from(app: &TestApp, client: &reqwest::Client, path: &str) -> String {
    let html = client
        .get(app.url(path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let marker = "name=\"csrfmiddlewaretoken\" value=\"";
    let at = html
        .find(marker)
        .unwrap_or_else(|| panic!("no CSRF field on {path}: {html}"))
        + marker.len();
    html[at..].split('"').next().unwrap().to_owned()
}

/// Posts a form with the page's CSRF token.
pub async fn post_form(
    app: &TestApp,
    client: &reqwest::Client,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let token = csrf_from(app, client, page).await;
    let mut form: Vec<(&str, &str)> = fields.to_vec();
    form.push(("csrfmiddlewaretoken", &token));
    client.post(app.url(action)).form(&form).send().await.unwrap()
}

/// Delivers queued mail and returns the newest sandbox mail body sent to `to`.
pub async fn last_mail(app: &TestApp, to: &str) -> String {
    app.drain_outbox().await;
    let to = to.to_owned();
    let mails = app
        .state
        .db
        .read(move |c| mitxonline::mail::sandbox(c, Some(&to), 10))
        .await
        .unwrap();
    mails.first().map(|m| m.body.clone()).unwrap_or_default()
}

/// The first link in a mail body, made relative to the app.
pub fn link_in(app: &TestApp, body: &str) -> String {
    let start = body.find("http").expect("a link in the mail");
    let link = body[start..].split_whitespace().next().unwrap();
    link.strip_prefix(&app.base).unwrap_or(link).to_owned()
}

/// Creates a verified local account directly (as `user create` does).
pub async fn make_user(app: &TestApp, email: &str, password: &str, staff: bool) -> i64 {
    let hash = mitxonline::users::password::hash(password).unwrap();
    let now = app.state.clock.now();
    let email = email.to_owned();
    app.state
        .db
        .write(move |c| {
            let username = store::free_username(c, &email)?;
            store::insert(
                c,
                &NewUser {
                    email,
                    username,
                    name: "Test Person".into(),
                    is_staff: staff,
                    is_superuser: false,
                    password_hash: Some(hash),
                },
                now,
            )
        })
        .await
        .unwrap()
}

/// Signs `client` in through the login form; returns the response (a redirect on success).
pub async fn log_in(
    app: &TestApp,
    client: &reqwest::Client,
    email: &str,
    password: &str,
) -> reqwest::Response {
    post_form(
        app,
        client,
        "/login/",
        "/login/",
        &[("email", email), ("password", password), ("next", "/profile/")],
    )
    .await
}

/// A fresh cookie-keeping client signed in as a new verified user.
pub async fn signed_in(app: &TestApp, email: &str, staff: bool) -> reqwest::Client {
    make_user(app, email, "a good password", staff).await;
    let client = crate::support::client();
    let r = log_in(app, &client, email, "a good password").await;
    assert_eq!(r.status(), 303, "login of {email}: {}", r.text().await.unwrap());
    client
}

/// A CSRF token usable in `X-CSRFToken` for `client` (read from any page).
pub async fn header_token(app: &TestApp, client: &reqwest::Client) -> String {
    csrf_from(app, client, "/profile/").await
}

/// `PATCH /api/v0/users/me` as the signed-in `client`: `(status, body)`.
pub async fn patch_me(
    app: &TestApp,
    client: &reqwest::Client,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    let token = header_token(app, client).await;
    let req = client
        .patch(app.url("/api/v0/users/me"))
        .header("x-csrftoken", token)
        .json(&body);
    super::openapi::send_json(req).await
}

/// Creates a service account (no password, as `user create --service-account` does).
pub async fn make_service_account(app: &TestApp, email: &str, staff: bool) -> i64 {
    let now = app.state.clock.now();
    let email = email.to_owned();
    app.state
        .db
        .write(move |c| {
            let username = store::free_username(c, &email)?;
            let id = store::insert(
                c,
                &NewUser {
                    email,
                    username,
                    name: "Service".into(),
                    is_staff: staff,
                    is_superuser: false,
                    password_hash: None,
                },
                now,
            )?;
            store::set_service_account(c, id, true, now)?;
            Ok::<_, rusqlite::Error>(id)
        })
        .await
        .unwrap()
}

/// A staff-minted bearer token for `uid` (as `/staff/access-tokens/` issues).
pub async fn service_token(app: &TestApp, uid: i64) -> String {
    let now = app.state.clock.now();
    app.state
        .db
        .write(move |c| {
            mitxonline::users::sessions::issue_access_token(c, uid, "service", chrono::Duration::days(1), now)
        })
        .await
        .unwrap()
}

/// A fresh client signed in as a new superuser.
pub async fn signed_in_superuser(app: &TestApp, email: &str) -> reqwest::Client {
    let uid = make_user(app, email, "a good password", true).await;
    app.state
        .db
        .write(move |c| c.execute("UPDATE users SET is_superuser = 1 WHERE id = ?1", [uid]))
        .await
        .unwrap();
    let client = crate::support::client();
    let r = log_in(app, &client, email, "a good password").await;
    assert_eq!(r.status(), 303, "login of {email}");
    client
}

/// `/api/users/me` as `client` sees it, at `url` (the app's own or through a proxy).
pub async fn me_at(client: &reqwest::Client, url: &str) -> serde_json::Value {
    let (status, me) = super::openapi::send_json(client.get(url)).await;
    assert!(!me.is_null(), "{url} answered {status} without JSON");
    me
}
