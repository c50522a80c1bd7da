//! The configuration check: `/staff/check/`, the count on the staff home, and `mitxonline check`
//! against the real binary. Each kind of problem is set up and must be found, with its link.

use crate::support::TestApp;
use crate::support::commerce::{run_product, staff};
use crate::support::identity::signed_in;
use crate::support::process::run_cli;

async fn sql(app: &TestApp, script: &'static str) {
    app.state
        .db
        .write(move |c| c.execute_batch(script))
        .await
        .unwrap();
}

#[tokio::test]
async fn each_kind_of_misconfiguration_is_found_with_a_link_on_the_page_the_home_and_the_cli() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let page = || async {
        s.get(app.url("/staff/check/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    assert!(page().await.contains("No configuration problems found."));
    let out = run_cli(app.dir.path(), &[], &["check"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no configuration problems found"));

    // A sellable run (fine) whose live course has no published page (a problem).
    run_product(&app, "CHK", "50.00").await;
    sql(
        &app,
        "UPDATE course_runs SET upgrade_deadline = '2099-01-01T00:00:00Z', end_date = '2098-01-01T00:00:00Z'
             WHERE courseware_id = 'course-v1:MITxT+CHK+1T2026';
         INSERT INTO course_runs (course_id, title, courseware_id, run_tag, live, created_on, updated_on)
             SELECT course_id, 'Unsold', 'course-v1:MITxT+CHK+UNSOLD', 'U', 1, created_on, updated_on
             FROM course_runs WHERE courseware_id = 'course-v1:MITxT+CHK+1T2026';
         INSERT INTO course_run_modes (course_run_id, mode_id)
             SELECT r.id, e.id FROM course_runs r, enrollment_modes e
             WHERE r.courseware_id = 'course-v1:MITxT+CHK+UNSOLD' AND e.mode_slug = 'verified';
         INSERT INTO course_runs (course_id, title, courseware_id, run_tag, live, created_on, updated_on)
             SELECT course_id, 'Modeless', 'course-v1:MITxT+CHK+MODELESS', 'M', 1, created_on, updated_on
             FROM course_runs WHERE courseware_id = 'course-v1:MITxT+CHK+1T2026';
         INSERT INTO products (course_run_id, is_active, created_on)
             SELECT id, 1, created_on FROM course_runs WHERE courseware_id = 'course-v1:MITxT+CHK+MODELESS';
         INSERT INTO product_versions (product_id, price, description, created_on)
             SELECT p.id, '10.00', 'modeless', p.created_on FROM products p
             JOIN course_runs r ON r.id = p.course_run_id WHERE r.courseware_id = 'course-v1:MITxT+CHK+MODELESS';
         INSERT INTO courses (title, readable_id, live, created_on, updated_on)
             VALUES ('Hidden', 'course-v1:MITxT+HIDDEN', 0, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
         INSERT INTO programs (title, readable_id, live, created_on, updated_on)
             VALUES ('Checked', 'program-v1:MITxT+CHECKED', 1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
         INSERT INTO program_requirements (program_id, node_type)
             SELECT id, 'program_root' FROM programs WHERE readable_id = 'program-v1:MITxT+CHECKED';
         INSERT INTO program_requirements (program_id, parent_id, node_type, operator)
             SELECT q.program_id, q.id, 'operator', 'all_of' FROM program_requirements q
             JOIN programs g ON g.id = q.program_id WHERE g.readable_id = 'program-v1:MITxT+CHECKED';
         INSERT INTO program_requirements (program_id, parent_id, node_type, course_id)
             SELECT q.program_id, q.id, 'course', (SELECT id FROM courses WHERE readable_id = 'course-v1:MITxT+HIDDEN')
             FROM program_requirements q JOIN programs g ON g.id = q.program_id
             WHERE g.readable_id = 'program-v1:MITxT+CHECKED' AND q.node_type = 'operator';
         INSERT INTO b2b_organizations (name, slug, org_key, created_on, updated_on)
             VALUES ('Acme', 'acme', 'ACME', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
         INSERT INTO b2b_contracts (organization_id, name, slug, membership_type, created_on, updated_on)
             SELECT id, 'Acme codes', 'acme-codes', 'code', created_on, updated_on FROM b2b_organizations;",
    )
    .await;

    let html = page().await;
    let contract: i64 = app.scalar_i64("SELECT id FROM b2b_contracts").await;
    let modeless: i64 = app
        .scalar_i64(
            "SELECT p.id FROM products p JOIN course_runs r ON r.id = p.course_run_id
             WHERE r.courseware_id = 'course-v1:MITxT+CHK+MODELESS'",
        )
        .await;
    let checked: i64 = app
        .scalar_i64("SELECT id FROM programs WHERE readable_id = 'program-v1:MITxT+CHECKED'")
        .await;
    // Run problems link to the run's staff page, where product, modes and dates are fixed.
    let at = &app;
    let run = |key: &'static str| async move {
        let sql = match key {
            "UNSOLD" => "SELECT id FROM course_runs WHERE courseware_id = 'course-v1:MITxT+CHK+UNSOLD'",
            "MODELESS" => "SELECT id FROM course_runs WHERE courseware_id = 'course-v1:MITxT+CHK+MODELESS'",
            _ => "SELECT id FROM course_runs WHERE courseware_id = 'course-v1:MITxT+CHK+1T2026'",
        };
        format!("/staff/catalog/runs/{}/", at.scalar_i64(sql).await)
    };
    let expected: Vec<(String, String)> = vec![
        (
            "Run course-v1:MITxT+CHK+UNSOLD is live with a verified mode but no product".into(),
            run("UNSOLD").await,
        ),
        (
            format!("Product {modeless} sells run course-v1:MITxT+CHK+MODELESS, which has no verified mode"),
            run("MODELESS").await,
        ),
        (
            "Run course-v1:MITxT+CHK+1T2026's upgrade deadline is after the run ends.".into(),
            run("1T2026").await,
        ),
        (
            "Live program program-v1:MITxT+CHECKED requires course course-v1:MITxT+HIDDEN, which is not live.".into(),
            format!("/staff/catalog/programs/{checked}/"),
        ),
        ("Live course course-v1:MITxT+CHK has no published page.".into(), "/staff/cms/".into()),
        ("Live program program-v1:MITxT+CHECKED has no published page.".into(), "/staff/cms/".into()),
        ("Contract Acme codes has no course runs: add a program.".into(), format!("/staff/b2b/contracts/{contract}/")),
        ("Contract Acme codes needs enrollment codes and has none.".into(), format!("/staff/b2b/contracts/{contract}/")),
    ];
    for (message, link) in &expected {
        assert!(html.contains(message.as_str()), "{message} missing from {html}");
        assert!(html.contains(&format!("href=\"{link}\"")), "{link} missing");
    }
    assert!(html.contains("8 problems found"), "{html}");

    // The staff home counts them; a learner cannot see the page.
    let home = s
        .get(app.url("/staff/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(home.contains("Configuration problems: 8"), "{home}");
    let learner = signed_in(&app, "check.learner@example.com", false).await;
    assert_eq!(
        learner
            .get(app.url("/staff/check/"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );

    // The CLI lists the same and exits 1.
    let out = run_cli(app.dir.path(), &[], &["check"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let listed = stdout
        .lines()
        .filter(|l| ["catalog: ", "cms: ", "b2b: "].iter().any(|a| l.starts_with(a)))
        .count();
    assert_eq!(listed, 8, "{stdout}");
    assert!(stdout.contains("b2b: Contract Acme codes needs enrollment codes and has none."));
    app.shutdown().await;
}

#[tokio::test]
async fn the_staff_home_counts_what_needs_attention_as_the_tables_do() {
    let app = TestApp::builder().demo(true).spawn().await;
    app.expect_undrained(&["openedx"]);
    let s = staff(&app).await;
    let home = s
        .get(app.url("/staff/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let refunds = app
        .scalar_i64("SELECT count(*) FROM refund_requests WHERE status = 'pending'")
        .await;
    let review = app
        .scalar_i64("SELECT count(*) FROM orders WHERE state = 'review'")
        .await;
    let dead = app
        .scalar_i64("SELECT count(*) FROM outbox WHERE status = 'dead'")
        .await;
    let assistance = app
        .scalar_i64(
            "SELECT count(*) FROM flexible_prices WHERE status IN ('created', 'pending-manual-approval')",
        )
        .await;
    for line in [
        format!("Refund requests waiting: {refunds}"),
        format!("Orders held for review: {review}"),
        format!("Dead letters: {dead}"),
        "Configuration problems: 3".to_owned(),
        format!("Financial-assistance requests to decide: {assistance}"),
        "Jobs whose last run failed: 0".to_owned(),
    ] {
        assert!(home.contains(&line), "{line} missing from the staff home");
    }
    app.shutdown().await;
}
