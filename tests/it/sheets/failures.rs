//! What goes wrong, against the fake Google: Sheets down for a whole run, a lost write-back,
//! an unreadable or interrupted row, an unusable key file. Nothing is lost and nothing is
//! applied twice.

use mitxonline::integrations::sheets::jobs::NAME as JOB;
use tempfile::NamedTempFile;

use super::fake::{FakeGoogle, SPREADSHEET};
use super::requests::{PROCESSOR, app_with, flow_health, paid_order, refunds_of, today};
use crate::support::TestApp;
use crate::support::commerce::order_state;

#[tokio::test]
async fn sheets_down_for_a_whole_run_then_back_processes_every_row_exactly_once() {
    let google = FakeGoogle::start().await;
    let (app, _key) = app_with(&google).await;
    app.expect_failed_runs_of(JOB);
    let (_, first, _, ref1) = paid_order(&app, "SHDOWNA").await;
    let (_, second, _, ref2) = paid_order(&app, "SHDOWNB").await;
    google.put_row(
        "Refunds",
        4,
        &["401", "d", "shdowna@example.com", "", "", "1", &ref1],
    );
    google.put_row(
        "Refunds",
        5,
        &["402", "d", "shdownb@example.com", "", "", "1", &ref2],
    );
    google.set_down(true);
    let down = app.run_job(JOB).await;
    assert_eq!(down.status, "failed", "{down:?}");
    assert!(down.detail.contains("HTTP 503"), "{down:?}");
    assert_eq!(order_state(&app, first).await, "fulfilled", "nothing applied");
    assert_eq!(app.scalar_i64("SELECT count(*) FROM sheets_requests").await, 0);
    assert_eq!(flow_health(&app).await, 3, "the Sheets arrow is failing");

    google.set_down(false);
    let back = app.run_job(JOB).await;
    assert_eq!(back.status, "succeeded", "{back:?}");
    assert!(back.detail.contains("refunds: 2 processed"), "{back:?}");
    let again = app.run_job(JOB).await;
    assert!(again.detail.contains("refunds: 0 processed"), "{again:?}");
    for o in [first, second] {
        assert_eq!(refunds_of(&app, o).await, 1, "order {o} refunded exactly once");
    }
    assert_eq!(google.cell("Refunds", 5, 11), PROCESSOR);
    assert_eq!(
        flow_health(&app).await,
        2,
        "no longer failing: degraded by the day's error"
    );
    app.drain_outbox().await;
    app.shutdown().await;
}

#[tokio::test]
async fn a_lost_write_back_is_written_by_the_next_run_and_the_refund_is_not_repeated() {
    let google = FakeGoogle::start().await;
    let (app, _key) = app_with(&google).await;
    app.expect_failed_runs_of(JOB);
    let (_, order, _, reference) = paid_order(&app, "SHWB").await;
    google.put_row(
        "Refunds",
        4,
        &["601", "d", "shwb@example.com", "", "", "1", &reference],
    );
    google.set_failing_writes(true);
    let lost = app.run_job(JOB).await;
    assert_eq!(lost.status, "failed", "{lost:?}");
    assert_eq!(order_state(&app, order).await, "refunded");
    assert_eq!(google.cell("Refunds", 4, 11), "");
    google.set_failing_writes(false);
    let next = app.run_job(JOB).await;
    assert!(
        next.detail
            .contains("refunds: 0 processed, 0 failed, 1 written back"),
        "{next:?}"
    );
    assert_eq!(google.cell("Refunds", 4, 11), PROCESSOR);
    assert_eq!(google.cell("Refunds", 4, 13), today(&app));
    assert_eq!(refunds_of(&app, order).await, 1, "refunded once");
    let last = app.run_job(JOB).await;
    assert!(
        last.detail
            .contains("refunds: 0 processed, 0 failed, 0 written back"),
        "{last:?}"
    );
    app.drain_outbox().await;
    app.shutdown().await;
}

