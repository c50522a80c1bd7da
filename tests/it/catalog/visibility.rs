//! What the catalog never shows and how fresh it is: B2B isolation, unpublished pages, versioned
//! prices, a write visible on the next request, and constant SQL per request.

use chrono::Duration;
use serde_json::Value;

use crate::support::TestApp;
use crate::support::catalog::{course, list, seed};
use mitxonline::catalog::store::{self, NewNode, NewProgram, NewRun, ProductTarget};
use mitxonline::cms::model::{PageContent, PageType};
use mitxonline::cms::store::{self as cms, NewPage};

#[tokio::test]
async fn anonymous_callers_never_see_b2b_only_courses_runs_or_programs() {
    let app = TestApp::spawn().await;
    seed(&app, |c, now| {
        let public = course(c, now, 1, true, true)?;
        let b2b = course(c, now, 2, true, true)?;
        c.execute(
            "UPDATE course_runs SET b2b_contract_id = 7 WHERE course_id = ?1",
            [b2b],
        )?;
        store::insert_run(
            c,
            &NewRun {
                course_id: public,
                title: "contract",
                courseware_id: "course-v1:TEST+C001+B2B",
                run_tag: "B2B",
                start_date: Some(now),
                enrollment_start: Some(now - Duration::days(1)),
                live: true,
                b2b_contract_id: Some(7),
                ..NewRun::default()
            },
            now,
        )?;
        let (p, root) = store::insert_program(
            c,
            &NewProgram {
                title: "Org program",
                readable_id: "program-v1:TEST+ORG",
                live: true,
                program_type: "Series",
                departments: &[],
                modes: &[],
                start_date: None,
            },
            now,
        )?;
        store::add_requirement(
            c,
            p,
            root,
            0,
            &NewNode::AllOf {
                title: "Required Courses",
            },
        )?;
        c.execute("UPDATE programs SET b2b_only = 1 WHERE id = ?1", [p])?;
        let run: i64 = c.query_row(
            "SELECT id FROM course_runs WHERE courseware_id = 'course-v1:TEST+C001+B2B'",
            [],
            |r| r.get(0),
        )?;
        store::insert_product(
            c,
            ProductTarget::CourseRun(run),
            "10".parse().unwrap(),
            "b2b",
            now,
        )?;
        Ok(())
    })
    .await;
    let body = list(&app, "").await;
    assert_eq!(body["count"], 1);
    let runs = body["results"][0]["courseruns"].as_array().unwrap();
    assert!(runs.iter().all(|r| r["b2b_contract"].is_null()));
    assert_eq!(app.get_json("/api/v2/courses/course-v1:TEST+C002/").await.0, 404);
    assert_eq!(app.get_json("/api/v2/programs/").await.1["count"], 0);
    assert_eq!(app.get_json("/api/v2/programs/program-v1:TEST+ORG/").await.0, 404);
    let v1: Value = app.get_json("/api/v1/course_runs/").await.1;
    assert!(
        v1.as_array()
            .unwrap()
            .iter()
            .all(|r| !r["courseware_id"].as_str().unwrap().ends_with("B2B"))
    );
    assert_eq!(app.get("/courses/course-v1:TEST+C002/").await.status(), 404);
    assert_eq!(app.get("/programs/program-v1:TEST+ORG/").await.status(), 404);
    app.shutdown().await;
}

#[tokio::test]
async fn unpublished_pages_are_never_shown_to_anonymous_callers() {
    let app = TestApp::spawn().await;
    seed(&app, |c, now| {
        let id = course(c, now, 1, true, false)?;
        let content = PageContent {
            title: "Secret draft".into(),
            description: "Not yet".into(),
            include_in_learn_catalog: true,
            ..PageContent::default()
        };
        cms::create_page(
            c,
            &NewPage {
                page_type: PageType::Course,
                slug: "course-v1:TEST+C001",
                course_id: Some(id),
                program_id: None,
                parent_id: None,
            },
            &content,
            "t",
            now,
        )?;
        let (rp, _) = cms::create_page(
            c,
            &NewPage {
                page_type: PageType::Resource,
                slug: "secret",
                course_id: None,
                program_id: None,
                parent_id: None,
            },
            &PageContent {
                title: "Secret".into(),
                ..PageContent::default()
            },
            "t",
            now,
        )?;
        let _ = rp;
        Ok(())
    })
    .await;
    let body = list(&app, "").await;
    assert!(body["results"][0]["page"].is_null());
    assert_eq!(
        app.get_json("/api/v2/pages/?type=cms.coursepage").await.1["meta"]["total_count"],
        0
    );
    assert_eq!(app.get("/courses/course-v1:TEST+C001/").await.status(), 404);
    assert_eq!(app.get("/secret/").await.status(), 404);
    let html = app.get("/catalog/").await.text().await.unwrap();
    assert!(!html.contains("Course 001"));
    let sitemap = app.get("/sitemap.xml").await.text().await.unwrap();
    assert!(!sitemap.contains("TEST+C001") && !sitemap.contains("secret"));
    app.shutdown().await;
}

#[tokio::test]
async fn a_price_change_is_a_new_version_and_the_latest_version_is_shown() {
    let app = TestApp::spawn().await;
    seed(&app, |c, now| {
        let id = course(c, now, 1, true, true)?;
        let run: i64 = c.query_row("SELECT id FROM course_runs WHERE course_id = ?1", [id], |r| {
            r.get(0)
        })?;
        let verified = store::ensure_mode(c, "verified", true)?;
        c.execute(
            "INSERT INTO course_run_modes (course_run_id, mode_id) VALUES (?1, ?2)",
            [run, verified],
        )?;
        let p = store::insert_product(
            c,
            ProductTarget::CourseRun(run),
            "100".parse().unwrap(),
            "first",
            now,
        )?;
        store::add_price_version(c, p, "80.5".parse().unwrap(), "second", now)?;
        Ok(())
    })
    .await;
    let body = list(&app, "").await;
    let run = &body["results"][0]["courseruns"][0];
    assert_eq!(run["products"][0]["price"], "80.50");
    assert_eq!(run["products"][0]["description"], "second");
    assert_eq!(run["is_upgradable"], true);
    assert_eq!(body["results"][0]["page"]["current_price"], 80.5);
    assert_eq!(app.scalar_i64("SELECT count(*) FROM product_versions").await, 2);
    app.shutdown().await;
}

