//! The operator console's catalog screens, driven as a staff member with a browser session
//! would (forms with the page's CSRF token): a department, a topic, a course, a run and its
//! product made from an empty database show up in the v2 API and on the course page; a price
//! change makes a new product version while an existing order keeps its old one; learners are
//! refused. Bad fields: [`super::admin_validation`].

use serde_json::Value;

use crate::support::TestApp;
use crate::support::commerce::{learner, run_product, started_checkout};
use crate::support::identity::{post_form, signed_in};

/// Posts `fields` to `action` with the CSRF token of `page`; returns (status, Location, body).
pub async fn submit(
    app: &TestApp,
    client: &reqwest::Client,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> (u16, String, String) {
    let r = post_form(app, client, page, action, fields).await;
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location, r.text().await.unwrap())
}

/// The id at the end of a console location (`/staff/catalog/runs/7/` → 7).
pub fn id_in(location: &str) -> i64 {
    location
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no id in {location:?}"))
}

pub async fn v2_course(app: &TestApp, key: &str) -> Value {
    let (status, v) = app.get_json(&format!("/api/v2/courses/{key}/")).await;
    assert_eq!(status, 200, "{v}");
    v
}

/// A run's form fields (a valid run of `course` unless changed).
pub fn run_fields<'a>(course: &'a str, key: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("course", course),
        ("title", "Calculus I"),
        ("courseware_id", key),
        ("start_date", "2027-02-01T09:00"),
        ("end_date", "2027-05-30T17:00"),
        ("enrollment_start", "2026-11-01T00:00"),
        ("enrollment_end", "2027-02-15T00:00"),
        ("upgrade_deadline", "2027-05-01T00:00"),
        ("live", "on"),
        ("has_courseware_url", "on"),
        ("is_primary_language", "on"),
        ("modes", "audit"),
        ("modes", "verified"),
        ("language", "en"),
    ]
}