#[tokio::test]
async fn an_unreadable_row_says_why_once_and_an_interrupted_one_is_left_for_staff() {
    let google = FakeGoogle::start().await;
    let (app, _key) = app_with(&google).await;
    let (_, order, _, reference) = paid_order(&app, "SHINT").await;
    google.put_row(
        "Refunds",
        4,
        &["not-a-number", "d", "shint@example.com", "", "", "1", &reference],
    );
    google.put_row(
        "Refunds",
        5,
        &["702", "d", "shint@example.com", "", "", "1", &reference],
    );
    // Request 702 was being applied when the process died.
    use mitxonline::integrations::sheets::{model, store};
    let cells: Vec<String> = ["702", "d", "shint@example.com", "", "", "1", &reference]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let model::Parsed::Request(row) = model::parse_row(model::Kind::Refund, 5, &cells) else {
        panic!("a request row");
    };
    let now = app.state.clock.now();
    app.state
        .db
        .write(move |c| store::begin(c, &row, now))
        .await
        .unwrap();
    let run = app.run_job(JOB).await;
    assert!(
        run.detail
            .contains("refunds: 0 processed, 2 failed, 2 written back"),
        "{run:?}"
    );
    assert_eq!(
        google.cell("Refunds", 4, 14),
        "Row 4: the form response id `not-a-number` is not a number"
    );
    assert!(
        google.cell("Refunds", 5, 14).contains("was interrupted"),
        "never re-applied blind"
    );
    assert_eq!(order_state(&app, order).await, "fulfilled");
    let again = app.run_job(JOB).await;
    assert!(
        again
            .detail
            .contains("refunds: 0 processed, 0 failed, 0 written back, 2 left alone"),
        "{again:?}"
    );
    assert_eq!(
        google.batch_updates().len(),
        1,
        "an error already in the sheet is not rewritten"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn an_unusable_key_file_fails_every_run_naming_it_and_config_check_shows_the_path() {
    let key = NamedTempFile::new().unwrap();
    std::fs::write(
        key.path(),
        r#"{"client_email": "x@example.com", "private_key": "not a key"}"#,
    )
    .unwrap();
    let path = key.path().to_str().unwrap().to_owned();
    let app = TestApp::builder()
        .env("MITXONLINE_SHEETS_CREDENTIALS", &path)
        .env("MITXONLINE_SHEETS_SPREADSHEET_ID", SPREADSHEET)
        .spawn()
        .await;
    app.expect_failed_runs_of(JOB);
    let run = app.run_job(JOB).await;
    assert_eq!(run.status, "failed");
    assert!(
        run.detail.contains(&path) && run.detail.contains("private_key"),
        "{run:?}"
    );
    let dir = app.dir.path().to_owned();
    let env_path: &'static str = Box::leak(path.clone().into_boxed_str());
    let check = move |env: Vec<(&'static str, &'static str)>| {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || {
            crate::support::process::run_cli(&dir, &env, &["config", "check"])
        })
    };
    let out = check(vec![
        ("MITXONLINE_SHEETS_CREDENTIALS", env_path),
        ("MITXONLINE_SHEETS_SPREADSHEET_ID", SPREADSHEET),
    ])
    .await
    .unwrap();
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{printed}");
    assert!(
        printed.contains(&format!("MITXONLINE_SHEETS_CREDENTIALS={path}")),
        "{printed}"
    );
    assert!(
        printed.contains(&format!("MITXONLINE_SHEETS_SPREADSHEET_ID={SPREADSHEET}")),
        "{printed}"
    );
    let out = check(vec![("MITXONLINE_SHEETS_CREDENTIALS", env_path)])
        .await
        .unwrap();
    assert!(!out.status.success());
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("MITXONLINE_SHEETS_SPREADSHEET_ID: required when MITXONLINE_SHEETS_CREDENTIALS is set"),
        "{said}"
    );
    app.shutdown().await;
}
