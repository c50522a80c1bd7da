//! The `process-google-sheets-requests` job against the fake Google ([`super::fake`]): refund
//! rows refund once and are written back, deferral rows defer, skip/completed rows are left
//! alone, an errored row waits for changed data, the service-account
//! token is asked once, and only the last 30 rows are read. Outages and other failures:
//! [`super::failures`].

use chrono::Datelike as _;
use mitxonline::integrations::sheets::jobs::NAME as JOB;
use tempfile::NamedTempFile;

use super::deferrals::{paid, state_of};
use super::fake::{CLIENT_EMAIL, FakeGoogle, PRIVATE_KEY, SPREADSHEET};
use crate::support::TestApp;
use crate::support::commerce::{learner, order_state, pay_on_sandbox, run_product, started_checkout};
use crate::support::enrollment::{self as enr, OPEN};

pub const PROCESSOR: &str = "MITx Online (test)";

/// The app reading the fake's spreadsheet with a service-account key file (kept alive by the
/// returned file).
pub async fn app_with(google: &FakeGoogle) -> (TestApp, NamedTempFile) {
    let key = NamedTempFile::new().unwrap();
    let json = serde_json::json!({
        "type": "service_account",
        "project_id": "test-project",
        "private_key_id": "test-key-1",
        "private_key": PRIVATE_KEY,
        "client_email": CLIENT_EMAIL,
        "token_uri": format!("{}/token", google.url),
    });
    std::fs::write(key.path(), json.to_string()).unwrap();
    let app = TestApp::builder()
        .env("MITXONLINE_SHEETS_CREDENTIALS", key.path().to_str().unwrap())
        .env("MITXONLINE_SHEETS_SPREADSHEET_ID", SPREADSHEET)
        .env("MITXONLINE_SHEETS_BASE_URL", &google.url)
        .env("MITXONLINE_SHEETS_PROCESSOR_APP_NAME", PROCESSOR)
        .spawn()
        .await;
    (app, key)
}

/// A learner's fulfilled order for a run: `(user, order, run, reference number)`.
pub async fn paid_order(app: &TestApp, tag: &str) -> (i64, i64, i64, String) {
    let (run, product) = run_product(app, tag, "120.00").await;
    let (user, client) = learner(app, &format!("{}@example.com", tag.to_lowercase())).await;
    let body = started_checkout(app, &client, product).await;
    let order = body["order_id"].as_i64().unwrap();
    pay_on_sandbox(app, &body, &[("decision", "accept")]).await;
    app.drain_outbox().await;
    assert_eq!(order_state(app, order).await, "fulfilled");
    let reference = app
        .state
        .db
        .read(move |c| {
            c.query_row(
                "SELECT reference_number FROM orders WHERE id = ?1",
                [order],
                |r| r.get(0),
            )
        })
        .await
        .unwrap();
    (user, order, run, reference)
}

/// `mitxonline_flow_health{flow="sheets"}` (1 ok … 3 failing).
pub async fn flow_health(app: &TestApp) -> i64 {
    let text = app.get("/metrics").await.text().await.unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("mitxonline_flow_health{flow=\"sheets\"} "))
        .expect("a sheets flow")
        .parse()
        .unwrap()
}

pub fn today(app: &TestApp) -> String {
    let d = app.state.clock.now().date_naive();
    format!("=DATE({},{},{})", d.year(), d.month(), d.day())
}

pub async fn refunds_of(app: &TestApp, order: i64) -> i64 {
    crate::support::commerce::count(
        app,
        "SELECT count(*) FROM order_refunds WHERE order_id = ?1 AND status = 'done'",
        order,
    )
    .await
}

