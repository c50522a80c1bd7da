//! Program enrollments, the edX enrollment webhook and the reconciliation job.

use std::time::Duration;

use mitxonline::catalog::store::{self as cat, NewProgram};
use mitxonline::db::DbError;
use reqwest::Method;
use serde_json::json;

use crate::support::TestApp;
use crate::support::enrollment::*;

const C1: &str = "course-v1:MITx+7.01x+1T2026";

async fn program(app: &TestApp, readable: &'static str) -> i64 {
    let now = app.state.clock.now();
    app.state
        .db
        .write(move |c| {
            cat::insert_program(
                c,
                &NewProgram {
                    title: "Biology",
                    readable_id: readable,
                    live: true,
                    program_type: "Series",
                    departments: &[],
                    modes: &[],
                    start_date: None,
                },
                now,
            )
            .map(|(id, _)| id)
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn v3_program_enrollment_is_201_then_200_and_a_paid_program_cannot_be_left() {
    let app = TestApp::spawn().await;
    let (user, token) = learner(&app, "prog", false).await;
    let p = program(&app, "program-v1:MITx+BIO").await;
    let (s1, b1) = send(
        &app,
        Method::POST,
        &token,
        "/api/v3/program_enrollments/",
        Some(json!({ "program_id": p })),
    )
    .await;
    assert_eq!(s1, 201, "{b1}");
    assert_eq!(b1["program"]["readable_id"], "program-v1:MITx+BIO");
    assert_eq!(b1["enrollment_mode"], "audit");
    let (s2, _) = send(
        &app,
        Method::POST,
        &token,
        "/api/v3/program_enrollments/",
        Some(json!({ "program_id": p })),
    )
    .await;
    assert_eq!(s2, 200);
    let (s, list) = send(&app, Method::GET, &token, "/api/v3/program_enrollments/", None).await;
    assert_eq!((s, list.as_array().map(Vec::len)), (200, Some(1)));

    let now = app.state.clock.now();
    app.state
        .db
        .write(move |c| mitxonline::enrollment::service::record_paid_program(c, now, user, p, 42))
        .await
        .unwrap();
    let (s, body) = send(
        &app,
        Method::DELETE,
        &token,
        &format!("/api/v3/program_enrollments/{p}/"),
        None,
    )
    .await;
    assert_eq!(s, 400);
    assert_eq!(
        body["detail"],
        "Cannot unenroll from a purchased program, contact support."
    );
    app.state
        .db
        .write(move |c| mitxonline::enrollment::service::remove_paid_program(c, user, p, 42))
        .await
        .unwrap();
    let (s, _) = send(
        &app,
        Method::DELETE,
        &token,
        &format!("/api/v3/program_enrollments/{p}/"),
        None,
    )
    .await;
    assert_eq!(s, 204);
    let (s, _) = send(
        &app,
        Method::DELETE,
        &token,
        &format!("/api/v3/program_enrollments/{p}/"),
        None,
    )
    .await;
    assert_eq!(s, 204, "DELETE is idempotent");
    let (s, _) = send(
        &app,
        Method::DELETE,
        &token,
        "/api/v3/program_enrollments/99999/",
        None,
    )
    .await;
    assert_eq!(s, 404);
    let (s, body) = send(
        &app,
        Method::POST,
        &token,
        "/api/v3/program_enrollments/",
        Some(json!({})),
    )
    .await;
    assert_eq!(s, 400);
    assert!(body["program_id"].is_array());
    let (_, v1) = send(&app, Method::GET, &token, "/api/v1/program_enrollments/", None).await;
    assert_eq!(v1, json!([]));
    app.shutdown().await;
}

#[tokio::test]
async fn the_edx_enrollment_webhook_records_a_confirmed_enrollment_without_calling_edx() {
    let app = TestApp::spawn().await;
    let (_, staff) = learner(&app, "edxstaff", true).await;
    let (_, learner_token) = learner(&app, "taught", false).await;
    run(&app, C1, OPEN).await;
    let body = json!({ "email": "taught@example.com", "course_id": C1, "role": "instructor" });
    let path = "/api/openedx_webhook/enrollment/";
    let (s, b) = send(&app, Method::POST, &learner_token, path, Some(body.clone())).await;
    assert_eq!(s, 403, "{b}");
    let (s, b) = send(&app, Method::POST, &staff, path, Some(body.clone())).await;
    assert_eq!(s, 201, "{b}");
    let (s, _) = send(&app, Method::POST, &staff, path, Some(body)).await;
    assert_eq!(s, 200);
    assert_eq!(count(&app, "SELECT count(*) FROM outbox").await, 0);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM openedx_enrollment_sync WHERE is_active = 1"
        )
        .await,
        1
    );
    let (s, b) = send(
        &app,
        Method::POST,
        &staff,
        path,
        Some(json!({ "email": "nobody@example.com", "course_id": C1 })),
    )
    .await;
    assert_eq!(s, 404, "{b}");
    let (s, _) = send(
        &app,
        Method::POST,
        &staff,
        path,
        Some(json!({ "email": "taught@example.com" })),
    )
    .await;
    assert_eq!(s, 400);
    app.shutdown().await;
}

#[tokio::test]
async fn reconciliation_requeues_unconfirmed_enrollments_once_and_gives_up_after_five_tries() {
    let app = TestApp::spawn().await;
    app.expect_dead_letters("openedx", 6);
    app.expect_undrained(&["openedx"]);
    let (_, token) = learner(&app, "lost", false).await;
    let run = run(&app, C1, OPEN).await;
    assert_eq!(enroll(&app, &token, run).await.0, 201);
    // The push died (e.g. edX refused it until someone fixed the course).
    app.state
        .db
        .write(|c| c.execute("UPDATE outbox SET status = 'dead' WHERE kind = 'enroll'", []))
        .await
        .unwrap();
    // Within the grace period nothing is touched.
    assert!(
        app.run_job("retry-failed-edx-enrollments")
            .await
            .detail
            .contains("re-queued 0")
    );
    app.advance(Duration::from_secs(600));
    assert!(
        app.run_job("retry-failed-edx-enrollments")
            .await
            .detail
            .contains("re-queued 1")
    );
    // A pending push exists now: nothing more.
    assert!(
        app.run_job("retry-failed-edx-enrollments")
            .await
            .detail
            .contains("re-queued 0")
    );
    for _ in 0..6 {
        app.state
            .db
            .write(|c| c.execute("UPDATE outbox SET status = 'dead' WHERE kind = 'enroll'", []))
            .await
            .unwrap();
        app.run_job("retry-failed-edx-enrollments").await;
    }
    assert_eq!(
        count(&app, "SELECT count(*) FROM outbox WHERE kind = 'enroll'").await,
        6,
        "one original push and five retries"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn upgrade_defer_and_refund_through_the_service_keep_one_row_per_run_and_push_each_change() {
    use mitxonline::enrollment::{Actor, ChangeStatus, Mode, service};
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx"]);
    let (user, token) = learner(&app, "payer", false).await;
    let first = run(&app, "course-v1:MITx+P1+1T2026", OPEN).await;
    let second = run(&app, "course-v1:MITx+P1+2T2026", OPEN).await;
    assert_eq!(enroll(&app, &token, first).await.0, 201);
    let now = app.state.clock.now();
    let (upgraded, deferred, target) = app
        .state
        .db
        .write(move |c| {
            let staff = Actor::system("order fulfilment");
            let up = service::change_mode(c, now, user, first, Mode::Verified, &staff)?;
            service::record_paid_run(c, now, user, first, 11)?;
            let to = service::defer(c, now, user, first, second, false, &staff)?;
            let from = mitxonline::enrollment::store::find(c, user, first)?.unwrap();
            Ok::<_, mitxonline::enrollment::EnrollError>((up, from, to))
        })
        .await
        .unwrap();
    assert_eq!(upgraded.mode, Mode::Verified);
    assert_eq!(
        (deferred.active, deferred.change_status),
        (false, Some(ChangeStatus::Deferred))
    );
    assert_eq!(
        (target.active, target.mode),
        (true, Mode::Verified),
        "the mode follows the deferral"
    );
    let refunded = app
        .state
        .db
        .write(move |c| {
            let staff = Actor::system("refund");
            service::remove_paid_run(c, user, first, 11)?;
            service::unenroll(c, now, user, second, ChangeStatus::Refunded, &staff)
        })
        .await
        .unwrap();
    assert_eq!(refunded.change_status, Some(ChangeStatus::Refunded));
    assert_eq!(
        count(&app, "SELECT count(*) FROM course_run_enrollments").await,
        2
    );
    assert_eq!(count(&app, "SELECT count(*) FROM paid_course_runs").await, 0);
    // enroll (audit), upgrade (verified), deferral: unenroll first + enroll second, refund: unenroll.
    assert_eq!(
        count(&app, "SELECT count(*) FROM outbox WHERE kind = 'enroll'").await,
        3
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM outbox WHERE kind = 'unenroll'").await,
        2
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM audit_log WHERE object_type = 'course_run_enrollment' AND actor_id IS NULL"
        )
        .await,
        4
    );
    app.shutdown().await;
}

#[tokio::test]
async fn v1_and_v2_program_enrollments_list_the_learners_enrollments_in_program_courses() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx"]);
    let (_, token) = learner(&app, "listing", false).await;
    let in_program = run(&app, "course-v1:MITx+IN+1T2026", OPEN).await;
    let outside = run(&app, "course-v1:MITx+OUT+1T2026", OPEN).await;
    let now = app.state.clock.now();
    let p = app
        .state
        .db
        .write(move |c| {
            let (p, root) = cat::insert_program(
                c,
                &NewProgram {
                    title: "Listing",
                    readable_id: "program-v1:MITx+LIST",
                    live: true,
                    program_type: "Series",
                    departments: &[],
                    modes: &[],
                    start_date: None,
                },
                now,
            )?;
            let req = cat::add_requirement(
                c,
                p,
                root,
                0,
                &cat::NewNode::AllOf {
                    title: "Required Courses",
                },
            )?;
            let course = cat::course_id_by_readable(c, "course-v1:MITx+IN")?.unwrap();
            cat::add_requirement(c, p, req, 0, &cat::NewNode::Course(course))?;
            Ok::<_, DbError>(p)
        })
        .await
        .unwrap();
    assert_eq!(enroll(&app, &token, in_program).await.0, 201);
    assert_eq!(enroll(&app, &token, outside).await.0, 201);
    let (s, _) = send(
        &app,
        Method::POST,
        &token,
        "/api/v3/program_enrollments/",
        Some(json!({ "program_id": p })),
    )
    .await;
    assert_eq!(s, 201);
    for path in ["/api/v1/program_enrollments/", "/api/v2/program_enrollments/"] {
        let (s, list) = send(&app, Method::GET, &token, path, None).await;
        assert_eq!(s, 200);
        assert_eq!(list.as_array().map(Vec::len), Some(1), "{path}: {list}");
        assert_eq!(list[0]["program"]["readable_id"], "program-v1:MITx+LIST");
        let runs: Vec<i64> = list[0]["enrollments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["run"]["id"].as_i64().unwrap())
            .collect();
        assert_eq!(runs, [in_program], "{path}");
    }
    app.shutdown().await;
}