#[tokio::test]
async fn an_operator_builds_a_department_course_run_and_product_from_the_forms_and_the_catalog_shows_them() {
    let app = TestApp::spawn().await;
    let staff = signed_in(&app, "operator@example.com", true).await;
    let deps = "/staff/catalog/departments/";
    let (s, loc, _) = submit(&app, &staff, deps, deps, &[("name", "Mathematics")]).await;
    assert_eq!((s, loc.as_str()), (303, deps));
    let (s, _, _) = submit(
        &app,
        &staff,
        deps,
        "/staff/catalog/topics/",
        &[("topic", "Calculus"), ("parent", "")],
    )
    .await;
    assert_eq!(s, 303);
    let (s, _, _) = submit(
        &app,
        &staff,
        deps,
        "/staff/catalog/topics/",
        &[("topic", "Limits"), ("parent", "Calculus")],
    )
    .await;
    assert_eq!(s, 303);
    let page = staff
        .get(app.url(deps))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Mathematics") && page.contains("Limits (under Calculus)"),
        "{page}"
    );
    let dept = app
        .scalar_i64("SELECT id FROM departments WHERE name = 'Mathematics'")
        .await
        .to_string();
    let topic = app
        .scalar_i64("SELECT id FROM topics WHERE name = 'Calculus'")
        .await
        .to_string();

    let key = "course-v1:MITx+18.01x";
    let (s, loc, body) = submit(
        &app,
        &staff,
        "/staff/catalog/courses/new/",
        "/staff/catalog/courses/",
        &[
            ("readable_id", key),
            ("title", "Single Variable Calculus"),
            ("live", "on"),
            ("departments", &dept),
            ("topics", &topic),
            ("blocked_countries", "ir, KP"),
            ("variants", "en\nes_419, S"),
        ],
    )
    .await;
    assert_eq!(s, 303, "{body}");
    let course = id_in(&loc).to_string();
    assert_eq!(loc, format!("/staff/catalog/courses/{course}/"));

    let run_key = "course-v1:MITx+18.01x+1T2027";
    let new_run = format!("/staff/catalog/courses/{course}/runs/new/");
    let (s, loc, body) = submit(
        &app,
        &staff,
        &new_run,
        "/staff/catalog/runs/",
        &run_fields(&course, run_key),
    )
    .await;
    assert_eq!(s, 303, "{body}");
    let run = id_in(&loc);
    let run_page = format!("/staff/catalog/runs/{run}/");
    let (s, _, body) = submit(
        &app,
        &staff,
        &run_page,
        &format!("{run_page}product/"),
        &[
            ("action", "create"),
            ("price", "49.50"),
            ("description", "Calculus certificate"),
        ],
    )
    .await;
    assert_eq!(s, 303, "{body}");

    let v = v2_course(&app, key).await;
    assert_eq!(v["title"], "Single Variable Calculus");
    assert_eq!(v["departments"][0]["name"], "Mathematics");
    assert_eq!(v["topics"][0]["name"], "Calculus");
    let r = &v["courseruns"][0];
    assert_eq!(r["courseware_id"], run_key);
    assert_eq!(r["run_tag"], "1T2027");
    assert!(
        r["start_date"]
            .as_str()
            .unwrap()
            .starts_with("2027-02-01T09:00:00"),
        "{r}"
    );
    assert!(
        r["upgrade_deadline"]
            .as_str()
            .unwrap()
            .starts_with("2027-05-01T00:00:00"),
        "{r}"
    );
    assert_eq!(r["products"][0]["price"], "49.50");
    let modes: Vec<&str> = r["enrollment_modes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["mode_slug"].as_str().unwrap())
        .collect();
    assert_eq!(modes, ["audit", "verified"]);
    let variants = v["possible_variant_sets"].to_string();
    assert!(variants.contains("es_419"), "{variants}");
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM blocked_countries WHERE country IN ('IR', 'KP')")
            .await,
        2
    );

    // Edits show at once: the course, the department, the run.
    let course_page = format!("/staff/catalog/courses/{course}/");
    let edit = [
        ("readable_id", key),
        ("title", "Calculus 1A"),
        ("live", "on"),
        ("departments", dept.as_str()),
    ];
    let (s, _, body) = submit(&app, &staff, &course_page, &course_page, &edit).await;
    assert_eq!(s, 303, "{body}");
    let (s, _, _) = submit(
        &app,
        &staff,
        deps,
        &format!("{deps}{dept}/"),
        &[("name", "Mathematical Sciences")],
    )
    .await;
    assert_eq!(s, 303);
    let mut fields = run_fields(&course, run_key);
    fields[1] = ("title", "Calculus 1A, spring");
    let (s, _, body) = submit(&app, &staff, &run_page, &run_page, &fields).await;
    assert_eq!(s, 303, "{body}");
    let v = v2_course(&app, key).await;
    assert_eq!(v["title"], "Calculus 1A");
    assert_eq!(v["topics"], serde_json::json!([]));
    assert_eq!(v["departments"][0]["name"], "Mathematical Sciences");
    assert_eq!(v["courseruns"][0]["title"], "Calculus 1A, spring");
    let (_, deps_api) = app.get_json("/api/v2/departments/").await;
    assert!(
        deps_api.to_string().contains("mathematical-sciences"),
        "{deps_api}"
    );

    // With its CMS page published, the course page shows the run's price; the console list
    // finds it; every change is in the audit log.
    let id: i64 = course.parse().unwrap();
    crate::support::catalog::seed(&app, move |c, now| {
        crate::support::catalog::publish_course_page(c, now, id, "course-v1:MITx+18.01x", "Calculus 1A")
    })
    .await;
    let page = app.get(&format!("/courses/{key}/")).await.text().await.unwrap();
    assert!(page.contains("Calculus 1A") && page.contains("$49.50"), "{page}");
    let list = staff
        .get(app.url("/staff/catalog/?q=calculus"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains(key), "{list}");
    let none = staff
        .get(app.url("/staff/catalog/?q=physics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!none.contains(key));
    let actions: Vec<String> = app
        .state
        .db
        .read(|c| {
            c.prepare("SELECT action || ':' || object_type || ':' || actor_label FROM audit_log ORDER BY id")?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()
        })
        .await
        .unwrap();
    let by = |a: &str| format!("{a}:Test Person");
    for want in [
        by("catalog.add_department:department"),
        by("catalog.add_topic:topic"),
        by("catalog.add_course:course"),
        by("catalog.add_run:course_run"),
        by("create:product"),
        by("catalog.update_course:course"),
        by("catalog.rename_department:department"),
        by("catalog.update_run:course_run"),
    ] {
        assert!(actions.contains(&want), "{want} not in {actions:?}");
    }
    app.shutdown().await;
}

#[tokio::test]
async fn a_price_change_makes_a_new_version_and_an_existing_order_keeps_its_price() {
    let app = TestApp::spawn().await;
    let (run, product) = run_product(&app, "PRICE", "50.00").await;
    let (_, buyer) = learner(&app, "buyer@example.com").await;
    started_checkout(&app, &buyer, product).await;
    let staff = signed_in(&app, "pricer@example.com", true).await;
    let page = format!("/staff/catalog/runs/{run}/");
    let action = format!("{page}product/");
    let (s, _, body) = submit(
        &app,
        &staff,
        &page,
        &action,
        &[("action", "price"), ("price", "75.00"), ("description", "Now 75")],
    )
    .await;
    assert_eq!(s, 303, "{body}");
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM product_versions").await,
        2,
        "a new version, the old one kept"
    );
    let kept: String = app
        .state
        .db
        .read(|c| {
            c.query_row(
                "SELECT v.price FROM order_lines l JOIN product_versions v ON v.id = l.product_version_id",
                [],
                |r| r.get(0),
            )
        })
        .await
        .unwrap();
    assert_eq!(kept, "50.00");
    let v = v2_course(&app, "course-v1:MITxT+PRICE").await;
    assert_eq!(v["courseruns"][0]["products"][0]["price"], "75.00");
    let html = staff
        .get(app.url(&page))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("$75.00") && html.contains("$50.00") && html.contains("Now 75"),
        "{html}"
    );

    // Deactivated: off sale, the versions stay.
    let (s, _, _) = submit(&app, &staff, &page, &action, &[("action", "deactivate")]).await;
    assert_eq!(s, 303);
    assert_eq!(app.scalar_i64("SELECT is_active FROM products").await, 0);
    assert_eq!(app.scalar_i64("SELECT count(*) FROM product_versions").await, 2);
    let html = staff
        .get(app.url(&page))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("inactive (not for sale)"), "{html}");
    app.shutdown().await;
}

