//! The verified-program flow (surface §3.8): a learner who bought a program enrolls in its
//! courses' runs as verified through zero-value orders, with no receipt mail; the program
//! discount is created once and reused; the parent program's verified enrollment cascades to
//! a sub-program; and every audit fallback.

use mitxonline::enrollment::model::Mode;
use serde_json::json;

use crate::support::TestApp;
use crate::support::commerce::{count, learner, post_result, signed_result, started_checkout};
use crate::support::program_flow::*;

const DEDP: &str = "program-v1:MITx+DEDP";

/// Buys the program through the real checkout (ACCEPT from the gateway); returns the order id.
async fn buy_program(app: &TestApp, client: &reqwest::Client, program: i64) -> i64 {
    let product = count(app, "SELECT id FROM products WHERE program_id = ?1", program).await;
    let body = started_checkout(app, client, product).await;
    let fields = signed_result(app, &body["payload"], "ACCEPT", &format!("71000000{program}"));
    assert_eq!(
        post_result(app, "/api/checkout/result/", &fields).await.status(),
        200
    );
    body["order_id"].as_i64().unwrap()
}

#[tokio::test]
async fn a_program_buyer_gets_verified_runs_through_zero_value_orders_without_receipts_and_one_reused_discount()
 {
    let app = TestApp::spawn().await;
    let prog = program(&app, DEDP, Some("1000.00")).await;
    let (run1, key1) = course_run(&app, "DEDP1", Some(prog), UPGRADABLE).await;
    let (run2, key2) = course_run(&app, "DEDP2", Some(prog), UPGRADABLE).await;
    let (user, client) = learner(&app, "dedp@example.com").await;
    let program_order = buy_program(&app, &client, prog.0).await;
    assert_eq!(
        program_mode(&app, user, prog.0).await.as_deref(),
        Some("verified")
    );
    let mails_after_purchase = count(
        &app,
        "SELECT count(*) FROM outbox WHERE destination = 'mail' AND ?1 > 0",
        1,
    )
    .await;
    assert_eq!(mails_after_purchase, 1, "the program purchase sends its receipt");

    let (status, body) = post_vpe(&app, &client, &key1, &json!([DEDP])).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["run"]["id"], run1);
    assert_eq!(body["enrollment_mode"], "verified");
    assert_eq!(run_mode(&app, user, run1).await.as_deref(), Some("verified"));

    // One new order: zero-value, fulfilled, one line for the run, redeeming the program discount.
    let orders = count(&app, "SELECT count(*) FROM orders WHERE purchaser_id = ?1", user).await;
    assert_eq!(orders, 2);
    let order = count(&app, "SELECT max(id) FROM orders WHERE purchaser_id = ?1", user).await;
    assert_ne!(order, program_order);
    let state = crate::support::commerce::order_state(&app, order).await;
    assert_eq!(state, "fulfilled");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM orders WHERE id = ?1 AND total_price_paid IN ('0', '0.00')",
            order
        )
        .await,
        1
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM order_lines l JOIN products p ON p.id = l.product_id WHERE l.order_id = ?1 AND p.course_run_id IS NOT NULL", order).await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM order_transactions WHERE order_id = ?1 AND amount IN ('0', '0.00')",
            order
        )
        .await,
        1
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM paid_course_runs WHERE run_id = ?1 AND order_id = (SELECT max(id) FROM orders)", run1).await,
        1
    );
    let discount = count(
        &app,
        "SELECT d.id FROM discounts d JOIN discount_redemptions r ON r.discount_id = d.id WHERE r.order_id = ?1",
        order,
    )
    .await;
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM discounts d JOIN discount_products dp ON dp.discount_id = d.id
             JOIN products p ON p.id = dp.product_id
             WHERE d.id = ?1 AND d.is_program_discount = 1 AND d.discount_type = 'percent-off' AND d.amount = '100'
               AND d.redemption_type = 'unlimited' AND d.payment_type = 'sales' AND p.program_id IS NOT NULL
               AND d.discount_code LIKE 'program-v1:MITx+DEDP-%' AND length(d.discount_code) = length('program-v1:MITx+DEDP-') + 36",
            discount
        )
        .await,
        1,
        "a 100%-off unlimited sales program discount bound to the program's product"
    );
    // No receipt for the zero-value order.
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM outbox WHERE destination = 'mail' AND ?1 > 0",
            1
        )
        .await,
        1
    );

    // The second course reuses the same discount.
    let (status, body) = post_vpe(&app, &client, &key2, &json!([DEDP])).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(run_mode(&app, user, run2).await.as_deref(), Some("verified"));
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM discounts WHERE is_program_discount = ?1",
            1
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM discount_redemptions WHERE discount_id = ?1",
            discount
        )
        .await,
        2
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM orders WHERE purchaser_id = ?1 AND state = 'fulfilled'",
            user
        )
        .await,
        3
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM outbox WHERE destination = 'mail' AND ?1 > 0",
            1
        )
        .await,
        1
    );

    // Asking again changes nothing.
    let before = snapshot(&app).await;
    let (status, _) = post_vpe(&app, &client, &key1, &json!([DEDP])).await;
    assert_eq!(status, 204);
    assert_eq!(snapshot(&app).await, before);

    // After delivery the learner's mailbox holds the program receipt only.
    app.drain_outbox().await;
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM mail_sandbox WHERE to_address = 'dedp@example.com'")
            .await,
        1
    );
}

