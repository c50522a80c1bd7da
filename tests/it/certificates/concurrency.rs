//! Concurrent triggers — the edX certificate webhook, the hourly job and the nightly program
//! reconciliation at once — make exactly one course and one program certificate.

use reqwest::Method;
use serde_json::json;

use super::*;
use crate::support::enrollment::send;

#[tokio::test]
async fn webhook_job_and_program_reconciliation_at_once_make_exactly_one_certificate_each() {
    let app = TestApp::spawn().await;
    let key = staff_key(&app).await;
    let run = course(&app, "course-v1:MITx+6.002x", Pacing::SelfPaced, false).await;
    let course_id = run.course_id;
    let program = program_requiring(&app, "program-v1:MITx+EE", vec![course_id]).await;
    let ivy = learner(&app, "ivy", &[run.run_id]).await;
    enroll_program(&app, ivy, program, Mode::Verified).await;
    app.drain_outbox().await;
    edx_grade(&app, &key, "ivy@example.com", &run.courseware_id, 0.88).await;
    let (_, staff) = crate::support::enrollment::learner(&app, "racestaff", true).await;
    let body = json!({ "email": "ivy@example.com", "course_id": run.courseware_id });

    let webhook = || {
        send(
            &app,
            Method::POST,
            &staff,
            "/api/openedx_webhook/certificate/",
            Some(body.clone()),
        )
    };
    let (a, b, c, job, programs) = tokio::join!(
        webhook(),
        webhook(),
        webhook(),
        app.run_job("generate-course-certificate"),
        app.run_job("generate-missing-program-certificates"),
    );
    for (status, body) in [a, b, c] {
        assert_eq!(status, 200, "{body}");
    }
    assert_eq!(job.status, "succeeded", "{}", job.detail);
    assert_eq!(programs.status, "succeeded", "{}", programs.detail);
    // Whatever ran first, the reconciliation finds nothing left to create afterwards.
    let again = app.run_job("generate-missing-program-certificates").await;
    assert_eq!(again.status, "succeeded");
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM course_run_certificates")
            .await,
        1
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM program_certificates").await,
        1
    );
    app.shutdown().await;
}
