//! Every 4xx of `POST /api/v2/verified_program_enrollments/{run}/`, each with a message naming
//! the problem, and each leaving every table as it was.

use mitxonline::enrollment::model::Mode;
use serde_json::{Value, json};

use crate::support::TestApp;
use crate::support::commerce::learner;
use crate::support::program_flow::*;

const DEDP: &str = "program-v1:MITx+DEDP";

/// Posts `body` and checks the status, that the message contains `says`, and that nothing
/// changed anywhere.
async fn refused(app: &TestApp, client: &reqwest::Client, run: &str, body: Value, status: u16, says: &str) {
    let before = snapshot(app).await;
    let (got, answer) = post_vpe(app, client, run, &body).await;
    assert_eq!(got, status, "{body} -> {answer}");
    assert!(
        answer.to_string().contains(says),
        "{body}: expected a message containing {says:?}, got {answer}"
    );
    assert_eq!(snapshot(app).await, before, "{body} changed something");
}

#[tokio::test]
async fn a_body_that_is_not_a_list_of_one_or_two_program_ids_is_a_400_naming_the_problem() {
    let app = TestApp::spawn().await;
    let prog = program(&app, DEDP, Some("1000.00")).await;
    let (_, key) = course_run(&app, "BODY", Some(prog), UPGRADABLE).await;
    let (user, client) = learner(&app, "body@example.com").await;
    enroll_in_program(&app, user, prog.0, Mode::Verified).await;
    let cases = [
        (json!({ "programs": [DEDP] }), "list of 1 to 2"),
        (json!(DEDP), "list of 1 to 2"),
        (json!([]), "got 0"),
        (json!([DEDP, "program-v1:MITx+A", "program-v1:MITx+B"]), "got 3"),
        (json!([42]), "readable id"),
        (json!([DEDP, null]), "readable id"),
        (json!([""]), "readable id"),
    ];
    for (body, says) in cases {
        refused(&app, &client, &key, body, 400, says).await;
    }
    // Not JSON at all.
    let r = client
        .post(app.url(&format!("/api/v2/verified_program_enrollments/{key}/")))
        .header("Content-Type", "application/json")
        .body("[\"program-v1:MITx+DEDP\"")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("Malformed JSON"));
}

#[tokio::test]
async fn unknown_programs_programs_without_an_enrollment_and_unknown_runs_are_404s() {
    let app = TestApp::spawn().await;
    let prog = program(&app, DEDP, Some("1000.00")).await;
    let other = program(&app, "program-v1:MITx+OTHER", Some("10.00")).await;
    let (_, key) = course_run(&app, "NF", Some(prog), UPGRADABLE).await;
    let (user, client) = learner(&app, "nf@example.com").await;
    enroll_in_program(&app, user, prog.0, Mode::Verified).await;
    refused(
        &app,
        &client,
        &key,
        json!(["program-v1:MITx+NOPE"]),
        404,
        "No enrollment",
    )
    .await;
    refused(
        &app,
        &client,
        &key,
        json!([DEDP, "program-v1:MITx+NOPE"]),
        404,
        "No enrollment",
    )
    .await;
    refused(&app, &client, &key, json!([DEDP, DEDP]), 404, "No enrollment").await;
    refused(
        &app,
        &client,
        &key,
        json!(["program-v1:MITx+OTHER"]),
        404,
        "No enrollment",
    )
    .await;
    refused(
        &app,
        &client,
        "course-v1:MITx+NOPE+1T2026",
        json!([DEDP]),
        404,
        "course-v1:MITx+NOPE+1T2026",
    )
    .await;
    // A source run is hidden, as in the original.
    let (source, source_key) = course_run(&app, "SOURCE", Some(prog), UPGRADABLE).await;
    app.state
        .db
        .write(move |c| {
            c.execute("UPDATE course_runs SET is_source_run = 1 WHERE id = ?1", [source])
                .map_err(mitxonline::db::DbError::from)
        })
        .await
        .unwrap();
    refused(&app, &client, &source_key, json!([DEDP]), 404, "No course run").await;
    // An unenrolled program enrollment does not count.
    let now = app.state.clock.now();
    let o = other.0;
    app.state
        .db
        .write(move |c| {
            mitxonline::enrollment::service::enroll_program(
                c,
                now,
                user,
                o,
                Mode::Verified,
                &mitxonline::enrollment::model::Actor::system("test"),
            )?;
            mitxonline::enrollment::service::unenroll_program(
                c,
                now,
                user,
                o,
                mitxonline::enrollment::model::ChangeStatus::Unenrolled,
                &mitxonline::enrollment::model::Actor::system("test"),
            )
            .map(|_| ())
        })
        .await
        .unwrap();
    refused(
        &app,
        &client,
        &key,
        json!(["program-v1:MITx+OTHER"]),
        404,
        "No enrollment",
    )
    .await;
}

