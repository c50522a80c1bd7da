//! Without credentials the job reads the built-in sandbox spreadsheet through the same Sheets
//! client, over our own listener; staff add rows, edit cells and clear errors on
//! `/staff/sandbox/sheets/`.

use mitxonline::integrations::sheets::jobs::NAME as JOB;
use mitxonline::integrations::sheets::sandbox;

use super::deferrals::state_of;
use crate::support::TestApp;
use crate::support::enrollment::{self as enr, OPEN};
use crate::support::identity::{post_form, signed_in};

const PAGE: &str = "/staff/sandbox/sheets/";

async fn cell(app: &TestApp, row: usize, col: usize) -> String {
    app.state
        .db
        .read(move |c| sandbox::cell(c, ("sandbox", "Deferrals"), row, col))
        .await
        .unwrap()
        .unwrap_or_default()
}

#[tokio::test]
async fn staff_add_a_deferral_row_to_the_sandbox_sheet_and_clearing_its_error_retries_it() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx"]);
    let (user, token) = enr::learner(&app, "sbx", false).await;
    let from = enr::run(&app, "course-v1:MITx+SB1+1T2026", OPEN).await;
    assert_eq!(enr::enroll(&app, &token, from).await.0, 201);
    let staff = signed_in(&app, "sheets-desk@example.com", true).await;
    let html = staff
        .get(app.url(PAGE))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Learner email") && html.contains("Add row"),
        "{html}"
    );

    // A row whose learner has a typo: it fails and says why in the sheet.
    let fields = [
        ("tab", "Deferrals"),
        ("cells", "12/03/2026"),
        ("cells", "sbx@example.co"),
        ("cells", "ZD-3"),
        ("cells", "sheets-desk@example.com"),
        ("cells", "course-v1:MITx+SB1+1T2026"),
        ("cells", ""),
    ];
    let r = post_form(&app, &staff, PAGE, "/staff/sandbox/sheets/rows/", &fields).await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        cell(&app, 5, 0).await,
        "1",
        "the first request row, response id 1"
    );
    let run = app.run_job(JOB).await;
    assert!(
        run.detail
            .contains("deferrals: 0 processed, 1 failed, 1 written back"),
        "{run:?}"
    );
    assert_eq!(cell(&app, 5, 9).await, "No learner has the email sbx@example.co.");
    let run = app.run_job(JOB).await;
    assert!(run.detail.contains("deferrals: 0 processed, 0 failed"), "{run:?}");

    // Staff fix the email (edit a cell), then clear the error: the row is retried.
    let edit = [("tab", "Deferrals"), ("cell", "c5"), ("value", "sbx@example.com")];
    let r = post_form(&app, &staff, PAGE, "/staff/sandbox/sheets/cells/", &edit).await;
    assert_eq!(r.status(), 303);
    let bad = [("tab", "Deferrals"), ("cell", "5C"), ("value", "x")];
    let r = post_form(&app, &staff, PAGE, "/staff/sandbox/sheets/cells/", &bad).await;
    assert_eq!(r.status(), 400, "a bad cell is named");
    let clear = [("tab", "Deferrals"), ("row", "5")];
    let r = post_form(&app, &staff, PAGE, "/staff/sandbox/sheets/clear-error/", &clear).await;
    assert_eq!(r.status(), 303);
    let run = app.run_job(JOB).await;
    assert!(run.detail.contains("deferrals: 1 processed, 0 failed"), "{run:?}");
    assert_eq!(
        state_of(&app, user, from).await.unwrap(),
        (true, "audit".into(), Some("deferred".into()))
    );
    assert!(cell(&app, 5, 7).await.starts_with("MITx Online"));
    assert!(cell(&app, 5, 8).await.starts_with("=DATE("));
    let html = staff
        .get(app.url(PAGE))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("processed"),
        "the recorded requests are listed: {html}"
    );
    let audited = app
        .scalar_i64(
            "SELECT count(*) FROM audit_log WHERE object_type = 'sheets_sandbox' AND actor_id IS NOT NULL",
        )
        .await;
    assert_eq!(
        audited, 3,
        "add row, edit cell, clear error: each audited with the staff member"
    );

    // The sandbox Sheets API wants its own token.
    let r = app
        .client
        .get(app.url("/sandbox/sheets/v4/spreadsheets/sandbox/values/Deferrals!A5:K"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    app.shutdown().await;
}
