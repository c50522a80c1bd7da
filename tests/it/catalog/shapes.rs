//! Catalog API responses compared with the original's captured samples: same keys and value
//! types, recursively (tests/it/fixtures/catalog holds trimmed copies of the samples).

use serde_json::Value;

use crate::support::TestApp;
use mitxonline::users::api_keys::Scope;

pub fn sample(name: &str) -> Value {
    let path = format!("{}/tests/it/fixtures/catalog/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("fixture JSON")
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Same keys and value types, recursively. A null on either side matches any type (nullable
/// fields); array elements are compared with the sample's first element.
pub fn assert_same_shape(actual: &Value, expected: &Value, path: &str) {
    match (actual, expected) {
        (Value::Null, _) | (_, Value::Null) => {}
        (Value::Object(a), Value::Object(e)) => {
            let ak: Vec<&String> = a.keys().collect();
            let ek: Vec<&String> = e.keys().collect();
            let missing: Vec<_> = ek.iter().filter(|k| !a.contains_key(**k)).collect();
            let extra: Vec<_> = ak.iter().filter(|k| !e.contains_key(**k)).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{path}: missing keys {missing:?}, unexpected keys {extra:?}"
            );
            for (k, ev) in e {
                assert_same_shape(&a[k], ev, &format!("{path}.{k}"));
            }
        }
        (Value::Array(a), Value::Array(e)) => {
            if let Some(first) = e.first() {
                for (i, av) in a.iter().enumerate() {
                    assert_same_shape(av, first, &format!("{path}[{i}]"));
                }
            }
        }
        (a, e) => assert_eq!(kind(a), kind(e), "{path}: {a} vs sample {e}"),
    }
}

async fn get_ok(app: &TestApp, path: &str) -> Value {
    let (status, body) = app.get_json(path).await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

async fn demo() -> TestApp {
    TestApp::builder().demo(true).spawn().await
}

fn non_empty<'a>(v: &'a Value, what: &str) -> &'a Vec<Value> {
    let a = v
        .as_array()
        .unwrap_or_else(|| panic!("{what} is not a list: {v}"));
    assert!(!a.is_empty(), "{what} is empty");
    a
}

#[tokio::test]
async fn v2_course_list_and_details_have_the_original_shape() {
    let app = demo().await;
    app.expect_undrained(&["openedx"]);
    let list = get_ok(&app, "/api/v2/courses/").await;
    assert_same_shape(&list, &sample("api_v2_courses.json"), "v2 courses");
    assert_eq!(non_empty(&list["results"], "results").len(), 12);
    // Every course, including runs with products, at the maximum page size.
    let all = get_ok(&app, "/api/v2/courses/?page_size=100").await;
    assert_same_shape(&all, &sample("api_v2_courses.json"), "v2 courses page_size=100");
    let detail_sample = sample("api_v2_courses_1.json");
    let id = all["results"][0]["id"].as_i64().unwrap();
    let readable = all["results"][0]["readable_id"].as_str().unwrap().to_owned();
    let by_id = get_ok(&app, &format!("/api/v2/courses/{id}/")).await;
    assert_same_shape(&by_id, &detail_sample, "v2 course");
    let by_key = get_ok(&app, &format!("/api/v2/courses/{readable}/")).await;
    assert_eq!(by_id, by_key);
    let (status, body) = app.get_json("/api/v2/courses/99999/").await;
    assert_eq!(status, 404);
    assert_eq!(body, sample("api_v2_courses_99999.json"));
    app.shutdown().await;
}

#[tokio::test]
async fn v2_programs_departments_and_collections_have_the_original_shape() {
    let app = demo().await;
    app.expect_undrained(&["openedx"]);
    let list = get_ok(&app, "/api/v2/programs/").await;
    assert_same_shape(&list, &sample("api_v2_programs.json"), "v2 programs");
    let first = &non_empty(&list["results"], "programs")[0];
    let detail = get_ok(&app, &format!("/api/v2/programs/{}/", first["id"])).await;
    assert_same_shape(&detail, &sample("api_v2_programs_1.json"), "v2 program");
    let by_key = get_ok(
        &app,
        &format!("/api/v2/programs/{}/", first["readable_id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(detail, by_key);
    let depts = get_ok(&app, "/api/v2/departments/").await;
    non_empty(&depts, "departments");
    assert_same_shape(&depts, &sample("api_v2_departments.json"), "departments");
    let cols = get_ok(&app, "/api/v2/program-collections/").await;
    assert_same_shape(&cols, &sample("api_v2_program-collections.json"), "collections");
    // Details answer the list's entries; unknown ids are DRF's 404.
    for d in depts.as_array().unwrap() {
        assert_eq!(
            &get_ok(&app, &format!("/api/v2/departments/{}/", d["id"])).await,
            d
        );
    }
    for c in cols["results"].as_array().unwrap() {
        assert_eq!(
            &get_ok(&app, &format!("/api/v2/program-collections/{}/", c["id"])).await,
            c
        );
    }
    for path in [
        "/api/v2/departments/999/",
        "/api/v2/departments/x/",
        "/api/v2/program-collections/999/",
    ] {
        let (status, body) = app.get_json(path).await;
        assert_eq!(status, 404, "{path}");
        assert!(body["detail"].as_str().unwrap().starts_with("No "), "{body}");
    }
    app.shutdown().await;
}

#[tokio::test]
async fn v1_lists_are_plain_arrays_with_the_original_shape_unless_a_page_is_asked_for() {
    let app = demo().await;
    app.expect_undrained(&["openedx"]);
    let courses = get_ok(&app, "/api/v1/courses/").await;
    assert!(courses.is_array());
    assert_same_shape(&courses, &sample("api_v1_courses.json"), "v1 courses");
    let paged = get_ok(&app, "/api/v1/courses/?page=1").await;
    assert!(paged["count"].as_u64().unwrap() > 12);
    assert_eq!(paged["results"].as_array().unwrap().len(), 12);
    let runs = get_ok(&app, "/api/v1/course_runs/").await;
    assert_same_shape(&runs, &sample("api_v1_course_runs.json"), "v1 course runs");
    let relevant = get_ok(
        &app,
        "/api/v1/course_runs/?relevant_to=course-v1%3AMITxT%2BDEMO.101x",
    )
    .await;
    non_empty(&relevant, "relevant runs");
    assert_same_shape(
        &relevant,
        &sample("api_v1_course_runs__relevant_to-course-v1_3AMITxT_2BSEED000x.json"),
        "relevant_to",
    );
    for r in relevant.as_array().unwrap() {
        assert_eq!(r["is_enrollable"], true);
    }
    let programs = get_ok(&app, "/api/v1/programs/").await;
    assert_same_shape(&programs, &sample("api_v1_programs.json"), "v1 programs");
    // `programs` is only filled when filtering by readable_id.
    assert!(courses[0]["programs"].is_null());
    let one = get_ok(&app, "/api/v1/courses/?readable_id=course-v1%3AMITxT%2BDEMO.101x").await;
    assert!(one[0]["programs"].is_array());
    let depts = get_ok(&app, "/api/v1/departments/").await;
    assert!(depts[0]["courses"].is_u64() && depts[0]["name"].is_string());
    let one = get_ok(&app, &format!("/api/v1/departments/{}/", depts[0]["id"])).await;
    assert_eq!(one, depts[0]);
    assert_eq!(app.get_json("/api/v1/departments/999/").await.0, 404);
    app.shutdown().await;
}

#[tokio::test]
async fn the_internal_course_list_needs_an_api_key_and_returns_every_run() {
    let app = demo().await;
    app.expect_undrained(&["openedx"]);
    assert_eq!(app.get_json("/api/internal/courses/").await.0, 403);
    let bad = app.client.get(app.url("/api/internal/courses/"));
    let (status, _) = app
        .send_json(bad.header("Authorization", "Api-Key nope.nope"))
        .await;
    assert_eq!(status, 401);
    let key = app.api_key(Scope::Catalog).await;
    let get = async |path: &str| {
        let req = app.client.get(app.url(path));
        let (status, body) = app
            .send_json(req.header("Authorization", format!("Api-Key {key}")))
            .await;
        assert_eq!(status, 200, "{path}: {body}");
        body
    };
    let body: Value = get("/api/internal/courses/?page_size=100").await;
    assert_same_shape(&body, &sample("api_internal_courses.json"), "internal courses");
    // The internal list has every course and every run, B2B included, and ignores `live`.
    let runs: usize = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["courseruns"].as_array().unwrap().len())
        .sum();
    // Every run except source runs (B2B provisioning copies them), which the original's
    // default manager hides everywhere.
    assert_eq!(
        runs as i64,
        app.scalar_i64("SELECT count(*) FROM course_runs WHERE is_source_run = 0 AND run_tag <> 'SOURCE'")
            .await
    );
    assert_eq!(
        body["count"].as_i64(),
        Some(app.scalar_i64("SELECT count(*) FROM courses").await)
    );
    assert!(
        body["results"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|c| c["courseruns"].as_array().unwrap())
            .any(|r| !r["b2b_contract"].is_null())
    );
    let live_ignored: Value = get("/api/internal/courses/?page_size=100&live=false").await;
    assert_eq!(live_ignored["count"], body["count"]);
    let id = body["results"][0]["id"].as_i64().unwrap();
    let one: Value = get(&format!("/api/internal/courses/{id}/?live=True")).await;
    assert_eq!(one["id"], id);
    app.shutdown().await;
}

#[tokio::test]
async fn wagtail_pages_and_countries_have_the_original_shape() {
    let app = demo().await;
    app.expect_undrained(&["openedx"]);
    let list = get_ok(&app, "/api/v2/pages/?type=cms.coursepage").await;
    assert_same_shape(
        &list,
        &sample("api_v2_pages__type-cms.coursepage.json"),
        "course pages",
    );
    assert!(list["meta"]["total_count"].as_u64().unwrap() > 20);
    assert_eq!(list["items"].as_array().unwrap().len(), 20);
    let one = get_ok(
        &app,
        "/api/v2/pages/?type=cms.coursepage&fields=*&readable_id=course-v1%3AMITxT%2BDEMO.101x",
    )
    .await;
    assert_eq!(one["meta"]["total_count"], 1);
    assert_same_shape(
        &one,
        &sample(
            "api_v2_pages__type-cms.coursepage__fields-all__readable_id-course-v1_3AMITxT_2BSEED000x.json",
        ),
        "course page fields=*",
    );
    let programs = get_ok(&app, "/api/v2/pages/?type=cms.programpage&fields=*").await;
    assert_same_shape(
        &programs,
        &sample("api_v2_pages__type-cms.programpage__fields-all.json"),
        "program pages",
    );
    let certs = get_ok(&app, "/api/v2/pages/?type=cms.certificatepage").await;
    assert_same_shape(
        &certs,
        &sample("api_v2_pages__type-cms.certificatepage.json"),
        "certificate pages",
    );
    let (status, body) = app.get_json("/api/v2/pages/?type=cms.homepage").await;
    assert_eq!(status, 400);
    assert!(body["message"].as_str().unwrap().contains("type"));
    assert_eq!(
        get_ok(&app, "/api/countries/").await,
        sample("api_countries.json")
    );
    assert_eq!(
        get_ok(&app, "/api/v0/countries/").await,
        sample("api_countries.json")
    );
    app.shutdown().await;
}

#[test]
#[should_panic(expected = "missing keys")]
fn the_shape_comparison_notices_a_missing_key() {
    let sample = serde_json::json!({ "results": [{ "id": 1, "title": "x" }] });
    let actual = serde_json::json!({ "results": [{ "id": 2 }] });
    assert_same_shape(&actual, &sample, "t");
}

#[test]
#[should_panic(expected = "integer")]
fn the_shape_comparison_notices_a_changed_type() {
    let sample = serde_json::json!({ "price": 1.5, "n": 1 });
    let actual = serde_json::json!({ "price": 1.5, "n": "1" });
    assert_same_shape(&actual, &sample, "t");
}

#[tokio::test]
async fn loading_the_demo_catalog_twice_changes_nothing() {
    let app = demo().await;
    app.expect_undrained(&["openedx"]);
    let count = |sql: &'static str| app.scalar_i64(sql);
    let before = (
        count("SELECT count(*) FROM courses").await,
        count("SELECT count(*) FROM course_runs").await,
        count("SELECT count(*) FROM programs").await,
        count("SELECT count(*) FROM cms_revisions").await,
        count("SELECT count(*) FROM product_versions").await,
    );
    assert!(before.0 >= 25 && before.2 == 4, "{before:?}");
    let report = mitxonline::demo::load(&app.state).await.unwrap();
    assert_eq!(report.catalog.courses, 0);
    let after = (
        count("SELECT count(*) FROM courses").await,
        count("SELECT count(*) FROM course_runs").await,
        count("SELECT count(*) FROM programs").await,
        count("SELECT count(*) FROM cms_revisions").await,
        count("SELECT count(*) FROM product_versions").await,
    );
    assert_eq!(before, after);
    // The demo has past, current and future runs, self-paced and instructor-paced ones.
    let body = get_ok(&app, "/api/v2/courses/?page_size=100").await;
    let runs: Vec<&Value> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["courseruns"].as_array().unwrap())
        .collect();
    assert!(runs.iter().any(|r| r["is_enrollable"] == true));
    assert!(runs.iter().any(|r| r["is_archived"] == true));
    let now = app.state.clock.now();
    let future = |r: &&Value| {
        r["enrollment_start"]
            .as_str()
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
            .is_some_and(|t| t > now)
    };
    assert!(runs.iter().any(|r| r["is_enrollable"] == false && future(r)));
    assert!(
        runs.iter().any(|r| r["is_self_paced"] == true) && runs.iter().any(|r| r["is_self_paced"] == false)
    );
    assert!(runs.iter().any(|r| r["products"].as_array().unwrap().is_empty()));
    // One program nests another.
    let programs = get_ok(&app, "/api/v2/programs/").await;
    assert!(programs["results"].as_array().unwrap().iter().any(|p| {
        !p["requirements"]["programs"]["required"]
            .as_array()
            .unwrap()
            .is_empty()
    }));
    app.shutdown().await;
}