#[tokio::test]
async fn learners_cannot_open_or_post_to_the_catalog_console() {
    let app = TestApp::spawn().await;
    let (run, _) = run_product(&app, "LRN", "10.00").await;
    let learner = signed_in(&app, "curious@example.com", false).await;
    for path in [
        "/staff/catalog/".to_owned(),
        "/staff/catalog/departments/".to_owned(),
        "/staff/catalog/courses/new/".to_owned(),
        format!("/staff/catalog/runs/{run}/"),
    ] {
        let r = learner.get(app.url(&path)).send().await.unwrap();
        assert_eq!(r.status(), 403, "{path}");
    }
    let (s, _, _) = submit(
        &app,
        &learner,
        "/profile/",
        "/staff/catalog/departments/",
        &[("name", "Sneaky")],
    )
    .await;
    assert_eq!(s, 403);
    let (s, _, _) = submit(
        &app,
        &learner,
        "/profile/",
        &format!("/staff/catalog/runs/{run}/product/"),
        &[("action", "price"), ("price", "1.00"), ("description", "cheap")],
    )
    .await;
    assert_eq!(s, 403);
    assert_eq!(app.scalar_i64("SELECT count(*) FROM departments").await, 0);
    assert_eq!(app.scalar_i64("SELECT count(*) FROM product_versions").await, 1);
    app.shutdown().await;
}
