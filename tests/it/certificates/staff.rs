//! The staff certificates page: find a learner, override a grade (audited, kept by later
//! pulls, passed only when forced, then the certificate follows), bad input changes nothing,
//! and the certificate page preview with a sample learner.

use super::*;

async fn post_form(app: &TestApp, token: &str, path: &str, form: &[(&str, &str)]) -> (u16, String) {
    let r = app
        .client
        .post(app.url(path))
        .bearer_auth(token)
        .form(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap_or_default())
}

#[tokio::test]
async fn staff_override_a_grade_which_later_pulls_keep_and_the_certificate_follows() {
    let app = TestApp::spawn().await;
    let key = staff_key(&app).await;
    let run = course(&app, "course-v1:MITx+3.091x", Pacing::CertificateIn(30), false).await;
    let nia = learner(&app, "nia", &[run.run_id]).await;
    app.drain_outbox().await;
    edx_grade(&app, &key, "nia@example.com", &run.courseware_id, 0.4).await;
    app.run_job("generate-course-certificate").await;
    let (_, staff) = crate::support::enrollment::learner(&app, "gradestaff", true).await;
    let (user, run_id) = (nia.to_string(), run.run_id.to_string());

    let page = app
        .client
        .get(app.url("/staff/certificates/?email=nia@example.com"))
        .bearer_auth(&staff)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("nia Learner") && page.contains(&run.courseware_id),
        "{page}"
    );

    // Bad input: a 400 naming the field, nothing stored.
    for (grade, letter, field) in [("1.5", "A", "grade"), ("0.8", "Z", "letter_grade")] {
        let (status, body) = post_form(
            &app,
            &staff,
            "/staff/certificates/grade/",
            &[
                ("user_id", &user),
                ("run_id", &run_id),
                ("grade", grade),
                ("letter_grade", letter),
                ("reason", "r"),
            ],
        )
        .await;
        assert_eq!(status, 400, "{body}");
        assert!(body.contains(field) || body.contains("Allowed"), "{body}");
    }
    let (status, _) = post_form(
        &app,
        &staff,
        "/staff/certificates/grade/",
        &[
            ("user_id", &user),
            ("run_id", &run_id),
            ("grade", "0.9"),
            ("letter_grade", "A"),
            ("reason", ""),
        ],
    )
    .await;
    assert_eq!(status, 400, "a reason is required");
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM course_run_grades WHERE set_by_admin = 1")
            .await,
        0
    );

    // Without "mark passed" the override does not pass, so no certificate.
    let (status, _) = post_form(
        &app,
        &staff,
        "/staff/certificates/grade/",
        &[
            ("user_id", &user),
            ("run_id", &run_id),
            ("grade", "0.9"),
            ("letter_grade", "A"),
            ("reason", "regraded"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert!(run_certificate(&app, nia, run.run_id).await.is_none());
    // Forced pass: the certificate is issued now (a staff override is not held to the date).
    let (status, _) = post_form(
        &app,
        &staff,
        "/staff/certificates/grade/",
        &[
            ("user_id", &user),
            ("run_id", &run_id),
            ("grade", "0.9"),
            ("letter_grade", "A"),
            ("force_pass", "on"),
            ("reason", "regraded"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert!(run_certificate(&app, nia, run.run_id).await.is_some());
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM audit_log WHERE action = 'grade.override'")
            .await,
        2
    );
    // A later pull from edX leaves the staff grade.
    edx_grade(&app, &key, "nia@example.com", &run.courseware_id, 0.2).await;
    app.run_job("generate-course-certificate").await;
    assert_eq!(
        app.scalar_i64(
            "SELECT count(*) FROM course_run_grades WHERE grade = '0.9' AND passed = 1 AND set_by_admin = 1"
        )
        .await,
        1
    );

    let preview = app
        .client
        .get(app.url(&format!("/staff/certificates/preview/{}/", run.certificate_page)))
        .bearer_auth(&staff)
        .send()
        .await
        .unwrap();
    assert_eq!(preview.status(), 200);
    assert!(preview.text().await.unwrap().contains("Anthony M. Stark"));
    app.shutdown().await;
}
