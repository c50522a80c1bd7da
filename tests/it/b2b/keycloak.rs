//! Keycloak organizations: the `X-Userinfo` organization map reconciled on sign-in and at most
//! once a minute (with `keep_until_seen`), the `sync-keycloak` job against the sandbox admin
//! API, and a local join by code added to the Keycloak organization through the outbox.

use std::time::Duration;

use base64::Engine as _;
use mitxonline::users::api_keys::Scope;
use serde_json::{Value, json};

use super::{codes, contract, count, program_with_sources};
use crate::support::TestApp;

const SUB: &str = "7b1f0c3e-0000-4000-8000-0000000000b2";
const ORG_SSO: &str = "5d6a3a8e-0000-4000-8000-00000000a11a";

fn header(orgs: &[&str]) -> String {
    let map: serde_json::Map<String, Value> = orgs
        .iter()
        .enumerate()
        .map(|(i, id)| (format!("org{i}"), json!({ "id": id })))
        .collect();
    let claims = json!({ "sub": SUB, "email": "kc-jane@example.com", "preferred_username": "kcjane", "name": "Jane", "organization": map });
    base64::engine::general_purpose::STANDARD.encode(claims.to_string())
}

async fn me(app: &TestApp, c: &reqwest::Client, orgs: &[&str]) -> Value {
    app.send_json(c.get(app.url("/api/users/me")).header("x-userinfo", header(orgs)))
        .await
        .1
}

/// The CSRF token of a page seen through the gateway (the header on the request).
async fn gateway_csrf(app: &TestApp, c: &reqwest::Client, orgs: &[&str]) -> String {
    let html = c
        .get(app.url("/profile/"))
        .header("x-userinfo", header(orgs))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let marker = "name=\"csrfmiddlewaretoken\" value=\"";
    let at = html
        .find(marker)
        .unwrap_or_else(|| panic!("no CSRF field: {html}"))
        + marker.len();
    html[at..].split('"').next().unwrap().to_owned()
}

fn org_ids(me: &Value) -> Vec<i64> {
    me["b2b_organizations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn the_userinfo_organization_map_is_reconciled_on_sign_in_then_once_a_minute_keeping_local_joins_until_seen()
 {
    let app = TestApp::builder()
        .env("MITXONLINE_AUTH_MODE", "gateway")
        .spawn()
        .await;
    app.expect_undrained(&["openedx", "keycloak"]);
    let (program, _) = program_with_sources(&app, "KC", 1).await;
    let (sso_org, auto) = contract(&app, "kc", "auto", None, None, Some(program), Some(ORG_SSO)).await;
    let local_sso = "5d6a3a8e-0000-4000-8000-00000000b22b";
    let (code_org, code_k) =
        contract(&app, "kccode", "code", None, None, Some(program), Some(local_sso)).await;
    let jane = crate::support::client();

    // Sign-in: the listed organization is joined and its auto contract attached.
    let first = me(&app, &jane, &[ORG_SSO]).await;
    assert_eq!(org_ids(&first), [sso_org]);
    assert_eq!(first["b2b_organizations"][0]["contracts"][0]["id"], auto);
    let csrf = gateway_csrf(&app, &jane, &[ORG_SSO]).await;
    // Within the minute the header is not reconciled again (a dropped org stays for now).
    assert_eq!(org_ids(&me(&app, &jane, &[]).await), [sso_org]);
    app.advance(Duration::from_secs(61));
    let later = me(&app, &jane, &[]).await;
    assert_eq!(org_ids(&later), Vec::<i64>::new());
    let uid = app
        .scalar_i64("SELECT id FROM users WHERE email = 'kc-jane@example.com'")
        .await;
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM b2b_attachments WHERE user_id = ?1",
            uid
        )
        .await,
        0
    );

    // A local join by code is kept although the header does not list it yet…
    let code = codes(&app, code_k).await[0].clone();
    let r = jane
        .post(app.url(&format!("/api/v0/b2b/attach/{code}/")))
        .header("x-userinfo", header(&[]))
        .header("x-csrftoken", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    app.advance(Duration::from_secs(61));
    assert_eq!(org_ids(&me(&app, &jane, &[]).await), [code_org]);
    // …until Keycloak lists it (the flag clears), after which its absence removes it.
    app.advance(Duration::from_secs(61));
    assert_eq!(org_ids(&me(&app, &jane, &[local_sso]).await), [code_org]);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM b2b_memberships WHERE user_id = ?1 AND keep_until_seen = 1",
            uid
        )
        .await,
        0
    );
    app.advance(Duration::from_secs(61));
    assert_eq!(org_ids(&me(&app, &jane, &[]).await), Vec::<i64>::new());
    app.shutdown().await;
}

#[tokio::test]
async fn sync_keycloak_upserts_the_sandbox_organizations_and_a_code_join_adds_the_member_in_keycloak() {
    let app = TestApp::builder()
        .env("MITXONLINE_AUTH_MODE", "gateway")
        .spawn()
        .await;
    app.expect_undrained(&["openedx"]);
    let key = app.api_key(Scope::Staff).await;
    let staff = reqwest::Client::new();
    let created: Value = staff
        .post(app.url("/api/v0/staff/keycloak/sandbox/organizations/"))
        .header("authorization", format!("Api-Key {key}"))
        .json(&json!({ "name": "Acme Corp", "alias": "acme", "description": "Widgets" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kc_id = created["id"].as_str().unwrap().to_owned();
    let run = app.run_job("sync-keycloak").await;
    assert!(run.detail.contains("1 created"), "{}", run.detail);
    assert!(
        app.run_job("sync-keycloak")
            .await
            .detail
            .contains("0 created, 0 updated")
    );
    let orgs: Value = crate::support::client()
        .get(app.url("/api/v0/b2b/organizations/"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(orgs[0]["name"], "Acme Corp");
    assert_eq!(orgs[0]["sso_organization_id"], kc_id.as_str());
    let org = orgs[0]["id"].as_i64().unwrap();

    // A code contract of that organization; Jane (a gateway user) joins by code.
    let (program, _) = program_with_sources(&app, "KCS", 1).await;
    let now = app.state.clock.now();
    let today = now.date_naive();
    let k = app
        .state
        .db
        .write(move |c| {
            let k = mitxonline::b2b::admin::NewContract {
                name: "Acme seats".into(),
                membership_type: "code".into(),
                contract_start: today.to_string(),
                contract_end: (today + chrono::Duration::days(30)).to_string(),
                ..Default::default()
            }
            .parse(org)?;
            let id = mitxonline::b2b::admin::create_contract_in(c, &k, "test", now)?;
            mitxonline::b2b::admin::add_program_in(c, id, &program.to_string(), "test", now)?;
            Ok::<_, mitxonline::b2b::B2bError>(id)
        })
        .await
        .unwrap();
    let code = codes(&app, k).await[0].clone();
    let jane = crate::support::client();
    me(&app, &jane, &[]).await;
    let csrf = gateway_csrf(&app, &jane, &[]).await;
    let r = jane
        .post(app.url(&format!("/api/v0/b2b/attach/{code}/")))
        .header("x-userinfo", header(&[]))
        .header("x-csrftoken", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM outbox WHERE destination = 'keycloak' AND kind = 'add_member'")
            .await,
        1
    );
    app.drain_outbox().await;
    let members: Value = staff
        .get(app.url("/api/v0/staff/keycloak/sandbox/organizations/"))
        .header("authorization", format!("Api-Key {key}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(members[0]["members"], json!([SUB]));
    app.shutdown().await;
}
