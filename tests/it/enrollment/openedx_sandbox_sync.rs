//! The sandbox Open edX feeding the nightly course-run sync and the hourly grade pull.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use mitxonline::integrations::openedx::OpenEdx;
use mitxonline::integrations::openedx::jobs::{
    self, CourseRunCatalog, CourseRunUpdate, GradeSink, LearnerGrade,
};
use mitxonline::integrations::openedx::messages::{self, CreateUser, Enroll};
use mitxonline::integrations::openedx::model::EnrollmentMode;
use mitxonline::users::api_keys::Scope;
use rusqlite::Connection;
use serde_json::{Value, json};

use super::openedx_sandbox::{COURSE, learner, staff_get, staff_post, write};
use crate::support::TestApp;

struct Catalog;

impl CourseRunCatalog for Catalog {
    fn keys_to_sync(&self, _c: &Connection, _now: DateTime<Utc>) -> rusqlite::Result<Vec<String>> {
        Ok(vec![COURSE.into(), "course-v1:MITx+Gone+1T2020".into()])
    }
    fn apply(&self, c: &Connection, u: &CourseRunUpdate, _now: DateTime<Utc>) -> rusqlite::Result<bool> {
        c.execute(
            "INSERT INTO settings (key, value, updated_on) VALUES (?1, ?2, '') ON CONFLICT (key) DO UPDATE SET value = ?2",
            rusqlite::params![
                format!("test.run.{}", u.courseware_id),
                json!({ "title": u.title, "self_paced": u.is_self_paced, "cert": u.certificate_available_date.map(|d| d.to_rfc3339()) }).to_string()
            ],
        )?;
        Ok(true)
    }
}

struct Sink;

impl GradeSink for Sink {
    fn runs_to_grade(&self, _c: &Connection, _now: DateTime<Utc>) -> rusqlite::Result<Vec<String>> {
        Ok(vec![COURSE.into()])
    }
    fn apply(&self, c: &Connection, g: &LearnerGrade, _now: DateTime<Utc>) -> rusqlite::Result<bool> {
        c.execute(
            "INSERT INTO settings (key, value, updated_on) VALUES (?1, ?2, '')",
            rusqlite::params![format!("test.grade.{}", g.user_id), g.grade.to_string()],
        )?;
        Ok(true)
    }
}

#[tokio::test]
async fn course_run_sync_and_grade_pull_apply_what_the_sandbox_edx_says() {
    let app = TestApp::spawn().await;
    let key = app.api_key(Scope::Staff).await;
    let (status, _) = staff_post(
        &app,
        &key,
        "/api/v0/staff/openedx/sandbox/courses/",
        json!({ "course_id": COURSE, "name": "The Challenges of Global Poverty", "pacing": "self",
            "start": "2026-09-01T00:00:00Z", "end": "2026-12-15T00:00:00Z" }),
    )
    .await;
    assert_eq!(status, 200);
    let edx = OpenEdx::from_state(&app.state);
    let report = jobs::sync_course_runs(&app.state, &edx, Arc::new(Catalog))
        .await
        .unwrap();
    assert_eq!((report.asked, report.answered, report.changed), (2, 1, 1));
    let stored: String = app
        .state
        .db
        .read(|c| {
            c.query_row(
                "SELECT value FROM settings WHERE key LIKE 'test.run.%'",
                [],
                |r| r.get(0),
            )
        })
        .await
        .unwrap();
    let stored: Value = serde_json::from_str(&stored).unwrap();
    assert_eq!(stored["title"], "The Challenges of Global Poverty");
    assert_eq!(stored["self_paced"], true);
    assert_eq!(
        stored["cert"], "2026-12-15T00:00:00+00:00",
        "certificate date falls back to the end date"
    );

    let id = learner(&app, "pat@example.com", "Pat").await;
    write(&app, move |c, now| {
        messages::enqueue_create_user(
            c,
            now,
            &CreateUser {
                user_id: id,
                desired_username: None,
                profile: None,
            },
            "pat",
        )?;
        messages::enqueue_enroll(
            c,
            now,
            &Enroll {
                user_id: id,
                course_id: COURSE.into(),
                mode: EnrollmentMode::Audit,
            },
            "pat-1",
        )
    })
    .await;
    app.drain_outbox().await;
    staff_post(
        &app,
        &key,
        "/api/v0/staff/openedx/sandbox/grades/",
        json!({ "username": "pat", "course_id": COURSE, "percent": "0.4" }),
    )
    .await;
    let report = jobs::pull_grades(&app.state, &edx, Arc::new(Sink)).await.unwrap();
    assert_eq!((report.asked, report.answered, report.changed), (1, 1, 1));
    assert_eq!(app.scalar_i64("SELECT count(*) FROM settings WHERE key = 'test.grade.' || (SELECT id FROM users WHERE email = 'pat@example.com') AND value = '0.4'").await, 1);
    app.shutdown().await;
}