#[tokio::test]
async fn a_refund_row_refunds_the_order_once_writes_back_and_the_token_is_asked_once() {
    let google = FakeGoogle::start().await;
    let (app, _key) = app_with(&google).await;
    let (user, order, run, reference) = paid_order(&app, "SHREF").await;
    google.put_row(
        "Refunds",
        3,
        &["Form response ID", "Request date", "Learner email"],
    );
    google.put_row(
        "Refunds",
        4,
        &[
            "101",
            "12/01/2026",
            "shref@example.com",
            "ZD-9",
            "desk@example.com",
            "1",
            &reference,
            "course run",
            "fin@example.com",
            "12/02/2026",
            "approved",
        ],
    );
    let first = app.run_job(JOB).await;
    assert_eq!(first.status, "succeeded", "{first:?}");
    assert!(
        first
            .detail
            .contains("refunds: 1 processed, 0 failed, 1 written back"),
        "{first:?}"
    );
    assert_eq!(order_state(&app, order).await, "refunded");
    assert_eq!(refunds_of(&app, order).await, 1);
    let (active, _, status) = state_of(&app, user, run).await.unwrap();
    assert_eq!(
        (active, status.as_deref()),
        (false, Some("refunded")),
        "unenroll=true"
    );
    assert_eq!(google.cell("Refunds", 4, 11), PROCESSOR);
    assert_eq!(
        google.cell("Refunds", 4, 12),
        "",
        "the column between is left alone"
    );
    assert_eq!(google.cell("Refunds", 4, 13), today(&app));
    assert_eq!(google.cell("Refunds", 4, 14), "");
    let updates = google.batch_updates();
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0]["data"][0]["range"], "'Refunds'!L4:O4");
    let reads: Vec<String> = google
        .requests()
        .iter()
        .filter(|r| r.method == "GET")
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(
        reads,
        [
            format!("/v4/spreadsheets/{SPREADSHEET}/values/'Refunds'!A4:P"),
            format!("/v4/spreadsheets/{SPREADSHEET}/values/'Deferrals'!A5:K"),
        ]
    );

    let again = app.run_job(JOB).await;
    assert!(
        again
            .detail
            .contains("refunds: 0 processed, 0 failed, 0 written back, 1 left alone"),
        "{again:?}"
    );
    assert_eq!(refunds_of(&app, order).await, 1, "refunded once");
    assert_eq!(google.batch_updates().len(), 1, "nothing new to write");
    assert_eq!(google.token_requests(), 1, "the service-account token is reused");
    app.drain_outbox().await;
    app.shutdown().await;
}

#[tokio::test]
async fn deferral_rows_defer_with_and_without_a_target() {
    let google = FakeGoogle::start().await;
    let (app, _key) = app_with(&google).await;
    let (user, token) = enr::learner(&app, "shdef", false).await;
    let from = enr::run(&app, "course-v1:MITx+SH1+1T2026", OPEN).await;
    let to = enr::run(&app, "course-v1:MITx+SH1+2T2026", OPEN).await;
    let alone = enr::run(&app, "course-v1:MITx+SH2+1T2026", OPEN).await;
    for r in [from, alone] {
        assert_eq!(enr::enroll(&app, &token, r).await.0, 201);
        paid(&app, user, r).await;
    }
    let row = |id: &'static str, from: &'static str, to: &'static str| {
        [
            "".to_owned(),
            "12/01/2026".into(),
            "shdef@example.com".into(),
            "".into(),
            "".into(),
            from.into(),
            to.into(),
        ]
        .into_iter()
        .enumerate()
        .map(|(i, v)| if i == 0 { id.to_owned() } else { v })
        .collect::<Vec<_>>()
    };
    let r5 = row("7", "course-v1:MITx+SH1+1T2026", "course-v1:MITx+SH1+2T2026");
    let r6 = row("8", "course-v1:MITx+SH2+1T2026", "");
    let r7 = row("9", "course-v1:MITx+SH1+2T2026", "course-v1:MITx+SH1+2T2026");
    for (n, r) in [(5, &r5), (6, &r6), (7, &r7)] {
        google.put_row("Deferrals", n, &r.iter().map(String::as_str).collect::<Vec<_>>());
    }
    let run = app.run_job(JOB).await;
    assert!(
        run.detail
            .contains("deferrals: 2 processed, 1 failed, 3 written back"),
        "{run:?}"
    );
    assert_eq!(
        state_of(&app, user, to).await.unwrap(),
        (true, "verified".into(), None)
    );
    assert_eq!(
        state_of(&app, user, from).await.unwrap(),
        (true, "audit".into(), Some("deferred".into()))
    );
    assert_eq!(
        state_of(&app, user, alone).await.unwrap(),
        (true, "audit".into(), Some("deferred".into()))
    );
    for n in [5, 6] {
        assert_eq!(google.cell("Deferrals", n, 7), PROCESSOR);
        assert_eq!(google.cell("Deferrals", n, 8), today(&app));
    }
    assert_eq!(
        google.cell("Deferrals", 7, 9),
        "Cannot defer to the same course run (course-v1:MITx+SH1+2T2026)."
    );
    assert_eq!(
        google.cell("Deferrals", 7, 7),
        "",
        "a failure writes only its error"
    );
    app.drain_outbox().await;
    app.shutdown().await;
}