#[tokio::test]
async fn another_verified_learner_reuses_the_programs_discount() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx"]);
    let prog = program(&app, DEDP, Some("1000.00")).await;
    let (run, key) = course_run(&app, "DEDP1", Some(prog), UPGRADABLE).await;
    let mut users = Vec::new();
    for email in ["one@example.com", "two@example.com"] {
        let (user, client) = learner(&app, email).await;
        enroll_in_program(&app, user, prog.0, Mode::Verified).await;
        let (status, body) = post_vpe(&app, &client, &key, &json!([DEDP])).await;
        assert_eq!(status, 201, "{body}");
        users.push(user);
    }
    for user in users {
        assert_eq!(run_mode(&app, user, run).await.as_deref(), Some("verified"));
    }
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM discounts WHERE is_program_discount = ?1",
            1
        )
        .await,
        1
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM discount_redemptions WHERE ?1 > 0", 1).await,
        2
    );
}

#[tokio::test]
async fn an_audit_enrollment_in_the_run_is_upgraded_to_verified() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx"]);
    let prog = program(&app, DEDP, Some("1000.00")).await;
    let (run, key) = course_run(&app, "DEDP1", Some(prog), UPGRADABLE).await;
    let (user, client) = learner(&app, "upgrade@example.com").await;
    let r = client
        .post(app.url("/api/v2/enrollments/"))
        .json(&json!({ "run_id": run }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    enroll_in_program(&app, user, prog.0, Mode::Verified).await;
    let (status, body) = post_vpe(&app, &client, &key, &json!([DEDP])).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["enrollment_mode"], "verified");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM course_run_enrollments WHERE user_id = ?1",
            user
        )
        .await,
        1
    );
}

#[tokio::test]
async fn the_parents_verified_enrollment_cascades_to_the_sub_program_named_with_it() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx"]);
    let parent = program(&app, "program-v1:MITx+PARENT", Some("2000.00")).await;
    let child = program(&app, "program-v1:MITx+CHILD", Some("500.00")).await;
    add_sub_program(&app, parent, child.0).await;
    let (run, key) = course_run(&app, "CHILD1", Some(child), UPGRADABLE).await;
    let (user, client) = learner(&app, "cascade@example.com").await;
    enroll_in_program(&app, user, parent.0, Mode::Verified).await;

    // The child is named first: the order of the ids does not matter.
    let (status, body) = post_vpe(
        &app,
        &client,
        &key,
        &json!(["program-v1:MITx+CHILD", "program-v1:MITx+PARENT"]),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["enrollment_mode"], "verified");
    assert_eq!(
        program_mode(&app, user, child.0).await.as_deref(),
        Some("verified")
    );
    assert_eq!(
        program_mode(&app, user, parent.0).await.as_deref(),
        Some("verified")
    );
    assert_eq!(run_mode(&app, user, run).await.as_deref(), Some("verified"));
    // The discount comes from the program that holds the course.
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM discounts d JOIN discount_products dp ON dp.discount_id = d.id
             JOIN products p ON p.id = dp.product_id WHERE d.is_program_discount = 1 AND p.program_id = ?1",
            child.0
        )
        .await,
        1
    );
}

#[tokio::test]
async fn two_programs_without_a_verified_enrollment_give_audit_enrollments_everywhere() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx"]);
    let parent = program(&app, "program-v1:MITx+PARENT", Some("2000.00")).await;
    let child = program(&app, "program-v1:MITx+CHILD", Some("500.00")).await;
    add_sub_program(&app, parent, child.0).await;
    let (run, key) = course_run(&app, "CHILD1", Some(child), UPGRADABLE).await;
    let (user, client) = learner(&app, "audit2@example.com").await;
    enroll_in_program(&app, user, parent.0, Mode::Audit).await;
    let (status, body) = post_vpe(
        &app,
        &client,
        &key,
        &json!(["program-v1:MITx+PARENT", "program-v1:MITx+CHILD"]),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["enrollment_mode"], "audit");
    assert_eq!(program_mode(&app, user, child.0).await.as_deref(), Some("audit"));
    assert_eq!(run_mode(&app, user, run).await.as_deref(), Some("audit"));
    assert_eq!(
        count(&app, "SELECT count(*) FROM orders WHERE ?1 > 0", 1).await,
        0
    );
}

