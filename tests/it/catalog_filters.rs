//! Pagination edges and every filter of the v2 course/program lists, and B2B isolation.

use chrono::{DateTime, Duration, Utc};
use rusqlite::Connection;
use serde_json::Value;

use crate::support::TestApp;
use mitxonline::catalog::store::{self, NewCourse, NewNode, NewProgram, NewRun, ProductTarget};
use mitxonline::cms::model::{PageContent, PageType};
use mitxonline::cms::store::{self as cms, NewPage};
use mitxonline::db::DbError;

/// Runs `f` in one write transaction against the app's database.
pub async fn seed<F>(app: &TestApp, f: F)
where
    F: FnOnce(&Connection, DateTime<Utc>) -> rusqlite::Result<()> + Send + 'static,
{
    let now = app.state.clock.now();
    app.state
        .db
        .write(move |c| f(c, now).map_err(DbError::from))
        .await
        .expect("seed");
}

/// A live course with one run whose enrollment is open (or, with `open = false`, not yet).
pub fn course(c: &Connection, now: DateTime<Utc>, n: usize, open: bool, page: bool) -> rusqlite::Result<i64> {
    let readable = format!("course-v1:TEST+C{n:03}");
    let title = format!("Course {n:03}");
    let id = store::insert_course(
        c,
        &NewCourse {
            title: &title,
            readable_id: &readable,
            live: true,
            departments: &[],
            topics: &[],
        },
        now,
    )?;
    let d = |days: i64| Some(now + Duration::days(days));
    store::insert_run(
        c,
        &NewRun {
            course_id: id,
            title: &title,
            courseware_id: &format!("{readable}+1T"),
            run_tag: "1T",
            start_date: d(1),
            end_date: d(60),
            enrollment_start: if open { d(-1) } else { d(5) },
            live: true,
            is_primary_language: true,
            language: "en",
            ..NewRun::default()
        },
        now,
    )?;
    if page {
        let content = PageContent {
            title: title.clone(),
            include_in_learn_catalog: true,
            ..PageContent::default()
        };
        let (pid, rev) = cms::create_page(
            c,
            &NewPage {
                page_type: PageType::Course,
                slug: &readable,
                course_id: Some(id),
                program_id: None,
                parent_id: None,
            },
            &content,
            "test",
            now,
        )?;
        cms::publish(c, pid, rev, now)?;
    }
    Ok(id)
}

async fn list(app: &TestApp, q: &str) -> Value {
    let (status, body) = app.get_json(&format!("/api/v2/courses/{q}")).await;
    assert_eq!(status, 200, "{q}: {body}");
    body
}

