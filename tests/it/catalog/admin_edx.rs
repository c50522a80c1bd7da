//! A run's Open edX actions on its staff page, against the built-in sandbox: "Sync from Open
//! edX" applies the title, dates, pacing and modes the sandbox has (an unknown run is a 502
//! naming Open edX, nothing changed); "Create in Open edX" queues a Studio re-run of the
//! course's source run through the outbox, which the sandbox records once delivered — after
//! retrying while the sandbox does not have the source yet.

use std::time::Duration;

use serde_json::{Value, json};

use super::admin::{id_in, run_fields, submit};
use crate::support::TestApp;
use crate::support::commerce::run_product;
use crate::support::identity::signed_in;

async fn sandbox_course(app: &TestApp, v: Value) {
    app.state
        .db
        .write(move |c| mitxonline::integrations::openedx::sandbox::store::upsert_course(c, &v))
        .await
        .unwrap();
}

async fn text(app: &TestApp, sql: &'static str) -> String {
    app.state
        .db
        .read(move |c| c.query_row(sql, [], |r| r.get::<_, String>(0)))
        .await
        .unwrap()
}

#[tokio::test]
async fn sync_from_open_edx_applies_the_sandbox_title_dates_pacing_and_modes() {
    let app = TestApp::spawn().await;
    let (run, _) = run_product(&app, "SYN", "10.00").await;
    sandbox_course(
        &app,
        json!({ "course_id": "course-v1:MITxT+SYN+1T2026", "name": "Synced from edX", "start": "2027-01-05T00:00:00Z",
                "end": "2027-04-30T00:00:00Z", "enrollment_start": "2026-12-01T00:00:00Z", "pacing": "self" }),
    )
    .await;
    let staff = signed_in(&app, "syncer@example.com", true).await;
    let page = format!("/staff/catalog/runs/{run}/");
    let (s, loc, body) = submit(&app, &staff, &page, &format!("{page}sync/"), &[]).await;
    assert_eq!((s, loc.as_str()), (303, page.as_str()), "{body}");
    assert_eq!(
        app.scalar_i64(
            "SELECT count(*) FROM course_runs WHERE title = 'Synced from edX' AND is_self_paced = 1
               AND start_date LIKE '2027-01-05T00:00:00%' AND end_date LIKE '2027-04-30T00:00:00%'
               AND enrollment_start LIKE '2026-12-01T00:00:00%'"
        )
        .await,
        1
    );
    assert_eq!(
        text(
            &app,
            "SELECT group_concat(e.mode_slug, ',') FROM (SELECT e.mode_slug FROM course_run_modes m
               JOIN enrollment_modes e ON e.id = m.mode_id ORDER BY e.mode_slug) e"
        )
        .await,
        "audit,verified"
    );
    let v = super::admin::v2_course(&app, "course-v1:MITxT+SYN").await;
    assert_eq!(v["courseruns"][0]["title"], "Synced from edX");
    assert_eq!(v["courseruns"][0]["is_self_paced"], true);
    let audit = text(
        &app,
        "SELECT data_after FROM audit_log WHERE action = 'catalog.sync_run_from_edx'",
    )
    .await;
    assert!(audit.contains("Synced from edX"), "{audit}");

    // A run the sandbox does not know: 502 naming Open edX, nothing changed.
    let (other, _) = run_product(&app, "NOEDX", "10.00").await;
    let page = format!("/staff/catalog/runs/{other}/");
    let (s, _, body) = submit(&app, &staff, &page, &format!("{page}sync/"), &[]).await;
    assert_eq!(s, 502);
    assert!(
        body.contains("<strong>openedx</strong>") && body.contains("does not know"),
        "{body}"
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM course_runs WHERE title = 'Run NOEDX'")
            .await,
        1
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM audit_log WHERE action = 'catalog.sync_run_from_edx'")
            .await,
        1
    );
    app.shutdown().await;
}

#[tokio::test]
async fn create_in_open_edx_reruns_the_source_run_through_the_outbox_even_while_edx_lacks_it() {
    let app = TestApp::spawn().await;
    let (source, _) = run_product(&app, "REX", "10.00").await;
    let course = app
        .scalar_i64("SELECT course_id FROM course_runs")
        .await
        .to_string();
    let staff = signed_in(&app, "rerunner@example.com", true).await;
    // Without a source run there is nothing to re-run from: a 400 naming the field.
    let new_run = format!("/staff/catalog/courses/{course}/runs/new/");
    let key = "course-v1:MITxT+REX+2T2027";
    let mut fields = run_fields(&course, key);
    fields[1] = ("title", "Rerun 2027");
    fields.push(("is_self_paced", "on"));
    let (s, loc, body) = submit(&app, &staff, &new_run, "/staff/catalog/runs/", &fields).await;
    assert_eq!(s, 303, "{body}");
    let run = id_in(&loc);
    let page = format!("/staff/catalog/runs/{run}/");
    let create = format!("{page}create-in-edx/");
    let (s, _, body) = submit(&app, &staff, &page, &create, &[("source", "")]).await;
    assert_eq!(s, 400);
    assert!(body.contains("<strong>source</strong>"), "{body}");
    let (s, _, _) = submit(&app, &staff, &page, &create, &[("source", &run.to_string())]).await;
    assert_eq!(s, 400, "not into itself");
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM outbox WHERE kind = 'clone_course_run'")
            .await,
        0
    );

    app.state
        .db
        .write(move |c| c.execute("UPDATE course_runs SET is_source_run = 1 WHERE id = ?1", [source]))
        .await
        .unwrap();
    let (s, _, body) = submit(&app, &staff, &page, &create, &[("source", "")]).await;
    assert_eq!(s, 303, "{body}");
    let payload: Value =
        serde_json::from_str(&text(&app, "SELECT payload FROM outbox WHERE kind = 'clone_course_run'").await)
            .unwrap();
    assert_eq!(payload["source_course_id"], "course-v1:MITxT+REX+1T2026");
    assert_eq!(payload["course_id"], key);
    assert_eq!(payload["fix"]["title"], "Rerun 2027");
    assert_eq!(payload["fix"]["self_paced"], true);

    // The sandbox Studio lacks the source: the delivery fails and stays queued.
    app.drain_outbox().await;
    assert_eq!(
        text(&app, "SELECT status FROM outbox WHERE kind = 'clone_course_run'").await,
        "pending"
    );
    assert_eq!(
        app.scalar_i64(
            "SELECT count(*) FROM openedx_sandbox_courses WHERE course_id = 'course-v1:MITxT+REX+2T2027'"
        )
        .await,
        0
    );
    sandbox_course(
        &app,
        json!({ "course_id": "course-v1:MITxT+REX+1T2026", "name": "Source", "pacing": "instructor" }),
    )
    .await;
    app.advance(Duration::from_secs(361));
    app.drain_outbox().await;
    assert_eq!(
        text(&app, "SELECT status FROM outbox WHERE kind = 'clone_course_run'").await,
        "delivered"
    );
    assert_eq!(
        app.scalar_i64(
            "SELECT count(*) FROM openedx_sandbox_courses WHERE course_id = 'course-v1:MITxT+REX+2T2027'
               AND name = 'Rerun 2027' AND pacing = 'self' AND start_date LIKE '2027-02-01T09:00:00%'"
        )
        .await,
        1
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM audit_log WHERE action = 'catalog.create_run_in_edx'")
            .await,
        1
    );
    app.shutdown().await;
}