#[tokio::test]
async fn a_catalog_write_is_visible_on_the_very_next_request() {
    let app = TestApp::spawn().await;
    seed(&app, |c, now| course(c, now, 1, true, true).map(|_| ())).await;
    assert_eq!(list(&app, "").await["results"][0]["title"], "Course 001");
    seed(&app, |c, _| {
        c.execute("UPDATE courses SET title = 'Renamed'", []).map(|_| ())
    })
    .await;
    assert_eq!(list(&app, "").await["results"][0]["title"], "Renamed");
    // Time moves the predicates without any write: enrollment closes.
    seed(&app, |c, now| {
        c.execute(
            "UPDATE course_runs SET enrollment_end = ?1",
            [mitxonline::clock::to_db(now + Duration::hours(1))],
        )
        .map(|_| ())
    })
    .await;
    assert_eq!(
        list(&app, "").await["results"][0]["courseruns"][0]["is_enrollable"],
        true
    );
    app.advance(std::time::Duration::from_secs(7200));
    assert_eq!(
        list(&app, "").await["results"][0]["courseruns"][0]["is_enrollable"],
        false
    );
    app.shutdown().await;
}

#[tokio::test]
async fn sql_statements_per_request_do_not_grow_with_page_size() {
    let app = TestApp::spawn().await;
    seed(&app, |c, now| {
        for n in 0..120 {
            course(c, now, n, true, true)?;
        }
        Ok(())
    })
    .await;
    let statements = || {
        app.state
            .metrics
            .counter_value(mitxonline::catalog::api::SQL_STATEMENTS, &[])
    };
    // The first request after the seed loads the snapshot.
    list(&app, "?page_size=1").await;
    for q in [
        "?page_size=1&x=1",
        "?page_size=100",
        "?page_size=100&page=2",
        "?page=10",
    ] {
        let before = statements();
        let body = list(&app, q).await;
        assert!(body["count"].as_u64() == Some(120));
        assert_eq!(statements() - before, 1, "{q}");
    }
    app.shutdown().await;
}

/// `relevant_to` tells the signed-in learner which runs they are enrolled in (and verified);
/// anyone else gets `false` for both, also when the shared answer is cached.
#[tokio::test]
async fn relevant_runs_say_whether_the_signed_in_learner_is_enrolled_and_verified() {
    use crate::support::commerce::{learner, run_product};
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx"]);
    let (run, _) = run_product(&app, "REL1", "10.00").await;
    let path = "/api/v1/course_runs/?relevant_to=course-v1%3AMITxT%2BREL1";
    let (_, jane) = learner(&app, "rel-jane@example.com").await;
    let (_, other) = learner(&app, "rel-other@example.com").await;
    let flags = |v: &serde_json::Value| (v[0]["is_enrolled"].clone(), v[0]["is_verified"].clone());
    let url = app.url(path);
    let get = |c: reqwest::Client| {
        let url = url.clone();
        async move { crate::support::openapi::send_json(c.get(url)).await.1 }
    };
    assert_eq!(flags(&get(jane.clone()).await), (false.into(), false.into()));
    let r = jane
        .post(app.url("/api/v1/enrollments/"))
        .json(&serde_json::json!({ "run_id": run }))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let mine = get(jane.clone()).await;
    assert_eq!(mine[0]["id"], run);
    assert_eq!(flags(&mine), (true.into(), false.into()), "{mine}");
    app.state
        .db
        .write(move |c| {
            c.execute(
                "UPDATE course_run_enrollments SET enrollment_mode = 'verified' WHERE run_id = ?1",
                [run],
            )
        })
        .await
        .unwrap();
    assert_eq!(flags(&get(jane.clone()).await), (true.into(), true.into()));
    for _ in 0..2 {
        assert_eq!(flags(&get(other.clone()).await), (false.into(), false.into()));
        let anonymous: serde_json::Value = app.get_json(path).await.1;
        assert_eq!(flags(&anonymous), (false.into(), false.into()));
    }
}

#[tokio::test]
async fn an_etl_user_reads_the_internal_catalog_signed_in_and_other_learners_cannot() {
    let app = crate::support::TestApp::builder().demo(true).spawn().await;
    app.expect_undrained(&["openedx"]);
    let etl = crate::support::identity::signed_in(&app, "etl@example.com", false).await;
    let learner = crate::support::identity::signed_in(&app, "plain@example.com", false).await;
    let internal = app.url("/api/internal/courses/");
    assert_eq!(app.send_json(etl.get(&internal)).await.0, 403, "not flagged yet");
    // The operator flags the account with the CLI, the server running.
    let out = crate::support::process::run_cli(
        app.dir.path(),
        &[],
        &["user", "create", "etl@example.com", "--etl"],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (status, body) = app.send_json(etl.get(&internal)).await;
    assert_eq!(status, 200);
    assert!(body["count"].as_i64().unwrap() > 0, "{body}");
    let (status, body) = app.send_json(learner.get(&internal)).await;
    assert_eq!(status, 403);
    assert_eq!(body["detail"], "Invalid user.");
    app.shutdown().await;
}
