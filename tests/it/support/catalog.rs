//! Seeding and listing helpers shared by the catalog tests.

use chrono::{DateTime, Duration, Utc};
use rusqlite::Connection;
use serde_json::Value;

use crate::support::TestApp;
use mitxonline::catalog::store::{self, NewCourse, NewRun};
use mitxonline::cms::model::{PageContent, PageType};
use mitxonline::cms::store::{self as cms, NewPage};

/// Runs `f` in one write transaction against the app's database.
pub async fn seed<F>(app: &TestApp, f: F)
where
    F: FnOnce(&Connection, DateTime<Utc>) -> rusqlite::Result<()> + Send + 'static,
{
    let now = app.state.clock.now();
    app.state.db.write(move |c| f(c, now)).await.expect("seed");
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
        publish_course_page(c, now, id, &readable, &title)?;
    }
    Ok(id)
}

/// Creates and publishes course `id`'s CMS page (slug `readable`, title `title`).
pub fn publish_course_page(
    c: &Connection,
    now: DateTime<Utc>,
    id: i64,
    readable: &str,
    title: &str,
) -> rusqlite::Result<()> {
    let content = PageContent {
        title: title.to_owned(),
        include_in_learn_catalog: true,
        ..PageContent::default()
    };
    let (pid, rev) = cms::create_page(
        c,
        &NewPage {
            page_type: PageType::Course,
            slug: readable,
            course_id: Some(id),
            program_id: None,
            parent_id: None,
        },
        &content,
        "test",
        now,
    )?;
    cms::publish(c, pid, rev, now)?;
    Ok(())
}

/// GET /api/v2/courses/{q}, asserting 200.
pub async fn list(app: &TestApp, q: &str) -> Value {
    let (status, body) = app.get_json(&format!("/api/v2/courses/{q}")).await;
    assert_eq!(status, 200, "{q}: {body}");
    body
}

/// The ids of a page of results.
pub fn ids(v: &Value) -> Vec<i64> {
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect()
}

/// GET /api/v2/programs/{q}, asserting 200.
pub async fn programs(app: &TestApp, q: String) -> Value {
    let (status, body) = app.get_json(&format!("/api/v2/programs/{q}")).await;
    assert_eq!(status, 200, "{q}: {body}");
    body
}
