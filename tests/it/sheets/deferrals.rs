//! The enrollment deferral service as staff and operators use it: the staff "Defer" form on
//! `/staff/enrollments/` and `mitxonline enrollment defer` against the real binary.

use mitxonline::enrollment::{Mode, service, store};

use crate::support::TestApp;
use crate::support::enrollment::{OPEN, count, enroll, learner, run};
use crate::support::identity::{post_form, signed_in};
use crate::support::process::run_cli;

/// `(active, mode, change_status)` of the learner's enrollment in the run.
pub async fn state_of(app: &TestApp, user: i64, run: i64) -> Option<(bool, String, Option<String>)> {
    app.state
        .db
        .read(move |c| store::find(c, user, run))
        .await
        .unwrap()
        .map(|e| {
            (
                e.active,
                e.mode.as_str().to_owned(),
                e.change_status.map(|s| s.as_str().to_owned()),
            )
        })
}

/// A paid (verified, paid-run recorded) enrollment of `user` in `run`.
pub async fn paid(app: &TestApp, user: i64, run: i64) {
    let now = app.state.clock.now();
    app.state
        .db
        .write(move |c| {
            let actor = mitxonline::enrollment::Actor::system("order fulfilment");
            service::change_mode(c, now, user, run, Mode::Verified, &actor)?;
            service::record_paid_run(c, now, user, run, 77)?;
            Ok::<_, mitxonline::enrollment::EnrollError>(())
        })
        .await
        .unwrap();
}

fn tuple(active: bool, mode: &str, status: Option<&str>) -> Option<(bool, String, Option<String>)> {
    Some((active, mode.to_owned(), status.map(str::to_owned)))
}

