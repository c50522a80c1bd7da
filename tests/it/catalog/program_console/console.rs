//! Program fields, collections, and learners refused.

use serde_json::Value;

use super::*;
use crate::support::TestApp;
use crate::support::catalog::seed;
use crate::support::identity::{csrf_from, signed_in};

#[tokio::test]
async fn program_fields_are_edited_and_bad_ones_refused() {
    let app = TestApp::spawn().await;
    let (c, token) = staff(&app).await;
    seed(&app, |c, _| {
        mitxonline::catalog::store::ensure_department(c, "Physics")?;
        mitxonline::catalog::store::ensure_mode(c, "verified", true)?;
        Ok(())
    })
    .await;
    let id = create_program(&app, &c, &token, P1, "One").await;
    let dept = app
        .scalar_i64("SELECT id FROM departments WHERE name = 'Physics'")
        .await
        .to_string();
    let mode = app
        .scalar_i64("SELECT id FROM enrollment_modes WHERE mode_slug = 'verified'")
        .await
        .to_string();
    let action = format!("/staff/catalog/programs/{id}/");
    let fields = [
        ("title", "Renamed"),
        ("readable_id", P1),
        ("program_type", "MicroMasters®"),
        ("availability", "dated"),
        ("display_mode", "course"),
        ("start_date", "2027-01-05T09:30"),
        ("end_date", "2027-06-01"),
        ("departments", dept.as_str()),
        ("modes", mode.as_str()),
        ("live", "on"),
    ];
    let (status, _, body) = post(&app, &c, &token, &action, &fields).await;
    assert_eq!(status, 303, "{body}");
    let (_, p) = app.get_json(&format!("/api/v2/programs/{id}/")).await;
    assert_eq!(p["title"], "Renamed");
    assert_eq!(p["program_type"], "MicroMasters®");
    assert_eq!(p["availability"], "dated");
    assert_eq!(p["display_mode"], "course");
    assert_eq!(p["start_date"], "2027-01-05T09:30:00.000000Z");
    assert_eq!(p["departments"][0]["name"], "Physics", "{p}");
    let form = text(&app, &c, &action).await;
    assert!(form.contains("value=\"2027-01-05T09:30\""), "{form}");

    let other = create_program(&app, &c, &token, "program-v1:TEST+P2", "Two").await;
    for (field, value, message) in [
        (
            "readable_id",
            "program-v1:TEST+P2",
            "A program program-v1:TEST+P2 already exists.",
        ),
        ("title", "", "title: This field is required."),
        (
            "end_date",
            "2026-01-01",
            "end_date: The program ends before it starts.",
        ),
        ("start_date", "soon", "start_date: Enter a date and time"),
        ("departments", "999", "There is no department 999."),
    ] {
        let mut f: Vec<(&str, &str)> = fields.iter().copied().filter(|(k, _)| *k != field).collect();
        f.push((field, value));
        let (status, _, body) = post(&app, &c, &token, &action, &f).await;
        assert_eq!(status, 400, "{field}: {body}");
        assert!(body.contains(message), "{message}: {body}");
    }
    let (_, p) = app.get_json(&format!("/api/v2/programs/{id}/")).await;
    assert_eq!(
        (p["title"].as_str(), p["readable_id"].as_str()),
        (Some("Renamed"), Some(P1))
    );
    assert!(other > id);
    let audited = app
        .scalar_i64("SELECT COUNT(*) FROM audit_log WHERE action IN ('program.create', 'program.update')")
        .await;
    assert_eq!(audited, 3);
    app.shutdown().await;
}