/// Each audit fallback: `(what, program mode, in the program, run options)`.
#[tokio::test]
async fn audit_program_enrollment_course_outside_the_program_or_a_non_upgradable_run_give_a_plain_audit_enrollment()
 {
    let cases: [(&str, Mode, bool, RunOpts); 5] = [
        ("audit program enrollment", Mode::Audit, true, UPGRADABLE),
        ("course outside the program", Mode::Verified, false, UPGRADABLE),
        (
            "run without a product",
            Mode::Verified,
            true,
            RunOpts {
                product: false,
                ..UPGRADABLE
            },
        ),
        (
            "run without the verified mode",
            Mode::Verified,
            true,
            RunOpts {
                verified_mode: false,
                ..UPGRADABLE
            },
        ),
        (
            "upgrade deadline passed",
            Mode::Verified,
            true,
            RunOpts {
                upgrade_deadline_passed: true,
                ..UPGRADABLE
            },
        ),
    ];
    for (i, (what, mode, inside, opts)) in cases.into_iter().enumerate() {
        let app = TestApp::spawn().await;
        app.expect_undrained(&["openedx"]);
        let prog = program(&app, DEDP, Some("1000.00")).await;
        let (run, key) = course_run(&app, &format!("FB{i}"), inside.then_some(prog), opts).await;
        let (user, client) = learner(&app, "fallback@example.com").await;
        enroll_in_program(&app, user, prog.0, mode).await;
        let (status, body) = post_vpe(&app, &client, &key, &json!([DEDP])).await;
        assert_eq!(status, 201, "{what}: {body}");
        assert_eq!(body["enrollment_mode"], "audit", "{what}");
        assert_eq!(body["run"]["id"], run, "{what}");
        assert_eq!(
            run_mode(&app, user, run).await.as_deref(),
            Some("audit"),
            "{what}"
        );
        assert_eq!(
            count(&app, "SELECT count(*) FROM orders WHERE ?1 > 0", 1).await,
            0,
            "{what}"
        );
        assert_eq!(
            count(&app, "SELECT count(*) FROM discounts WHERE ?1 > 0", 1).await,
            0,
            "{what}"
        );
        // Already enrolled in audit: nothing to do.
        let (status, _) = post_vpe(&app, &client, &key, &json!([DEDP])).await;
        assert_eq!(status, 204, "{what}");
        app.shutdown().await;
    }
}

#[tokio::test]
async fn a_learner_already_enrolled_in_a_closed_run_gets_204_not_a_refusal() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx"]);
    let prog = program(&app, DEDP, Some("1000.00")).await;
    let (run, key) = course_run(&app, "OPEN1", Some(prog), UPGRADABLE).await;
    let (user, client) = learner(&app, "closed@example.com").await;
    enroll_in_program(&app, user, prog.0, Mode::Audit).await;
    let (status, _) = post_vpe(&app, &client, &key, &json!([DEDP])).await;
    assert_eq!(status, 201);
    // The enrollment window closes; the learner keeps their seat and asks again.
    app.state
        .db
        .write(move |c| {
            c.execute(
                "UPDATE course_runs SET enrollment_end = '2000-01-01T00:00:00.000Z' WHERE id = ?1",
                [run],
            )
            .map_err(mitxonline::db::DbError::from)
        })
        .await
        .unwrap();
    let (status, _) = post_vpe(&app, &client, &key, &json!([DEDP])).await;
    assert_eq!(status, 204);
    assert_eq!(run_mode(&app, user, run).await.as_deref(), Some("audit"));
}

#[tokio::test]
async fn a_double_submission_makes_one_order_and_one_enrollment() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx"]);
    let prog = program(&app, DEDP, Some("1000.00")).await;
    let (run, key) = course_run(&app, "TWICE", Some(prog), UPGRADABLE).await;
    let (user, client) = learner(&app, "twice@example.com").await;
    enroll_in_program(&app, user, prog.0, Mode::Verified).await;
    let body = json!([DEDP]);
    let (a, b) = tokio::join!(
        post_vpe(&app, &client, &key, &body),
        post_vpe(&app, &client, &key, &body)
    );
    let mut statuses = [a.0, b.0];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 204], "{a:?} {b:?}");
    assert_eq!(
        count(&app, "SELECT count(*) FROM orders WHERE purchaser_id = ?1", user).await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM course_run_enrollments WHERE run_id = ?1",
            run
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM paid_course_runs WHERE run_id = ?1",
            run
        )
        .await,
        1
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM discounts WHERE ?1 > 0", 1).await,
        1
    );
}
