//! `mitxonline bench seed` against the real binary: the data set it promises, idempotent on a
//! rerun, visible to the running server, and refused outside dev/test.

use crate::support::TestApp;
use crate::support::enrollment::count;
use crate::support::process::run_cli;

async fn seed(app: &TestApp, env: &'static [(&'static str, &'static str)]) -> std::process::Output {
    let dir = app.dir.path().to_owned();
    tokio::task::spawn_blocking(move || {
        run_cli(
            &dir,
            env,
            &["bench", "seed", "--learners", "120", "--courses", "40"],
        )
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn seed_fills_the_catalog_and_learners_once_and_the_server_serves_them() {
    let app = TestApp::spawn().await;
    let out = seed(&app, &[]).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout} {stderr}");
    assert!(
        stderr.contains("learners: [120/120]"),
        "progress on stderr: {stderr}"
    );
    // 40 courses × 3 runs, 2 programs, 120 learners × 10 courses, a grade per ended run,
    // an order for every other learner's verified enrollment.
    assert!(
        stdout.contains("added 40 courses (120 runs), 2 programs, 120 learners, 1200 enrollments"),
        "{stdout}"
    );
    assert!(stdout.contains("60 orders"), "{stdout}");
    let figures = [
        (
            count(
                &app,
                "SELECT count(*) FROM course_runs WHERE courseware_id LIKE 'course-v1:BENCH+%'",
            )
            .await,
            120,
        ),
        (
            count(
                &app,
                "SELECT count(*) FROM products WHERE course_run_id IS NOT NULL",
            )
            .await,
            120,
        ),
        (
            count(&app, "SELECT count(*) FROM users WHERE email LIKE 'bench-%'").await,
            120,
        ),
        (
            count(&app, "SELECT count(*) FROM course_run_enrollments").await,
            1200,
        ),
        (
            count(
                &app,
                "SELECT count(*) FROM course_run_enrollments WHERE enrollment_mode = 'verified'",
            )
            .await,
            120,
        ),
        (
            count(&app, "SELECT count(*) FROM orders WHERE state = 'fulfilled'").await,
            60,
        ),
        (count(&app, "SELECT count(*) FROM paid_course_runs").await, 60),
        (
            count(
                &app,
                "SELECT count(*) FROM order_transactions WHERE transaction_type = 'payment'",
            )
            .await,
            60,
        ),
        (
            count(
                &app,
                "SELECT count(*) FROM program_requirements WHERE node_type = 'course'",
            )
            .await,
            20,
        ),
    ];
    for (i, (got, want)) in figures.iter().enumerate() {
        assert_eq!(got, want, "figure {i}");
    }
    assert!(count(&app, "SELECT count(*) FROM course_run_grades").await > 0);

    // The running server sees the catalog (its snapshot follows the catalog version).
    let (status, body) = app.get_json("/api/v2/courses/?page_size=100").await;
    assert_eq!(status, 200);
    assert_eq!(body["count"], 40, "{body}");

    // A rerun adds nothing.
    let before = count(&app, "SELECT count(*) FROM audit_log").await
        + count(&app, "SELECT count(*) FROM orders").await;
    let out = seed(&app, &[]).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        stdout
            .contains("added 0 courses (0 runs), 0 programs, 0 learners, 0 enrollments, 0 grades, 0 orders"),
        "{stdout}"
    );
    let after = count(&app, "SELECT count(*) FROM audit_log").await
        + count(&app, "SELECT count(*) FROM orders").await;
    assert_eq!(after, before);
    assert_eq!(
        count(&app, "SELECT count(*) FROM course_run_enrollments").await,
        1200
    );
}

#[tokio::test]
async fn seed_is_refused_where_sandboxes_are_not_allowed() {
    let app = TestApp::spawn().await;
    let out = seed(
        &app,
        &[
            ("MITXONLINE_ENVIRONMENT", "production"),
            ("MITXONLINE_SANDBOX", "false"),
        ],
    )
    .await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("runs only where the sandboxes are allowed"),
        "{stderr}"
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM users WHERE email LIKE 'bench-%'").await,
        0
    );
}

/// `/bench/ping` (the load bench's plain-text ceiling) exists only when asked for.
#[tokio::test]
async fn the_bench_ping_route_is_off_unless_configured() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/bench/ping").await.status(), 404);
    let on = TestApp::builder()
        .env("MITXONLINE_BENCH_PING", "true")
        .spawn()
        .await;
    let r = on.get("/bench/ping").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "pong");
}
