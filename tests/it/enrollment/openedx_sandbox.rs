//! The built-in sandbox Open edX (no MITXONLINE_OPENEDX_API_BASE_URL): account creation,
//! enrollment, per-user tokens, profile and email settings, staff-set grades pulled back, and
//! the repair job — all locally, through the same client and outbox as a real edX.

use std::time::Duration;

use chrono::{DateTime, Utc};
use mitxonline::integrations::openedx::jobs::{self, LearnerGrade};
use mitxonline::integrations::openedx::messages::{
    self, CreateUser, EmailSettings, Enroll, Unenroll, UpdateProfile,
};
use mitxonline::integrations::openedx::model::{EdxProfile, EnrollmentMode};
use mitxonline::integrations::openedx::{OpenEdx, store};
use mitxonline::users::api_keys::Scope;
use mitxonline::users::store::{NewUser, insert};
use rusqlite::Connection;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::support::TestApp;

pub const COURSE: &str = "course-v1:MITx+14.73x+3T2026";

pub async fn learner(app: &TestApp, email: &str, name: &str) -> i64 {
    let now = app.state.clock.now();
    let u = NewUser {
        email: email.into(),
        username: email.into(),
        name: name.into(),
        ..NewUser::default()
    };
    app.state.db.write(move |c| insert(c, &u, now)).await.unwrap()
}

pub async fn write<F>(app: &TestApp, f: F)
where
    F: FnOnce(&Connection, DateTime<Utc>) -> rusqlite::Result<i64> + Send + 'static,
{
    let now = app.state.clock.now();
    app.state.db.write(move |c| f(c, now)).await.unwrap();
}

