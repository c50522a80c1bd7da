//! Enrollments over HTTP with a scripted Open edX: local commits at once, edX reached exactly
//! once, rules refused with a 4xx naming the field, rows reused, audit trail written.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::support::enrollment::*;
use crate::support::fake::{FakeServer, Reply};

const C1: &str = "course-v1:MITx+6.002x+1T2026";

#[tokio::test]
async fn a_double_click_on_enroll_makes_one_enrollment_and_one_edx_call() {
    let fake = FakeServer::start().await;
    let app = app_with_edx(&fake.url).await;
    let (id, token) = learner(&app, "ada", false).await;
    synced(&app, id, "ada").await;
    let run = run(&app, C1, OPEN).await;
    fake.push(no_enrollment_yet());
    fake.push(enrolled_reply("ada", C1, "audit"));

    let (a, b) = tokio::join!(enroll(&app, &token, run), enroll(&app, &token, run));
    assert_eq!((a.0, b.0), (201, 201));
    assert_eq!(a.1["id"], b.1["id"], "both answers name the same enrollment");
    assert_eq!(
        count(&app, "SELECT count(*) FROM course_run_enrollments").await,
        1
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM outbox WHERE kind = 'enroll'").await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM audit_log WHERE object_type = 'course_run_enrollment'"
        )
        .await,
        1
    );

    settle(&app).await;
    let posts = fake
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/api/enrollment/v1/enrollment")
        .count();
    assert_eq!(posts, 1);
    assert_eq!(fake.count(), 2);
    let (_, list) = send(&app, Method::GET, &token, "/api/v1/enrollments/", None).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["enrollment_mode"], "audit");
    assert_eq!(list[0]["run"]["courseware_id"], C1);
    app.shutdown().await;
}

#[tokio::test]
async fn with_edx_down_for_the_whole_request_the_enrollment_is_accepted_and_delivered_once_when_it_returns() {
    let down = crate::support::fake::DownPort::reserve();
    let app = app_with_edx(&down.url()).await;
    let (id, token) = learner(&app, "grace", false).await;
    synced(&app, id, "grace").await;
    let run = run(&app, C1, OPEN).await;

    let (status, body) = enroll(&app, &token, run).await;
    assert_eq!(status, 201, "{body}");
    for _ in 0..3 {
        let r = app.drain_outbox().await;
        assert_eq!((r.delivered, r.dead), (0, 0));
        app.advance(Duration::from_secs(3600));
    }
    // The learner sees the enrollment while edX is down.
    let (_, list) = send(&app, Method::GET, &token, "/api/v3/enrollments/", None).await;
    assert_eq!(list.as_array().unwrap().len(), 1);

    let fake = FakeServer::start_on(down).await;
    fake.push(no_enrollment_yet());
    fake.push(enrolled_reply("grace", C1, "audit"));
    settle(&app).await;
    assert_eq!(fake.count(), 2);
    assert_eq!(
        count(&app, "SELECT count(*) FROM outbox WHERE status <> 'delivered'").await,
        0
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM openedx_enrollment_sync WHERE is_active = 1"
        )
        .await,
        1
    );
    app.advance(Duration::from_secs(86_400));
    app.drain_outbox().await;
    assert_eq!(fake.count(), 2, "nothing is sent twice");
    app.shutdown().await;
}

#[tokio::test]
async fn a_429_with_retry_after_from_edx_makes_the_enrollment_push_wait() {
    let fake = FakeServer::start().await;
    let app = app_with_edx(&fake.url).await;
    let (id, token) = learner(&app, "wait", false).await;
    synced(&app, id, "wait").await;
    let run = run(&app, C1, OPEN).await;
    fake.push(no_enrollment_yet());
    fake.push(Reply::json(429, json!({ "detail": "throttled" })).header("retry-after", "2"));
    assert_eq!(enroll(&app, &token, run).await.0, 201);
    let r = app.drain_outbox().await;
    assert_eq!((r.delivered, r.retried), (0, 1));
    // Asked again at once (the app clock moved 1 s, less than Retry-After): nothing is sent.
    app.advance(Duration::from_secs(1));
    app.drain_outbox().await;
    assert_eq!(fake.count(), 2, "nothing sent before Retry-After");
    fake.push(no_enrollment_yet());
    fake.push(enrolled_reply("wait", C1, "audit"));
    // The dispatcher's pause of the edX lane runs on real time; the retry time on the app clock.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    app.advance(Duration::from_secs(5));
    assert_eq!(app.drain_outbox().await.delivered, 1);
    assert_eq!(fake.count(), 4);
    app.shutdown().await;
}