fn ids(v: &Value) -> Vec<i64> {
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn pages_default_to_twelve_cap_at_one_hundred_and_a_page_past_the_end_is_not_found() {
    let app = TestApp::spawn().await;
    seed(&app, |c, now| {
        for n in 0..130 {
            course(c, now, n, true, false)?;
        }
        Ok(())
    })
    .await;
    let first = list(&app, "").await;
    assert_eq!(first["count"], 130);
    assert_eq!(ids(&first).len(), 12);
    assert_eq!(first["next"], app.url("/api/v2/courses/?page=2"));
    assert!(first["previous"].is_null());
    assert_eq!(ids(&list(&app, "?page_size=100").await).len(), 100);
    assert_eq!(ids(&list(&app, "?page_size=1000").await).len(), 100);
    assert_eq!(ids(&list(&app, "?page_size=abc").await).len(), 12);
    let last = list(&app, "?page=11").await;
    assert_eq!(ids(&last).len(), 10);
    assert!(last["next"].is_null());
    assert_eq!(last["previous"], app.url("/api/v2/courses/?page=10"));
    // Page 2's previous link drops `page`, as DRF does.
    assert_eq!(
        list(&app, "?page=2").await["previous"],
        app.url("/api/v2/courses/")
    );
    assert_eq!(ids(&list(&app, "?page=last").await), ids(&last));
    for bad in ["?page=12", "?page=0", "?page=abc", "?page=-1"] {
        let (status, body) = app.get_json(&format!("/api/v2/courses/{bad}")).await;
        assert_eq!(status, 404, "{bad}");
        assert_eq!(body, serde_json::json!({ "detail": "Invalid page." }));
    }
    // Ordered by title.
    let titles: Vec<String> = list(&app, "?page_size=100").await["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["title"].as_str().unwrap().to_owned())
        .collect();
    let mut sorted = titles.clone();
    sorted.sort();
    assert_eq!(titles, sorted);
    app.shutdown().await;
}

#[tokio::test]
async fn next_links_are_absolute_under_the_public_url_with_sorted_parameters() {
    let app = TestApp::builder()
        .public_url("https://api.learn.mit.edu/mitxonline")
        .spawn()
        .await;
    seed(&app, |c, now| {
        for n in 0..30 {
            course(c, now, n, true, false)?;
        }
        Ok(())
    })
    .await;
    let body = list(&app, "?live=True&page_size=5").await;
    assert_eq!(
        body["next"],
        "https://api.learn.mit.edu/mitxonline/api/v2/courses/?live=True&page=2&page_size=5"
    );
    // The gateway may also forward the prefix; the route still answers.
    let (status, _) = app.get_json("/mitxonline/api/v2/courses/?page=2").await;
    assert_eq!(status, 200);
    app.shutdown().await;
}

#[tokio::test]
async fn every_course_filter_narrows_the_list_and_bad_values_name_the_field() {
    let app = TestApp::spawn().await;
    let made = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let m = made.clone();
    seed(&app, move |c, now| {
        let a = course(c, now, 1, true, true)?;
        let b = course(c, now, 2, false, true)?;
        let d = course(c, now, 3, true, false)?;
        c.execute("UPDATE courses SET live = 0 WHERE id = ?1", [d])?;
        // A Spanish short-variant run on course a.
        store::insert_run(c, &NewRun { course_id: a, title: "es", courseware_id: "course-v1:TEST+C001+1T_es", run_tag: "1T", start_date: Some(now), enrollment_start: Some(now - Duration::days(1)), live: true, language: "es", ..NewRun::default() }, now)?;
        c.execute("UPDATE course_runs SET variant_length = 'S', variant_industry = 'HC' WHERE courseware_id LIKE '%_es'", [])?;
        m.lock().unwrap().extend([a, b, d]);
        Ok(())
    })
    .await;
    let (a, b, d) = {
        let v = made.lock().unwrap();
        (v[0], v[1], v[2])
    };
    let mut all = vec![a, b, d];
    all.sort_unstable();
    let sorted = |mut v: Vec<i64>| {
        v.sort_unstable();
        v
    };
    assert_eq!(sorted(ids(&list(&app, "").await)), all);
    assert_eq!(
        sorted(ids(&list(&app, &format!("?id={a},{d}")).await)),
        sorted(vec![a, d])
    );
    assert_eq!(
        sorted(ids(&list(&app, &format!("?id={a}&id={b}")).await)),
        sorted(vec![a, b])
    );
    for live in ["true", "True", "1"] {
        assert_eq!(
            sorted(ids(&list(&app, &format!("?live={live}")).await)),
            sorted(vec![a, b])
        );
    }
    assert_eq!(ids(&list(&app, "?live=false").await), vec![d]);
    assert_eq!(
        ids(&list(&app, "?readable_id=course-v1%3ATEST%2BC002").await),
        vec![b]
    );
    // An unencoded `+` is a space: nothing matches, as in the original.
    assert_eq!(list(&app, "?readable_id=course-v1:TEST+C002").await["count"], 0);
    assert_eq!(ids(&list(&app, "?page__live=false").await), vec![d]);
    assert_eq!(
        sorted(ids(&list(&app, "?courserun_is_enrollable=true").await)),
        sorted(vec![a, d])
    );
    assert_eq!(ids(&list(&app, "?courserun_is_enrollable=false").await), vec![b]);
    assert_eq!(ids(&list(&app, "?courseruns__language=es").await), vec![a]);
    assert_eq!(
        ids(&list(
            &app,
            "?courseruns__variant_length=S&courseruns__variant_industry=HC"
        )
        .await),
        vec![a]
    );
    assert_eq!(list(&app, "?courseruns__variant_industry=F").await["count"], 0);
    assert_eq!(list(&app, "?org_id=1").await["count"], 0);
    assert_eq!(
        ids(&list(
            &app,
            "?page=1&live=true&page__live=true&courserun_is_enrollable=true"
        )
        .await),
        vec![a]
    );
    // The canonical run of tag 1T is the primary-language (English) one.
    let one = &list(&app, &format!("?id={a}")).await["results"][0];
    assert_eq!(one["courseruns"].as_array().unwrap().len(), 1);
    assert_eq!(one["courseruns"][0]["language"], "en");
    for (q, field) in [
        ("?live=maybe", "live"),
        ("?id=1,x", "id"),
        ("?page__live=2", "page__live"),
        ("?courserun_is_enrollable=yes", "courserun_is_enrollable"),
    ] {
        let (status, body) = app.get_json(&format!("/api/v2/courses/{q}")).await;
        assert_eq!(status, 400, "{q}");
        assert!(body[field].is_array(), "{q}: {body}");
    }
    app.shutdown().await;
}

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

#[tokio::test]
async fn program_filters_narrow_the_list() {
    let app = TestApp::spawn().await;
    seed(&app, |c, now| {
        for (n, live) in [(1, true), (2, true), (3, false)] {
            let readable = format!("program-v1:TEST+P{n}");
            let title = format!("Program {n}");
            let (p, root) = store::insert_program(
                c,
                &NewProgram {
                    title: &title,
                    readable_id: &readable,
                    live,
                    program_type: "Series",
                    departments: &[],
                    modes: &[],
                    start_date: None,
                },
                now,
            )?;
            let req = store::add_requirement(
                c,
                p,
                root,
                0,
                &NewNode::AllOf {
                    title: "Required Courses",
                },
            )?;
            let co = course(c, now, n, true, false)?;
            store::add_requirement(c, p, req, 0, &NewNode::Course(co))?;
            if n == 1 {
                let (pid, rev) = cms::create_page(
                    c,
                    &NewPage {
                        page_type: PageType::Program,
                        slug: &readable,
                        course_id: None,
                        program_id: Some(p),
                        parent_id: None,
                    },
                    &PageContent {
                        title,
                        ..PageContent::default()
                    },
                    "t",
                    now,
                )?;
                cms::publish(c, pid, rev, now)?;
            }
        }
        Ok(())
    })
    .await;
    let ids = |v: Value| -> Vec<String> {
        v["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["readable_id"].as_str().unwrap().to_owned())
            .collect()
    };
    let get = |q: &str| programs(&app, q.to_owned());
    assert_eq!(get("").await["count"], 3);
    assert_eq!(ids(get("?live=True").await).len(), 2);
    assert_eq!(ids(get("?live=false").await), vec!["program-v1:TEST+P3"]);
    assert_eq!(ids(get("?page__live=true").await), vec!["program-v1:TEST+P1"]);
    assert_eq!(
        ids(get("?readable_id=program-v1%3ATEST%2BP2").await),
        vec!["program-v1:TEST+P2"]
    );
    assert_eq!(get("?org_id=3").await["count"], 0);
    let first = get("?page__live=true").await;
    let id = first["results"][0]["id"].as_i64().unwrap();
    assert_eq!(
        ids(get(Box::leak(format!("?id={id}").into_boxed_str())).await),
        vec!["program-v1:TEST+P1"]
    );
    assert_eq!(
        first["results"][0]["requirements"]["courses"]["required"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(app.get_json("/api/v2/programs/?live=nope").await.0, 400);
    app.shutdown().await;
}

async fn programs(app: &TestApp, q: String) -> Value {
    let (status, body) = app.get_json(&format!("/api/v2/programs/{q}")).await;
    assert_eq!(status, 200, "{q}: {body}");
    body
}
