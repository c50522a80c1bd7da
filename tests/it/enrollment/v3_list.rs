//! The v3 enrollment list is written from run fragments cached per catalog snapshot and
//! predicate interval: it must stay byte-for-byte the v3 detail of each enrollment, and show a
//! passed deadline or a catalog edit on the very next request.

use std::time::Duration;

use mitxonline::catalog::store::{self as cat, NewCourse, NewRun, ProductTarget};
use mitxonline::db::DbError;
use mitxonline::enrollment::{Actor, Checks, Mode, service};
use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::Value;

use crate::support::TestApp;
use crate::support::enrollment::{enroll, learner, send};

/// A live, enrollable course run with the audit and verified modes and a $49 product;
/// deadlines are offsets from now. Returns (run id, product id).
async fn paid_run(
    app: &TestApp,
    key: &'static str,
    upgrade_deadline: Option<chrono::Duration>,
    enrollment_end: Option<chrono::Duration>,
    b2b: bool,
) -> (i64, i64) {
    let now = app.state.clock.now();
    app.state
        .db
        .write(move |c| {
            let audit = cat::ensure_mode(c, "audit", false)?;
            let verified = cat::ensure_mode(c, "verified", true)?;
            let readable = key.rsplit_once('+').map_or(key, |(a, _)| a);
            let course = cat::insert_course(
                c,
                &NewCourse {
                    title: "Signals",
                    readable_id: readable,
                    live: true,
                    departments: &[],
                    topics: &[],
                },
                now,
            )?;
            let day = chrono::Duration::days(1);
            let run = cat::insert_run(
                c,
                &NewRun {
                    course_id: course,
                    title: "Signals 2026",
                    courseware_id: key,
                    run_tag: "1T2026",
                    start_date: Some(now - day),
                    end_date: Some(now + day * 90),
                    enrollment_start: Some(now - day * 2),
                    enrollment_end: enrollment_end.map(|d| now + d),
                    upgrade_deadline: upgrade_deadline.map(|d| now + d),
                    live: true,
                    b2b_contract_id: b2b.then_some(3),
                    language: "en",
                    modes: &[audit, verified],
                    ..NewRun::default()
                },
                now,
            )?;
            let product = cat::insert_product(c, ProductTarget::CourseRun(run), Decimal::from(49), key, now)?;
            Ok::<_, DbError>((run, product))
        })
        .await
        .unwrap()
}

async fn list_v3(app: &TestApp, token: &str) -> Value {
    let (status, body) = send(app, Method::GET, token, "/api/v3/enrollments/", None).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn raw(app: &TestApp, token: &str, path: &str) -> String {
    let r = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    r.text().await.unwrap()
}

#[tokio::test]
async fn the_v3_list_shows_a_passed_upgrade_deadline_and_enrollment_end_on_the_next_request() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx"]);
    let (_, token) = learner(&app, "deadline", false).await;
    let hour = chrono::Duration::hours(1);
    let (run, product) = paid_run(
        &app,
        "course-v1:MITx+UP1+1T2026",
        Some(hour),
        Some(hour * 3),
        false,
    )
    .await;
    assert_eq!(enroll(&app, &token, run).await.0, 201);

    // Twice: the second answer comes from the cached fragment.
    for _ in 0..2 {
        let list = list_v3(&app, &token).await;
        let r = &list[0]["run"];
        assert_eq!(r["is_upgradable"], true, "{r}");
        assert_eq!(r["upgrade_product_id"], product);
        assert_eq!(r["upgrade_product_price"], "49.00");
        assert_eq!(r["upgrade_product_is_active"], true);
        assert_eq!(r["is_enrollable"], true);
    }

    app.advance(Duration::from_secs(2 * 3600));
    let list = list_v3(&app, &token).await;
    let r = &list[0]["run"];
    assert_eq!(r["is_upgradable"], false, "{r}");
    assert_eq!(r["upgrade_product_id"], Value::Null);
    assert_eq!(r["upgrade_product_price"], Value::Null);
    assert_eq!(r["upgrade_product_is_active"], Value::Null);
    assert_eq!(r["is_enrollable"], true);

    app.advance(Duration::from_secs(2 * 3600));
    let list = list_v3(&app, &token).await;
    assert_eq!(list[0]["run"]["is_enrollable"], false, "{list}");
    app.shutdown().await;
}

