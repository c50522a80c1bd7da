//! The real binary killed with -9 after an enrollment committed locally and while its edX push
//! was in flight: after restart edX gets the enrollment exactly once.

use std::time::Duration;

use mitxonline::catalog::store::{self as cat, NewCourse, NewRun};
use mitxonline::integrations::openedx::store as edx_store;
use mitxonline::users::store::{NewUser, insert};
use serde_json::json;

use crate::support::enrollment::{enrolled_reply, no_enrollment_yet};
use crate::support::fake::FakeServer;
use crate::support::process::{Process, run_cli};

const C1: &str = "course-v1:MITx+18.01x+1T2026";

#[tokio::test]
async fn kill_9_between_the_local_commit_and_the_edx_push_delivers_once_after_restart() {
    let fake = FakeServer::start().await;
    // The first push hangs, so the kill lands while it is in flight.
    fake.push(no_enrollment_yet().delay(Duration::from_secs(30)));
    fake.push(no_enrollment_yet());
    fake.push(enrolled_reply("crash", C1, "audit"));
    let dir = tempfile::tempdir().unwrap();
    let out = run_cli(dir.path(), &[], &["migrate"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let conn = rusqlite::Connection::open(dir.path().join("mitxonline.db")).unwrap();
    conn.busy_timeout(Duration::from_secs(5)).unwrap();
    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    let now = chrono::Utc::now();
    let day = chrono::Duration::days(1);
    let user = insert(
        &conn,
        &NewUser {
            email: "crash@example.com".into(),
            username: "crash".into(),
            ..NewUser::default()
        },
        now,
    )
    .unwrap();
    edx_store::get_or_create(&conn, user, now).unwrap();
    edx_store::set_username(&conn, user, "crash", Some("crash"), now).unwrap();
    edx_store::mark_synced(&conn, user, now).unwrap();
    // Test callers authenticate by a staff-minted bearer token, which only service accounts hold.
    mitxonline::users::store::set_service_account(&conn, user, true, now).unwrap();
    let token = mitxonline::users::sessions::issue_access_token(&conn, user, "t", day, now).unwrap();
    let course = cat::insert_course(
        &conn,
        &NewCourse {
            title: "Calculus",
            readable_id: "course-v1:MITx+18.01x",
            live: true,
            departments: &[],
            topics: &[],
        },
        now,
    )
    .unwrap();
    let run = cat::insert_run(
        &conn,
        &NewRun {
            course_id: course,
            title: "Calculus",
            courseware_id: C1,
            run_tag: "1T2026",
            start_date: Some(now + day),
            enrollment_start: Some(now - day),
            live: true,
            language: "en",
            ..NewRun::default()
        },
        now,
    )
    .unwrap();

    let env = [
        ("MITXONLINE_OUTBOX_POLL_INTERVAL", "100ms"),
        ("MITXONLINE_OPENEDX_API_BASE_URL", fake.url.as_str()),
        ("MITXONLINE_OPENEDX_SERVICE_TOKEN", "svc"),
    ];
    let server = Process::serve(dir.path(), &env).await;
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/enrollments/", server.base))
        .bearer_auth(&token)
        .json(&json!({ "run_id": run }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    fake.wait_for(1, Duration::from_secs(20)).await;
    server.kill9();

    let server = Process::serve(dir.path(), &env).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let status: String = conn
            .query_row("SELECT status FROM outbox WHERE kind = 'enroll'", [], |r| {
                r.get(0)
            })
            .unwrap();
        if status == "delivered" {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not delivered after restart"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(600)).await;
    let posts = fake
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/api/enrollment/v1/enrollment")
        .count();
    assert_eq!(posts, 1, "edX is asked to enroll exactly once");
    let active: i64 = conn
        .query_row(
            "SELECT count(*) FROM course_run_enrollments WHERE active = 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(active, 1);
    let confirmed: i64 = conn
        .query_row(
            "SELECT count(*) FROM openedx_enrollment_sync WHERE is_active = 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(confirmed, 1);
    drop(server);
}
