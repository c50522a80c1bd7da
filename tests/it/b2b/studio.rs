//! The Studio re-run of a new contract run goes through the outbox: against a sandbox Studio
//! that does not know the source run it fails, is retried 5 times at 300 s × attempt (+ up
//! to 60 s), becomes a dead letter, and succeeds once staff register the source and retry.

use std::time::Duration;

use mitxonline::users::api_keys::Scope;
use serde_json::{Value, json};

use super::{contract, program_with_sources};
use crate::support::TestApp;

async fn clone_row(app: &TestApp) -> (i64, String, i64, String) {
    app.state
        .db
        .read(|c| {
            c.query_row(
                "SELECT id, status, attempts, next_attempt_at FROM outbox WHERE kind = 'clone_course_run'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn the_studio_rerun_is_retried_5_times_300_seconds_apart_then_retried_by_staff_after_the_fix() {
    let app = TestApp::spawn().await;
    let (program, sources) = program_with_sources(&app, "STU", 1).await;
    // One source run only: drop the Spanish one.
    app.state
        .db
        .write(|c| c.execute("UPDATE course_runs SET is_source_run = 0, run_tag = 'OLD' WHERE courseware_id LIKE '%SOURCE_es'", []))
        .await
        .unwrap();
    let (_, k) = contract(&app, "stu", "auto", None, None, Some(program), None).await;
    let payload: Value = app
        .state
        .db
        .read(|c| {
            c.query_row(
                "SELECT payload FROM outbox WHERE kind = 'clone_course_run'",
                [],
                |r| r.get::<_, String>(0),
            )
        })
        .await
        .map(|s| serde_json::from_str(&s).unwrap())
        .unwrap();
    assert_eq!(payload["source_course_id"], sources[0]);
    let target = payload["course_id"].as_str().unwrap().to_owned();
    assert!(target.starts_with("course-v1:UAI_org-stu+STU0x+1T"), "{target}");
    assert_eq!(payload["fix"]["self_paced"], true);

    for attempt in 1..=5 {
        let before = app.state.clock.now();
        app.drain_outbox().await;
        let (_, status, attempts, next) = clone_row(&app).await;
        assert_eq!(attempts, attempt);
        if attempt < 5 {
            assert_eq!(status, "pending");
            let next = mitxonline::clock::from_db(&next).unwrap();
            let wait = (next - before).num_seconds();
            assert!(
                (300 * attempt..=300 * attempt + 61).contains(&wait),
                "attempt {attempt}: {wait} s"
            );
            app.advance(Duration::from_secs(300 * attempt as u64 + 61));
        } else {
            assert_eq!(status, "dead");
        }
    }
    let key = app.api_key(Scope::Staff).await;
    let staff = reqwest::Client::new();
    let page = staff
        .get(app.url(&format!("/staff/b2b/contracts/{k}/")))
        .header("authorization", format!("Api-Key {key}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("failed"),
        "the contract page shows the failed re-run"
    );

    // Staff register the source run in the sandbox Studio and retry the dead letter.
    let r = staff
        .post(app.url("/api/v0/staff/openedx/sandbox/courses/"))
        .header("authorization", format!("Api-Key {key}"))
        .json(&json!({ "course_id": sources[0], "name": "Source", "pacing": "instructor" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (id, ..) = clone_row(&app).await;
    let r = staff
        .post(app.url(&format!("/api/v0/staff/outbox/{id}/retry/")))
        .header("authorization", format!("Api-Key {key}"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    app.drain_outbox().await;
    assert_eq!(clone_row(&app).await.1, "delivered");
    let snapshot: Value = staff
        .get(app.url("/api/v0/staff/openedx/sandbox/"))
        .header("authorization", format!("Api-Key {key}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let text = snapshot.to_string();
    assert!(
        text.contains(&target),
        "the sandbox Studio has the new run: {text}"
    );
    let page = staff
        .get(app.url(&format!("/staff/b2b/contracts/{k}/")))
        .header("authorization", format!("Api-Key {key}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("cloned"), "the contract page shows the done re-run");
    app.shutdown().await;
}
