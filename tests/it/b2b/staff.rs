//! The staff console: create an organization and a contract, add a program, export the
//! contract as JSON and import it again; bad input names the field and stores nothing; every
//! change is audited. The demo organization loads with its fixed code.

use serde_json::Value;

use super::{codes, program_with_sources};
use crate::support::TestApp;
use crate::support::identity::{header_token, signed_in};

#[tokio::test]
async fn staff_create_an_organization_and_contract_add_a_program_and_export_and_import_it() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx"]);
    let (program, _) = program_with_sources(&app, "STF", 1).await;
    let staff = signed_in(&app, "b2b-console@example.com", true).await;
    let token = header_token(&app, &staff).await;
    let post = |path: &str, form: Vec<(&str, String)>| {
        staff
            .post(app.url(path))
            .header("x-csrftoken", &token)
            .form(&form)
            .send()
    };
    // A bad key is refused, naming the field, and nothing is stored.
    let r = post(
        "/staff/b2b/organizations/",
        vec![("name", "Acme".into()), ("org_key", "has space".into())],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("org_key"));
    assert_eq!(app.scalar_i64("SELECT count(*) FROM b2b_organizations").await, 0);

    let r = post("/staff/b2b/organizations/", vec![("name", "Acme Corp".into())])
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let org = app
        .scalar_i64("SELECT id FROM b2b_organizations WHERE slug = 'acme-corp'")
        .await;
    let r = post(
        &format!("/staff/b2b/organizations/{org}/contracts/"),
        vec![
            ("name", "Acme seats".into()),
            ("membership_type", "code".into()),
            ("max_learners", "-3".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("max_learners"));
    let r = post(
        &format!("/staff/b2b/organizations/{org}/contracts/"),
        vec![
            ("name", "Acme seats".into()),
            ("membership_type", "code".into()),
            ("max_learners", "2".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 303);
    let k = app
        .scalar_i64("SELECT id FROM b2b_contracts WHERE slug = 'acme-seats'")
        .await;
    let r = post(
        &format!("/staff/b2b/contracts/{k}/programs/"),
        vec![("program", "program-v1:B2B+STF".into())],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(codes(&app, k).await.len(), 4, "2 seats × (English, Spanish) runs");
    let page = staff
        .get(app.url(&format!("/staff/b2b/contracts/{k}/")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("course-v1:UAI_acme-corp+STF0x+1T"), "{page}");
    assert!(page.contains("Program STF"));

    let mut exported: Value = staff
        .get(app.url(&format!("/staff/b2b/contracts/{k}/export/")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(exported["programs"][0], "program-v1:B2B+STF");
    assert_eq!(exported["contract"]["max_learners"], "2");
    exported["contract"]["slug"] = "acme-seats-copy".into();
    let r = post(
        "/staff/b2b/contracts/import/",
        vec![("json", exported.to_string())],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 303);
    let copy = app
        .scalar_i64("SELECT id FROM b2b_contracts WHERE slug = 'acme-seats-copy'")
        .await;
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM b2b_contracts WHERE organization_id = (SELECT organization_id FROM b2b_contracts WHERE slug = 'acme-seats')").await,
        2,
        "the import reuses the organization"
    );
    assert_eq!(codes(&app, copy).await.len(), 4);
    // Importing the same slug again fails as a whole.
    let r = post(
        "/staff/b2b/contracts/import/",
        vec![("json", exported.to_string())],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 400);
    let audited = app
        .scalar_i64("SELECT count(*) FROM audit_log WHERE action LIKE 'b2b.%'")
        .await;
    assert!(audited >= 7, "{audited}");
    let home = staff
        .get(app.url("/staff/b2b/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(home.contains("Acme Corp") && home.contains("Acme seats"));
    let _ = program;
    app.shutdown().await;
}

#[tokio::test]
async fn the_demo_organization_has_a_five_seat_code_contract_with_the_readme_code_and_a_managed_one() {
    let app = TestApp::builder().demo(true).spawn().await;
    app.expect_undrained(&["openedx", "mail"]);
    let orgs: Value = crate::support::client()
        .get(app.url("/api/v0/b2b/organizations/demo-university/"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kinds: Vec<&str> = orgs["contracts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["membership_type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["code", "managed"]);
    let code_k = orgs["contracts"][0]["id"].as_i64().unwrap();
    assert!(
        codes(&app, code_k)
            .await
            .contains(&mitxonline::b2b::demo::DEMO_CODE.to_owned())
    );
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    assert!(readme.contains(&format!(
        "Demo enrollment code: `{}`",
        mitxonline::b2b::demo::DEMO_CODE
    )));
    let (_, learner) = crate::support::commerce::learner(&app, "demo-b2b@example.com").await;
    let r = learner
        .post(app.url(&format!(
            "/api/v0/b2b/attach/{}/",
            mitxonline::b2b::demo::DEMO_CODE
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let courses: Value = learner
        .get(app.url(&format!("/api/v2/courses/?contract_id={code_k}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(courses["count"].as_i64().unwrap() >= 2, "{courses}");
    assert!(courses.to_string().contains("course-v1:UAI_DEMOU+"), "{courses}");
    // The demo's Studio re-runs succeed against the sandbox (their sources are registered).
    app.drain_outbox().await;
    assert_eq!(
        app.scalar_i64(
            "SELECT count(*) FROM outbox WHERE kind = 'clone_course_run' AND status <> 'delivered'"
        )
        .await,
        0
    );
    app.shutdown().await;
}
