//! The `openedx` outbox destination against a scripted edX: nothing lost while edX is down,
//! Retry-After honoured, username collisions handled like the original.

use std::time::Duration;

use mitxonline::integrations::openedx::messages::{self, CreateUser, Enroll};
use mitxonline::integrations::openedx::model::EnrollmentMode;
use mitxonline::integrations::openedx::store;
use mitxonline::users::store::{NewUser, insert};
use serde_json::json;

use crate::support::TestApp;
use crate::support::fake::{FakeServer, Reply};

const COURSE: &str = "course-v1:MITx+6.00x+2T2026";

async fn app_with_edx(url: &str) -> TestApp {
    TestApp::builder()
        .env("MITXONLINE_OPENEDX_API_BASE_URL", url)
        .env("MITXONLINE_OPENEDX_SERVICE_TOKEN", "svc")
        .env("MITXONLINE_OUTBOX_BASE_BACKOFF", "1s")
        .spawn()
        .await
}

async fn user(app: &TestApp, username: &str, email: &str, name: &str) -> i64 {
    let now = app.state.clock.now();
    let u = NewUser {
        email: email.into(),
        username: username.into(),
        name: name.into(),
        ..NewUser::default()
    };
    app.state.db.write(move |c| insert(c, &u, now)).await.unwrap()
}

/// A learner whose edX account already exists under `edx_username`.
async fn synced_user(app: &TestApp, edx_username: &'static str) -> i64 {
    let id = user(
        app,
        edx_username,
        &format!("{edx_username}@example.com"),
        "Synced Learner",
    )
    .await;
    let now = app.state.clock.now();
    app.state
        .db
        .write(move |c| {
            store::get_or_create(c, id, now)?;
            store::set_username(c, id, edx_username, Some(edx_username), now)?;
            store::mark_synced(c, id, now)
        })
        .await
        .unwrap();
    id
}

async fn enqueue_create(app: &TestApp, user_id: i64) {
    let now = app.state.clock.now();
    app.state
        .db
        .write(move |c| {
            let m = CreateUser {
                user_id,
                desired_username: None,
                profile: None,
            };
            messages::enqueue_create_user(c, now, &m, &user_id.to_string())
        })
        .await
        .unwrap();
}

async fn enqueue_enroll(app: &TestApp, user_id: i64, mode: EnrollmentMode) -> i64 {
    let now = app.state.clock.now();
    app.state
        .db
        .write(move |c| {
            let m = Enroll {
                user_id,
                course_id: COURSE.into(),
                mode,
            };
            messages::enqueue_enroll(c, now, &m, &format!("{user_id}:{}", mode.as_str()))
        })
        .await
        .unwrap()
}

async fn edx_row(app: &TestApp, user_id: i64) -> store::OpenEdxUser {
    app.state
        .db
        .read(move |c| store::find_by_user(c, user_id))
        .await
        .unwrap()
        .expect("openedx_users row")
}

async fn outbox_status(app: &TestApp, id: i64) -> (String, String) {
    app.state
        .db
        .read(move |c| {
            c.query_row(
                "SELECT status, next_attempt_at FROM outbox WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
        })
        .await
        .unwrap()
}

fn enrollment_reply(mode: &str, user: &str) -> Reply {
    Reply::json(
        200,
        json!({ "mode": mode, "is_active": true, "user": user, "course_details": { "course_id": COURSE } }),
    )
}

fn empty_page() -> Reply {
    Reply::json(200, json!({ "next": null, "previous": null, "results": [] }))
}

#[tokio::test]
async fn while_edx_is_down_messages_stay_pending_and_are_delivered_once_when_it_returns() {
    let down = crate::support::fake::DownPort::reserve();
    let app = app_with_edx(&down.url()).await;
    let id = user(&app, "jane", "jane@example.com", "Jane Doe").await;
    enqueue_create(&app, id).await;
    let enroll_id = enqueue_enroll(&app, id, EnrollmentMode::Verified).await;

    // Down for several rounds: every attempt fails transiently, nothing is lost.
    for _ in 0..3 {
        let r = app.drain_outbox().await;
        assert_eq!(r.delivered, 0);
        assert_eq!(r.dead, 0);
        app.advance(Duration::from_secs(3600));
    }
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM outbox WHERE destination = 'openedx' AND status = 'pending'")
            .await,
        3,
        "create_user, enroll, and the create_user the enroll asked for"
    );
    assert!(!edx_row(&app, id).await.has_been_synced);

    let fake = FakeServer::start_on(down).await;
    fake.push(Reply::json(200, json!({ "success": true })));
    fake.push(empty_page());
    fake.push(enrollment_reply("verified", "jane"));
    for _ in 0..4 {
        app.drain_outbox().await;
        app.advance(Duration::from_secs(3600));
    }
    let reqs = fake.requests();
    let paths: Vec<(String, String)> = reqs.iter().map(|r| (r.method.clone(), r.path.clone())).collect();
    assert_eq!(
        paths,
        [
            ("POST".into(), "/user_api/v1/account/registration/".into()),
            ("GET".into(), "/api/enrollment/v1/enrollments".into()),
            ("POST".into(), "/api/enrollment/v1/enrollment".into()),
        ]
    );
    assert_eq!(reqs[2].json()["mode"], "verified");
    assert_eq!(reqs[2].json()["user"], "jane");
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM outbox WHERE status <> 'delivered'")
            .await,
        0
    );
    assert_eq!(outbox_status(&app, enroll_id).await.0, "delivered");
    assert!(edx_row(&app, id).await.has_been_synced);
    assert_eq!(
        app.scalar_i64(
            "SELECT count(*) FROM openedx_enrollment_sync WHERE mode = 'verified' AND is_active = 1"
        )
        .await,
        1
    );
    // Nothing more is ever sent.
    app.advance(Duration::from_secs(86_400));
    app.drain_outbox().await;
    assert_eq!(fake.count(), 3);
    app.shutdown().await;
}