#[tokio::test]
async fn programs_that_are_not_parent_and_child_are_a_400_naming_both_and_enroll_in_neither() {
    let app = TestApp::spawn().await;
    let a = program(&app, "program-v1:MITx+A", Some("10.00")).await;
    let b = program(&app, "program-v1:MITx+B", Some("10.00")).await;
    let (_, key) = course_run(&app, "UNREL", Some(b), UPGRADABLE).await;
    let (user, client) = learner(&app, "unrelated@example.com").await;
    enroll_in_program(&app, user, a.0, Mode::Verified).await;
    refused(
        &app,
        &client,
        &key,
        json!(["program-v1:MITx+A", "program-v1:MITx+B"]),
        400,
        "`program-v1:MITx+A` and `program-v1:MITx+B` are not parent and child",
    )
    .await;
    assert_eq!(program_mode(&app, user, b.0).await, None);

    // Each requiring the other is refused too.
    add_sub_program(&app, a, b.0).await;
    add_sub_program(&app, b, a.0).await;
    refused(
        &app,
        &client,
        &key,
        json!(["program-v1:MITx+A", "program-v1:MITx+B"]),
        400,
        "not parent and child",
    )
    .await;
}

#[tokio::test]
async fn a_verified_sub_program_under_an_audit_parent_is_a_400_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let parent = program(&app, "program-v1:MITx+PARENT", Some("2000.00")).await;
    let child = program(&app, "program-v1:MITx+CHILD", Some("500.00")).await;
    add_sub_program(&app, parent, child.0).await;
    let (run, key) = course_run(&app, "CHILD1", Some(child), UPGRADABLE).await;
    let (user, client) = learner(&app, "child@example.com").await;
    enroll_in_program(&app, user, child.0, Mode::Verified).await;
    enroll_in_program(&app, user, parent.0, Mode::Audit).await;
    refused(
        &app,
        &client,
        &key,
        json!(["program-v1:MITx+PARENT", "program-v1:MITx+CHILD"]),
        400,
        "no verified enrollment in `program-v1:MITx+PARENT`",
    )
    .await;
    assert_eq!(run_mode(&app, user, run).await, None);
}

#[tokio::test]
async fn a_closed_run_is_a_400_on_the_audit_and_the_verified_path_with_no_order() {
    let app = TestApp::spawn().await;
    let prog = program(&app, DEDP, Some("1000.00")).await;
    let closed = RunOpts {
        enrollable: false,
        ..UPGRADABLE
    };
    let (_, upgradable_key) = course_run(&app, "CLOSED1", Some(prog), closed).await;
    let (_, audit_only_key) = course_run(
        &app,
        "CLOSED2",
        Some(prog),
        RunOpts {
            product: false,
            ..closed
        },
    )
    .await;
    let (user, client) = learner(&app, "closedrun@example.com").await;
    enroll_in_program(&app, user, prog.0, Mode::Verified).await;
    for key in [upgradable_key, audit_only_key] {
        refused(&app, &client, &key, json!([DEDP]), 400, "not open for enrollment").await;
    }
}

