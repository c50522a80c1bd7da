//! The staff learner page `/staff/users/{id}/`: one account's profile, enrollments, programs,
//! orders, edX sync, sessions and audit trail, and the actions on it — enroll, change mode,
//! unenroll, move to another run, transfer to another learner, sign out, retry edX.

use crate::support::TestApp;
use crate::support::enrollment::{OPEN, count, run};
use crate::support::identity::{post_form, signed_in};

const R1: &str = "course-v1:MITx+LP1+1T2026";
const R2: &str = "course-v1:MITx+LP1+2T2026";

async fn user_id(app: &TestApp, email: &'static str) -> i64 {
    app.state
        .db
        .read(move |c| {
            c.query_row("SELECT id FROM users WHERE email = ?1", [email], |r| {
                r.get::<_, i64>(0)
            })
        })
        .await
        .unwrap()
}

/// `(active, mode, change_status)` of the user's enrollment in the run, if any.
async fn enrollment(app: &TestApp, user: i64, run: &'static str) -> Option<(bool, String, Option<String>)> {
    use rusqlite::OptionalExtension;
    app.state
        .db
        .read(move |c| {
            c.query_row(
                "SELECT e.active, e.enrollment_mode, e.change_status FROM course_run_enrollments e
                 JOIN course_runs r ON r.id = e.run_id WHERE e.user_id = ?1 AND r.courseware_id = ?2",
                rusqlite::params![user, run],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
        })
        .await
        .unwrap()
}

/// Rows that any change would touch: what a refused action must leave alone.
async fn totals(app: &TestApp) -> (i64, i64, i64, i64) {
    (
        count(app, "SELECT count(*) FROM course_run_enrollments").await,
        count(
            app,
            "SELECT count(*) FROM course_run_enrollments WHERE active = 1",
        )
        .await,
        count(app, "SELECT count(*) FROM outbox").await,
        count(app, "SELECT count(*) FROM paid_course_runs").await,
    )
}

async fn page(app: &TestApp, staff: &reqwest::Client, id: i64) -> String {
    let r = staff
        .get(app.url(&format!("/staff/users/{id}/")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.text().await.unwrap()
}

/// Posts an action of the learner page and follows its redirect back to the page.
async fn act(
    app: &TestApp,
    staff: &reqwest::Client,
    id: i64,
    what: &str,
    fields: &[(&str, &str)],
) -> (u16, String) {
    let at = format!("/staff/users/{id}/");
    let r = post_form(app, staff, &at, &format!("{at}{what}/"), fields).await;
    let status = r.status().as_u16();
    if status == 303 {
        let to = r.headers()["location"].to_str().unwrap().to_owned();
        assert!(to.starts_with(&at), "back to the learner page: {to}");
        let html = staff
            .get(app.url(&to))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        return (status, html);
    }
    (status, r.text().await.unwrap())
}

#[tokio::test]
async fn staff_enroll_change_mode_move_and_unenroll_from_the_learner_page() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx"]);
    run(&app, R1, OPEN).await;
    run(&app, R2, OPEN).await;
    let staff = signed_in(&app, "lp-desk@example.com", true).await;
    let learner = signed_in(&app, "lp-ann@example.com", false).await;
    let ann = user_id(&app, "lp-ann@example.com").await;

    // Learners cannot open it; the user list links to it.
    let r = learner
        .get(app.url(&format!("/staff/users/{ann}/")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let list = staff
        .get(app.url("/staff/users/?q=lp-ann"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains(&format!("href=\"/staff/users/{ann}/\"")), "{list}");

    let html = page(&app, &staff, ann).await;
    for section in [
        "id=\"profile\"",
        "lp-ann@example.com",
        "No enrollments.",
        "id=\"sessions\"",
        "id=\"audit\"",
    ] {
        assert!(html.contains(section), "{section} in {html}");
    }

    let (status, html) = act(&app, &staff, ann, "enroll", &[("run", R1), ("mode", "audit")]).await;
    assert_eq!(status, 303, "{html}");
    assert!(html.contains(&format!("{R1}: enrolled (audit)")), "{html}");
    assert!(html.contains(&format!("<code>{R1}</code>")), "{html}");
    assert_eq!(
        enrollment(&app, ann, R1).await,
        Some((true, "audit".into(), None))
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM outbox WHERE destination = 'openedx' AND kind = 'enroll'"
        )
        .await,
        1,
        "edX hears of it through the outbox"
    );

    // Refusals: a 400 naming the problem, nothing changed.
    let before = totals(&app).await;
    let (status, html) = act(
        &app,
        &staff,
        ann,
        "enroll",
        &[("run", "course-v1:MITx+NOPE+1T2026"), ("mode", "audit")],
    )
    .await;
    assert_eq!(status, 400);
    assert!(html.contains("unknown run course-v1:MITx+NOPE+1T2026"), "{html}");
    let (status, html) = act(&app, &staff, ann, "enroll", &[("run", R2), ("mode", "honor")]).await;
    assert_eq!(status, 400);
    assert!(html.contains("honor"), "{html}");
    let (status, html) = act(
        &app,
        &staff,
        ann,
        "enrollments/defer",
        &[("from", R1), ("to", "course-v1:MITx+NOPE+1T2026")],
    )
    .await;
    assert_eq!(status, 400);
    assert!(html.contains("course-v1:MITx+NOPE+1T2026"), "{html}");
    assert_eq!(totals(&app).await, before);

    let (status, html) = act(
        &app,
        &staff,
        ann,
        "enrollments/mode",
        &[("run", R1), ("mode", "verified")],
    )
    .await;
    assert_eq!(status, 303, "{html}");
    assert!(html.contains("changed mode audit -&gt; verified"), "{html}");
    assert_eq!(
        enrollment(&app, ann, R1).await,
        Some((true, "verified".into(), None))
    );

    // Move to the other run: the old one is deferred, the new one has the same mode.
    let (status, html) = act(
        &app,
        &staff,
        ann,
        "enrollments/defer",
        &[("from", R1), ("to", R2)],
    )
    .await;
    assert_eq!(status, 303, "{html}");
    assert_eq!(
        enrollment(&app, ann, R2).await,
        Some((true, "verified".into(), None))
    );
    assert_eq!(
        enrollment(&app, ann, R1).await.unwrap().2.as_deref(),
        Some("deferred")
    );

    let (status, html) = act(&app, &staff, ann, "enrollments/unenroll", &[("run", R2)]).await;
    assert_eq!(status, 303, "{html}");
    assert!(html.contains(&format!("{R2}: unenrolled")), "{html}");
    assert_eq!(
        enrollment(&app, ann, R2).await,
        Some((false, "verified".into(), Some("unenrolled".into())))
    );

    // The audit trail on the page shows each change, by the staff member.
    let html = page(&app, &staff, ann).await;
    let trail = &html[html.find("id=\"audit\"").unwrap()..];
    for action in ["enroll", "change_mode", "deferred", "unenrolled"] {
        assert!(
            trail.contains(&format!("<td>{action}</td>")),
            "{action} in {trail}"
        );
    }
    assert!(trail.contains("lp-desk@example.com"), "{trail}");
}

#[tokio::test]
async fn transfer_moves_the_seat_and_its_payment_to_another_learner() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx"]);
    let r1 = run(&app, R1, OPEN).await;
    let staff = signed_in(&app, "tr-desk@example.com", true).await;
    signed_in(&app, "tr-ann@example.com", false).await;
    signed_in(&app, "tr-bob@example.com", false).await;
    let (ann, bob) = (
        user_id(&app, "tr-ann@example.com").await,
        user_id(&app, "tr-bob@example.com").await,
    );
    let (status, _) = act(&app, &staff, ann, "enroll", &[("run", R1), ("mode", "verified")]).await;
    assert_eq!(status, 303);
    let now = mitxonline::clock::to_db(app.state.clock.now());
    app.state
        .db
        .write(move |c| {
            c.execute(
                "INSERT INTO paid_course_runs (user_id, run_id, order_id, created_on) VALUES (?1, ?2, 77, ?3)",
                rusqlite::params![ann, r1, now],
            )
        })
        .await
        .unwrap();
    let html = page(&app, &staff, ann).await;
    assert!(html.contains("<td>paid</td>"), "{html}");

    // Refused: an unknown email, the learner themself; nothing changes.
    let before = totals(&app).await;
    for (email, why) in [
        (
            "nobody@example.com",
            "No learner has the email nobody@example.com.",
        ),
        ("tr-ann@example.com", "already this learner"),
    ] {
        let (status, html) = act(
            &app,
            &staff,
            ann,
            "enrollments/transfer",
            &[("run", R1), ("email", email)],
        )
        .await;
        assert_eq!(status, 400, "{email}");
        assert!(html.contains(why), "{why} in {html}");
    }
    assert_eq!(totals(&app).await, before);

    let (status, html) = act(
        &app,
        &staff,
        ann,
        "enrollments/transfer",
        &[("run", R1), ("email", "tr-bob@example.com")],
    )
    .await;
    assert_eq!(status, 303, "{html}");
    assert!(html.contains("transferred to tr-bob@example.com"), "{html}");
    assert_eq!(
        enrollment(&app, ann, R1).await,
        Some((false, "verified".into(), Some("transferred".into())))
    );
    assert_eq!(
        enrollment(&app, bob, R1).await,
        Some((true, "verified".into(), None))
    );
    let payer = app
        .state
        .db
        .read(|c| {
            c.query_row(
                "SELECT user_id FROM paid_course_runs WHERE order_id = 77",
                [],
                |r| r.get::<_, i64>(0),
            )
        })
        .await
        .unwrap();
    assert_eq!(payer, bob, "the payment follows the seat");
    let bob_page = page(&app, &staff, bob).await;
    assert!(bob_page.contains("<td>paid</td>"), "{bob_page}");

    // Bob now holds the seat: transferring Ann's (inactive) enrollment again is refused.
    let (status, html) = act(
        &app,
        &staff,
        ann,
        "enrollments/transfer",
        &[("run", R1), ("email", "tr-bob@example.com")],
    )
    .await;
    assert_eq!(status, 400);
    assert!(html.contains(&format!("No active enrollment in {R1}")), "{html}");
}

#[tokio::test]
async fn staff_sign_a_learner_out_and_retry_their_failed_edx_messages() {
    let app = TestApp::spawn().await;
    let staff = signed_in(&app, "ss-desk@example.com", true).await;
    let phone = signed_in(&app, "ss-ann@example.com", false).await;
    let laptop = crate::support::client();
    let r = crate::support::identity::log_in(&app, &laptop, "ss-ann@example.com", "a good password").await;
    assert_eq!(r.status(), 303);
    let ann = user_id(&app, "ss-ann@example.com").await;
    let dashboard = |c: &reqwest::Client| {
        let c = c.clone();
        let url = app.url("/dashboard/");
        async move { c.get(url).send().await.unwrap().status().as_u16() }
    };
    assert_eq!((dashboard(&phone).await, dashboard(&laptop).await), (200, 200));

    let html = page(&app, &staff, ann).await;
    let sessions: Vec<i64> = html
        .match_indices("id=\"session-")
        .map(|(at, m)| html[at + m.len()..].split('"').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(sessions.len(), 2, "{html}");

    // One session (the newest, listed first: the laptop's).
    let one = sessions[0].to_string();
    let (status, html) = act(&app, &staff, ann, "sessions/revoke", &[("session", one.as_str())]).await;
    assert_eq!(status, 303);
    assert!(html.contains("1 session(s) signed out"), "{html}");
    assert_ne!(dashboard(&laptop).await, 200, "the laptop is signed out");
    assert_eq!(dashboard(&phone).await, 200, "the phone is not");
    // Another learner's session id is not theirs to revoke here.
    let (status, _) = act(&app, &staff, ann, "sessions/revoke", &[("session", "999999")]).await;
    assert_eq!(status, 404);
    let (status, html) = act(&app, &staff, ann, "sessions/revoke", &[]).await;
    assert_eq!(status, 303);
    assert!(
        html.contains("1 session(s) signed out") && html.contains("No live sessions."),
        "{html}"
    );
    assert_ne!(dashboard(&phone).await, 200);

    // A dead edX message about Ann: shown, then requeued by the retry.
    let now = mitxonline::clock::to_db(app.state.clock.now());
    app.state
        .db
        .write(move |c| {
            c.execute(
                "INSERT INTO outbox (destination, kind, payload, idempotency_key, status, attempts, next_attempt_at, last_error, created_on)
                 VALUES ('openedx', 'enroll', json_object('user_id', ?1, 'course_id', 'course-v1:X+Y+Z', 'mode', 'audit'),
                         'lp-dead', 'dead', 9, ?2, 'edX said no', ?2)",
                rusqlite::params![ann, now],
            )
        })
        .await
        .unwrap();
    let html = page(&app, &staff, ann).await;
    let edx = &html[html.find("id=\"edx\"").unwrap()..html.find("id=\"sessions\"").unwrap()];
    assert!(
        edx.contains("edX said no") && edx.contains("<td>dead</td>"),
        "{edx}"
    );
    app.expect_undrained(&["openedx"]);
    let (status, html) = act(&app, &staff, ann, "edx/retry", &[]).await;
    assert_eq!(status, 303);
    assert!(html.contains("1 failed edX message(s) requeued"), "{html}");
    assert_eq!(
        count(&app, "SELECT count(*) FROM outbox WHERE idempotency_key = 'lp-dead' AND status = 'pending' AND attempts = 0").await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM audit_log WHERE action IN ('user.edx_retry', 'user.sessions_revoked')"
        )
        .await,
        3
    );
}

#[tokio::test]
async fn the_learner_page_lists_orders_and_program_enrollments() {
    use crate::support::commerce;
    let app = TestApp::spawn().await;
    let staff = signed_in(&app, "or-desk@example.com", true).await;
    let (_, product) = commerce::run_product(&app, "LPO", "99.00").await;
    let (ann, client) = commerce::learner(&app, "or-ann@example.com").await;
    commerce::basket_with(&app, &client, product).await;
    let (status, body) = commerce::checkout(&app, &client).await;
    assert_eq!(status, 200, "{body}");
    let (order, reference, state) = app
        .state
        .db
        .read(move |c| {
            c.query_row(
                "SELECT id, reference_number, state FROM orders WHERE purchaser_id = ?1",
                [ann],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                },
            )
        })
        .await
        .unwrap();
    let html = page(&app, &staff, ann).await;
    let orders = &html[html.find("id=\"orders\"").unwrap()..html.find("id=\"edx\"").unwrap()];
    assert!(
        orders.contains(&format!("href=\"/staff/orders/{order}/\">{reference}</a>")),
        "{orders}"
    );
    assert!(
        orders.contains(&format!("<td>{state}</td>")) && orders.contains("$99.00"),
        "{orders}"
    );
    let programs = &html[html.find("id=\"programs\"").unwrap()..html.find("id=\"orders\"").unwrap()];
    assert!(programs.contains("No program enrollments."), "{programs}");
}
