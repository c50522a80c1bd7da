//! The scheduled enrollment jobs and the certificate webhook against a scripted edX: grades
//! pulled and stored (staff overrides kept), course runs updated from edX.

use reqwest::Method;
use serde_json::json;

use crate::support::enrollment::*;
use crate::support::fake::{FakeServer, Reply};

const C1: &str = "course-v1:MITx+14.01x+1T2026";

#[tokio::test]
async fn the_hourly_grade_pull_stores_grades_and_keeps_grades_set_by_staff() {
    let fake = FakeServer::start().await;
    let app = app_with_edx(&fake.url).await;
    app.expect_undrained(&["openedx"]);
    let (ann, ann_token) = learner(&app, "ann", false).await;
    synced(&app, ann, "ann").await;
    let (bob, _) = learner(&app, "bob", false).await;
    synced(&app, bob, "bob").await;
    let run = run(&app, C1, OPEN).await;
    assert_eq!(enroll(&app, &ann_token, run).await.0, 201);
    // Staff set Bob's grade by hand.
    let now = mitxonline::clock::to_db(app.state.clock.now());
    app.state
        .db
        .write(move |c| {
            c.execute(
                "INSERT INTO course_run_grades (user_id, run_id, grade, passed, set_by_admin, created_on, updated_on)
                 VALUES (?1, ?2, '0.5', 0, 1, ?3, ?3)",
                rusqlite::params![bob, run, now],
            )
            .map_err(mitxonline::db::DbError::from)
        })
        .await
        .unwrap();
    fake.set_default(Reply::json(
        200,
        json!({ "next": null, "results": [
            { "username": "ann", "course_id": C1, "passed": true, "percent": 0.845, "letter_grade": "B" },
            { "username": "bob", "course_id": C1, "passed": true, "percent": 0.99, "letter_grade": "A" },
            { "username": "stranger", "course_id": C1, "passed": false, "percent": 0.1 } ] }),
    ));
    let out = app.run_job("generate-course-certificate").await;
    assert_eq!(out.status, "succeeded", "{}", out.detail);
    assert!(out.detail.contains("1 changed"), "{}", out.detail);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM course_run_grades WHERE grade = '0.845' AND passed = 1"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM course_run_grades WHERE grade = '0.5' AND set_by_admin = 1"
        )
        .await,
        1
    );
    let (_, list) = send(&app, Method::GET, &ann_token, "/api/v1/enrollments/", None).await;
    let g = &list[0]["grades"][0];
    assert_eq!(g["grade_percent"], 84.0, "round half to even: {g}");
    assert_eq!(g["letter_grade"], "B");
    // Pulled again with nothing new: nothing changes.
    assert!(
        app.run_job("generate-course-certificate")
            .await
            .detail
            .contains("0 changed")
    );
    app.shutdown().await;
}

#[tokio::test]
async fn the_certificate_webhook_pulls_and_stores_the_learners_grade() {
    let fake = FakeServer::start().await;
    let app = app_with_edx(&fake.url).await;
    let (_, staff) = learner(&app, "gradestaff", true).await;
    let (cy, _) = learner(&app, "cy", false).await;
    synced(&app, cy, "cy").await;
    run(&app, C1, OPEN).await;
    fake.push(Reply::json(
        200,
        json!([{ "username": "cy", "course_id": C1, "passed": true, "percent": 0.91, "letter_grade": "A" }]),
    ));
    let (s, body) = send(
        &app,
        Method::POST,
        &staff,
        "/api/openedx_webhook/certificate/",
        Some(json!({ "email": "cy@example.com", "course_id": C1 })),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["passed"], true);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM course_run_grades WHERE grade = '0.91'"
        )
        .await,
        1
    );
    assert!(
        fake.requests()[0]
            .query
            .as_deref()
            .unwrap_or_default()
            .contains("username=cy")
    );
    app.shutdown().await;
}

#[tokio::test]
async fn the_nightly_run_sync_applies_edx_dates_and_titles_only_when_they_changed() {
    let fake = FakeServer::start().await;
    let app = app_with_edx(&fake.url).await;
    run(&app, C1, OPEN).await;
    fake.set_default(Reply::json(
        200,
        json!({ "pagination": { "next": null }, "results": [{
            "id": C1, "course_id": C1, "name": "Principles of Microeconomics",
            "start": "2026-09-01T00:00:00Z", "end": "2026-12-15T00:00:00Z",
            "enrollment_start": "2026-06-01T00:00:00Z", "enrollment_end": null, "pacing": "self" }] }),
    ));
    let out = app.run_job("sync-courseruns-data").await;
    assert_eq!(out.status, "succeeded", "{}", out.detail);
    assert!(out.detail.contains("1 changed"), "{}", out.detail);
    assert_eq!(
        count(&app, "SELECT count(*) FROM course_runs WHERE title = 'Principles of Microeconomics' AND is_self_paced = 1 AND start_date LIKE '2026-09-01%' AND certificate_available_date LIKE '2026-12-15%'").await,
        1
    );
    assert!(
        app.run_job("sync-courseruns-data")
            .await
            .detail
            .contains("0 changed")
    );
    app.shutdown().await;
}
