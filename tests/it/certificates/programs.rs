//! Program certificates over HTTP: issued when the course certificate completing the tree is
//! created, shown in program enrollments and at `/certificate/program/{uuid}/`; a revoked one is
//! returned by the nightly reconciliation, never re-created; audit program enrollments are
//! upgraded when every required course is verified.

use mitxonline::catalog::store::{self as cat, NewNode};
use reqwest::Method;

use super::lifecycle::token_for;
use super::*;
use crate::support::enrollment::send;

#[tokio::test]
async fn completing_the_requirement_tree_issues_the_program_certificate_once() {
    let app = TestApp::spawn().await;
    let key = staff_key(&app).await;
    let a = course(&app, "course-v1:MITx+P1", Pacing::SelfPaced, false).await;
    let b = course(&app, "course-v1:MITx+P2", Pacing::SelfPaced, false).await;
    let e1 = course(&app, "course-v1:MITx+E1", Pacing::SelfPaced, false).await;
    let e2 = course(&app, "course-v1:MITx+E2", Pacing::SelfPaced, false).await;
    let (ca, cb, c1, c2) = (a.course_id, b.course_id, e1.course_id, e2.course_id);
    let program = program(&app, "program-v1:MITx+TREE", move |c, pid, root| {
        let all = cat::add_requirement(
            c,
            pid,
            root,
            0,
            &NewNode::AllOf {
                title: "Required Courses",
            },
        )?;
        cat::add_requirement(c, pid, all, 0, &NewNode::Course(ca))?;
        cat::add_requirement(c, pid, all, 1, &NewNode::Course(cb))?;
        let el = cat::add_requirement(
            c,
            pid,
            root,
            1,
            &NewNode::MinNumberOf {
                title: "Elective Courses",
                n: 1,
                elective: true,
            },
        )?;
        cat::add_requirement(c, pid, el, 0, &NewNode::Course(c1))?;
        cat::add_requirement(c, pid, el, 1, &NewNode::Course(c2))?;
        Ok(())
    })
    .await;
    let jo = learner(&app, "jo", &[a.run_id, b.run_id, e2.run_id]).await;
    enroll_program(&app, jo, program, Mode::Verified).await;
    app.drain_outbox().await;
    edx_grade(&app, &key, "jo@example.com", &a.courseware_id, 0.9).await;
    edx_grade(&app, &key, "jo@example.com", &e2.courseware_id, 0.9).await;
    let out = app.run_job("generate-course-certificate").await;
    assert!(
        out.detail.contains("2 created") && out.detail.contains("0 program"),
        "{}",
        out.detail
    );
    edx_grade(&app, &key, "jo@example.com", &b.courseware_id, 0.75).await;
    let out = app.run_job("generate-course-certificate").await;
    assert!(
        out.detail.contains("1 created") && out.detail.contains("1 program"),
        "{}",
        out.detail
    );

    let token = token_for(&app, jo).await;
    let (_, list) = send(&app, Method::GET, &token, "/api/v2/program_enrollments/", None).await;
    let uuid = list[0]["certificate"]["uuid"]
        .as_str()
        .expect("a program certificate")
        .to_owned();
    assert_eq!(
        list[0]["certificate"]["link"],
        format!("/certificate/program/{uuid}/")
    );
    let (status, body) = get_json(&app, &format!("/api/v2/program_certificates/{uuid}/")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["program"]["readable_id"], "program-v1:MITx+TREE");
    let html = app
        .get(&format!("/certificate/program/{uuid}/"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("program certificate in"), "{html}");
    let dash = |path: &'static str| {
        let req = app.client.get(app.url(path)).bearer_auth(&token);
        async move { req.send().await.unwrap().text().await.unwrap() }
    };
    let (courses, programs) = (dash("/dashboard/").await, dash("/dashboard/?tab=programs").await);
    assert_eq!(
        courses.matches("View certificate").count(),
        3,
        "three runs: {courses}"
    );
    assert_eq!(
        programs.matches("View certificate").count(),
        1,
        "and the program: {programs}"
    );

    // Revoked, the certificate is returned by the reconciliation, never created again.
    app.state
        .db
        .write(|c| c.execute("UPDATE program_certificates SET is_revoked = 1", []))
        .await
        .unwrap();
    let out = app.run_job("generate-missing-program-certificates").await;
    assert!(out.detail.contains("0 created"), "{}", out.detail);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM program_certificates").await,
        1
    );
    app.shutdown().await;
}

#[tokio::test]
async fn the_nightly_reconciliation_creates_missing_program_certificates_for_verified_enrollments_only() {
    let app = TestApp::spawn().await;
    let key = staff_key(&app).await;
    let a = course(&app, "course-v1:MITx+R1", Pacing::SelfPaced, false).await;
    let ca = a.course_id;
    let program = program_requiring(&app, "program-v1:MITx+LATE", vec![ca]).await;
    let kim = learner(&app, "kim", &[a.run_id]).await;
    let lee = learner(&app, "lee", &[a.run_id]).await;
    app.drain_outbox().await;
    edx_grade(&app, &key, "kim@example.com", &a.courseware_id, 0.9).await;
    edx_grade(&app, &key, "lee@example.com", &a.courseware_id, 0.9).await;
    // Certificates first, program enrollments afterwards: nothing triggered the programs.
    app.run_job("generate-course-certificate").await;
    enroll_program(&app, kim, program, Mode::Verified).await;
    enroll_program(&app, lee, program, Mode::Audit).await;
    let out = app.run_job("generate-missing-program-certificates").await;
    assert_eq!(out.status, "succeeded", "{}", out.detail);
    assert!(
        out.detail.contains("processed 1 program enrollments: 1 created"),
        "{}",
        out.detail
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM program_certificates").await,
        1
    );

    // Lee's audit program enrollment has every required course verified: upgraded at 01:00.
    let out = app.run_job("upgrade-eligible-program-enrollments").await;
    assert!(out.detail.contains("upgraded 1"), "{}", out.detail);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM program_enrollments WHERE enrollment_mode = 'verified'")
            .await,
        2
    );
    let out = app.run_job("generate-missing-program-certificates").await;
    assert!(out.detail.contains("1 created"), "{}", out.detail);
    app.shutdown().await;
}