#[tokio::test]
async fn skipped_and_completed_rows_are_left_untouched() {
    let google = FakeGoogle::start().await;
    let (app, _key) = app_with(&google).await;
    let (_, order, _, reference) = paid_order(&app, "SHSKIP").await;
    let mut skipped = vec![
        "201",
        "d",
        "shskip@example.com",
        "",
        "",
        "1",
        reference.as_str(),
        "course run",
    ];
    skipped.resize(16, "");
    skipped[15] = "TRUE";
    let mut done = skipped.clone();
    done[0] = "202";
    done[15] = "";
    done[13] = "11/30/2026";
    google.put_row("Refunds", 4, &skipped);
    google.put_row("Refunds", 5, &done);
    // Above the first request row (headings): never read.
    google.put_row(
        "Refunds",
        3,
        &["203", "d", "shskip@example.com", "", "", "1", &reference],
    );
    let run = app.run_job(JOB).await;
    assert!(
        run.detail
            .contains("refunds: 0 processed, 0 failed, 0 written back, 2 left alone"),
        "{run:?}"
    );
    assert_eq!(order_state(&app, order).await, "fulfilled");
    assert!(google.batch_updates().is_empty());
    assert_eq!(app.scalar_i64("SELECT count(*) FROM sheets_requests").await, 0);
    app.shutdown().await;
}

#[tokio::test]
async fn an_errored_row_is_not_retried_until_its_data_changes_then_it_is() {
    let google = FakeGoogle::start().await;
    let (app, _key) = app_with(&google).await;
    let (_, order, _, reference) = paid_order(&app, "SHERR").await;
    let row = |r: &str| {
        vec![
            "301".to_owned(),
            "d".into(),
            "sherr@example.com".into(),
            "".into(),
            "".into(),
            "1".into(),
            r.to_owned(),
            "course run".into(),
        ]
    };
    let put = |r: &str| {
        google.put_row(
            "Refunds",
            4,
            &row(r).iter().map(String::as_str).collect::<Vec<_>>(),
        )
    };
    put("mitxonline-test-999999");
    let first = app.run_job(JOB).await;
    assert!(
        first
            .detail
            .contains("refunds: 0 processed, 1 failed, 1 written back"),
        "{first:?}"
    );
    assert_eq!(google.cell("Refunds", 4, 14), "No such order.");
    assert_eq!(google.cell("Refunds", 4, 11), "");
    for _ in 0..2 {
        let r = app.run_job(JOB).await;
        assert!(
            r.detail
                .contains("refunds: 0 processed, 0 failed, 0 written back, 1 left alone"),
            "{r:?}"
        );
    }
    let attempts = app
        .scalar_i64("SELECT attempts FROM sheets_requests WHERE form_response_id = 301")
        .await;
    assert_eq!(attempts, 1, "not retried while unchanged");
    assert_eq!(google.batch_updates().len(), 1);

    put(&reference);
    let fixed = app.run_job(JOB).await;
    assert!(
        fixed
            .detail
            .contains("refunds: 1 processed, 0 failed, 1 written back"),
        "{fixed:?}"
    );
    assert_eq!(order_state(&app, order).await, "refunded");
    assert_eq!(google.cell("Refunds", 4, 14), "", "the error is cleared");
    assert_eq!(google.cell("Refunds", 4, 11), PROCESSOR);
    app.drain_outbox().await;
    app.shutdown().await;
}

#[tokio::test]
async fn the_job_runs_every_minute_from_ten_to_two_utc() {
    let google = FakeGoogle::start().await;
    let (app, _key) = app_with(&google).await;
    let job = app.state.jobs.get(JOB).expect("registered");
    assert_eq!(job.schedule, "0 * 0-2,10-23 * * *");
    app.shutdown().await;
}

#[tokio::test]
async fn only_the_last_thirty_rows_are_read() {
    let google = FakeGoogle::start().await;
    let (app, _key) = app_with(&google).await;
    for i in 0..35 {
        let id = (500 + i).to_string();
        google.put_row(
            "Deferrals",
            5 + i,
            &[&id, "d", "nobody@example.com", "", "", "course-v1:MITx+NO+1"],
        );
    }
    let run = app.run_job(JOB).await;
    assert!(
        run.detail
            .contains("deferrals: 0 processed, 30 failed, 30 written back"),
        "{run:?}"
    );
    assert_eq!(
        google.cell("Deferrals", 9, 9),
        "",
        "row 9 is the 5th of 35: not read"
    );
    assert_eq!(
        google.cell("Deferrals", 10, 9),
        "No learner has the email nobody@example.com."
    );
    app.shutdown().await;
}
