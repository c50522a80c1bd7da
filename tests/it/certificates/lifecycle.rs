//! A grade passed in the sandbox Open edX becomes a certificate through the hourly job; its
//! API and page exist; revoked it answers 404; un-revoked it is back. The certificate window,
//! verified-enrollment rule, zero-grade deletion and per-learner failure isolation.

use reqwest::Method;
use serde_json::json;

use super::*;
use crate::support::enrollment::send;

#[tokio::test]
async fn a_grade_passed_in_the_sandbox_edx_becomes_a_certificate_that_revokes_to_404_and_back() {
    let app = TestApp::spawn().await;
    let key = staff_key(&app).await;
    let run = course(&app, "course-v1:MITx+6.003x", Pacing::SelfPaced, true).await;
    let ada = learner(&app, "ada", &[run.run_id]).await;
    app.drain_outbox().await; // the edX account and enrollment reach the sandbox
    edx_grade(&app, &key, "ada@example.com", &run.courseware_id, 0.91).await;

    let out = app.run_job("generate-course-certificate").await;
    assert_eq!(out.status, "succeeded", "{}", out.detail);
    assert!(out.detail.contains("1 created"), "{}", out.detail);
    let (uuid, revoked) = run_certificate(&app, ada, run.run_id)
        .await
        .expect("a certificate");
    assert!(!revoked);
    // The verifiable credential is requested through the outbox and signed by the sandbox.
    let r = app.drain_outbox().await;
    assert_eq!(r.dead, 0);

    let (status, body) = get_json(&app, &format!("/api/v2/course_certificates/{uuid}/")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["uuid"], uuid.as_str());
    assert_eq!(body["is_revoked"], false);
    assert_eq!(body["user"]["name"], "ada Learner");
    assert_eq!(body["course_run"]["courseware_id"], run.courseware_id.as_str());
    assert_eq!(body["certificate_page"]["product_name"], "Signals and Systems");
    assert_eq!(body["certificate_page"]["overrides"][0]["value"]["CEUs"], "2.5");
    assert!(body["certificate_page_revision"].is_i64(), "{body}");
    let vc = &body["verifiable_credential_json"];
    assert_eq!(
        vc["type"],
        json!(["VerifiableCredential", "OpenBadgeCredential"]),
        "{body}"
    );
    assert_eq!(
        vc["credentialSubject"]["achievement"]["criteria"]["narrative"],
        "Passed every unit."
    );
    assert_eq!(vc["proof"]["type"], "DataIntegrityProof");
    let download = app
        .get(&format!("/api/v2/verifiable_course_credential/{uuid}/download/"))
        .await;
    assert_eq!(download.status(), 200);
    assert!(
        download.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );

    let page = app.get(&format!("/certificate/{uuid}/")).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("ada Learner"), "{html}");
    assert!(html.contains("Signals and Systems"));
    assert!(
        html.contains("Awarded 2.5 Continuing Education Units"),
        "the run's CEU override: {html}"
    );
    assert!(html.contains("Grace Hopper"));
    assert!(html.contains(&format!("/certificate/{uuid}/")));
    assert!(html.contains("property=\"og:title\""));
    assert!(html.contains("data-print"), "Download PDF is the browser's print");

    // The enrollment APIs carry the certificate.
    let token = token_for(&app, ada).await;
    let (_, list) = send(&app, Method::GET, &token, "/api/v1/enrollments/", None).await;
    assert_eq!(
        list[0]["certificate"],
        json!({ "uuid": uuid, "link": format!("/certificate/{uuid}/") }),
        "{list}"
    );
    let (_, v3) = send(&app, Method::GET, &token, "/api/v3/enrollments/", None).await;
    assert_eq!(v3[0]["certificate"]["uuid"], uuid.as_str(), "{v3}");

    // Staff revoke: the API and the page answer 404, the enrollment shows no certificate.
    staff_revoke(&app, "course_run", &uuid, true).await;
    let (status, _) = get_json(&app, &format!("/api/v2/course_certificates/{uuid}/")).await;
    assert_eq!(status, 404);
    assert_eq!(app.get(&format!("/certificate/{uuid}/")).await.status(), 404);
    let (_, list) = send(&app, Method::GET, &token, "/api/v1/enrollments/", None).await;
    assert_eq!(list[0]["certificate"], json!(null));
    // The job does not re-create a revoked certificate.
    let out = app.run_job("generate-course-certificate").await;
    assert!(out.detail.contains("0 created"), "{}", out.detail);
    assert_eq!(
        run_certificate(&app, ada, run.run_id).await,
        Some((uuid.clone(), true))
    );

    staff_revoke(&app, "course_run", &uuid, false).await;
    assert_eq!(app.get(&format!("/certificate/{uuid}/")).await.status(), 200);
    assert_eq!(
        app.scalar_i64(
            "SELECT count(*) FROM audit_log WHERE action IN ('certificate.revoke', 'certificate.unrevoke')"
        )
        .await,
        2
    );
    app.shutdown().await;
}

