//! Shared steps of the enrollment tests: learners with bearer tokens, runs in the catalog,
//! an app wired to a scripted edX.

use std::time::Duration;

use mitxonline::catalog::store::{self as cat, NewCourse, NewRun};
use mitxonline::db::DbError;
use mitxonline::integrations::openedx::store as edx_store;
use mitxonline::users::store::{NewUser, insert};
use serde_json::{Value, json};

use crate::support::TestApp;
use crate::support::fake::Reply;

pub async fn app_with_edx(url: &str) -> TestApp {
    TestApp::builder()
        .env("MITXONLINE_OPENEDX_API_BASE_URL", url)
        .env("MITXONLINE_OPENEDX_SERVICE_TOKEN", "svc")
        .env("MITXONLINE_OUTBOX_BASE_BACKOFF", "1s")
        .spawn()
        .await
}

/// A learner (staff if asked) and a bearer token for them.
pub async fn learner(app: &TestApp, username: &str, staff: bool) -> (i64, String) {
    let now = app.state.clock.now();
    let u = NewUser {
        email: format!("{username}@example.com"),
        username: username.into(),
        name: "Test Learner".into(),
        is_staff: staff,
        ..NewUser::default()
    };
    app.state
        .db
        .write(move |c| {
            let id = insert(c, &u, now)?;
            // Test callers authenticate by a staff-minted bearer token, which only service accounts hold.
            mitxonline::users::store::set_service_account(c, id, true, now)?;
            let token = mitxonline::users::sessions::issue_access_token(
                c,
                id,
                "test",
                chrono::Duration::days(1),
                now,
            )?;
            Ok::<_, DbError>((id, token))
        })
        .await
        .unwrap()
}

/// Marks the learner's edX account as existing under their username.
pub async fn synced(app: &TestApp, user_id: i64, edx_username: &'static str) {
    let now = app.state.clock.now();
    app.state
        .db
        .write(move |c| {
            edx_store::get_or_create(c, user_id, now)?;
            edx_store::set_username(c, user_id, edx_username, Some(edx_username), now)?;
            edx_store::mark_synced(c, user_id, now)
        })
        .await
        .unwrap();
}

#[derive(Clone, Copy)]
pub struct RunSpec {
    pub enrollable: bool,
    pub b2b: bool,
    pub blocked: Option<&'static str>,
}

pub const OPEN: RunSpec = RunSpec {
    enrollable: true,
    b2b: false,
    blocked: None,
};

/// A live course with one run; returns the run id.
pub async fn run(app: &TestApp, courseware_id: &'static str, spec: RunSpec) -> i64 {
    let now = app.state.clock.now();
    app.state
        .db
        .write(move |c| {
            let readable = courseware_id.rsplit_once('+').map_or(courseware_id, |(a, _)| a);
            let course = match cat::course_id_by_readable(c, readable)? {
                Some(id) => id,
                None => cat::insert_course(
                    c,
                    &NewCourse {
                        title: "Circuits",
                        readable_id: readable,
                        live: true,
                        departments: &[],
                        topics: &[],
                    },
                    now,
                )?,
            };
            if let Some(country) = spec.blocked {
                cat::block_country(c, course, country)?;
            }
            let day = chrono::Duration::days(1);
            let run = cat::insert_run(
                c,
                &NewRun {
                    course_id: course,
                    title: "Circuits 2026",
                    courseware_id,
                    run_tag: courseware_id.rsplit('+').next().unwrap(),
                    start_date: Some(now + day),
                    end_date: Some(now + day * 90),
                    enrollment_start: Some(if spec.enrollable {
                        now - day
                    } else {
                        now + day * 10
                    }),
                    enrollment_end: None,
                    live: true,
                    b2b_contract_id: spec.b2b.then_some(1),
                    language: "en",
                    ..NewRun::default()
                },
                now,
            )?;
            Ok::<_, DbError>(run)
        })
        .await
        .unwrap()
}

pub async fn send(
    app: &TestApp,
    method: reqwest::Method,
    token: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    super::openapi::send_json(req).await
}

pub async fn enroll(app: &TestApp, token: &str, run_id: i64) -> (u16, Value) {
    send(
        app,
        reqwest::Method::POST,
        token,
        "/api/v1/enrollments/",
        Some(json!({ "run_id": run_id })),
    )
    .await
}

pub async fn count(app: &TestApp, sql: &'static str) -> i64 {
    app.scalar_i64(sql).await
}

pub fn no_enrollment_yet() -> Reply {
    Reply::json(200, json!({ "next": null, "previous": null, "results": [] }))
}

pub fn enrolled_reply(user: &str, course: &str, mode: &str) -> Reply {
    Reply::json(
        200,
        json!({ "mode": mode, "is_active": true, "user": user, "course_details": { "course_id": course } }),
    )
}

/// Drains the outbox a few times, moving the clock past any backoff in between.
pub async fn settle(app: &TestApp) {
    for _ in 0..4 {
        app.drain_outbox().await;
        app.advance(Duration::from_secs(3600));
    }
}
