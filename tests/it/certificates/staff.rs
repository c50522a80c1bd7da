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

async fn get_page(app: &TestApp, token: &str, path: &str) -> (u16, String) {
    let r = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap_or_default())
}

async fn offered_schools(app: &TestApp, token: &str) -> Vec<String> {
    let (status, body) = get_page(app, token, "/api/v1/partnerschools/").await;
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn staff_add_and_remove_partner_schools_which_learners_are_then_offered_or_not() {
    let app = TestApp::spawn().await;
    let (_, staff) = crate::support::enrollment::learner(&app, "schoolstaff", true).await;
    let (_, learner) = crate::support::enrollment::learner(&app, "schoolkid", false).await;
    let path = "/staff/certificates/partner-schools/";
    let (status, page) = get_page(&app, &staff, path).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("No partner schools."), "{page}");
    assert!(offered_schools(&app, &learner).await.is_empty());

    // Not staff: refused, nothing added.
    let (status, _) = post_form(
        &app,
        &learner,
        "/staff/certificates/partner-schools/add/",
        &[("name", "Sneaky U"), ("email", "s@example.edu")],
    )
    .await;
    assert_eq!(status, 403);
    // Bad input: a 400 naming the field, nothing added.
    for (name, email, field, message) in [
        ("", "a@example.edu", "name", "Enter the name of the school"),
        (
            "Example Tech",
            "not-an-email",
            "email",
            "Enter a valid email address.",
        ),
    ] {
        let (status, body) = post_form(
            &app,
            &staff,
            "/staff/certificates/partner-schools/add/",
            &[("name", name), ("email", email)],
        )
        .await;
        assert_eq!(status, 400, "{body}");
        assert!(body.contains(field) && body.contains(message), "{field}: {body}");
    }
    assert_eq!(app.scalar_i64("SELECT count(*) FROM partner_schools").await, 0);

    for (name, email) in [
        ("Example Tech", "admit@example.edu"),
        ("Sample State", "grad@example.org"),
    ] {
        let (status, _) = post_form(
            &app,
            &staff,
            "/staff/certificates/partner-schools/add/",
            &[("name", name), ("email", email)],
        )
        .await;
        assert_eq!(status, 303);
    }
    let (_, page) = get_page(&app, &staff, path).await;
    assert!(
        page.contains("Example Tech") && page.contains("admit@example.edu") && page.contains("Sample State"),
        "{page}"
    );
    assert_eq!(
        offered_schools(&app, &learner).await,
        ["Example Tech", "Sample State"]
    );

    let tech = app
        .scalar_i64("SELECT id FROM partner_schools WHERE name = 'Example Tech'")
        .await
        .to_string();
    for (id, message) in [
        ("x", "Choose a partner school."),
        ("9999", "No such partner school."),
    ] {
        let (status, body) = post_form(
            &app,
            &staff,
            "/staff/certificates/partner-schools/remove/",
            &[("id", id)],
        )
        .await;
        assert_eq!(status, 400, "{body}");
        assert!(body.contains("id") && body.contains(message), "{body}");
    }
    let (status, _) = post_form(
        &app,
        &staff,
        "/staff/certificates/partner-schools/remove/",
        &[("id", &tech)],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(offered_schools(&app, &learner).await, ["Sample State"]);
    let (_, page) = get_page(&app, &staff, path).await;
    assert!(
        !page.contains("Example Tech") && page.contains("Sample State"),
        "{page}"
    );
    // Removing it again: it is no longer there.
    let (status, _) = post_form(
        &app,
        &staff,
        "/staff/certificates/partner-schools/remove/",
        &[("id", &tech)],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM audit_log WHERE action = 'partner_school.create' AND object_type = 'partner_school'").await,
        2
    );
    let id = tech.clone();
    let removed: i64 = app
        .state
        .db
        .read(move |c| {
            c.query_row(
                "SELECT count(*) FROM audit_log WHERE action = 'partner_school.remove' AND object_id = ?1
                 AND actor_label <> '' AND json_extract(data_after, '$.is_active') = 0",
                [id],
                |r| r.get(0),
            )
        })
        .await
        .unwrap();
    assert_eq!(removed, 1);
    app.shutdown().await;
}