#[tokio::test]
async fn collections_are_created_ordered_and_edited() {
    let app = TestApp::spawn().await;
    let (c, token) = staff(&app).await;
    let ids = [
        create_program(&app, &c, &token, "program-v1:TEST+A", "A").await,
        create_program(&app, &c, &token, "program-v1:TEST+B", "B").await,
        create_program(&app, &c, &token, "program-v1:TEST+C", "C").await,
    ];
    let (status, location, body) = post(
        &app,
        &c,
        &token,
        "/staff/catalog/collections/",
        &[("title", "Featured"), ("description", "Our best")],
    )
    .await;
    assert_eq!(status, 303, "{body}");
    let (status, _, body) = post(
        &app,
        &c,
        &token,
        "/staff/catalog/collections/",
        &[("title", " "), ("description", "")],
    )
    .await;
    assert_eq!(status, 400);
    assert!(body.contains("title: This field is required."), "{body}");
    let cid: i64 = location
        .trim_start_matches("/staff/catalog/collections/")
        .trim_end_matches('/')
        .parse()
        .unwrap();
    let programs = |v: &Value| -> Vec<i64> {
        v["programs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_i64().unwrap())
            .collect()
    };
    let mut list: Vec<&str> = Vec::new();
    let action = format!("/staff/catalog/collections/{cid}/");
    for add in ["program-v1:TEST+A", "program-v1:TEST+B", "program-v1:TEST+C"] {
        let mut f = vec![
            ("title", "Featured"),
            ("description", "Our best"),
            ("add", add),
            ("op", "add"),
        ];
        f.extend(list.iter().map(|p| ("program", *p)));
        let (status, _, body) = post(&app, &c, &token, &action, &f).await;
        assert_eq!(status, 303, "{body}");
        list.push(add);
    }
    let (_, v) = app.get_json(&format!("/api/v2/program-collections/{cid}/")).await;
    assert_eq!(programs(&v), ids.to_vec());
    let mut f: Vec<(&str, &str)> = vec![
        ("title", "Featured now"),
        ("description", "Changed"),
        ("op", "up:2"),
    ];
    f.extend(list.iter().map(|p| ("program", *p)));
    assert_eq!(post(&app, &c, &token, &action, &f).await.0, 303);
    let (_, v) = app.get_json(&format!("/api/v2/program-collections/{cid}/")).await;
    assert_eq!(programs(&v), vec![ids[0], ids[2], ids[1]]);
    assert_eq!(
        (v["title"].as_str(), v["description"].as_str()),
        (Some("Featured now"), Some("Changed"))
    );
    let f = [
        ("title", "Featured now"),
        ("description", "Changed"),
        ("program", "program-v1:TEST+A"),
        ("program", "program-v1:TEST+C"),
        ("op", "remove:0"),
    ];
    assert_eq!(post(&app, &c, &token, &action, &f).await.0, 303);
    let (_, v) = app.get_json(&format!("/api/v2/program-collections/{cid}/")).await;
    assert_eq!(programs(&v), vec![ids[2]]);
    // Unknown or repeated programs are refused with nothing changed.
    for (add, message) in [
        ("program-v1:NOPE", "There is no program program-v1:NOPE."),
        ("program-v1:TEST+C", "Program program-v1:TEST+C is listed twice."),
    ] {
        let f = [
            ("title", "X"),
            ("description", ""),
            ("program", "program-v1:TEST+C"),
            ("add", add),
            ("op", "add"),
        ];
        let (status, _, body) = post(&app, &c, &token, &action, &f).await;
        assert_eq!(status, 400);
        assert!(body.contains(message), "{body}");
    }
    let (_, v) = app.get_json(&format!("/api/v2/program-collections/{cid}/")).await;
    assert_eq!(
        (v["title"].as_str(), programs(&v)),
        (Some("Featured now"), vec![ids[2]])
    );
    let program_page = text(&app, &c, &format!("/staff/catalog/programs/{}/", ids[2])).await;
    assert!(
        program_page.contains("Featured now"),
        "a program lists its collections"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn learners_are_refused_every_console_page_and_form() {
    let app = TestApp::spawn().await;
    let (staff_client, token) = staff(&app).await;
    let id = create_program(&app, &staff_client, &token, P1, "One").await;
    let learner = signed_in(&app, "learner@example.com", false).await;
    let learner_token = csrf_from(&app, &learner, "/account-settings/").await;
    for path in [
        "/staff/catalog/programs/".to_owned(),
        "/staff/catalog/programs/new/".to_owned(),
        format!("/staff/catalog/programs/{id}/"),
        format!("/staff/catalog/programs/{id}/requirements/"),
        "/staff/catalog/collections/".to_owned(),
    ] {
        let r = learner.get(app.url(&path)).send().await.unwrap();
        assert_eq!(r.status(), 403, "GET {path}");
    }
    let (status, _, _) = post(
        &app,
        &learner,
        &learner_token,
        "/staff/catalog/programs/",
        &[("title", "X"), ("readable_id", "program-v1:X")],
    )
    .await;
    assert_eq!(status, 403);
    let (status, _, _) = post(
        &app,
        &learner,
        &learner_token,
        &format!("/staff/catalog/programs/{id}/requirements/"),
        &[("tree", "{}"), ("op", "save")],
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM programs").await, 1);
    app.shutdown().await;
}
