//! Outages on demand in the sandbox Open edX: staff switch one on (JSON API or the sandbox's
//! staff page), deliveries meet it as they would meet a real edX in trouble and wait in the
//! outbox, and once it ends the backlog is delivered — nothing lost, nothing twice.

use serde_json::json;

use crate::enrollment::openedx_sandbox::{staff_get, staff_post};
use crate::support::TestApp;
use crate::support::enrollment::{OPEN, count, enroll, learner, run, settle};
use mitxonline::users::api_keys::Scope;

const COURSE: &str = "course-v1:MITx+FAULT+1T2026";
const PENDING: &str = "SELECT count(*) FROM outbox WHERE destination = 'openedx' AND status = 'pending'";

/// What the waiting deliveries last met.
async fn last_errors(app: &TestApp) -> Vec<String> {
    app.state
        .db
        .read(|c| {
            c.prepare(
                "SELECT coalesce(last_error, '') FROM outbox WHERE destination = 'openedx' AND status = 'pending'",
            )?
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn each_outage_holds_deliveries_back_and_the_backlog_drains_once_it_ends() {
    let app = TestApp::spawn().await;
    let key = app.api_key(Scope::Staff).await;
    let run_id = run(&app, COURSE, OPEN).await;
    let (_, token) = learner(&app, "faulty", false).await;

    for (kind, says) in [
        ("down", "connection refused"),
        ("error", "500"),
        ("garbage", "unexpected answer"),
        // Last: its Retry-After pauses the whole edX lane for 5 real seconds.
        ("throttle", "429"),
    ] {
        let (status, body) = staff_post(
            &app,
            &key,
            "/api/v0/staff/sandbox/faults/openedx/",
            json!({"kind": kind, "seconds": 3600}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["kind"], kind);
        if kind == "down" {
            assert_eq!(enroll(&app, &token, run_id).await.0, 201);
        }
        // Past any backoff (a throttled delivery waits out its Retry-After), then one round.
        app.advance(std::time::Duration::from_secs(1200));
        let report = app.drain_outbox().await;
        // Nothing is believed delivered: not even a 200 that is a maintenance page.
        assert_eq!(report.delivered, 0, "{kind}");
        assert!(count(&app, PENDING).await >= 1, "{kind}: the delivery waits");
        let errors = last_errors(&app).await;
        assert!(errors.iter().any(|e| e.contains(says)), "{kind}: {errors:?}");
    }

    // Staff see what is in force on the sandbox page, and end it there.
    let staff = crate::support::commerce::staff(&app).await;
    let page = staff
        .get(app.url("/staff/openedx/sandbox/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Throttling (HTTP 429, Retry-After 5)."), "{page}");
    let r = staff
        .post(app.url("/staff/sandbox/faults/openedx/"))
        .form(&[("kind", "none")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);

    // The lane honours the throttle's Retry-After (5 s of real time) before delivering again.
    assert_eq!(app.drain_outbox().await.delivered, 0);
    tokio::time::sleep(std::time::Duration::from_millis(5200)).await;
    settle(&app).await;
    assert_eq!(count(&app, PENDING).await, 0);
    assert_eq!(
        count(&app, "SELECT count(*) FROM openedx_sandbox_enrollments WHERE course_id = 'course-v1:MITx+FAULT+1T2026' AND is_active = 1").await,
        1
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM outbox WHERE status = 'dead'").await,
        0
    );
    assert!(
        count(
            &app,
            "SELECT count(*) FROM audit_log WHERE action = 'sandbox.fault'"
        )
        .await
            >= 5,
        "every switch is audited"
    );
}

#[tokio::test]
async fn a_bad_fault_request_names_the_field_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let key = app.api_key(Scope::Staff).await;
    for (body, field) in [
        (json!({"kind": "flood"}), "kind"),
        (json!({"kind": "down", "seconds": 0}), "seconds"),
        (json!({"kind": "down", "seconds": "ten"}), "seconds"),
    ] {
        let (status, answer) = staff_post(&app, &key, "/api/v0/staff/sandbox/faults/openedx/", body).await;
        assert_eq!(status, 400);
        assert!(answer.get(field).is_some(), "{answer}");
    }
    assert_eq!(count(&app, "SELECT count(*) FROM sandbox_faults").await, 0);
    let (status, _) = staff_get(&app, &key, "/api/v0/staff/openedx/sandbox/").await;
    assert_eq!(status, 200);
}

/// An enrollment retried behind an outage must not land after the unenrollment that followed
/// it (the partners bench found 17 such runs): the newer message supersedes the older one.
#[tokio::test]
async fn an_unenrollment_made_during_an_outage_is_not_undone_by_the_retried_enrollment() {
    use crate::support::enrollment::send;
    let app = TestApp::spawn().await;
    let key = app.api_key(Scope::Staff).await;
    let first = run(&app, COURSE, OPEN).await;
    let second = run(&app, "course-v1:MITx+FAULT2+1T2026", OPEN).await;
    let (_, token) = learner(&app, "reorder", false).await;
    assert_eq!(enroll(&app, &token, first).await.0, 201);
    settle(&app).await; // the edX account exists

    staff_post(
        &app,
        &key,
        "/api/v0/staff/sandbox/faults/openedx/",
        json!({"kind": "error", "seconds": 3600}),
    )
    .await;
    let (status, body) = enroll(&app, &token, second).await;
    assert_eq!(status, 201);
    app.drain_outbox().await; // the enrollment fails and backs off
    let id = body["id"].as_i64().unwrap();
    let (status, _) = send(
        &app,
        reqwest::Method::DELETE,
        &token,
        &format!("/api/v1/enrollments/{id}/"),
        None,
    )
    .await;
    assert!((200..300).contains(&status), "{status}");
    staff_post(
        &app,
        &key,
        "/api/v0/staff/sandbox/faults/openedx/",
        json!({"kind": "none"}),
    )
    .await;
    settle(&app).await;

    assert_eq!(count(&app, PENDING).await, 0);
    assert_eq!(
        count(&app, "SELECT count(*) FROM openedx_sandbox_enrollments WHERE course_id = 'course-v1:MITx+FAULT2+1T2026' AND is_active = 1").await,
        0,
        "edX holds what the learner last asked"
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM outbox WHERE kind = 'enroll' AND last_error LIKE 'superseded by #%'"
        )
        .await,
        1
    );
}
