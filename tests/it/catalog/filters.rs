//! Pagination edges and every filter of the v2 course and program lists.

use chrono::Duration;
use serde_json::Value;

use crate::support::TestApp;
use crate::support::catalog::{course, ids, list, programs, seed};
use mitxonline::catalog::store::{self, NewNode, NewProgram, NewRun};
use mitxonline::cms::model::{PageContent, PageType};
use mitxonline::cms::store::{self as cms, NewPage};

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
