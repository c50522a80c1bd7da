//! SCIM pushes from Keycloak, authenticated by a staff service account's bearer token.

use serde_json::{Value, json};

use crate::support::TestApp;
use crate::support::identity::{make_service_account, service_token};

async fn bearer_for(app: &TestApp, email: &str, staff: bool) -> String {
    let uid = make_service_account(app, email, staff).await;
    service_token(app, uid).await
}

async fn send(app: &TestApp, token: &str, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .request(method.parse().unwrap(), app.url(path))
        .bearer_auth(token);
    if let Some(b) = body {
        req = req
            .header("content-type", "application/scim+json")
            .body(b.to_string());
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn keycloak_user(n: u32) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "externalId": format!("5b1c2d3e-0000-4000-8000-00000000000{n}"),
        "userName": format!("kc_user{n}"),
        "fullName": format!("Keycloak User {n}"),
        "name": {"givenName": "Keycloak", "familyName": format!("User{n}")},
        "emails": [{"value": format!("KC{n}@Example.com"), "primary": true}],
        "active": true
    })
}

#[tokio::test]
async fn keycloak_pushes_finds_updates_and_deactivates_users() {
    let app = TestApp::spawn().await;
    let token = bearer_for(&app, "scim-admin@example.com", true).await;
    let (status, created) = send(&app, &token, "POST", "/scim/v2/Users", Some(keycloak_user(1))).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["externalId"], "5b1c2d3e-0000-4000-8000-000000000001");
    assert_eq!(created["userName"], "kc_user1");
    assert_eq!(
        created["emails"][0]["value"], "kc1@example.com",
        "emails are shown lower-cased"
    );
    assert_eq!(
        created["name"],
        json!({"givenName": "Keycloak", "familyName": "User1"})
    );
    assert_eq!(created["displayName"], "Keycloak User 1");
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(
        created["meta"]["location"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/scim/v2/Users/{id}"))
    );

    let (status, dup) = send(&app, &token, "POST", "/scim/v2/Users", Some(keycloak_user(1))).await;
    assert_eq!(status, 409);
    assert_eq!(dup["scimType"], "uniqueness");

    let (_, found) = send(
        &app,
        &token,
        "GET",
        "/scim/v2/Users?filter=userName%20eq%20%22kc_user1%22",
        None,
    )
    .await;
    assert_eq!(found["totalResults"], 1);
    let (_, found) = send(
        &app,
        &token,
        "POST",
        "/scim/v2/Users/.search",
        Some(json!({"filter": "emails.value eq \"kc1@example.com\" or userName eq \"nobody\""})),
    )
    .await;
    assert_eq!(found["Resources"][0]["id"], id.as_str());
    let (status, _) = send(
        &app,
        &token,
        "GET",
        "/scim/v2/Users?filter=name%20co%20%22x%22",
        None,
    )
    .await;
    assert_eq!(status, 400);

    let (status, patched) = send(&app, &token, "PATCH", &format!("/scim/v2/Users/{id}"), Some(json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "name.familyName", "value": "Renamed"}, {"op": "replace", "value": {"fullName": "New Full Name"}}]
    }))).await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["name"]["familyName"], "Renamed");
    assert_eq!(patched["fullName"], "New Full Name");

    let (status, _) = send(&app, &token, "DELETE", &format!("/scim/v2/Users/{id}"), None).await;
    assert_eq!(status, 204);
    let (_, got) = send(&app, &token, "GET", &format!("/scim/v2/Users/{id}"), None).await;
    assert_eq!(got["active"], false, "DELETE deactivates, as the original");
    let (status, _) = send(&app, &token, "GET", "/scim/v2/Users/99999", None).await;
    assert_eq!(status, 404);
    app.shutdown().await;
}

