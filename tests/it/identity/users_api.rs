//! The users and profile APIs in the original's shapes.

use mitxonline::users::api_keys::Scope;
use serde_json::{Value, json};

use crate::support::TestApp;
use crate::support::identity::{header_token, signed_in};

/// Copies of the original's captured responses (from the shared reference samples).
const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/identity/samples");

fn sample(name: &str) -> Option<Value> {
    let text = std::fs::read_to_string(format!("{SAMPLES}/{name}")).ok()?;
    serde_json::from_str(&text).ok()
}

#[tokio::test]
async fn the_anonymous_current_user_matches_the_original_sample() {
    let app = TestApp::spawn().await;
    let expected = sample("api_users_me.json").unwrap_or_else(|| {
        json!({"id": null, "username": null, "email": null, "legal_address": null, "user_profile": null,
               "is_anonymous": true, "is_authenticated": false, "is_staff": false, "is_superuser": false,
               "grants": [], "is_active": false, "b2b_organizations": [], "global_id": null,
               "compliance_missing_fields": []})
    });
    for path in ["/api/users/me", "/api/v0/users/me", "/api/v0/users/current_user/"] {
        let (status, body) = app.get_json(path).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(body, expected, "{path}");
    }
    if let Some(v0) = sample("api_v0_users_current_user.json") {
        assert_eq!(app.get_json("/api/v0/users/current_user/").await.1, v0);
    }
    let (status, body) = app.get_json("/api/v0/userinfo/").await;
    assert_eq!(
        (status, body),
        (409, json!({"error": "User has no edx_username."}))
    );
    app.shutdown().await;
}

async fn patch(app: &TestApp, c: &reqwest::Client, body: Value) -> (u16, Value) {
    crate::support::identity::patch_me(app, c, body).await
}

#[tokio::test]
async fn a_signed_in_user_sees_every_field_and_can_patch_name_address_and_profile() {
    let app = TestApp::spawn().await;
    let c = signed_in(&app, "me@example.com", false).await;
    let (_, me) = app.send_json(c.get(app.url("/api/users/me"))).await;
    for key in [
        "id",
        "username",
        "name",
        "email",
        "legal_address",
        "user_profile",
        "is_anonymous",
        "is_authenticated",
        "is_editor",
        "is_staff",
        "is_superuser",
        "created_on",
        "updated_on",
        "grants",
        "is_active",
        "b2b_organizations",
        "global_id",
        "compliance_missing_fields",
    ] {
        assert!(me.get(key).is_some(), "missing {key} in {me}");
    }
    assert_eq!(me["is_authenticated"], true);
    assert_eq!(
        me["legal_address"]["country"], "",
        "rows exist empty, as the original creates them"
    );
    assert_eq!(
        me["compliance_missing_fields"],
        json!([
            "city",
            "country",
            "first_name",
            "last_name",
            "postal_code",
            "state",
            "street_address_1"
        ])
    );

    let (status, me) = patch(&app, &c, json!({
        "name": "Pat Doe",
        "email": "attacker@example.com",
        "is_active": false,
        "legal_address": {"country": "US", "state": "US-MA", "first_name": "Pat", "last_name": "Doe",
                           "street_address_1": "77 Massachusetts Ave", "city": "Cambridge", "postal_code": "02139"},
        "user_profile": {"gender": "nb", "year_of_birth": 1990, "company_size": 99, "highest_education": "Doctorate", "type_is_educator": true}
    })).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["name"], "Pat Doe");
    assert_eq!(me["email"], "me@example.com", "email is not writable by PATCH");
    assert_eq!(me["is_active"], true, "is_active is not writable by PATCH");
    assert_eq!(me["legal_address"]["state"], "US-MA");
    assert_eq!(me["user_profile"]["year_of_birth"], 1990);
    assert_eq!(me["user_profile"]["addl_field_flag"], true);
    assert_eq!(me["compliance_missing_fields"], json!([]));
    app.shutdown().await;
}

