//! `mitxonline catalog program add|requirements` against the real binary.

use serde_json::json;

use super::*;
use crate::support::TestApp;

#[tokio::test]
async fn the_cli_adds_a_program_and_sets_its_requirements_checked_as_the_editor() {
    use crate::support::process::run_cli;
    let app = TestApp::spawn().await;
    let courses = four_courses(&app).await;
    let dir = app.dir.path();
    let add = |title: &str, live: &[&str]| {
        let mut args = vec![
            "catalog",
            "program",
            "add",
            "--readable-id",
            "program-v1:CLI+1",
            "--title",
            title,
        ];
        args.extend_from_slice(live);
        run_cli(dir, &[], &args)
    };
    let out = add("From the CLI", &["--live"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let id = app
        .scalar_i64("SELECT id FROM programs WHERE readable_id = 'program-v1:CLI+1'")
        .await;
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("id {id}")));
    let again = add("Twice", &[]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));

    let file = dir.join("tree.json");
    let set_requirements = |file: &std::path::Path| {
        run_cli(
            dir,
            &[],
            &[
                "catalog",
                "program",
                "requirements",
                "program-v1:CLI+1",
                file.to_str().unwrap(),
            ],
        )
    };
    let good = json!({"groups": [
        {"title": "Required Courses", "items": [{"course": "course-v1:TEST+C001"}, {"course": "course-v1:TEST+C002"}]},
        {"title": "Elective Courses", "at_least": 1, "items": [{"course": "course-v1:TEST+C003"}, {"course": "course-v1:TEST+C004"}]}
    ]});
    std::fs::write(&file, good.to_string()).unwrap();
    let out = set_requirements(&file);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let saved = groups(&req_tree(&app, id).await);
    assert_eq!(saved[0].3, courses[..2].to_vec());
    assert_eq!(
        (saved[1].1.clone(), saved[1].3.clone()),
        (json!("1"), courses[2..].to_vec())
    );

    let bad = json!({"groups": [
        {"title": "Required Courses", "items": [{"course": "course-v1:NOPE+Z"}]},
        {"title": "Elective Courses", "at_least": 2, "items": []}
    ]});
    std::fs::write(&file, bad.to_string()).unwrap();
    let out = set_requirements(&file);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("There is no course course-v1:NOPE+Z.") && err.contains("\"Elective Courses\" is empty"),
        "{err}"
    );
    std::fs::write(&file, "{\"groups\": [{\"items\": [{\"cours\": \"x\"}]}]}").unwrap();
    let out = set_requirements(&file);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown variant `cours`"));
    assert_eq!(
        groups(&req_tree(&app, id).await),
        saved,
        "refused files change nothing"
    );
    let by_cli = app
        .scalar_i64("SELECT COUNT(*) FROM audit_log WHERE actor_label = 'cli' AND object_type = 'program'")
        .await;
    assert_eq!(by_cli, 2);
    app.shutdown().await;
}