#[tokio::test]
async fn a_bulk_push_reports_each_operation_and_a_failed_one_changes_nothing() {
    let app = TestApp::spawn().await;
    let token = bearer_for(&app, "bulk-admin@example.com", true).await;
    let mut clash = keycloak_user(3);
    clash["emails"] = json!([{"value": "kc2@example.com", "primary": true}]);
    clash["userName"] = json!("someone_else");
    let (status, resp) = send(
        &app,
        &token,
        "POST",
        "/scim/v2/Bulk",
        Some(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
            "Operations": [
                {"method": "POST", "path": "/Users", "bulkId": "a", "data": keycloak_user(2)},
                {"method": "POST", "path": "/Users", "bulkId": "b", "data": clash},
                {"method": "POST", "path": "/Users", "bulkId": "c", "data": keycloak_user(4)},
                {"method": "FROB", "path": "/Users", "bulkId": "d"}
            ]
        })),
    )
    .await;
    assert_eq!(status, 200, "{resp}");
    let statuses: Vec<&str> = resp["Operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, vec!["201", "409", "201", "400"]);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM users WHERE username = 'someone_else'")
            .await,
        0
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM users WHERE global_id IS NOT NULL")
            .await,
        2
    );
    app.shutdown().await;
}

#[tokio::test]
async fn scim_needs_a_staff_users_bearer_token() {
    let app = TestApp::spawn().await;
    let learner = bearer_for(&app, "learner-scim@example.com", false).await;
    let (status, body) = send(&app, "not-a-token", "GET", "/scim/v2/Users", None).await;
    assert_eq!(status, 401, "{body}");
    let (status, _) = send(&app, &learner, "POST", "/scim/v2/Users", Some(keycloak_user(5))).await;
    assert_eq!(status, 403);
    let staff = bearer_for(&app, "staff-scim@example.com", true).await;
    let r = reqwest::Client::new()
        .post(app.url("/scim/v2/Users"))
        .bearer_auth(&staff)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(app.scalar_i64("SELECT count(*) FROM users").await, 2);
    app.shutdown().await;
}

#[tokio::test]
async fn staff_issue_and_revoke_the_bearer_token_keycloak_uses() {
    let app = TestApp::spawn().await;
    let staff = crate::support::identity::signed_in_superuser(&app, "ops@example.com").await;
    make_service_account(&app, "keycloak-svc@example.com", true).await;
    let page = "/staff/access-tokens/";
    let form = |email: &'static str, days: &'static str| {
        vec![("email", email), ("name", "keycloak scim"), ("days", days)]
    };
    let r =
        crate::support::identity::post_form(&app, &staff, page, page, &form("ghost@example.com", "30")).await;
    assert_eq!(r.status(), 400);
    let r = crate::support::identity::post_form(
        &app,
        &staff,
        page,
        page,
        &form("keycloak-svc@example.com", "9999"),
    )
    .await;
    assert_eq!(r.status(), 400);
    let r = crate::support::identity::post_form(
        &app,
        &staff,
        page,
        page,
        &form("keycloak-svc@example.com", "30"),
    )
    .await;
    assert_eq!(r.status(), 201);
    let html = r.text().await.unwrap();
    let marker = "<code id=\"new-token\">";
    let token = html[html.find(marker).unwrap() + marker.len()..]
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    let (status, _) = send(&app, &token, "GET", "/scim/v2/Users", None).await;
    assert_eq!(status, 200);
    assert_eq!(
        app.scalar_i64(
            "SELECT count(*) FROM access_tokens WHERE token_hash LIKE '%' AND length(token_hash) = 64"
        )
        .await,
        1
    );
    let id = app.scalar_i64("SELECT id FROM access_tokens").await;
    let r = crate::support::identity::post_form(
        &app,
        &staff,
        page,
        &format!("/staff/access-tokens/{id}/revoke/"),
        &[],
    )
    .await;
    assert_eq!(r.status(), 303);
    let (status, _) = send(&app, &token, "GET", "/scim/v2/Users", None).await;
    assert_eq!(status, 401);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM audit_log WHERE action LIKE 'access_token.%'")
            .await,
        2
    );
    app.shutdown().await;
}
