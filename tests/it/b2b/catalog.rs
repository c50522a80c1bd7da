//! B2B runs and `b2b_only` programs stay out of every public list; `org_id` / `contract_id`
//! views show them to members and superusers only.

use super::{codes, contract, program_with_sources};
use crate::support::TestApp;
use crate::support::commerce::learner;

/// Every public catalog list, and what to look for in it: contract run keys and the B2B-only
/// program's readable id never appear.
const PUBLIC_LISTS: &[&str] = &[
    "/api/v1/courses/",
    "/api/v1/courses/?page=1",
    "/api/v1/course_runs/",
    "/api/v1/programs/",
    "/api/v2/courses/",
    "/api/v2/courses/?courserun_is_enrollable=true",
    "/api/v2/programs/",
    "/api/v2/departments/",
    "/api/v2/program-collections/",
    "/catalog/",
    "/sitemap.xml",
];

async fn text(c: &reqwest::Client, url: String) -> (u16, String) {
    let r = c.get(url).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn contract_runs_and_b2b_only_programs_stay_out_of_every_public_list_for_every_caller() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx"]);
    let (program, _) = program_with_sources(&app, "ISO", 1).await;
    app.state
        .db
        .write(move |c| c.execute("UPDATE programs SET b2b_only = 1 WHERE id = ?1", [program]))
        .await
        .unwrap();
    let (_, k) = contract(&app, "iso", "code", None, None, Some(program), None).await;
    let code = codes(&app, k).await[0].clone();
    let (_, member) = learner(&app, "iso-member@example.com").await;
    let r = member
        .post(app.url(&format!("/api/v0/b2b/attach/{code}/")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let anonymous = crate::support::client();
    for path in PUBLIC_LISTS {
        for (who, c) in [("anonymous", &anonymous), ("member", &member)] {
            let (status, body) = text(c, app.url(path)).await;
            assert_eq!(status, 200, "{who} {path}");
            assert!(!body.contains("UAI_org-iso"), "{who} {path} shows a contract run");
            assert!(
                !body.contains("program-v1:B2B+ISO"),
                "{who} {path} shows the B2B-only program"
            );
            assert!(!body.contains("SOURCE_en"), "{who} {path} shows a source run");
        }
    }
    app.shutdown().await;
}

#[tokio::test]
async fn org_and_contract_views_show_contract_runs_to_members_and_superusers_only() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx"]);
    let (program, _) = program_with_sources(&app, "VIEW", 1).await;
    let (org, k) = contract(&app, "view", "code", None, None, Some(program), None).await;
    let code = codes(&app, k).await[0].clone();
    let (_, member) = learner(&app, "view-member@example.com").await;
    let (_, outsider) = learner(&app, "view-outsider@example.com").await;
    member
        .post(app.url(&format!("/api/v0/b2b/attach/{code}/")))
        .send()
        .await
        .unwrap();
    let root = crate::support::identity::signed_in_superuser(&app, "view-root@example.com").await;
    for q in [format!("org_id={org}"), format!("contract_id={k}")] {
        let get = |c: &reqwest::Client, path: &str| {
            let url = app.url(&format!("{path}?{q}"));
            let c = c.clone();
            async move { crate::support::openapi::send_json(c.get(url)).await.1 }
        };
        for c in [&member, &root] {
            let courses = get(c, "/api/v2/courses/").await;
            assert_eq!(courses["count"], 1, "{q}: {courses}");
            let runs = courses["results"][0]["courseruns"].as_array().unwrap();
            assert_eq!(runs.len(), 2, "the English and Spanish contract runs");
            assert!(runs.iter().all(|r| r["b2b_contract"] == k));
            let programs = get(c, "/api/v2/programs/").await;
            assert_eq!(programs["count"], 1, "{q}: {programs}");
            assert_eq!(programs["results"][0]["id"], program);
        }
        for c in [&outsider, &crate::support::client()] {
            assert_eq!(get(c, "/api/v2/courses/").await["count"], 0, "{q}");
            assert_eq!(get(c, "/api/v2/programs/").await["count"], 0, "{q}");
        }
    }
    let (status, body) = app
        .send_json(member.get(app.url("/api/v2/courses/?org_id=abc")))
        .await;
    assert_eq!(status, 400);
    assert!(body.get("org_id").is_some(), "{body}");
    app.shutdown().await;
}
