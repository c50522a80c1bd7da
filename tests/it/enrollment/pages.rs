//! The product page's enroll form and the learner dashboard, driven like a browser without
//! JavaScript: session cookie, CSRF field, redirects and the `user-message` cookie.

use crate::support::TestApp;
use crate::support::enrollment::*;
use crate::support::identity::{csrf_from, post_form, signed_in};

const C1: &str = "course-v1:MITx+8.01x+1T2026";

fn message(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("user-message="))
        .map(|v| {
            let raw = v.trim_start_matches("user-message=").split(';').next().unwrap();
            url::form_urlencoded::parse(format!("m={raw}").as_bytes())
                .next()
                .unwrap()
                .1
                .into_owned()
        })
}

#[tokio::test]
async fn the_enroll_form_redirects_to_the_dashboard_with_an_enrolled_message_and_the_dashboard_lists_the_course()
 {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx"]);
    let client = signed_in(&app, "formy@example.com", false).await;
    let run_id = run(&app, C1, OPEN).await.to_string();
    let r = post_form(&app, &client, "/profile/", "/enrollments/", &[("run", &run_id)]).await;
    assert_eq!(r.status(), 302);
    assert!(r.headers()["location"].to_str().unwrap().ends_with("/dashboard/"));
    assert_eq!(message(&r).as_deref(), Some(r#"{"type":"enrolled"}"#));
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM course_run_enrollments WHERE active = 1"
        )
        .await,
        1
    );

    let html = client
        .get(app.url("/dashboard/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(C1), "{html}");
    assert!(html.contains("Go to course"));
    assert!(html.contains("You are enrolled."));

    // Unenroll: a confirmation page first, then the POST.
    let id = app.scalar_i64("SELECT id FROM course_run_enrollments").await;
    let confirm = format!("/dashboard/enrollments/{id}/unenroll/");
    let page = client
        .get(app.url(&confirm))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Yes, unenroll"));
    assert!(!page.contains("refund"), "no refund warning for an unpaid course");
    // Once paid for, the confirmation warns about refunds.
    let user = app.scalar_i64("SELECT user_id FROM course_run_enrollments").await;
    let run_num: i64 = run_id.parse().unwrap();
    let now = app.state.clock.now();
    app.state
        .db
        .write(move |c| {
            mitxonline::enrollment::service::record_paid_run(c, now, user, run_num, 7)
                .map_err(mitxonline::db::DbError::from)
        })
        .await
        .unwrap();
    let page = client
        .get(app.url(&confirm))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("refund"), "refund warning for a paid course");
    let r = post_form(&app, &client, "/profile/", "/enrollments/", &[("run", &run_id)]).await;
    assert_eq!(r.status(), 302);
    assert_eq!(message(&r).as_deref(), Some(r#"{"type":"enroll-duplicated"}"#));
    let r = post_form(&app, &client, &confirm, &confirm, &[]).await;
    assert_eq!(r.status(), 302);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM course_run_enrollments WHERE active = 0 AND change_status = 'unenrolled'"
        )
        .await,
        1
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_closed_run_sends_the_learner_back_with_enroll_failed_and_an_unknown_run_without_a_message() {
    let app = TestApp::spawn().await;
    let client = signed_in(&app, "closed@example.com", false).await;
    let closed = run(
        &app,
        C1,
        RunSpec {
            enrollable: false,
            ..OPEN
        },
    )
    .await
    .to_string();
    let token = csrf_from(&app, &client, "/profile/").await;
    let referer = app.url("/courses/course-v1:MITx+8.01x/");
    let r = client
        .post(app.url("/enrollments/"))
        .header("referer", &referer)
        .form(&[("run", closed.as_str()), ("csrfmiddlewaretoken", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(r.headers()["location"], "/courses/course-v1:MITx+8.01x/");
    assert_eq!(message(&r).as_deref(), Some(r#"{"type":"enroll-failed"}"#));
    let r = client
        .post(app.url("/enrollments/"))
        .header("referer", "https://elsewhere.example/")
        .form(&[("run", "99999"), ("csrfmiddlewaretoken", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(r.headers()["location"], "/", "a foreign Referer is not followed");
    assert_eq!(message(&r), None);
    assert_eq!(
        count(&app, "SELECT count(*) FROM course_run_enrollments").await,
        0
    );
    // Without the CSRF field nothing happens.
    let r = client
        .post(app.url("/enrollments/"))
        .form(&[("run", closed.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    app.shutdown().await;
}

#[tokio::test]
async fn the_dashboard_asks_anonymous_visitors_to_sign_in() {
    let app = TestApp::spawn().await;
    let r = app.get("/dashboard/").await;
    assert!(r.status().is_redirection());
    assert!(r.headers()["location"].to_str().unwrap().contains("/login/"));
    app.shutdown().await;
}