#[tokio::test]
async fn refused_enrollments_name_run_id_and_change_nothing() {
    let app = crate::support::TestApp::spawn().await;
    let (id, token) = learner(&app, "rules", false).await;
    let closed = run(
        &app,
        "course-v1:MITx+C1+closed",
        RunSpec {
            enrollable: false,
            ..OPEN
        },
    )
    .await;
    let b2b = run(&app, "course-v1:MITx+C2+b2b", RunSpec { b2b: true, ..OPEN }).await;
    let blocked = run(
        &app,
        "course-v1:MITx+C3+blocked",
        RunSpec {
            blocked: Some("IR"),
            ..OPEN
        },
    )
    .await;
    app.state
        .db
        .write(move |c| {
            c.execute(
                "INSERT INTO legal_addresses (user_id, country) VALUES (?1, 'IR')
                 ON CONFLICT (user_id) DO UPDATE SET country = excluded.country",
                [id],
            )
            .map_err(mitxonline::db::DbError::from)
        })
        .await
        .unwrap();
    for (run_id, why) in [
        (closed, "not open"),
        (b2b, "organization"),
        (blocked, "country"),
        (999_999, "Invalid"),
    ] {
        for path in [
            "/api/v1/enrollments/",
            "/api/v2/enrollments/",
            "/api/v3/enrollments/",
        ] {
            let (status, body) = send(
                &app,
                Method::POST,
                &token,
                path,
                Some(json!({ "run_id": run_id })),
            )
            .await;
            assert_eq!(status, 400, "{path} {run_id}: {body}");
            let msg = body["run_id"][0].as_str().unwrap_or_default();
            assert!(msg.contains(why), "{path}: {body}");
        }
    }
    for bad in [json!({}), json!({ "run_id": "x" }), json!({ "run_id": [1] })] {
        let (status, body) = send(&app, Method::POST, &token, "/api/v1/enrollments/", Some(bad)).await;
        assert_eq!(status, 400);
        assert!(body["run_id"].is_array(), "{body}");
    }
    assert_eq!(
        count(&app, "SELECT count(*) FROM course_run_enrollments").await,
        0
    );
    assert_eq!(count(&app, "SELECT count(*) FROM outbox").await, 0);
    assert_eq!(count(&app, "SELECT count(*) FROM audit_log").await, 0);
    // Anonymous callers are refused.
    let r = app
        .post_json("/api/v1/enrollments/", &json!({ "run_id": closed }))
        .await;
    assert_eq!(r.status(), 403);
    app.shutdown().await;
}

#[tokio::test]
async fn unenroll_then_enroll_again_reuses_the_row_and_audits_every_change() {
    let app = crate::support::TestApp::spawn().await;
    app.expect_undrained(&["openedx"]);
    let (_, token) = learner(&app, "again", false).await;
    let run = run(&app, C1, OPEN).await;
    let (_, first) = enroll(&app, &token, run).await;
    let id = first["id"].as_i64().unwrap();
    let (status, _) = send(
        &app,
        Method::DELETE,
        &token,
        &format!("/api/v1/enrollments/{id}/"),
        None,
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM course_run_enrollments WHERE active = 0 AND change_status = 'unenrolled'"
        )
        .await,
        1
    );
    let (_, list) = send(&app, Method::GET, &token, "/api/v2/enrollments/", None).await;
    assert_eq!(list, json!([]));
    let (status, again) = enroll(&app, &token, run).await;
    assert_eq!(status, 201);
    assert_eq!(again["id"].as_i64(), Some(id), "the row is reused");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM course_run_enrollments WHERE change_status IS NULL AND active = 1"
        )
        .await,
        1
    );
    let actions = app
        .state
        .db
        .read(|c| {
            let mut st = c.prepare(
                "SELECT action FROM audit_log WHERE object_type = 'course_run_enrollment' ORDER BY id",
            )?;
            let rows: Result<Vec<String>, _> = st.query_map([], |r| r.get(0))?.collect();
            rows.map_err(mitxonline::db::DbError::from)
        })
        .await
        .unwrap();
    assert_eq!(actions, ["enroll", "unenrolled", "reactivate"]);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM audit_log WHERE data_before IS NOT NULL AND data_after IS NOT NULL"
        )
        .await,
        2
    );
    // Someone else's enrollment is not found.
    let (_, other) = learner(&app, "other", false).await;
    let (status, _) = send(
        &app,
        Method::DELETE,
        &other,
        &format!("/api/v1/enrollments/{id}/"),
        None,
    )
    .await;
    assert_eq!(status, 404);
    app.shutdown().await;
}

