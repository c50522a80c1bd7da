//! The Open edX client against golden recordings: for every call the original makes, our
//! client sends the same method, path, query, headers that matter and body as PyPI
//! edx-api-client 1.14.0 (or, for the calls the original makes with plain `requests`, as
//! `openedx/api.py` builds them). Recorded by `tests/data/openedx/record_golden.py`.

use std::time::Duration;

use mitxonline::integrations::openedx::client::{ClientSettings, EdxError, OpenEdxClient};
use mitxonline::integrations::openedx::model::{CourseMode, EdxProfile, EnrollmentMode, RegistrationForm};
use mitxonline::integrations::openedx::transport::Transport;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::support::fake::{FakeServer, Recorded, Reply};

const COURSE: &str = "course-v1:MITx+6.00x+2T2026";
const GOLDEN: &str = include_str!("../../data/openedx/golden_requests.json");

fn golden(call: &str) -> Vec<Value> {
    let all: Value = serde_json::from_str(GOLDEN).unwrap();
    let found: Vec<Value> = all["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["call"] == call)
        .cloned()
        .collect();
    assert!(!found.is_empty(), "no golden request for {call}");
    found
}

fn client_for(fake: &FakeServer) -> OpenEdxClient {
    OpenEdxClient::new(
        Transport::Http {
            client: reqwest::Client::new(),
            origin: fake.url.clone(),
            timeout: Duration::from_secs(10),
        },
        ClientSettings {
            service_token: Some("service-token".into()),
            registration_access_token: Some("registration-token".into()),
            client_id: Some("client-id".into()),
            client_secret: Some("client-secret".into()),
            service_worker_username: Some("svc-worker".into()),
        },
    )
}

/// Asserts one recorded request of ours equals the golden one.
fn assert_same(call: &str, ours: &Recorded, gold: &Value) {
    assert_eq!(ours.method, gold["method"], "{call}: method");
    assert_eq!(ours.path, gold["path"].as_str().unwrap(), "{call}: path");
    assert_eq!(ours.query.as_deref(), gold["query"].as_str(), "{call}: query");
    for h in [
        "authorization",
        "content-type",
        "x-access-token",
        "x-requested-with",
        "accept",
    ] {
        assert_eq!(
            ours.header(h).as_deref(),
            gold["headers"][h].as_str(),
            "{call}: header {h}"
        );
    }
    let body = String::from_utf8(ours.body.to_vec()).unwrap();
    match gold["body"].as_str() {
        None => assert!(body.is_empty(), "{call}: expected no body, sent {body}"),
        Some(g)
            if gold["headers"]["content-type"]
                .as_str()
                .is_some_and(|t| t.contains("json")) =>
        {
            let g: Value = serde_json::from_str(g).unwrap();
            let o: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(o, g, "{call}: JSON body");
        }
        Some(g) => assert_eq!(body, g, "{call}: form body"),
    }
}

/// Runs `f` against a fake with `replies`, then compares every request with the golden ones.
async fn check<F, Fut, T>(call: &str, replies: Vec<Reply>, f: F) -> T
where
    F: FnOnce(OpenEdxClient) -> Fut,
    Fut: std::future::Future<Output = Result<T, EdxError>>,
{
    let fake = FakeServer::start().await;
    for r in replies {
        fake.push(r);
    }
    let out = f(client_for(&fake))
        .await
        .unwrap_or_else(|e| panic!("{call}: {e}"));
    let gold = golden(call);
    let ours = fake.requests();
    assert_eq!(ours.len(), gold.len(), "{call}: number of requests");
    for (o, g) in ours.iter().zip(&gold) {
        assert_same(call, o, g);
    }
    out
}

fn enrollment(mode: &str, active: bool) -> Reply {
    Reply::json(
        200,
        json!({ "mode": mode, "is_active": active, "user": "learner1",
            "course_details": { "course_id": COURSE }, "created": "2026-01-01T00:00:00Z" }),
    )
}

fn grade() -> Value {
    json!({ "username": "learner1", "email": "l1@example.com", "course_id": COURSE,
        "passed": true, "percent": 0.8, "letter_grade": "B" })
}

#[tokio::test]
async fn enrollment_calls_match_edx_api_client_byte_for_byte() {
    let e = check(
        "enroll_verified",
        vec![enrollment("verified", true)],
        |c| async move { c.enroll("learner1", COURSE, EnrollmentMode::Verified).await },
    )
    .await;
    assert_eq!(e.mode.as_deref(), Some("verified"));
    check("enroll_audit", vec![enrollment("audit", true)], |c| async move {
        c.enroll("learner1", COURSE, EnrollmentMode::Audit).await
    })
    .await;
    let d = check("deactivate", vec![enrollment("audit", false)], |c| async move {
        c.deactivate("learner1", COURSE).await
    })
    .await;
    assert!(!d.is_active);
    let pages = vec![
        Reply::json(
            200,
            json!({ "next": "http://edx/api/enrollment/v1/enrollments?cursor=cD0yMDI2&course_id=x",
                "previous": null, "results": [ { "mode": "audit", "is_active": true, "user": "learner1",
                "course_details": { "course_id": COURSE } } ] }),
        ),
        Reply::json(200, json!({ "next": null, "previous": null, "results": [] })),
    ];
    let list = check("list_enrollments", pages, |c| async move {
        c.list_enrollments(Some(COURSE), &["learner1", "learner2"]).await
    })
    .await;
    assert_eq!(list.len(), 1);
    check(
        "own_enrollments",
        vec![Reply::json(200, json!([]))],
        |c| async move { c.own_enrollments("user-token").await },
    )
    .await;
}

#[tokio::test]
async fn email_settings_and_account_calls_match_the_original() {
    let ok = Reply::json(200, json!({ "success": true }));
    assert!(
        check("email_subscribe", vec![ok.clone()], |c| async move {
            c.email_settings("user-token", COURSE, true).await
        })
        .await
    );
    check("email_unsubscribe", vec![ok], |c| async move {
        c.email_settings("user-token", COURSE, false).await
    })
    .await;
    check(
        "user_exists",
        vec![Reply::json(200, json!({ "username": "learner1" }))],
        |c| async move { c.user_info("user-token").await },
    )
    .await;
    check(
        "update_user_name",
        vec![Reply::json(200, json!({ "name": "Jane Doe" }))],
        |c| async move { c.update_user_name("user-token", "learner1", "Jane Doe").await },
    )
    .await;
    let profile = EdxProfile {
        country: Some("US".into()),
        state: Some("MA".into()),
        gender: Some("f".into()),
        year_of_birth: Some(1990),
        level_of_education: Some("b".into()),
    };
    check(
        "update_profile",
        vec![Reply::json(200, json!({}))],
        |c| async move {
            c.update_profile("user-token", "learner1", "Jane Doe", &profile)
                .await
        },
    )
    .await;
    let decisions = check(
        "validate_registration",
        vec![Reply::json(
            200,
            json!({ "validation_decisions": { "username": "", "email": "" } }),
        )],
        |c| async move { c.validate_registration("learner1", "l1@example.com").await },
    )
    .await;
    assert_eq!(decisions.validation_decisions["username"], "");
    assert!(
        check(
            "lti_user_fix",
            vec![Reply::json(200, json!({}))],
            |c| async move { c.lti_user_fix("l1@example.com").await }
        )
        .await
    );
}

#[tokio::test]
async fn registration_forms_match_the_original_with_and_without_a_profile() {
    let form = RegistrationForm {
        username: "learner1".into(),
        email: "l1@example.com".into(),
        name: "Jane Doe".into(),
        profile: EdxProfile {
            country: Some("US".into()),
            state: Some("MA".into()),
            gender: Some("f".into()),
            year_of_birth: Some(1990),
            level_of_education: Some("b".into()),
        },
        access_token: "mxo-token".into(),
    };
    let r = check(
        "register",
        vec![Reply::json(200, json!({ "success": true }))],
        |c| async move { c.register(&form).await },
    )
    .await;
    assert_eq!(r.status, 200);
    let minimal = RegistrationForm {
        username: "learner2".into(),
        email: "l2@example.com".into(),
        name: "Sam".into(),
        profile: EdxProfile::default(),
        access_token: "mxo-token".into(),
    };
    // The original sends no X-Access-Token when none is configured.
    let fake = FakeServer::start().await;
    fake.push(Reply::json(200, json!({ "success": true })));
    let bare = OpenEdxClient::new(
        Transport::Http {
            client: reqwest::Client::new(),
            origin: fake.url.clone(),
            timeout: Duration::from_secs(10),
        },
        ClientSettings::default(),
    );
    assert_eq!(bare.register(&minimal).await.unwrap().status, 200);
    let gold = &golden("register_minimal")[0];
    assert_same("register_minimal", &fake.requests()[0], gold);
}

#[tokio::test]
async fn grade_and_course_calls_match_edx_api_client_including_pagination() {
    let g = check(
        "user_grade",
        vec![Reply::json(200, json!([grade()]))],
        |c| async move { c.user_grade("learner1", COURSE).await },
    )
    .await
    .unwrap();
    assert_eq!(g.percent, Decimal::new(8, 1));
    let fake_next = "http://127.0.0.1:1/api/grades/v1/courses/course-v1:MITx+6.00x+2T2026/?page=2";
    let pages = vec![
        Reply::json(200, json!({ "next": fake_next, "results": [] })),
        Reply::json(200, json!({ "next": null, "results": [grade()] })),
    ];
    let all = check("course_grades", pages, |c| async move {
        c.course_grades(COURSE).await
    })
    .await;
    assert_eq!(all.len(), 1);

    let keys: Vec<String> = (0..101).map(|i| format!("course-v1:MITx+K{i}+1T2026")).collect();
    let pages = vec![
        Reply::json(
            200,
            json!({ "results": [ { "id": "course-v1:MITx+K0+1T2026", "course_id": "course-v1:MITx+K0+1T2026", "name": "K0", "pacing": "self" } ],
            "pagination": { "next": "http://x/next" } }),
        ),
        Reply::json(200, json!({ "results": [], "pagination": { "next": null } })),
        Reply::json(200, json!({ "results": [], "pagination": { "next": null } })),
    ];
    let details = check(
        "course_list",
        pages,
        |c| async move { c.course_details(&keys).await },
    )
    .await;
    assert!(details[0].is_self_paced());
    check(
        "course_detail",
        vec![Reply::json(
            200,
            json!({ "id": COURSE, "course_id": COURSE, "name": "Intro", "pacing": "instructor" }),
        )],
        |c| async move { c.course_detail(COURSE).await },
    )
    .await;
}

#[tokio::test]
async fn course_mode_calls_match_edx_api_client() {
    check(
        "course_modes",
        vec![Reply::json(200, json!([]))],
        |c| async move { c.course_modes(COURSE).await },
    )
    .await;
    let mode = json!({ "course_id": COURSE, "mode_slug": "verified", "min_price": 10 });
    let m = check(
        "course_mode",
        vec![Reply::json(200, mode.clone())],
        |c| async move { c.course_mode(COURSE, "verified").await },
    )
    .await;
    assert_eq!(m.min_price, Some(Decimal::new(10, 0)));
    let new_mode = CourseMode {
        course_id: None,
        mode_slug: "verified".into(),
        mode_display_name: Some("Verified".into()),
        min_price: Some(Decimal::new(10, 0)),
        currency: Some("USD".into()),
        expiration_datetime: Some("2026-06-01T00:00:00Z".into()),
        expiration_datetime_is_explicit: None,
        description: None,
        sku: None,
        bulk_sku: None,
    };
    check(
        "create_course_mode",
        vec![Reply::json(201, mode)],
        |c| async move { c.create_course_mode(COURSE, &new_mode).await },
    )
    .await;
    check("update_course_mode", vec![Reply::status(204)], |c| async move {
        c.update_course_mode(
            COURSE,
            "verified",
            &json!({ "expiration_datetime": "2026-07-01T00:00:00Z", "sku": null }),
        )
        .await
    })
    .await;
    check("delete_course_mode", vec![Reply::status(204)], |c| async move {
        c.delete_course_mode(COURSE, "verified").await
    })
    .await;
}

#[tokio::test]
async fn token_exchange_and_refresh_match_the_original() {
    let tokens = Reply::json(
        200,
        json!({ "access_token": "a", "refresh_token": "r", "expires_in": 36000 }),
    );
    let t = check("token_exchange", vec![tokens.clone()], |c| async move {
        c.exchange_code("the-code", "http://mxo.example/_/auth/complete")
            .await
    })
    .await;
    assert_eq!(t.expires_in, 36000);
    check(
        "token_refresh",
        vec![tokens],
        |c| async move { c.refresh("r").await },
    )
    .await;
}

#[tokio::test]
async fn errors_are_classified_transient_or_permanent_like_the_original() {
    let fake = FakeServer::start().await;
    let c = client_for(&fake);
    fake.push(Reply::status(503));
    assert!(
        c.enroll("u", COURSE, EnrollmentMode::Audit)
            .await
            .unwrap_err()
            .is_transient()
    );
    fake.push(Reply::status(429).header("retry-after", "30"));
    let e = c.enroll("u", COURSE, EnrollmentMode::Audit).await.unwrap_err();
    assert!(e.is_transient());
    assert!(matches!(
        e.to_delivery(),
        mitxonline::outbox::Delivery::Transient { retry_after: Some(d), .. } if d == Duration::from_secs(30)
    ));
    fake.push(Reply::json(400, json!({ "message": "bad" })));
    assert!(
        !c.enroll("u", COURSE, EnrollmentMode::Audit)
            .await
            .unwrap_err()
            .is_transient()
    );
    fake.push(Reply::status(404));
    assert!(!c.user_grade("u", COURSE).await.unwrap_err().is_transient());
    // A timeout is transient.
    fake.push(Reply::json(200, json!([])).delay(Duration::from_secs(3)));
    let slow = OpenEdxClient::new(
        Transport::Http {
            client: reqwest::Client::new(),
            origin: fake.url.clone(),
            timeout: Duration::from_millis(200),
        },
        ClientSettings::default(),
    );
    let e = slow.course_modes(COURSE).await.unwrap_err();
    assert!(matches!(e, EdxError::Transport { timeout: true, .. }), "{e}");
    // Nobody listening: a connection error, transient.
    let nobody = crate::support::fake::DownPort::reserve();
    let down = OpenEdxClient::new(
        Transport::Http {
            client: reqwest::Client::new(),
            origin: nobody.url(),
            timeout: Duration::from_secs(2),
        },
        ClientSettings::default(),
    );
    assert!(down.course_modes(COURSE).await.unwrap_err().is_transient());
}