#[tokio::test]
async fn a_catalog_edit_shows_in_the_next_v3_list() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx"]);
    let (_, token) = learner(&app, "edited", false).await;
    let (run, _) = paid_run(&app, "course-v1:MITx+ED1+1T2026", None, None, false).await;
    assert_eq!(enroll(&app, &token, run).await.0, 201);
    let before = list_v3(&app, &token).await;
    assert_eq!(before[0]["run"]["title"], "Signals 2026");

    app.state
        .db
        .write(move |c| {
            c.execute("UPDATE course_runs SET title = 'Signals, revised' WHERE id = ?1", [run])?;
            c.execute(
                "UPDATE courses SET title = 'Signals and Systems' WHERE id = (SELECT course_id FROM course_runs WHERE id = ?1)",
                [run],
            )?;
            c.execute("UPDATE products SET is_active = 0 WHERE course_run_id = ?1", [run])?;
            Ok::<_, DbError>(())
        })
        .await
        .unwrap();
    let after = list_v3(&app, &token).await;
    assert_eq!(after[0]["run"]["title"], "Signals, revised", "{after}");
    assert_eq!(after[0]["run"]["course"]["title"], "Signals and Systems");
    assert_eq!(after[0]["run"]["upgrade_product_id"], Value::Null);
    app.shutdown().await;
}

#[tokio::test]
async fn the_v3_list_is_byte_for_byte_the_v3_detail_of_each_enrollment_in_order() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx"]);
    let (user, token) = learner(&app, "bytes", false).await;
    let day = chrono::Duration::days(1);
    let mut runs = Vec::new();
    for (key, deadline, b2b) in [
        ("course-v1:MITx+BY1+1T2026", Some(day), false),
        ("course-v1:MITx+BY2+1T2026", None, true),
        ("course-v1:MITx+BY3+1T2026", Some(-day), false),
    ] {
        runs.push(paid_run(&app, key, deadline, None, b2b).await.0);
    }
    let now = app.state.clock.now();
    app.state
        .db
        .write(move |c| {
            for (i, run) in runs.iter().enumerate() {
                let mode = if i == 1 { Mode::Verified } else { Mode::Audit };
                service::enroll(c, now, user, *run, mode, Checks::NONE, &Actor::system("test"))
                    .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
            }
            mitxonline::enrollment::store::upsert_grade(
                c,
                user,
                runs[0],
                "0.845".parse().unwrap(),
                Some("B"),
                true,
                now,
            )?;
            mitxonline::enrollment::store::upsert_grade(
                c,
                user,
                runs[2],
                "1".parse().unwrap(),
                None,
                false,
                now,
            )?;
            Ok::<_, DbError>(())
        })
        .await
        .unwrap();

    for query in ["", "?exclude_b2b=true"] {
        // Twice: filling the fragments, then reading them.
        for _ in 0..2 {
            let list = raw(&app, &token, &format!("/api/v3/enrollments/{query}")).await;
            let parsed: Value = serde_json::from_str(&list).unwrap();
            let ids: Vec<i64> = parsed
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].as_i64().unwrap())
                .collect();
            assert_eq!(ids.len(), if query.is_empty() { 3 } else { 2 });
            assert!(ids.windows(2).all(|w| w[0] < w[1]), "ordered by id: {ids:?}");
            let mut details = Vec::new();
            for id in ids {
                details.push(raw(&app, &token, &format!("/api/v3/enrollments/{id}/")).await);
            }
            assert_eq!(list, format!("[{}]", details.join(",")));
        }
    }
    let (status, none) = send(&app, Method::GET, &token, "/api/v3/enrollments/?org_id=1", None).await;
    assert_eq!((status, none), (200, Value::Array(vec![])));
    app.shutdown().await;
}