#[tokio::test]
async fn a_verified_program_without_a_product_is_a_400_and_creates_no_discount() {
    let app = TestApp::spawn().await;
    let prog = program(&app, DEDP, None).await;
    let (_, key) = course_run(&app, "NOPROD", Some(prog), UPGRADABLE).await;
    let (user, client) = learner(&app, "noprod@example.com").await;
    enroll_in_program(&app, user, prog.0, Mode::Verified).await;
    refused(&app, &client, &key, json!([DEDP]), 400, "no active product").await;
}

#[tokio::test]
async fn a_learner_in_a_blocked_country_is_refused_on_both_paths() {
    let app = TestApp::spawn().await;
    let prog = program(&app, DEDP, Some("1000.00")).await;
    let (run, key) = course_run(&app, "BLOCK", Some(prog), UPGRADABLE).await;
    let (user, client) = learner(&app, "blocked@example.com").await;
    app.state
        .db
        .write(move |c| {
            c.execute("UPDATE legal_addresses SET country = 'IR' WHERE user_id = ?1", [user])?;
            c.execute(
                "INSERT INTO blocked_countries (course_id, country) SELECT course_id, 'IR' FROM course_runs WHERE id = ?1",
                [run],
            )
            .map_err(mitxonline::db::DbError::from)
        })
        .await
        .unwrap();
    enroll_in_program(&app, user, prog.0, Mode::Verified).await;
    refused(
        &app,
        &client,
        &key,
        json!([DEDP]),
        400,
        "not available in your country",
    )
    .await;
    let (user2, client2) = learner(&app, "blocked2@example.com").await;
    app.state
        .db
        .write(move |c| {
            c.execute(
                "UPDATE legal_addresses SET country = 'IR' WHERE user_id = ?1",
                [user2],
            )
            .map_err(mitxonline::db::DbError::from)
        })
        .await
        .unwrap();
    enroll_in_program(&app, user2, prog.0, Mode::Audit).await;
    refused(
        &app,
        &client2,
        &key,
        json!([DEDP]),
        400,
        "not available in your country",
    )
    .await;
}

#[tokio::test]
async fn an_anonymous_request_is_refused() {
    let app = TestApp::spawn().await;
    let prog = program(&app, DEDP, Some("1000.00")).await;
    let (_, key) = course_run(&app, "ANON", Some(prog), UPGRADABLE).await;
    let before = snapshot(&app).await;
    let (status, _) = post_vpe(&app, &crate::support::client(), &key, &json!([DEDP])).await;
    assert_eq!(status, 403);
    assert_eq!(snapshot(&app).await, before);
}

#[tokio::test]
async fn a_cookie_session_needs_the_csrf_token_like_every_other_v2_post() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx"]);
    let prog = program(&app, DEDP, Some("1000.00")).await;
    let (run, key) = course_run(&app, "CSRF", Some(prog), UPGRADABLE).await;
    let client = crate::support::identity::signed_in(&app, "csrf@example.com", false).await;
    let user = app
        .scalar_i64("SELECT id FROM users WHERE email = 'csrf@example.com'")
        .await;
    enroll_in_program(&app, user, prog.0, Mode::Verified).await;
    let before = snapshot(&app).await;
    let (status, _) = post_vpe(&app, &client, &key, &json!([DEDP])).await;
    assert_eq!(status, 403);
    assert_eq!(snapshot(&app).await, before);
    let token = crate::support::identity::header_token(&app, &client).await;
    let r = client
        .post(app.url(&format!("/api/v2/verified_program_enrollments/{key}/")))
        .header("X-CSRFToken", token)
        .json(&json!([DEDP]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(run_mode(&app, user, run).await.as_deref(), Some("verified"));
}