#[tokio::test]
async fn staff_defer_a_paid_enrollment_to_another_run_and_its_payment_moves_along() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx"]);
    let (user, token) = learner(&app, "defer-staff", false).await;
    let from = run(&app, "course-v1:MITx+DF1+1T2026", OPEN).await;
    let to = run(&app, "course-v1:MITx+DF1+2T2026", OPEN).await;
    assert_eq!(enroll(&app, &token, from).await.0, 201);
    assert_eq!(
        enroll(&app, &token, to).await.0,
        201,
        "an audit enrollment in the target"
    );
    paid(&app, user, from).await;
    let staff = signed_in(&app, "desk@example.com", true).await;
    let users = staff
        .get(app.url("/staff/users/?q=defer-staff"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        users.contains("href=\"/staff/enrollments/?email=defer%2Dstaff%40example%2Ecom\""),
        "the users page links to the learner's enrollments: {users}"
    );
    let page = "/staff/enrollments/?email=defer-staff@example.com";
    let html = staff
        .get(app.url(page))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("course-v1:MITx+DF1+1T2026") && html.contains(">Defer<"),
        "{html}"
    );

    // The same run is refused, naming the problem, and changes nothing.
    let same = [
        ("email", "defer-staff@example.com"),
        ("from", "course-v1:MITx+DF1+1T2026"),
        ("to", "course-v1:MITx+DF1+1T2026"),
    ];
    let r = post_form(&app, &staff, page, "/staff/enrollments/defer/", &same).await;
    assert_eq!(r.status(), 400);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Cannot defer to the same course run")
    );
    assert_eq!(state_of(&app, user, from).await, tuple(true, "verified", None));

    let fields = [
        ("email", "defer-staff@example.com"),
        ("from", "course-v1:MITx+DF1+1T2026"),
        ("to", "course-v1:MITx+DF1+2T2026"),
    ];
    let r = post_form(&app, &staff, page, "/staff/enrollments/defer/", &fields).await;
    assert_eq!(r.status(), 303, "back to the learner's list");
    let back = r.headers()["location"].to_str().unwrap().to_owned();
    let html = staff
        .get(app.url(&back))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("deferred course-v1:MITx+DF1+1T2026 to course-v1:MITx+DF1+2T2026 (verified enrollment, 1 paid run(s) moved)"),
        "{html}"
    );
    assert_eq!(
        state_of(&app, user, from).await,
        tuple(true, "audit", Some("deferred"))
    );
    assert_eq!(state_of(&app, user, to).await, tuple(true, "verified", None));
    let paid_to = app
        .state
        .db
        .read(move |c| store::is_paid_run(c, user, to))
        .await
        .unwrap();
    assert!(paid_to, "the paid-run record is on the target now");
    // edX: the audit target dropped, then verified there; the source downgraded to audit.
    let kinds = app
        .state
        .db
        .read(|c| {
            c.prepare("SELECT kind, payload FROM outbox WHERE destination = 'openedx' AND kind IN ('enroll', 'unenroll') ORDER BY id")?
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .await
        .unwrap();
    let tail: Vec<String> = kinds[kinds.len() - 3..]
        .iter()
        .map(|(k, p)| {
            let v: serde_json::Value = serde_json::from_str(p).unwrap();
            format!(
                "{k} {} {}",
                v["course_id"].as_str().unwrap(),
                v["mode"].as_str().unwrap_or("-")
            )
        })
        .collect();
    assert_eq!(
        tail,
        [
            "unenroll course-v1:MITx+DF1+2T2026 -",
            "enroll course-v1:MITx+DF1+2T2026 verified",
            "enroll course-v1:MITx+DF1+1T2026 audit"
        ]
    );
    let audited = count(
        &app,
        "SELECT count(*) FROM audit_log WHERE object_type = 'course_run_enrollment' AND action = 'deferred' AND actor_id IS NOT NULL",
    )
    .await;
    assert_eq!(audited, 1, "the staff member is the actor");
    app.shutdown().await;
}

#[tokio::test]
async fn the_cli_defers_with_and_without_a_target_and_refuses_an_unknown_learner() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx"]);
    let (user, token) = learner(&app, "defer-cli", false).await;
    let from = run(&app, "course-v1:MITx+DF2+1T2026", OPEN).await;
    let to = run(&app, "course-v1:MITx+DF2+2T2026", OPEN).await;
    let other = run(&app, "course-v1:MITx+DF3+1T2026", OPEN).await;
    for r in [from, other] {
        assert_eq!(enroll(&app, &token, r).await.0, 201);
        paid(&app, user, r).await;
    }
    let dir = app.dir.path().to_owned();
    let cli = |args: &'static [&'static str]| {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || run_cli(&dir, &[], args))
    };
    let out = cli(&[
        "enrollment",
        "defer",
        "--user",
        "nobody@example.com",
        "--from",
        "course-v1:MITx+DF2+1T2026",
    ])
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("No learner has the email nobody@example.com."));

    let out = cli(&[
        "enrollment",
        "defer",
        "--user",
        "defer-cli@example.com",
        "--from",
        "course-v1:MITx+DF2+1T2026",
        "--to",
        "course-v1:MITx+DF2+2T2026",
    ])
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("(verified enrollment, 1 paid run(s) moved)"),
        "{stdout}"
    );
    assert_eq!(state_of(&app, user, to).await, tuple(true, "verified", None));
    assert_eq!(
        state_of(&app, user, from).await,
        tuple(true, "audit", Some("deferred"))
    );

    // Without a target: downgraded to audit and marked deferred, nothing else enrolled.
    let out = cli(&[
        "enrollment",
        "defer",
        "--user",
        "defer-cli@example.com",
        "--from",
        "course-v1:MITx+DF3+1T2026",
    ])
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("deferred course-v1:MITx+DF3+1T2026: downgraded to audit"),
        "{stdout}"
    );
    assert_eq!(
        state_of(&app, user, other).await,
        tuple(true, "audit", Some("deferred"))
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM course_run_enrollments").await,
        3
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_deferral_to_a_closed_run_or_another_course_needs_force() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx"]);
    let (user, token) = learner(&app, "defer-force", false).await;
    let from = run(&app, "course-v1:MITx+DF4+1T2026", OPEN).await;
    let closed = mitxonline_closed(&app).await;
    let elsewhere = run(&app, "course-v1:MITx+DF5+1T2026", OPEN).await;
    assert_eq!(enroll(&app, &token, from).await.0, 201);
    let req = |to: &str, force: bool| mitxonline::enrollment::deferral::DeferRequest {
        email: "defer-force@example.com".into(),
        from: "course-v1:MITx+DF4+1T2026".into(),
        to: Some(to.into()),
        force,
    };
    let actor = || mitxonline::enrollment::Actor::system("test");
    let e =
        mitxonline::enrollment::deferral::defer(&app.state, req("course-v1:MITx+DF4+9T2026", false), actor())
            .await
            .unwrap_err();
    assert!(e.to_string().contains("outside of its enrollment period"), "{e}");
    let e =
        mitxonline::enrollment::deferral::defer(&app.state, req("course-v1:MITx+DF5+1T2026", false), actor())
            .await
            .unwrap_err();
    assert!(e.to_string().contains("different course"), "{e}");
    assert_eq!(
        state_of(&app, user, from).await,
        tuple(true, "audit", None),
        "nothing changed"
    );
    mitxonline::enrollment::deferral::defer(&app.state, req("course-v1:MITx+DF4+9T2026", true), actor())
        .await
        .unwrap();
    assert_eq!(state_of(&app, user, closed).await, tuple(true, "verified", None));
    assert_eq!(state_of(&app, user, elsewhere).await, None);
    app.shutdown().await;
}

async fn mitxonline_closed(app: &TestApp) -> i64 {
    let spec = crate::support::enrollment::RunSpec {
        enrollable: false,
        ..OPEN
    };
    run(app, "course-v1:MITx+DF4+9T2026", spec).await
}