/// A staff member signed in with a bearer token posting the revoke form.
async fn staff_revoke(app: &TestApp, kind: &str, uuid: &str, revoke: bool) {
    let (_, token) =
        crate::support::enrollment::learner(app, &format!("staff{}", uuid.len() + usize::from(revoke)), true)
            .await;
    let r = app
        .client
        .post(app.url("/staff/certificates/revoke/"))
        .bearer_auth(&token)
        .form(&[
            ("kind", kind),
            ("uuid", uuid),
            ("revoke", if revoke { "true" } else { "false" }),
            ("reason", "checking"),
            ("email", "ada@example.com"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
}

/// A bearer token for an existing learner.
pub async fn token_for(app: &TestApp, user: i64) -> String {
    let now = app.state.clock.now();
    app.state
        .db
        .write(move |c| {
            mitxonline::users::store::set_service_account(c, user, true, now)?;
            mitxonline::users::sessions::issue_access_token(c, user, "test", chrono::Duration::days(1), now)
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn certificates_wait_for_the_certificate_date_need_a_verified_enrollment_and_a_zero_grade_deletes_them()
{
    let app = TestApp::spawn().await;
    let key = staff_key(&app).await;
    let later = course(&app, "course-v1:MITx+8.01x", Pacing::CertificateIn(3), false).await;
    let ben = learner(&app, "ben", &[later.run_id]).await;
    // Cy is enrolled in audit only.
    let cy = learner(&app, "cy", &[]).await;
    let now = app.state.clock.now();
    let run = later.run_id;
    app.state
        .db
        .write(move |c| {
            mitxonline::enrollment::service::enroll(
                c,
                now,
                cy,
                run,
                Mode::Audit,
                Checks::NONE,
                &Actor::system("test"),
            )
        })
        .await
        .unwrap();
    app.drain_outbox().await;
    edx_grade(&app, &key, "ben@example.com", &later.courseware_id, 0.8).await;
    edx_grade(&app, &key, "cy@example.com", &later.courseware_id, 0.95).await;

    let out = app.run_job("generate-course-certificate").await;
    assert!(out.detail.contains("2 grades, 2 changed"), "{}", out.detail);
    assert!(
        out.detail.contains("0 created"),
        "not before the certificate date: {}",
        out.detail
    );

    app.advance(std::time::Duration::from_secs(4 * 86_400));
    let out = app.run_job("generate-course-certificate").await;
    assert!(out.detail.contains("1 created"), "{}", out.detail);
    assert!(run_certificate(&app, ben, run).await.is_some());
    assert!(
        run_certificate(&app, cy, run).await.is_none(),
        "audit learners get no certificate"
    );

    // A grade of zero deletes the (unrevoked) certificate.
    edx_grade(&app, &key, "ben@example.com", &later.courseware_id, 0.0).await;
    let out = app.run_job("generate-course-certificate").await;
    assert!(out.detail.contains("1 deleted"), "{}", out.detail);
    assert!(run_certificate(&app, ben, run).await.is_none());
    app.shutdown().await;
}

#[tokio::test]
async fn one_learner_whose_certificate_fails_never_stops_the_others() {
    let app = TestApp::spawn().await;
    let key = staff_key(&app).await;
    let run = course(&app, "course-v1:MITx+18.06x", Pacing::SelfPaced, false).await;
    let dee = learner(&app, "dee", &[run.run_id]).await;
    let eve = learner(&app, "eve", &[run.run_id]).await;
    let fay = learner(&app, "fay", &[run.run_id]).await;
    app.drain_outbox().await;
    for who in ["dee", "eve", "fay"] {
        edx_grade(&app, &key, &format!("{who}@example.com"), &run.courseware_id, 0.9).await;
    }
    // Eve's certificate cannot be written (a failing database trigger, for this test only).
    app.state
        .db
        .write(move |c| {
            c.execute_batch(&format!(
                "CREATE TRIGGER fail_for_eve BEFORE INSERT ON course_run_certificates WHEN NEW.user_id = {eve}
                 BEGIN SELECT RAISE(ABORT, 'eve is a bad record'); END;"
            ))
        })
        .await
        .unwrap();
    let out = app.run_job("generate-course-certificate").await;
    assert_eq!(out.status, "succeeded", "{}", out.detail);
    assert!(
        out.detail.contains("2 created") && out.detail.contains("1 failed"),
        "{}",
        out.detail
    );
    assert!(run_certificate(&app, dee, run.run_id).await.is_some());
    assert!(run_certificate(&app, fay, run.run_id).await.is_some());
    assert!(run_certificate(&app, eve, run.run_id).await.is_none());
    // Eve's grade rolled back with her certificate, so the next run tries her again.
    assert_eq!(app.scalar_i64("SELECT count(*) FROM course_run_grades").await, 2);
    app.shutdown().await;
}

#[tokio::test]
async fn the_certificate_webhook_issues_before_the_certificate_date() {
    let app = TestApp::spawn().await;
    let key = staff_key(&app).await;
    let run = course(&app, "course-v1:MITx+2.01x", Pacing::CertificateIn(20), false).await;
    let gus = learner(&app, "gus", &[run.run_id]).await;
    app.drain_outbox().await;
    edx_grade(&app, &key, "gus@example.com", &run.courseware_id, 0.7).await;
    let (_, staff) = crate::support::enrollment::learner(&app, "hookstaff", true).await;
    let (status, body) = send(
        &app,
        Method::POST,
        &staff,
        "/api/openedx_webhook/certificate/",
        Some(json!({ "email": "gus@example.com", "course_id": run.courseware_id })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (uuid, _) = run_certificate(&app, gus, run.run_id)
        .await
        .expect("forced certificate");
    assert_eq!(body["certificate"]["uuid"], uuid.as_str(), "{body}");
    app.shutdown().await;
}
