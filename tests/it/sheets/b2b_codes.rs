//! `update-b2b-enrollment-code-sheets`: a code contract's codes written to the Google Sheet
//! staff set on the contract page, most redeemed first, against the fake Google.

use mitxonline::integrations::sheets::b2b_codes::NAME as JOB;

use super::fake::FakeGoogle;
use super::requests::app_with;
use crate::b2b::{codes, contract, program_with_sources};
use crate::support::commerce::learner;
use crate::support::identity::{post_form, signed_in};

#[tokio::test]
async fn a_code_contracts_codes_are_written_to_its_sheet_most_redeemed_first() {
    let google = FakeGoogle::start().await;
    let (app, _key) = app_with(&google).await;
    app.expect_undrained(&["openedx"]);
    let (program, _) = program_with_sources(&app, "SHC", 1).await;
    let (_, k) = contract(&app, "shc", "code", Some(3), None, Some(program), None).await;
    let (_, managed) = contract(&app, "shm", "managed", None, None, None, None).await;
    let all = codes(&app, k).await;
    assert_eq!(all.len(), 6, "3 seats on each of the two contract runs");
    let (_, jane) = learner(&app, "jane-sheet@example.com").await;
    let r = jane
        .post(app.url(&format!("/api/v0/b2b/attach/{}/", all[2])))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);

    let staff = signed_in(&app, "b2b-sheets@example.com", true).await;
    let page = format!("/staff/b2b/contracts/{k}/");
    let action = format!("/staff/b2b/contracts/{k}/sheet/");
    let fields = [
        (
            "google_sheet_target",
            "https://docs.google.com/spreadsheets/d/1B2bCodes_x/edit#gid=0",
        ),
        ("google_sheet_target_tab", "Codes"),
    ];
    let r = post_form(&app, &staff, &page, &action, &fields).await;
    assert_eq!(r.status(), 303);
    let bad = [
        ("google_sheet_target", "https://example.com/nope"),
        ("google_sheet_target_tab", ""),
    ];
    let r = post_form(&app, &staff, &page, &action, &bad).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("google_sheet_target"));
    let r = post_form(
        &app,
        &staff,
        &format!("/staff/b2b/contracts/{managed}/"),
        &format!("/staff/b2b/contracts/{managed}/sheet/"),
        &fields,
    )
    .await;
    assert_eq!(r.status(), 400, "a managed contract has no code sheet");

    let run = app.run_job(JOB).await;
    assert_eq!(run.detail, "1 of 1 contract code sheets written", "{run:?}");
    let row = |n: usize| (0..6).map(|c| google.cell("Codes", n, c)).collect::<Vec<_>>();
    assert_eq!(
        row(1),
        [
            "Enrollment Code",
            "Use Type",
            "Total Redemptions",
            "Invalidated On",
            "Redeemed By",
            "Redeemed On"
        ]
    );
    let first = row(2);
    assert_eq!(first[0], all[2], "the redeemed code first");
    assert_eq!((first[1].as_str(), first[2].as_str()), ("one-time", "1"));
    assert_eq!(first[4], "jane-sheet@example.com");
    assert!(!first[5].is_empty(), "{first:?}");
    let code = first[0].clone();
    let sql = "SELECT coalesce(expiration_date, '') FROM discounts WHERE discount_code = ?1";
    let expiry: String = app
        .state
        .db
        .read(move |c| c.query_row(sql, [&code], |r| r.get(0)))
        .await
        .unwrap();
    let spent = if expiry.is_empty() {
        first[5].clone()
    } else {
        expiry
    };
    assert_eq!(
        first[3], spent,
        "invalidated: the expiry, else when a one-time code was redeemed"
    );
    assert_eq!(row(3)[0], all[0]);
    assert_eq!(row(4)[..3], [all[1].clone(), "one-time".into(), "0".into()]);
    assert_eq!(row(5)[0], "", "no more rows than the contract has seats");
    assert!(
        google
            .requests()
            .iter()
            .any(|r| r.path == "/v4/spreadsheets/1B2bCodes_x/values:batchUpdate"),
        "written to the contract's own spreadsheet"
    );
    let html = staff
        .get(app.url(&page))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("3 codes written"), "{html}");
    app.shutdown().await;
}
