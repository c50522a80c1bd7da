//! Headless Chromium opens a certificate page and prints it: one landscape page on A4 and on
//! Letter, with no CSP violations.

use super::*;
use crate::support::browser::Browser;

/// Pages in a PDF (the `/Count` of its page tree, else the `/Type /Page` objects).
fn pdf_pages(pdf: &[u8]) -> usize {
    let text = String::from_utf8_lossy(pdf);
    let objects = text.matches("/Type /Page").count() - text.matches("/Type /Pages").count();
    let compact = text.matches("/Type/Page").count() - text.matches("/Type/Pages").count();
    objects + compact
}

#[tokio::test]
async fn a_certificate_page_prints_to_one_landscape_page_on_a4_and_letter() {
    let app = TestApp::spawn().await;
    let key = staff_key(&app).await;
    let run = course(&app, "course-v1:MITx+21H.001x", Pacing::SelfPaced, false).await;
    // Seven signatories, the most a certificate page takes.
    let page = run.certificate_page;
    let now = app.state.clock.now();
    app.state
        .db
        .write(move |c| {
            let mut ids = Vec::new();
            for i in 0..7 {
                ids.push(signatory(
                    c,
                    now,
                    &format!("extra-{i}"),
                    &format!("Signatory Number {i}"),
                )?);
            }
            let rev = mitxonline::cms::store::latest_revision(c, page)?.unwrap();
            let mut content = rev.content;
            content.signatory_ids = ids;
            let r = mitxonline::cms::store::add_revision(c, page, &content, "test", now)?;
            mitxonline::cms::store::publish(c, page, r, now)
        })
        .await
        .unwrap();
    let mo = learner(&app, "mo", &[run.run_id]).await;
    app.drain_outbox().await;
    edx_grade(&app, &key, "mo@example.com", &run.courseware_id, 0.99).await;
    app.run_job("generate-course-certificate").await;
    let (uuid, _) = run_certificate(&app, mo, run.run_id).await.unwrap();

    let Some(b) = Browser::start().await else { return };
    b.goto(&app.url(&format!("/certificate/{uuid}/"))).await;
    assert!(b.title().await.contains("Certificate for: Signals and Systems"));
    assert_eq!(b.find_all(".signatory").await.len(), 7);
    for (paper, w, h) in [("A4", 29.7, 21.0), ("Letter", 27.94, 21.59)] {
        let pdf = b.print_pdf(w, h).await;
        assert!(pdf.starts_with(b"%PDF"), "{paper}: not a PDF");
        assert_eq!(pdf_pages(&pdf), 1, "{paper} landscape prints on one page");
    }
    let csp = b.console_lines("Refused").await;
    assert!(csp.is_empty(), "{csp:?}");
    b.quit().await;
    app.shutdown().await;
}