#[tokio::test]
async fn invalid_profile_input_is_a_400_naming_each_nested_field_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let c = signed_in(&app, "bad@example.com", false).await;
    let (status, err) = patch(
        &app,
        &c,
        json!({
            "name": "Valid Name",
            "legal_address": {"country": "US", "state": "US-ZZ"},
            "user_profile": {"year_of_birth": 2020, "gender": "x", "company_size": 7}
        }),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(err["legal_address"]["state"], json!(["Invalid state specified"]));
    assert_eq!(
        err["user_profile"]["year_of_birth"],
        json!(["Year of Birth provided is under 13"])
    );
    assert!(err["user_profile"]["gender"].is_array());
    assert!(err["user_profile"]["company_size"].is_array());
    let (_, err) = patch(&app, &c, json!({"legal_address": {"first_name": "No Country"}})).await;
    assert_eq!(
        err["legal_address"]["country"],
        json!(["This field is required."])
    );
    let (_, err) = patch(&app, &c, json!({"legal_address": {"country": "XX"}})).await;
    assert!(
        err["legal_address"]["country"][0]
            .as_str()
            .unwrap()
            .contains("ISO 3166-1")
    );
    let (_, err) = patch(
        &app,
        &c,
        json!({"legal_address": {"country": "CA", "state": "CA-QC", "postal_code": "12345"}}),
    )
    .await;
    assert!(err["legal_address"]["postal_code"].is_array());
    let (status, _) = patch(&app, &c, json!("not an object")).await;
    assert_eq!(status, 400);
    let (_, me) = app.send_json(c.get(app.url("/api/users/me"))).await;
    assert_eq!(me["name"], "Test Person");
    assert_eq!(me["legal_address"]["country"], "");
    assert_eq!(me["user_profile"]["year_of_birth"], Value::Null);
    let anon = reqwest::Client::new()
        .patch(app.url("/api/users/me"))
        .json(&json!({"name": "x"}));
    assert_eq!(app.send_json(anon).await.0, 403);
    app.shutdown().await;
}

#[tokio::test]
async fn onboarding_details_and_extra_details_save_the_profile() {
    let app = TestApp::spawn().await;
    let c = signed_in(&app, "onboard@example.com", false).await;
    let token = header_token(&app, &c).await;
    let post = |path: &'static str, body: Value| {
        c.post(app.url(path))
            .header("x-csrftoken", token.clone())
            .json(&body)
            .send()
    };
    let (status, err) = app
        .send_json(
            c.post(app.url("/api/profile/details/"))
                .header("x-csrftoken", token.clone())
                .json(&json!({"name": "A"})),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        err["name"].is_array()
            && err["username"].is_array()
            && err["legal_address"].is_array()
            && err["user_profile"].is_array(),
        "{err}"
    );
    let r = post(
        "/api/profile/details/",
        json!({
            "name": "Onboarded Learner", "username": "onboarded_1",
            "legal_address": {"country": "FR", "first_name": "O", "last_name": "L"},
            "user_profile": {"year_of_birth": 1985, "gender": "f"}
        }),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .starts_with("user-message=")
    );
    assert_eq!(
        crate::support::openapi::read(&reqwest::Method::POST, r).await,
        (200, json!({}))
    );
    let extra = |body: Value| {
        app.send_json(
            c.post(app.url("/api/profile/extra/"))
                .header("x-csrftoken", token.clone())
                .json(&body),
        )
    };
    let (status, err) = extra(json!({"gender": "f"})).await;
    assert_eq!(status, 400);
    assert_eq!(err["birth_year"], json!(["This field is required."]));
    let (status, saved) = extra(json!({"gender": "o", "birth_year": "1984", "company": "MIT", "job_title": "Engineer", "years_experience": "5"})).await;
    assert_eq!((status, saved), (200, json!({})));
    let (_, me) = app.send_json(c.get(app.url("/api/users/me"))).await;
    assert_eq!(me["username"], "onboarded_1");
    assert_eq!(me["name"], "Onboarded Learner");
    assert_eq!(me["legal_address"]["country"], "FR");
    assert_eq!(me["user_profile"]["company"], "MIT");
    assert_eq!(
        me["user_profile"]["year_of_birth"], 1984,
        "the original drops birth_year; it is saved here"
    );
    assert_eq!(me["user_profile"]["years_experience"], 5);
    assert_eq!(me["user_profile"]["gender"], "o");
    app.shutdown().await;
}

