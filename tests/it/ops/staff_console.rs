//! The staff console pages for jobs and the outbox.

use mitxonline::db::DbError;
use mitxonline::users::api_keys::Scope;
use serde_json::json;

use crate::support::TestApp;

async fn staff_get(app: &TestApp, key: &str, path: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header("authorization", format!("Api-Key {key}"))
        .send()
        .await
        .unwrap()
}

async fn staff_post(app: &TestApp, key: &str, path: &str) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .header("authorization", format!("Api-Key {key}"))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn staff_see_every_job_and_can_run_one_from_the_page() {
    let app = TestApp::spawn().await;
    let key = app.api_key(Scope::Staff).await;
    let html = staff_get(&app, &key, "/staff/jobs/").await.text().await.unwrap();
    for job in app.state.jobs.list() {
        assert!(html.contains(job.name), "{} missing", job.name);
    }
    assert!(html.contains("never"));
    let r = staff_post(&app, &key, "/staff/jobs/purge-delivered-outbox/run").await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/staff/jobs/purge-delivered-outbox/");
    // The run was recorded before the redirect; it finishes shortly after.
    for _ in 0..100 {
        if app
            .scalar_i64("SELECT count(*) FROM job_runs WHERE status = 'succeeded'")
            .await
            == 1
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let html = staff_get(&app, &key, "/staff/jobs/purge-delivered-outbox/")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("succeeded"), "{html}");
    assert!(html.contains("deleted 0 delivered messages"));
    assert_eq!(staff_get(&app, &key, "/staff/jobs/nope/").await.status(), 404);
    app.shutdown().await;
}

#[tokio::test]
async fn staff_retry_a_dead_letter_from_the_outbox_page() {
    let app = TestApp::spawn().await;
    app.expect_undelivered_to("http_post");
    let key = app.api_key(Scope::Staff).await;
    let now = app.state.clock.now();
    let id = app
        .state
        .db
        .write(move |c| {
            let msg = mitxonline::outbox::http_post_message("http://127.0.0.1:9/x", json!({}), "page-dead-1");
            let id = mitxonline::outbox::enqueue(c, now, &msg)?;
            c.execute(
                "UPDATE outbox SET status = 'dead', last_error = 'HTTP 400: nope' WHERE id = ?1",
                [id],
            )?;
            Ok::<_, DbError>(id)
        })
        .await
        .unwrap();
    let html = staff_get(&app, &key, "/staff/outbox/")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("HTTP 400: nope"));
    assert!(html.contains(&format!("/staff/outbox/{id}/retry")));
    let r = staff_post(&app, &key, &format!("/staff/outbox/{id}/retry")).await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM outbox WHERE status = 'pending'")
            .await,
        1
    );
    // A second retry finds nothing dead: 404, nothing changes.
    assert_eq!(
        staff_post(&app, &key, &format!("/staff/outbox/{id}/retry"))
            .await
            .status(),
        404
    );
    app.shutdown().await;
}

#[tokio::test]
async fn the_console_refuses_anonymous_and_catalog_callers() {
    let app = TestApp::spawn().await;
    let catalog = app.api_key(Scope::Catalog).await;
    for path in ["/staff/jobs/", "/staff/outbox/"] {
        let r = app.get(path).await;
        assert_eq!(r.status(), 401, "{path}");
        assert!(r.text().await.unwrap().contains("Please sign in"));
        assert_eq!(staff_get(&app, &catalog, path).await.status(), 403, "{path}");
    }
    assert_eq!(
        staff_post(&app, &catalog, "/staff/jobs/prune-job-runs/run")
            .await
            .status(),
        403
    );
    assert_eq!(app.scalar_i64("SELECT count(*) FROM job_runs").await, 0);
    app.shutdown().await;
}