/// The crash window of issue 20: edX registered the learner, then our server died before the
/// `create_user` message was marked delivered. The state it leaves (edX has the account; our
/// row holds the username, unsynced; the message still pending) is rebuilt here: the
/// redelivery finds the account by email and adopts it, and the enrollment behind it arrives.
#[tokio::test]
async fn a_registration_whose_answer_was_lost_is_adopted_on_redelivery_and_the_enrollment_arrives() {
    let app = TestApp::spawn().await;
    let key = app.api_key(Scope::Staff).await;
    let id = learner(&app, "lost@example.com", "Lost Answer").await;
    let create = move |c: &Connection, now, key: &str| {
        let msg = CreateUser {
            user_id: id,
            desired_username: None,
            profile: None,
        };
        messages::enqueue_create_user(c, now, &msg, key)
    };
    write(&app, move |c, now| create(c, now, "first")).await;
    assert_eq!(app.drain_outbox().await.delivered, 1);

    // edX's commit stands; our acknowledgement was lost.
    write(&app, move |c, now| {
        c.execute(
            "UPDATE openedx_users SET has_been_synced = 0 WHERE user_id = ?1",
            [id],
        )?;
        create(c, now, "redelivery")?;
        let e = Enroll {
            user_id: id,
            course_id: COURSE.into(),
            mode: EnrollmentMode::Audit,
        };
        messages::enqueue_enroll(c, now, &e, "lost-1")
    })
    .await;
    let r = app.drain_outbox().await;
    assert_eq!((r.delivered, r.dead), (2, 0));
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM outbox WHERE permanent_failures > 0")
            .await,
        0
    );
    let (_, snap) = staff_get(&app, &key, "/api/v0/staff/openedx/sandbox/").await;
    assert_eq!(snap["users"].as_array().unwrap().len(), 1, "{snap}");
    assert_eq!(
        snap["enrollments"][0],
        json!({ "username": "lost-answer", "course_id": COURSE, "mode": "audit", "is_active": 1 })
    );
    let (_, mine) = staff_get(&app, &key, &format!("/api/v0/staff/openedx/users/{id}/")).await;
    assert_eq!(mine["has_been_synced"], true);
    assert_eq!(mine["edx_username"], "lost-answer");
    app.shutdown().await;
}

/// 250 graded learners (three pages of 100, usernames whose order differs from their ids):
/// the pull follows the sandbox's cursor pages and returns each learner exactly once.
#[tokio::test]
async fn grade_pull_follows_cursor_pages_and_returns_each_learner_once() {
    let app = TestApp::builder().spawn().await;
    app.expect_undelivered_outbox();
    write(&app, |c, now| {
        let ts = mitxonline::clock::to_db(now);
        for i in 0..250 {
            // Reverse order: the learner with the highest id has the smallest username.
            let name = format!("p{:03}+x", 249 - i);
            c.execute(
                "INSERT INTO users (email, username, name, created_on, updated_on) VALUES (?1, ?2, 'P', ?3, ?3)",
                rusqlite::params![format!("p{i}@example.com"), format!("p{i}"), ts],
            )?;
            let user = c.last_insert_rowid();
            c.execute(
                "INSERT INTO openedx_users (user_id, edx_username, has_been_synced, created_on, updated_on) VALUES (?1, ?2, 1, ?3, ?3)",
                rusqlite::params![user, name, ts],
            )?;
            c.execute(
                "INSERT INTO openedx_sandbox_users (username, email, name, created_on) VALUES (?1, ?2, 'P', ?3)",
                rusqlite::params![name, format!("p{i}@example.com"), ts],
            )?;
            c.execute(
                "INSERT INTO openedx_sandbox_grades (username, course_id, percent, passed, letter_grade, updated_on) VALUES (?1, ?2, '0.5', 1, 'C', ?3)",
                rusqlite::params![name, COURSE, ts],
            )?;
        }
        Ok(0)
    })
    .await;
    let edx = OpenEdx::from_state(&app.state);
    let (grades, unknown) = jobs::pull_course_grades(&app.state, &edx, COURSE).await.unwrap();
    assert_eq!(unknown, 0);
    assert_eq!(grades.len(), 250);
    let distinct: std::collections::HashSet<i64> = grades.iter().map(|g| g.user_id).collect();
    assert_eq!(distinct.len(), 250, "a learner was listed twice or skipped");
}