#[tokio::test]
async fn receive_emails_patch_queues_the_edx_setting_and_validates_its_input() {
    let app = crate::support::TestApp::spawn().await;
    app.expect_undrained(&["openedx"]);
    let (_, token) = learner(&app, "mail", false).await;
    let run = run(&app, C1, OPEN).await;
    let (_, e) = enroll(&app, &token, run).await;
    let path = format!("/api/v1/enrollments/{}/", e["id"]);
    let (status, body) = send(
        &app,
        Method::PATCH,
        &token,
        &path,
        Some(json!({ "receive_emails": "no" })),
    )
    .await;
    assert_eq!(status, 400);
    assert!(body["receive_emails"].is_array());
    let (status, body) = send(
        &app,
        Method::PATCH,
        &token,
        &path,
        Some(json!({ "receive_emails": false })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["edx_emails_subscription"], false);
    assert_eq!(
        count(&app, "SELECT count(*) FROM outbox WHERE kind = 'email_settings'").await,
        1
    );
    app.shutdown().await;
}

#[tokio::test]
async fn put_sets_the_email_subscription_but_never_moves_an_enrollment_to_another_run() {
    let app = crate::support::TestApp::spawn().await;
    app.expect_undrained(&["openedx"]);
    let (_, token) = learner(&app, "put", false).await;
    let (_, stranger) = learner(&app, "put-stranger", false).await;
    let first = run(&app, C1, OPEN).await;
    let other = run(&app, "course-v1:MITx+6.003x+1T2026", OPEN).await;
    let (_, e) = enroll(&app, &token, first).await;
    let path = format!("/api/v1/enrollments/{}/", e["id"]);
    let put = |token: String, body: serde_json::Value| {
        let path = path.clone();
        let app = &app;
        async move { send(app, Method::PUT, &token, &path, Some(body)).await }
    };
    for (body, field) in [
        (
            json!({ "run_id": other, "edx_emails_subscription": false }),
            "run_id",
        ),
        (json!({ "edx_emails_subscription": false }), "run_id"),
        (
            json!({ "run_id": first, "edx_emails_subscription": "no" }),
            "edx_emails_subscription",
        ),
    ] {
        let (status, reply) = put(token.clone(), body.clone()).await;
        assert_eq!(status, 400, "{body}");
        assert!(reply[field].is_array(), "{body}: {reply}");
    }
    assert_eq!(
        count(&app, "SELECT count(*) FROM outbox WHERE kind = 'email_settings'").await,
        0,
        "a refused PUT changes nothing"
    );
    let (status, _) = put(stranger, json!({ "run_id": first })).await;
    assert_eq!(status, 404, "someone else's enrollment");

    let (status, body) = put(
        token.clone(),
        json!({ "run_id": first, "edx_emails_subscription": false }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["edx_emails_subscription"], false);
    assert_eq!(body["run"]["id"], first);
    assert_eq!(
        count(&app, "SELECT count(*) FROM outbox WHERE kind = 'email_settings'").await,
        1
    );
    app.shutdown().await;
}

#[tokio::test]
async fn v3_enrollments_have_the_original_shape_and_take_two_sql_statements() {
    let app = crate::support::TestApp::spawn().await;
    app.expect_undrained(&["openedx"]);
    let (_, token) = learner(&app, "shape", false).await;
    for key in [
        "course-v1:MITx+S1+1T2026",
        "course-v1:MITx+S2+1T2026",
        "course-v1:MITx+S3+1T2026",
    ] {
        let r = run(&app, key, OPEN).await;
        assert_eq!(enroll(&app, &token, r).await.0, 201);
    }
    // Warm the snapshot, then measure.
    send(&app, Method::GET, &token, "/api/v3/enrollments/", None).await;
    let metrics = &app.state.metrics;
    let before = metrics.counter_value("mitxonline_enrollment_sql_statements_total", &[]);
    let (status, list) = send(&app, Method::GET, &token, "/api/v3/enrollments/", None).await;
    let after = metrics.counter_value("mitxonline_enrollment_sql_statements_total", &[]);
    assert_eq!(status, 200);
    assert_eq!(after - before, 2);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 3);
    let e = &list[0];
    for k in [
        "run",
        "id",
        "edx_emails_subscription",
        "certificate",
        "enrollment_mode",
        "approved_flexible_price_exists",
        "grades",
        "b2b_organization_id",
        "b2b_contract_id",
    ] {
        assert!(e.get(k).is_some(), "missing {k}: {e}");
    }
    for k in [
        "upgrade_product_id",
        "upgrade_product_price",
        "upgrade_product_is_active",
        "is_enrollable",
        "courseware_url",
    ] {
        assert!(e["run"].get(k).is_some(), "missing run.{k}");
    }
    assert_eq!(e["run"]["course"]["type"], "course");
    let id = e["id"].as_i64().unwrap();
    let (status, one) = send(
        &app,
        Method::GET,
        &token,
        &format!("/api/v3/enrollments/{id}/"),
        None,
    )
    .await;
    assert_eq!((status, &one), (200, e));
    app.shutdown().await;
}