pub async fn staff_get(app: &TestApp, key: &str, path: &str) -> (u16, Value) {
    let r = app
        .client
        .get(app.url(path))
        .header("authorization", format!("Api-Key {key}"))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

pub async fn staff_post(app: &TestApp, key: &str, path: &str, body: Value) -> (u16, Value) {
    let r = app
        .client
        .post(app.url(path))
        .header("authorization", format!("Api-Key {key}"))
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn enroll_then_grade_runs_end_to_end_against_the_sandbox() {
    let app = TestApp::spawn().await;
    let key = app.api_key(Scope::Staff).await;
    let id = learner(&app, "ada@example.com", "Ada Lovelace").await;
    write(&app, move |c, now| {
        let profile = EdxProfile {
            country: Some("US".into()),
            state: Some("MA".into()),
            ..EdxProfile::default()
        };
        messages::enqueue_create_user(
            c,
            now,
            &CreateUser {
                user_id: id,
                desired_username: None,
                profile: Some(profile),
            },
            "ada",
        )?;
        messages::enqueue_enroll(
            c,
            now,
            &Enroll {
                user_id: id,
                course_id: COURSE.into(),
                mode: EnrollmentMode::Verified,
            },
            "ada-1",
        )
    })
    .await;
    let r = app.drain_outbox().await;
    assert_eq!((r.delivered, r.dead), (2, 0));

    let (status, snap) = staff_get(&app, &key, "/api/v0/staff/openedx/sandbox/").await;
    assert_eq!(status, 200);
    assert_eq!(
        snap["users"][0]["username"], "ada-lovelace",
        "email-like usernames are usernameified"
    );
    assert_eq!(
        snap["enrollments"][0],
        json!({ "username": "ada-lovelace", "course_id": COURSE, "mode": "verified", "is_active": 1 })
    );
    // Registration also fetched the learner's per-user tokens through the sandbox OAuth2 flow.
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM openedx_api_auth WHERE access_token IS NOT NULL")
            .await,
        1
    );
    let (_, mine) = staff_get(&app, &key, &format!("/api/v0/staff/openedx/users/{id}/")).await;
    assert_eq!(mine["has_been_synced"], true);

    let (status, body) = staff_post(
        &app,
        &key,
        "/api/v0/staff/openedx/sandbox/grades/",
        json!({ "email": "ada@example.com", "course_id": COURSE, "percent": 0.85, "letter_grade": "A" }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["passed"], true);

    let edx = OpenEdx::from_state(&app.state);
    let (grades, unknown) = jobs::pull_course_grades(&app.state, &edx, COURSE).await.unwrap();
    assert_eq!(unknown, 0);
    assert_eq!(
        grades,
        [LearnerGrade {
            user_id: id,
            courseware_id: COURSE.into(),
            grade: Decimal::new(85, 2),
            passed: true,
            letter_grade: Some("A".into())
        }]
    );
    let one = edx
        .client
        .user_grade("ada-lovelace", COURSE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(one.percent, Decimal::new(85, 2));
    app.shutdown().await;
}

#[tokio::test]
async fn profile_email_settings_and_unenroll_use_per_user_tokens_that_refresh_and_recover_from_invalid_grant()
{
    let app = TestApp::spawn().await;
    let id = learner(&app, "grace@example.com", "Grace Hopper").await;
    write(&app, move |c, now| {
        messages::enqueue_create_user(
            c,
            now,
            &CreateUser {
                user_id: id,
                desired_username: Some("ghopper".into()),
                profile: None,
            },
            "g",
        )?;
        messages::enqueue_enroll(
            c,
            now,
            &Enroll {
                user_id: id,
                course_id: COURSE.into(),
                mode: EnrollmentMode::Audit,
            },
            "g-1",
        )
    })
    .await;
    assert_eq!(app.drain_outbox().await.delivered, 2);
    let first_token: String = app
        .state
        .db
        .read(|c| c.query_row("SELECT access_token FROM openedx_api_auth", [], |r| r.get(0)))
        .await
        .unwrap();

    // Two hours later the access token has expired: the next call refreshes it.
    app.advance(Duration::from_secs(7200));
    write(&app, move |c, now| {
        let p = EdxProfile {
            country: Some("US".into()),
            year_of_birth: Some(1906),
            gender: Some("f".into()),
            ..EdxProfile::default()
        };
        messages::enqueue_update_profile(
            c,
            now,
            &UpdateProfile {
                user_id: id,
                profile: p,
            },
            "g-p1",
        )?;
        messages::enqueue_email_settings(
            c,
            now,
            &EmailSettings {
                user_id: id,
                course_id: COURSE.into(),
                subscribe: false,
            },
            "g-e1",
        )
    })
    .await;
    assert_eq!(app.drain_outbox().await.delivered, 2);
    let (token, refreshed): (String, String) = app
        .state
        .db
        .read(|c| {
            c.query_row(
                "SELECT access_token, refresh_token FROM openedx_api_auth",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
        })
        .await
        .unwrap();
    assert_ne!(token, first_token);
    assert_eq!(
        app.scalar_i64("SELECT year_of_birth FROM openedx_sandbox_users WHERE username = 'ghopper'")
            .await,
        1906
    );
    assert_eq!(
        app.scalar_i64("SELECT receive_emails FROM openedx_sandbox_email_settings")
            .await,
        0
    );

    // edX forgets every token (a password reset there): refresh answers invalid_grant, the
    // stored pair is cleared and the full flow runs again.
    app.state
        .db
        .write(|c| c.execute("DELETE FROM openedx_sandbox_tokens", []))
        .await
        .unwrap();
    app.advance(Duration::from_secs(7200));
    write(&app, move |c, now| {
        messages::enqueue_email_settings(
            c,
            now,
            &EmailSettings {
                user_id: id,
                course_id: COURSE.into(),
                subscribe: true,
            },
            "g-e2",
        )?;
        messages::enqueue_unenroll(
            c,
            now,
            &Unenroll {
                user_id: id,
                course_id: COURSE.into(),
            },
            "g-u1",
        )
    })
    .await;
    assert_eq!(app.drain_outbox().await.delivered, 2);
    let refresh_now: String = app
        .state
        .db
        .read(|c| c.query_row("SELECT refresh_token FROM openedx_api_auth", [], |r| r.get(0)))
        .await
        .unwrap();
    assert_ne!(refresh_now, refreshed);
    assert_eq!(
        app.scalar_i64("SELECT receive_emails FROM openedx_sandbox_email_settings")
            .await,
        1
    );
    assert_eq!(
        app.scalar_i64("SELECT is_active FROM openedx_sandbox_enrollments")
            .await,
        0
    );
    assert_eq!(
        app.scalar_i64("SELECT is_active FROM openedx_enrollment_sync")
            .await,
        0
    );
    app.shutdown().await;
}

#[tokio::test]
async fn the_repair_job_creates_edx_accounts_for_learners_who_logged_in_but_were_never_synced() {
    let app = TestApp::spawn().await;
    let id = learner(&app, "late@example.com", "Late Learner").await;
    let never = learner(&app, "never@example.com", "Never Logged In").await;
    let _ = never;
    app.state
        .db
        .write(move |c| c.execute("UPDATE users SET last_login = created_on WHERE id = ?1", [id]))
        .await
        .unwrap();
    // Too new: nothing to repair yet.
    let run = app.run_job("repair-faulty-edx-users").await;
    assert_eq!(run.status, "succeeded");
    assert!(run.detail.contains("queued 0"), "{}", run.detail);
    app.advance(Duration::from_secs(600));
    let run = app.run_job("repair-faulty-edx-users").await;
    assert!(
        run.detail.contains("queued 1 edX account creations"),
        "{}",
        run.detail
    );
    // Running again in the same half hour queues nothing new.
    app.run_job("repair-faulty-edx-users").await;
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM outbox WHERE kind = 'create_user'")
            .await,
        1
    );
    assert_eq!(app.drain_outbox().await.delivered, 1);
    let row = app
        .state
        .db
        .read(move |c| store::find_by_user(c, id))
        .await
        .unwrap()
        .unwrap();
    assert!(row.has_been_synced);
    assert_eq!(row.edx_username.as_deref(), Some("late-learner"));
    // Synced with tokens: no longer faulty.
    app.advance(Duration::from_secs(1800));
    let run = app.run_job("repair-faulty-edx-users").await;
    assert!(
        run.detail.contains("queued 0 edX account creations and 0 token"),
        "{}",
        run.detail
    );
    app.shutdown().await;
}

#[tokio::test]
async fn staff_grade_input_is_validated_and_bad_input_changes_nothing() {
    let app = TestApp::spawn().await;
    let key = app.api_key(Scope::Staff).await;
    let catalog_key = app.api_key(Scope::Catalog).await;
    for (body, field) in [
        (
            json!({ "username": "nobody", "course_id": COURSE, "percent": 0.5 }),
            "username",
        ),
        (
            json!({ "username": "nobody", "course_id": COURSE, "percent": 1.5 }),
            "percent",
        ),
        (
            json!({ "username": "nobody", "course_id": COURSE, "percent": "lots" }),
            "percent",
        ),
        (
            json!({ "username": "nobody", "course_id": "", "percent": 0.5 }),
            "course_id",
        ),
    ] {
        let (status, err) = staff_post(&app, &key, "/api/v0/staff/openedx/sandbox/grades/", body).await;
        assert_eq!(status, 400);
        assert!(err.get(field).is_some(), "{err}");
    }
    let (status, _) = staff_post(
        &app,
        &catalog_key,
        "/api/v0/staff/openedx/sandbox/grades/",
        json!({}),
    )
    .await;
    assert_eq!(status, 403);
    let r = app
        .post_json("/api/v0/staff/openedx/sandbox/grades/", &json!({}))
        .await;
    assert_eq!(r.status(), 401);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM openedx_sandbox_grades")
            .await,
        0
    );
    assert_eq!(app.scalar_i64("SELECT count(*) FROM audit_log").await, 0);
    app.shutdown().await;
}
