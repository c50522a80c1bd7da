//! The catalog console refuses each bad field with a 400 whose page names it (the form shown
//! again with the error next to the field) and changes nothing: no row, no audit entry, no
//! catalog version bump.

use super::admin::{run_fields, submit};
use crate::support::TestApp;
use crate::support::commerce::run_product;
use crate::support::identity::signed_in;

async fn audit_count(app: &TestApp) -> i64 {
    app.scalar_i64("SELECT count(*) FROM audit_log").await
}

/// Posts a form that must be refused: a 400 whose page names `field`, with nothing written.
async fn refused(
    app: &TestApp,
    staff: &reqwest::Client,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
    field: &str,
) {
    let before = (
        audit_count(app).await,
        app.scalar_i64("SELECT count(*) FROM course_runs").await,
        app.scalar_i64("SELECT count(*) FROM courses").await,
        app.scalar_i64("SELECT version FROM catalog_version").await,
    );
    let (s, _, body) = submit(app, staff, page, action, fields).await;
    assert_eq!(s, 400, "{field}: {body}");
    assert!(body.contains("role=\"alert\""), "{body}");
    assert!(
        body.contains(&format!("<strong>{field}</strong>")),
        "{field} not named: {body}"
    );
    assert!(
        body.contains("class=\"field-error\""),
        "{field} has no inline error"
    );
    let after = (
        audit_count(app).await,
        app.scalar_i64("SELECT count(*) FROM course_runs").await,
        app.scalar_i64("SELECT count(*) FROM courses").await,
        app.scalar_i64("SELECT version FROM catalog_version").await,
    );
    assert_eq!(before, after, "{field}: something changed");
}

#[tokio::test]
async fn each_bad_field_is_a_400_naming_it_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let (run, _) = run_product(&app, "VAL", "10.00").await;
    let staff = signed_in(&app, "checker@example.com", true).await;
    let course = app
        .scalar_i64("SELECT course_id FROM course_runs")
        .await
        .to_string();
    let new_run = format!("/staff/catalog/courses/{course}/runs/new/");
    let key = "course-v1:MITxT+VAL+2T2027";
    let with = |name: &'static str, value: &'static str| {
        let mut f: Vec<(&str, &str)> = run_fields(&course, key)
            .into_iter()
            .filter(|(k, _)| *k != name)
            .collect();
        f.push((name, value));
        f
    };
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (with("courseware_id", "MITxT VAL 2T2027"), "courseware_id"),
        (with("courseware_id", "course-v1:MITxT+VAL"), "courseware_id"),
        (
            with("courseware_id", "course-v1:MITxT+VAL+1T2026"),
            "courseware_id",
        ),
        (with("title", " "), "title"),
        (with("start_date", "soon"), "start_date"),
        (with("end_date", "2027-01-01T00:00"), "end_date"),
        (with("upgrade_deadline", "2027-06-01T00:00"), "upgrade_deadline"),
        (with("enrollment_end", "2027-06-01T00:00"), "enrollment_end"),
        (with("enrollment_start", "2027-03-01T00:00"), "enrollment_end"),
        (with("expiration_date", "2027-05-01T00:00"), "expiration_date"),
        (with("modes", "honor-ish"), "modes"),
        (with("language", "not a language"), "language"),
        (with("variant_length", "XL"), "variant_length"),
        (with("b2b_contract_id", "999"), "b2b_contract_id"),
        (with("run_tag", "1T 2026"), "run_tag"),
    ];
    for (fields, field) in &cases {
        refused(&app, &staff, &new_run, "/staff/catalog/runs/", fields, field).await;
    }
    // No such course: a 400 naming it.
    let (s, _, body) = submit(
        &app,
        &staff,
        &new_run,
        "/staff/catalog/runs/",
        &with("course", "999"),
    )
    .await;
    assert_eq!(s, 400);
    assert!(body.contains("course"), "{body}");
    // Same run tag and language as the existing primary run.
    app.state
        .db
        .write(|c| c.execute("UPDATE course_runs SET is_primary_language = 1", []))
        .await
        .unwrap();
    let mut twin = with("run_tag", "1T2026");
    twin.retain(|(k, _)| *k != "is_primary_language");
    refused(&app, &staff, &new_run, "/staff/catalog/runs/", &twin, "language").await;
    refused(
        &app,
        &staff,
        &new_run,
        "/staff/catalog/runs/",
        &with("run_tag", "1T2026"),
        "is_primary_language",
    )
    .await;

    // An edit that breaks a rule leaves the run as it was, the form showing what was typed.
    let page = format!("/staff/catalog/runs/{run}/");
    let mut bad = run_fields(&course, "course-v1:MITxT+VAL+1T2026");
    bad[1] = ("title", "Typed title");
    bad.retain(|(k, _)| *k != "upgrade_deadline");
    bad.push(("upgrade_deadline", "2028-01-01T00:00"));
    refused(&app, &staff, &page, &page, &bad, "upgrade_deadline").await;
    let html = staff
        .get(app.url(&page))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Run VAL") && !html.contains("Typed title"));

    // Courses, departments, prices.
    let new_course = "/staff/catalog/courses/new/";
    let c = |k: &'static str, v: &'static str| {
        let mut f = vec![
            ("readable_id", "course-v1:MITx+NEW"),
            ("title", "New"),
            ("live", "on"),
        ];
        f.retain(|(x, _)| *x != k);
        f.push((k, v));
        f
    };
    for (fields, field) in [
        (c("readable_id", "MITx NEW"), "readable_id"),
        (c("readable_id", "course-v1:MITxT+VAL"), "readable_id"),
        (c("title", ""), "title"),
        (c("blocked_countries", "US, ZZ"), "blocked_countries"),
        (c("departments", "999"), "departments"),
        (c("topics", "No such topic"), "topics"),
        (c("variants", "en, XL"), "variants"),
        (c("variants", "en\nen"), "variants"),
    ] {
        refused(
            &app,
            &staff,
            new_course,
            "/staff/catalog/courses/",
            &fields,
            field,
        )
        .await;
    }
    let deps = "/staff/catalog/departments/";
    let (s, _, _) = submit(&app, &staff, deps, deps, &[("name", "Physics")]).await;
    assert_eq!(s, 303);
    refused(&app, &staff, deps, deps, &[("name", "Physics")], "name").await;
    refused(&app, &staff, deps, deps, &[("name", "  ")], "name").await;
    refused(
        &app,
        &staff,
        deps,
        "/staff/catalog/topics/",
        &[("topic", "Optics"), ("parent", "Nope")],
        "parent",
    )
    .await;
    let action = format!("{page}product/");
    for price in ["-1", "abc", "123456.00", "1.234"] {
        refused(
            &app,
            &staff,
            &page,
            &action,
            &[("action", "price"), ("price", price), ("description", "x")],
            "price",
        )
        .await;
    }
    assert_eq!(app.scalar_i64("SELECT count(*) FROM product_versions").await, 1);
    app.shutdown().await;
}
