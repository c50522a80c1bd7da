//! Staff-only surfaces. The route table test reads every `.route("…")` in `src/`, so a staff
//! route added by any module is covered without editing this file.

use mitxonline::users::api_keys::Scope;

use crate::support::TestApp;
use crate::support::identity::{header_token, post_form, signed_in};

/// Every route path declared in the sources (`.route("/path", …)`), with the file it is in.
fn declared_routes() -> Vec<(String, String)> {
    fn walk(dir: &std::path::Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                let mut rest = text.as_str();
                while let Some(at) = rest.find(".route(") {
                    rest = &rest[at + ".route(".len()..];
                    let trimmed = rest.trim_start();
                    if let Some(lit) = trimmed.strip_prefix('"')
                        && let Some(end) = lit.find('"')
                    {
                        out.push((lit[..end].to_owned(), path.display().to_string()));
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut out,
    );
    out
}

/// `/api/v0/staff/jobs/{name}/runs/` → `/api/v0/staff/jobs/1/runs/`.
fn concrete(path: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    for ch in path.chars() {
        match ch {
            '{' => in_param = true,
            '}' => {
                in_param = false;
                out.push('1');
            }
            _ if !in_param => out.push(ch),
            _ => {}
        }
    }
    out
}

fn is_staff_route(path: &str) -> bool {
    path.starts_with("/staff/")
        || path.contains("/staff/")
        || path.contains("user_search")
        || path.starts_with("/scim/")
}

#[tokio::test]
async fn every_staff_route_and_staff_api_refuses_learners_and_anonymous_callers() {
    let app = TestApp::spawn().await;
    let learner = signed_in(&app, "learner@example.com", false).await;
    let token = header_token(&app, &learner).await;
    let anonymous = crate::support::client();
    let routes: Vec<(String, String)> = declared_routes()
        .into_iter()
        .filter(|(p, _)| is_staff_route(p))
        .collect();
    assert!(routes.len() >= 10, "the scan found the staff routes: {routes:?}");
    for (route, file) in &routes {
        let url = app.url(&concrete(route));
        let mut refused = 0;
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
            let m: reqwest::Method = method.parse().unwrap();
            let r = learner
                .request(m.clone(), &url)
                .header("x-csrftoken", &token)
                .header("content-type", "application/json")
                .body("{}")
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let body = r.text().await.unwrap();
            assert!(
                status == 403 || status == 405,
                "{method} {route} ({file}) gave a learner {status}: {body}"
            );
            assert!(
                !body.contains("CSRF Failed"),
                "{method} {route}: refused by CSRF, not by the staff gate"
            );
            if status == 403 {
                refused += 1;
            }
            let anon = anonymous
                .request(m, &url)
                .header("content-type", "application/json")
                .body("{}")
                .send()
                .await
                .unwrap();
            let s = anon.status().as_u16();
            // A page may instead send an anonymous visitor to sign in.
            let to_login = s == 303
                && anon
                    .headers()
                    .get("location")
                    .and_then(|l| l.to_str().ok())
                    .is_some_and(|l| l.contains("/login/"));
            assert!(
                matches!(s, 401 | 403 | 405) || to_login,
                "{method} {route} ({file}) gave an anonymous caller {s}"
            );
        }
        assert!(refused > 0, "{route} ({file}) answered no method with 403");
    }
    app.shutdown().await;
}

#[tokio::test]
async fn signed_in_staff_pass_the_staff_gate_and_staff_keys_keep_working() {
    let app = TestApp::spawn().await;
    let staff = signed_in(&app, "staff@example.com", true).await;
    assert_eq!(
        staff
            .get(app.url("/api/v0/staff/jobs/"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        staff.get(app.url("/staff/mail/")).send().await.unwrap().status(),
        200
    );
    let key = app.api_key(Scope::Staff).await;
    let r = reqwest::Client::new()
        .get(app.url("/staff/api-keys/"))
        .header("authorization", format!("Api-Key {key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    app.shutdown().await;
}

#[tokio::test]
async fn superusers_create_and_revoke_staff_api_keys_on_the_staff_page() {
    let app = TestApp::spawn().await;
    let staff = crate::support::identity::signed_in_superuser(&app, "keys@example.com").await;
    let r = post_form(
        &app,
        &staff,
        "/staff/api-keys/",
        "/staff/api-keys/",
        &[("name", ""), ("scope", "catalog")],
    )
    .await;
    assert_eq!(r.status(), 400);
    let r = post_form(
        &app,
        &staff,
        "/staff/api-keys/",
        "/staff/api-keys/",
        &[("name", "ops-automation"), ("scope", "staff")],
    )
    .await;
    assert_eq!(r.status(), 201);
    let html = r.text().await.unwrap();
    let marker = "<code id=\"new-key\">";
    let key = html[html.find(marker).unwrap() + marker.len()..]
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    let with_key = |k: String| {
        reqwest::Client::new()
            .get(app.url("/api/v0/staff/jobs/"))
            .header("authorization", format!("Api-Key {k}"))
            .send()
    };
    assert_eq!(with_key(key.clone()).await.unwrap().status(), 200);
    let id = app
        .scalar_i64("SELECT id FROM api_keys WHERE name = 'ops-automation'")
        .await;
    let r = post_form(
        &app,
        &staff,
        "/staff/api-keys/",
        &format!("/staff/api-keys/{id}/revoke/"),
        &[],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        with_key(key).await.unwrap().status(),
        401,
        "a revoked key is refused"
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM audit_log WHERE action LIKE 'api_key.%'")
            .await,
        2
    );
    app.shutdown().await;
}

#[tokio::test]
async fn mail_is_kept_in_the_sandbox_mailbox_that_staff_read() {
    let app = TestApp::spawn().await;
    let c = crate::support::client();
    post_form(
        &app,
        &c,
        "/signup/",
        "/signup/",
        &[
            ("email", "mailbox@example.com"),
            ("name", "Mail Box"),
            ("password", "a good password"),
        ],
    )
    .await;
    app.drain_outbox().await;
    let staff = signed_in(&app, "reader@example.com", true).await;
    let html = staff
        .get(app.url("/staff/mail/?to=mailbox@example.com"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Confirm your MITx Online email address"), "{html}");
    assert!(html.contains("/verify-email/?token="));
    app.shutdown().await;
}

#[tokio::test]
async fn superusers_set_roles_including_editor_and_deactivation_ends_sessions() {
    let app = TestApp::spawn().await;
    let staff_only = signed_in(&app, "plainstaff@example.com", true).await;
    let root = crate::support::client();
    let uid = crate::support::identity::make_user(&app, "root@example.com", "a good password", true).await;
    app.state
        .db
        .write(move |c| {
            c.execute("UPDATE users SET is_superuser = 1 WHERE id = ?1", [uid])
                .map_err(mitxonline::db::DbError::from)
        })
        .await
        .unwrap();
    assert_eq!(
        crate::support::identity::log_in(&app, &root, "root@example.com", "a good password")
            .await
            .status(),
        303
    );
    let learner = signed_in(&app, "promote@example.com", false).await;
    let target = app
        .scalar_i64("SELECT id FROM users WHERE email = 'promote@example.com'")
        .await;
    let action = format!("/staff/users/{target}/roles/");

    let r = post_form(
        &app,
        &staff_only,
        "/profile/",
        &action,
        &[("is_staff", "on"), ("is_active", "on")],
    )
    .await;
    assert_eq!(
        r.status(),
        403,
        "staff who are not superusers cannot change roles"
    );
    let r = post_form(
        &app,
        &root,
        "/staff/users/",
        &action,
        &[("in_editors_group", "on"), ("is_active", "on")],
    )
    .await;
    assert_eq!(r.status(), 303);
    let me: serde_json::Value = learner
        .get(app.url("/api/users/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (me["is_editor"].as_bool(), me["is_staff"].as_bool()),
        (Some(true), Some(false))
    );
    let r = post_form(
        &app,
        &root,
        "/staff/users/",
        &action,
        &[("in_editors_group", "on")],
    )
    .await;
    assert_eq!(r.status(), 303);
    let me: serde_json::Value = learner
        .get(app.url("/api/users/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        me["is_authenticated"], false,
        "a deactivated account is signed out"
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM audit_log WHERE action = 'user.roles'")
            .await,
        2
    );
    let html = root
        .get(app.url("/staff/users/?q=promote"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("inactive") && html.contains("editor"), "{html}");
    app.shutdown().await;
}