#[tokio::test]
async fn a_429_with_retry_after_makes_the_dispatcher_wait() {
    let fake = FakeServer::start().await;
    let app = app_with_edx(&fake.url).await;
    app.expect_undelivered_to("openedx");
    let id = synced_user(&app, "waiter").await;
    fake.push(empty_page());
    fake.push(Reply::json(429, json!({ "detail": "Request was throttled." })).header("retry-after", "120"));
    let msg = enqueue_enroll(&app, id, EnrollmentMode::Audit).await;
    let r = app.drain_outbox().await;
    assert_eq!((r.delivered, r.retried, r.dead), (0, 1, 0));
    let (status, next) = outbox_status(&app, msg).await;
    assert_eq!(status, "pending");
    let next = mitxonline::clock::from_db(&next).unwrap();
    assert!(
        next >= app.state.clock.now() + chrono::Duration::seconds(115),
        "retry scheduled after Retry-After"
    );
    // Half-way through the wait: nothing is sent.
    app.advance(Duration::from_secs(60));
    app.drain_outbox().await;
    assert_eq!(fake.count(), 2);
    app.shutdown().await;
}

#[tokio::test]
async fn a_redelivered_enroll_checks_edx_first_and_does_not_post_again() {
    let fake = FakeServer::start().await;
    let app = app_with_edx(&fake.url).await;
    let id = synced_user(&app, "twice").await;
    // edX already has the active verified enrollment (e.g. our first delivery's answer was lost).
    fake.push(Reply::json(200, json!({ "next": null, "results": [
        { "mode": "verified", "is_active": true, "user": "twice", "course_details": { "course_id": COURSE } } ] })));
    enqueue_enroll(&app, id, EnrollmentMode::Verified).await;
    assert_eq!(app.drain_outbox().await.delivered, 1);
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].method, "GET");
    assert_eq!(
        reqs[0].query.as_deref(),
        Some("course_id=course-v1%3AMITx%2B6.00x%2B2T2026&username=twice")
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_duplicate_username_takes_the_first_edx_suggestion_not_taken_here() {
    let fake = FakeServer::start().await;
    let app = app_with_edx(&fake.url).await;
    synced_user(&app, "jane1").await;
    let id = user(&app, "jane", "jane@example.com", "Jane Doe").await;
    fake.push(Reply::json(
        409,
        json!({ "error_code": "duplicate-username", "username_suggestions": ["jane1", "jane2", "jane3"] }),
    ));
    fake.push(Reply::json(200, json!({ "success": true })));
    enqueue_create(&app, id).await;
    assert_eq!(app.drain_outbox().await.delivered, 1);
    let forms: Vec<String> = fake
        .requests()
        .iter()
        .map(|r| {
            url::form_urlencoded::parse(&r.body)
                .find(|(k, _)| k == "username")
                .map(|(_, v)| v.into_owned())
                .unwrap()
        })
        .collect();
    assert_eq!(forms, ["jane", "jane2"], "jane1 belongs to another learner here");
    let row = edx_row(&app, id).await;
    assert_eq!(row.edx_username.as_deref(), Some("jane2"));
    assert!(row.has_been_synced && !row.has_sync_error);
    app.shutdown().await;
}

#[tokio::test]
async fn without_usable_suggestions_a_suffixed_name_is_generated() {
    let fake = FakeServer::start().await;
    let app = app_with_edx(&fake.url).await;
    let id = user(&app, "sam@example.com", "sam@example.com", "Sam Smith").await;
    fake.push(Reply::json(409, json!({ "error_code": "duplicate-username" })));
    fake.push(Reply::json(200, json!({ "success": true })));
    enqueue_create(&app, id).await;
    app.drain_outbox().await;
    let row = edx_row(&app, id).await;
    let name = row.edx_username.unwrap();
    assert!(name.starts_with("sam-smith_") && name.len() <= 30, "{name}");
    assert_eq!(row.desired_edx_username.as_deref(), Some("sam-smith"));
    assert!(row.has_been_synced);
    app.shutdown().await;
}

#[tokio::test]
async fn registration_stops_after_four_attempts_when_every_name_collides_unlike_the_original_which_reset_its_counter()
 {
    let fake = FakeServer::start().await;
    fake.set_default(Reply::json(409, json!({ "error_code": "duplicate-username" })));
    let app = app_with_edx(&fake.url).await;
    app.expect_undelivered_to("openedx");
    let id = user(&app, "taken", "taken@example.com", "Taken").await;
    enqueue_create(&app, id).await;
    let r = app.drain_outbox().await;
    assert_eq!(r.delivered, 0);
    assert_eq!(fake.count(), 4);
    let row = edx_row(&app, id).await;
    assert!(row.has_sync_error && !row.has_been_synced);
    assert_eq!(row.sync_error_data.unwrap()["error_code"], "duplicate-username");
    assert_eq!(
        app.scalar_i64("SELECT permanent_failures FROM outbox WHERE kind = 'create_user'")
            .await,
        1
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_duplicate_email_is_fixed_once_through_the_lti_api_then_registration_is_retried() {
    let fake = FakeServer::start().await;
    let app = app_with_edx(&fake.url).await;
    let id = user(&app, "lti", "lti@example.com", "Lti User").await;
    fake.push(Reply::json(409, json!({ "error_code": "duplicate-email" })));
    fake.push(Reply::json(200, json!({})));
    fake.push(Reply::json(200, json!({ "success": true })));
    enqueue_create(&app, id).await;
    assert_eq!(app.drain_outbox().await.delivered, 1);
    let reqs = fake.requests();
    assert_eq!(reqs[1].path, "/api/lti-user-fix/");
    assert_eq!(reqs[1].json(), json!({ "email": "lti@example.com" }));
    assert_eq!(reqs[1].header("authorization").as_deref(), Some("Bearer svc"));
    assert_eq!(reqs.len(), 3);
    assert!(edx_row(&app, id).await.has_been_synced);
    app.shutdown().await;
}

#[tokio::test]
async fn a_duplicate_email_that_is_no_lti_account_is_looked_up_and_the_learners_own_account_adopted() {
    let fake = FakeServer::start().await;
    let app = app_with_edx(&fake.url).await;
    let id = user(&app, "again", "again@example.com", "Again User").await;
    fake.push(Reply::json(409, json!({ "error_code": "duplicate-email" })));
    fake.push(Reply::json(
        404,
        json!({ "detail": "No LTI user with this email." }),
    ));
    fake.push(Reply::json(
        200,
        json!([{ "username": "again-user", "email": "Again@Example.com", "name": "Again User" }]),
    ));
    enqueue_create(&app, id).await;
    assert_eq!(app.drain_outbox().await.delivered, 1);
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 3);
    assert_eq!(reqs[2].method, "GET");
    assert_eq!(reqs[2].path, "/api/user/v1/accounts");
    assert_eq!(reqs[2].query.as_deref(), Some("email=again%40example.com"));
    assert_eq!(reqs[2].header("authorization").as_deref(), Some("Bearer svc"));
    let row = edx_row(&app, id).await;
    assert!(row.has_been_synced && !row.has_sync_error);
    assert_eq!(row.edx_username.as_deref(), Some("again-user"));
    app.shutdown().await;
}

#[tokio::test]
async fn a_duplicate_email_with_no_account_found_is_still_refused() {
    let fake = FakeServer::start().await;
    let app = app_with_edx(&fake.url).await;
    app.expect_undelivered_to("openedx");
    let id = user(&app, "ghost", "ghost@example.com", "Ghost User").await;
    fake.push(Reply::json(409, json!({ "error_code": "duplicate-email" })));
    fake.push(Reply::json(
        404,
        json!({ "detail": "No LTI user with this email." }),
    ));
    fake.push(Reply::json(200, json!([])));
    enqueue_create(&app, id).await;
    assert_eq!(app.drain_outbox().await.delivered, 0);
    let row = edx_row(&app, id).await;
    assert!(row.has_sync_error && !row.has_been_synced);
    assert_eq!(row.sync_error_data.unwrap()["error_code"], "duplicate-email");
    app.shutdown().await;
}

#[tokio::test]
async fn a_rejected_registration_stores_edx_answer_as_the_sync_error() {
    let fake = FakeServer::start().await;
    let app = app_with_edx(&fake.url).await;
    app.expect_undelivered_to("openedx");
    let id = user(&app, "bad", "bad@example.com", "Bad Data").await;
    fake.push(Reply::json(
        400,
        json!({ "country": [{ "user_message": "Select a country" }], "error_code": "validation-error" }),
    ));
    enqueue_create(&app, id).await;
    app.drain_outbox().await;
    assert_eq!(fake.count(), 1, "a 400 is not retried within the delivery");
    let row = edx_row(&app, id).await;
    assert!(row.has_sync_error);
    assert_eq!(row.sync_error_data.unwrap()["error_code"], "validation-error");
    let err: String = app
        .state
        .db
        .read(|c| {
            c.query_row(
                "SELECT last_error FROM outbox WHERE kind = 'create_user'",
                [],
                |r| r.get(0),
            )
        })
        .await
        .unwrap();
    assert!(err.contains("refused the registration"), "{err}");
    // An enrollment for this learner fails permanently at once instead of waiting for an
    // account that cannot be created; edX is not called.
    let enroll = enqueue_enroll(&app, id, EnrollmentMode::Audit).await;
    app.drain_outbox().await;
    assert_eq!(fake.count(), 1);
    let (permanent, last): (i64, String) = app
        .state
        .db
        .read(move |c| {
            c.query_row(
                "SELECT permanent_failures, last_error FROM outbox WHERE id = ?1",
                [enroll],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
        })
        .await
        .unwrap();
    assert_eq!(permanent, 1);
    assert!(last.contains("refused by edX"), "{last}");
    app.shutdown().await;
}

#[tokio::test]
async fn deliveries_to_edx_respect_the_per_destination_rate_limit() {
    let fake = FakeServer::start().await;
    fake.set_default(empty_page());
    let app = TestApp::builder()
        .env("MITXONLINE_OPENEDX_API_BASE_URL", &fake.url)
        .env("MITXONLINE_OUTBOX_RATE_PER_MINUTE", "6")
        .spawn()
        .await;
    app.expect_undelivered_to("openedx");
    for name in ["r0", "r1", "r2", "r3", "r4"] {
        let id = synced_user(&app, name).await;
        let now = app.state.clock.now();
        app.state
            .db
            .write(move |c| {
                let m = messages::Unenroll {
                    user_id: id,
                    course_id: COURSE.into(),
                };
                messages::enqueue_unenroll(c, now, &m, &id.to_string())
            })
            .await
            .unwrap();
    }
    // 6/min is a bucket of one: one message goes, four wait their turn (none is dropped).
    let r = app.state.outbox.round_once().await.unwrap();
    assert_eq!((r.delivered, r.deferred), (1, 4));
    assert_eq!(
        fake.count(),
        1,
        "an unenroll with nothing active on edX only checks"
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM outbox WHERE status = 'pending'")
            .await,
        4
    );
    app.shutdown().await;
}

#[tokio::test]
async fn against_a_real_edx_the_repair_job_recreates_accounts_but_not_tokens_it_cannot_obtain_yet() {
    let fake = FakeServer::start().await;
    let app = app_with_edx(&fake.url).await;
    app.expect_undelivered_to("openedx");
    let synced = synced_user(&app, "has-account").await;
    let unsynced = user(&app, "no-account", "no-account@example.com", "No Account").await;
    app.state
        .db
        .write(move |c| {
            c.execute(
                "UPDATE users SET last_login = created_on WHERE id IN (?1, ?2)",
                [synced, unsynced],
            )
        })
        .await
        .unwrap();
    app.advance(Duration::from_secs(600));
    let run = app.run_job("repair-faulty-edx-users").await;
    assert_eq!(run.status, "succeeded");
    assert_eq!(run.detail, "queued 1 edX account creations and 0 token creations");
    app.shutdown().await;
}
