//! Bulk enroll / unenroll from CSV: the staff page `/staff/enrollments/import/` (dry run, then
//! apply) and `mitxonline enrollment import FILE [--dry-run]` against the real binary.

use crate::support::TestApp;
use crate::support::enrollment::{OPEN, RunSpec, count, enroll, learner, run};
use crate::support::identity::{csrf_from, post_form, signed_in};
use crate::support::process::run_cli;

const CLOSED: RunSpec = RunSpec {
    enrollable: false,
    b2b: false,
    blocked: None,
};

/// The rows of every kind: what the dry run says about each line.
const CSV: &str = "email,run,mode
bk-ann@example.com,course-v1:MITx+BK1+1T2026,verified
bk-ann@example.com,course-v1:MITx+BK1+1T2026
bk-bob@example.com,-course-v1:MITx+BK1+1T2026
bk-bob@example.com,course-v1:MITx+BK2+1T2026,honor
nobody@example.com,course-v1:MITx+BK2+1T2026
bk-ann@example.com,course-v1:MITx+NOPE+1T2026
bk-ann@example.com,course-v1:MITx+BK3+1T2026
bk-bob@example.com,course-v1:MITx+BK2+1T2026
";

/// `(active, mode, change_status)` of every enrollment of the user, by courseware id.
async fn enrollments_of(app: &TestApp, user: i64) -> Vec<(String, bool, String, Option<String>)> {
    app.state
        .db
        .read(move |c| {
            let mut st = c.prepare(
                "SELECT r.courseware_id, e.active, e.enrollment_mode, e.change_status
                 FROM course_run_enrollments e JOIN course_runs r ON r.id = e.run_id
                 WHERE e.user_id = ?1 ORDER BY r.courseware_id",
            )?;
            let rows: Vec<_> = st
                .query_map([user], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                .collect::<rusqlite::Result<_>>()?;
            Ok::<_, rusqlite::Error>(rows)
        })
        .await
        .unwrap()
}

fn row(run: &str, active: bool, mode: &str, status: Option<&str>) -> (String, bool, String, Option<String>) {
    (run.to_owned(), active, mode.to_owned(), status.map(str::to_owned))
}

/// Enrollments, outbox rows and audit rows: what a dry run must leave alone.
async fn totals(app: &TestApp) -> (i64, i64, i64) {
    (
        count(app, "SELECT count(*) FROM course_run_enrollments").await,
        count(app, "SELECT count(*) FROM outbox").await,
        count(app, "SELECT count(*) FROM audit_log").await,
    )
}

/// Two learners, two open runs and a closed one; Bob is enrolled (audit) in BK1.
async fn setup(app: &TestApp) -> (i64, i64) {
    let (ann, _) = learner(app, "bk-ann", false).await;
    let (bob, bob_token) = learner(app, "bk-bob", false).await;
    let r1 = run(app, "course-v1:MITx+BK1+1T2026", OPEN).await;
    run(app, "course-v1:MITx+BK2+1T2026", OPEN).await;
    run(app, "course-v1:MITx+BK3+1T2026", CLOSED).await;
    assert_eq!(enroll(app, &bob_token, r1).await.0, 201);
    (ann, bob)
}

/// The `<td>` outcome of a line in the result table.
fn outcome(html: &str, line: usize) -> String {
    let start = html
        .find(&format!("id=\"line-{line}\""))
        .unwrap_or_else(|| panic!("no line {line} in {html}"));
    let tr = &html[start..start + html[start..].find("</tr>").unwrap()];
    let last = tr.rfind("<td>").unwrap();
    tr[last + 4..tr.rfind("</td>").unwrap()].to_owned()
}

/// The dry-run form as a browser posts it: `csv` in the file part, `textarea` in the textarea.
async fn dry_run_with(
    app: &TestApp,
    staff: &reqwest::Client,
    textarea: &str,
    csv: &str,
) -> reqwest::Response {
    let token = csrf_from(app, staff, "/staff/enrollments/import/").await;
    let body = format!(
        "--XyZ\r\nContent-Disposition: form-data; name=\"csrfmiddlewaretoken\"\r\n\r\n{token}\r\n\
         --XyZ\r\nContent-Disposition: form-data; name=\"csv\"\r\n\r\n{textarea}\r\n\
         --XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"rows.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n{csv}\r\n--XyZ--\r\n"
    );
    staff
        .post(app.url("/staff/enrollments/import/"))
        .header("content-type", "multipart/form-data; boundary=XyZ")
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn dry_run(app: &TestApp, staff: &reqwest::Client, csv: &str) -> reqwest::Response {
    dry_run_with(app, staff, "", csv).await
}

/// The CSV the dry-run page carries to the apply form.
fn hidden_csv(html: &str) -> String {
    let marker = "name=\"csv\" value=\"";
    let at = html.find(marker).expect("a hidden csv field") + marker.len();
    let raw = &html[at..at + html[at..].find('"').unwrap()];
    raw.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[tokio::test]
async fn staff_dry_run_changes_nothing_then_apply_does_the_good_rows_once() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx"]);
    let (ann, bob) = setup(&app).await;
    let staff = signed_in(&app, "bk-desk@example.com", true).await;
    let list = staff
        .get(app.url("/staff/enrollments/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains("href=\"/staff/enrollments/import/\""), "{list}");

    let before = totals(&app).await;
    let r = dry_run(&app, &staff, CSV).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    let expected = [
        (2, "will enroll (verified)"),
        (3, "error: duplicate of line 2"),
        (4, "will unenroll"),
        (5, "error: bad mode `honor` (audit or verified)"),
        (6, "error: unknown email nobody@example.com"),
        (7, "error: unknown run course-v1:MITx+NOPE+1T2026"),
        (
            8,
            "error: run course-v1:MITx+BK3+1T2026 is not open for enrollment",
        ),
        (9, "will enroll (audit)"),
    ];
    for (line, want) in expected {
        assert_eq!(outcome(&html, line), want, "line {line}");
    }
    assert!(html.contains("Apply 3 rows"), "{html}");
    assert_eq!(totals(&app).await, before, "the dry run changes nothing");

    // The same rows pasted in the textarea (no file chosen) plan the same.
    let pasted = dry_run_with(&app, &staff, CSV, "").await.text().await.unwrap();
    assert_eq!(outcome(&pasted, 4), "will unenroll");
    assert_eq!(outcome(&pasted, 5), "error: bad mode `honor` (audit or verified)");

    // Apply: the CSV comes back in the hidden field.
    let carried = hidden_csv(&html);
    assert_eq!(carried.replace("\r\n", "\n"), CSV);
    let fields = [("csv", carried.as_str())];
    let r = post_form(
        &app,
        &staff,
        "/staff/enrollments/import/",
        "/staff/enrollments/import/apply/",
        &fields,
    )
    .await;
    assert_eq!(r.status(), 200);
    // The page streams a progress bar as batches commit, uncompressed so it is not held back.
    assert_eq!(r.headers()["content-encoding"], "identity");
    let html = r.text().await.unwrap();
    assert!(html.contains("<progress value=\"0\" max=\"8\">"), "{html}");
    assert!(html.contains("Applied 8 of 8 rows"), "{html}");
    assert_eq!(outcome(&html, 2), "enrolled (verified)");
    assert_eq!(outcome(&html, 4), "unenrolled");
    assert_eq!(outcome(&html, 9), "enrolled (audit)");
    assert_eq!(outcome(&html, 6), "error: unknown email nobody@example.com");
    assert!(html.contains("3 applied, 5 bad (not applied)"), "{html}");
    assert_eq!(
        enrollments_of(&app, ann).await,
        vec![row("course-v1:MITx+BK1+1T2026", true, "verified", None)],
        "the closed run and the unknown run are not enrolled"
    );
    assert_eq!(
        enrollments_of(&app, bob).await,
        vec![
            row("course-v1:MITx+BK1+1T2026", false, "audit", Some("unenrolled")),
            row("course-v1:MITx+BK2+1T2026", true, "audit", None),
        ]
    );
    // edX hears of each change through the outbox.
    let edx = |sql: &'static str| count(&app, sql);
    assert_eq!(
        edx("SELECT count(*) FROM outbox WHERE destination = 'openedx' AND kind = 'enroll' AND payload LIKE '%BK1%' AND payload LIKE '%verified%'").await,
        1
    );
    assert_eq!(
        edx("SELECT count(*) FROM outbox WHERE destination = 'openedx' AND kind = 'enroll' AND payload LIKE '%BK2%'").await,
        1
    );
    assert_eq!(
        edx("SELECT count(*) FROM outbox WHERE destination = 'openedx' AND kind = 'unenroll' AND payload LIKE '%BK1%'").await,
        1
    );
    assert_eq!(
        edx("SELECT count(*) FROM audit_log WHERE object_type = 'course_run_enrollment' AND actor_id = (SELECT id FROM users WHERE email = 'bk-desk@example.com')").await,
        3,
        "each change is audited with the staff member as the actor"
    );

    // Re-applying the same file changes nothing.
    let after = totals(&app).await;
    let r = post_form(
        &app,
        &staff,
        "/staff/enrollments/import/",
        "/staff/enrollments/import/apply/",
        &fields,
    )
    .await;
    let html = r.text().await.unwrap();
    assert_eq!(outcome(&html, 2), "already enrolled (verified)");
    assert_eq!(outcome(&html, 4), "already not enrolled");
    assert_eq!(outcome(&html, 9), "already enrolled (audit)");
    assert!(html.contains("0 applied, 5 bad"), "{html}");
    assert_eq!(totals(&app).await, after);

    // An empty upload is a 400 naming the problem.
    let r = dry_run(&app, &staff, "").await;
    assert_eq!(r.status(), 400);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Paste CSV rows or choose a CSV file.")
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_learner_gets_403_on_the_import_page() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx"]);
    setup(&app).await;
    let learner = signed_in(&app, "bk-learner@example.com", false).await;
    let r = learner
        .get(app.url("/staff/enrollments/import/"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let before = totals(&app).await;
    let r = post_form(
        &app,
        &learner,
        "/profile/",
        "/staff/enrollments/import/apply/",
        &[("csv", CSV)],
    )
    .await;
    assert_eq!(r.status(), 403);
    assert_eq!(totals(&app).await, before);
    app.shutdown().await;
}

#[tokio::test]
async fn the_cli_imports_with_and_without_dry_run_and_exits_1_on_bad_rows() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx"]);
    let (ann, bob) = setup(&app).await;
    let dir = app.dir.path().to_owned();
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, CSV).unwrap();
    let good = dir.join("good.csv");
    std::fs::write(
        &good,
        "bk-ann@example.com,course-v1:MITx+BK2+1T2026\nbk-bob@example.com,course-v1:MITx+BK1+1T2026,verified\n",
    )
    .unwrap();
    let cli = |args: Vec<String>| {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            run_cli(&dir, &[], &args)
        })
    };
    let args = |file: &std::path::Path, dry: bool| {
        let mut a = vec![
            "enrollment".to_owned(),
            "import".to_owned(),
            file.display().to_string(),
        ];
        if dry {
            a.push("--dry-run".to_owned());
        }
        a
    };

    let before = totals(&app).await;
    let out = cli(args(&bad, true)).await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("line 2: bk-ann@example.com course-v1:MITx+BK1+1T2026: will enroll (verified)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("line 8: bk-ann@example.com course-v1:MITx+BK3+1T2026: error: run course-v1:MITx+BK3+1T2026 is not open for enrollment"),
        "{stdout}"
    );
    assert!(stdout.contains("8 row(s): would change 3, 5 bad"), "{stdout}");
    assert_eq!(totals(&app).await, before, "--dry-run changes nothing");

    let out = cli(args(&bad, false)).await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout} {stderr}");
    assert!(stderr.contains("[1/8]") && stderr.contains("[8/8]"), "{stderr}");
    assert!(
        stdout.contains("line 4: bk-bob@example.com course-v1:MITx+BK1+1T2026: unenrolled"),
        "{stdout}"
    );
    assert!(stdout.contains("8 row(s): changed 3, 5 bad"), "{stdout}");
    assert_eq!(
        enrollments_of(&app, ann).await,
        vec![row("course-v1:MITx+BK1+1T2026", true, "verified", None)]
    );

    // A file of good rows exits 0: Ann enrolled in BK2, Bob re-enrolled verified in BK1.
    let out = cli(args(&good, false)).await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("line 2: bk-bob@example.com course-v1:MITx+BK1+1T2026: re-enrolled (verified)"),
        "{stdout}"
    );
    assert_eq!(
        enrollments_of(&app, bob).await,
        vec![
            row("course-v1:MITx+BK1+1T2026", true, "verified", None),
            row("course-v1:MITx+BK2+1T2026", true, "audit", None),
        ]
    );
    let after = totals(&app).await;
    let out = cli(args(&good, false)).await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("2 row(s): changed 0, 0 bad"), "{stdout}");
    assert!(stdout.contains("already enrolled (verified)"), "{stdout}");
    assert_eq!(totals(&app).await, after, "re-applying changes nothing");
    app.shutdown().await;
}