#[tokio::test]
async fn a_user_record_is_visible_to_its_owner_only() {
    let app = TestApp::spawn().await;
    let a = signed_in(&app, "owner@example.com", false).await;
    signed_in(&app, "someone@example.com", false).await;
    let (_, me) = app.send_json(a.get(app.url("/api/users/me"))).await;
    let id = me["id"].as_i64().unwrap();
    let (_, own) = app.send_json(a.get(app.url(&format!("/api/users/{id}/")))).await;
    assert_eq!(
        own.as_object().unwrap().keys().cloned().collect::<Vec<_>>(),
        vec!["created_on", "id", "name", "updated_on", "username"]
    );
    assert_eq!(
        app.send_json(a.get(app.url(&format!("/api/v0/users/{}/", id + 1))))
            .await
            .0,
        403
    );
    assert_eq!(app.send_json(a.get(app.url("/api/users/99999/"))).await.0, 404);
    assert_eq!(app.send_json(a.get(app.url("/api/users/abc/"))).await.0, 404);
    assert_eq!(app.get_json(&format!("/api/users/{id}/")).await.0, 403);
    app.shutdown().await;
}

#[tokio::test]
async fn user_search_is_for_staff_and_pages_with_l_and_o() {
    let app = TestApp::spawn().await;
    let learner = signed_in(&app, "learner@example.com", false).await;
    let staff = signed_in(&app, "boss@example.com", true).await;
    for i in 0..12 {
        crate::support::identity::make_user(
            &app,
            &format!("findme{i}@example.com"),
            "a good password",
            false,
        )
        .await;
    }
    assert_eq!(
        app.send_json(learner.get(app.url("/api/v0/user_search/")))
            .await
            .0,
        403
    );
    assert_eq!(app.get_json("/api/v0/user_search/").await.0, 401);
    let (_, page) = app
        .send_json(staff.get(app.url("/api/v0/user_search/?search=findme&l=5&o=5")))
        .await;
    assert_eq!(page["count"], 12);
    assert_eq!(page["results"].as_array().unwrap().len(), 5);
    assert!(page["next"].as_str().unwrap().contains("o=10"));
    assert!(page["previous"].as_str().is_some());
    let first = &page["results"][0];
    assert_eq!(first.as_object().unwrap().len(), 7, "{first}");
    let key = app.api_key(Scope::Staff).await;
    let with_key = |path: String| {
        app.send_json(
            reqwest::Client::new()
                .get(app.url(&path))
                .header("authorization", format!("Api-Key {key}")),
        )
    };
    assert_eq!(with_key("/api/user_search/?l=abc".into()).await.0, 400);
    let (status, one) = with_key(format!("/api/v0/user_search/{}/", first["id"])).await;
    assert_eq!(status, 200);
    assert_eq!(&one, first);
    app.shutdown().await;
}

#[tokio::test]
async fn the_legacy_change_email_api_mails_a_code_and_applies_it_once() {
    change_email_flow("/api/change-emails/").await;
}

#[tokio::test]
async fn the_contracts_v0_change_email_paths_are_the_same_api() {
    change_email_flow("/api/v0/change-emails/").await;
}

async fn change_email_flow(base: &str) {
    let app = TestApp::spawn().await;
    let c = signed_in(&app, "legacy@example.com", false).await;
    let token = header_token(&app, &c).await;
    let start = |password: &str| {
        app.send_json(
            c.post(app.url(base))
                .header("x-csrftoken", &token)
                .json(&json!({"new_email": "moved@example.com", "password": password})),
        )
    };
    assert_eq!(start("wrong").await.0, 400);
    assert_eq!(
        start("a good password").await,
        (201, json!({"new_email": "moved@example.com"}))
    );
    let mail = crate::support::identity::last_mail(&app, "moved@example.com").await;
    let code = mail
        .split("token=")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let anon = reqwest::Client::new();
    let confirm = |confirmed: bool| {
        app.send_json(
            anon.patch(app.url(&format!("{base}{code}/")))
                .json(&json!({ "confirmed": confirmed })),
        )
    };
    assert_eq!(confirm(false).await.0, 400);
    assert_eq!(confirm(true).await, (200, json!({"confirmed": true})));
    assert_eq!(confirm(true).await.0, 404, "a code works once");
    let (_, me) = app.send_json(c.get(app.url("/api/users/me"))).await;
    assert_eq!(me["email"], "moved@example.com");
    app.shutdown().await;
}
