//! `mitxonline catalog …` against the real binary and the running app's database: a
//! department, a course, a run and its price made from the command line are what the v2 API
//! serves; a second price is a new version; a bad field exits 2 naming it and changes nothing.

use crate::support::TestApp;
use crate::support::process::run_cli;

fn cli(app: &TestApp, args: &[&str]) -> (i32, String, String) {
    let out = run_cli(app.dir.path(), &[], args);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn ok(app: &TestApp, args: &[&str]) -> String {
    let (code, out, err) = cli(app, args);
    assert_eq!(code, 0, "{args:?}: {out}{err}");
    out
}

#[tokio::test]
async fn the_cli_builds_a_course_with_a_priced_run_and_refuses_bad_fields() {
    let app = TestApp::spawn().await;
    assert!(ok(&app, &["catalog", "department", "add", "Physics"]).contains("department 1 created"));
    ok(&app, &["catalog", "topic", "add", "Mechanics"]);
    let key = "course-v1:MITx+8.01x";
    ok(
        &app,
        &[
            "catalog",
            "course",
            "add",
            "--readable-id",
            key,
            "--title",
            "Classical Mechanics",
            "--live",
            "true",
            "--department",
            "Physics",
            "--topic",
            "Mechanics",
            "--variants",
            "en;fr",
        ],
    );
    let run = "course-v1:MITx+8.01x+1T2027";
    let out = ok(
        &app,
        &[
            "catalog",
            "run",
            "add",
            "--course",
            key,
            "--courseware-id",
            run,
            "--title",
            "Mechanics, spring",
            "--start",
            "2027-02-01",
            "--end",
            "2027-05-31",
            "--enrollment-start",
            "2026-12-01",
            "--upgrade-deadline",
            "2027-05-01",
            "--live",
            "true",
        ],
    );
    assert!(out.contains("created"), "{out}");
    assert!(ok(&app, &["catalog", "price", "set", "--run", run, "--price", "30"]).contains("priced 30"));

    let (status, v) = app.get_json(&format!("/api/v2/courses/{key}/")).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["title"], "Classical Mechanics");
    assert_eq!(v["departments"][0]["name"], "Physics");
    assert_eq!(v["topics"][0]["name"], "Mechanics");
    let r = &v["courseruns"][0];
    assert_eq!(r["courseware_id"], run);
    assert_eq!(r["products"][0]["price"], "30.00");
    assert_eq!(r["enrollment_modes"].as_array().map(Vec::len), Some(2));

    // A second price is a new version; an update changes only what it names.
    ok(
        &app,
        &["catalog", "price", "set", "--run", run, "--price", "35.00"],
    );
    assert_eq!(app.scalar_i64("SELECT count(*) FROM product_versions").await, 2);
    ok(&app, &["catalog", "run", "update", run, "--self-paced", "true"]);
    ok(
        &app,
        &["catalog", "course", "update", key, "--title", "Mechanics I"],
    );
    let (_, v) = app.get_json(&format!("/api/v2/courses/{key}/")).await;
    assert_eq!(v["title"], "Mechanics I");
    assert_eq!(v["departments"][0]["name"], "Physics");
    assert_eq!(v["courseruns"][0]["is_self_paced"], true);
    assert_eq!(v["courseruns"][0]["title"], "Mechanics, spring");
    assert_eq!(v["courseruns"][0]["products"][0]["price"], "35.00");
    assert!(ok(&app, &["catalog", "course", "list", "mechanics"]).contains(key));

    // Bad fields: exit 2 naming the field, nothing written.
    let audit = app.scalar_i64("SELECT count(*) FROM audit_log").await;
    for (args, field) in [
        (
            vec![
                "catalog",
                "run",
                "update",
                run,
                "--upgrade-deadline",
                "2027-07-01",
            ],
            "upgrade_deadline",
        ),
        (
            vec![
                "catalog",
                "run",
                "add",
                "--course",
                key,
                "--courseware-id",
                "8.01x spring",
                "--title",
                "X",
            ],
            "courseware_id",
        ),
        (
            vec![
                "catalog",
                "run",
                "add",
                "--course",
                key,
                "--courseware-id",
                run,
                "--title",
                "X",
            ],
            "courseware_id",
        ),
        (
            vec![
                "catalog",
                "course",
                "add",
                "--readable-id",
                key,
                "--title",
                "Again",
            ],
            "readable_id",
        ),
        (vec!["catalog", "department", "add", "Physics"], "name"),
        (
            vec!["catalog", "price", "set", "--run", run, "--price", "-3"],
            "price",
        ),
    ] {
        let (code, _, err) = cli(&app, &args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(&format!("error: {field}:")), "{args:?}: {err}");
    }
    assert_eq!(app.scalar_i64("SELECT count(*) FROM audit_log").await, audit);
    assert_eq!(app.scalar_i64("SELECT count(*) FROM product_versions").await, 2);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM audit_log WHERE actor_label = 'cli'")
            .await,
        audit,
        "every CLI change is audited as the cli"
    );
    app.shutdown().await;
}
