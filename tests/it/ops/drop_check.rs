//! The harness's drop check itself: a test that leaves outbox rows undelivered or job runs
//! failed, without declaring them, fails naming them; declared leftovers pass; a declared
//! dead-letter count is checked.

use mitxonline::outbox::{enqueue, http_post_message};
use serde_json::json;

use crate::support::TestApp;

/// A message to a port nothing listens on, left pending (never drained).
async fn pending_post(app: &TestApp, key: &str) -> i64 {
    let msg = http_post_message("http://127.0.0.1:9/hook", json!({}), key);
    let now = app.state.clock.now();
    app.state.db.write(move |c| enqueue(c, now, &msg)).await.unwrap()
}

async fn kill(app: &TestApp, id: i64) {
    app.state
        .db
        .write(move |c| c.execute("UPDATE outbox SET status = 'dead' WHERE id = ?1", [id]))
        .await
        .unwrap();
}

async fn failed_run(app: &TestApp, job: &'static str) {
    let now = mitxonline::clock::to_db(app.state.clock.now());
    app.state
        .db
        .write(move |c| {
            c.execute(
                "INSERT INTO job_runs (job, trigger, status, queued_on, finished_on, detail) \
                 VALUES (?1, 'test', 'failed', ?2, ?2, 'boom')",
                rusqlite::params![job, now],
            )
        })
        .await
        .unwrap();
}

#[tokio::test]
#[should_panic(expected = "http_post/post is pending")]
async fn an_undeclared_pending_row_fails_the_test_when_the_app_is_dropped() {
    let app = TestApp::spawn().await;
    pending_post(&app, "drop-1").await;
}

#[tokio::test]
#[should_panic(expected = "http_post/post is dead")]
async fn an_undeclared_dead_letter_fails_the_test_at_shutdown_even_if_undrained_was_declared() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["http_post"]);
    let id = pending_post(&app, "drop-2").await;
    kill(&app, id).await;
    app.shutdown().await;
}

#[tokio::test]
#[should_panic(expected = "expected 2 dead letter(s) to http_post, found 1")]
async fn a_declared_dead_letter_count_is_checked() {
    let app = TestApp::spawn().await;
    app.expect_dead_letters("http_post", 2);
    let id = pending_post(&app, "drop-3").await;
    kill(&app, id).await;
    app.shutdown().await;
}

#[tokio::test]
#[should_panic(expected = "of drop-check-job (trigger test) failed: boom")]
async fn an_undeclared_failed_job_run_fails_the_test() {
    let app = TestApp::spawn().await;
    failed_run(&app, "drop-check-job").await;
}

#[tokio::test]
async fn declared_leftovers_pass() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["http_post"])
        .expect_dead_letters("http_post", 1)
        .expect_failed_runs_of("drop-check-job");
    pending_post(&app, "drop-4").await;
    let id = pending_post(&app, "drop-5").await;
    kill(&app, id).await;
    failed_run(&app, "drop-check-job").await;
    app.shutdown().await;
}
