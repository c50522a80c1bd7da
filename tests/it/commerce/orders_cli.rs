//! `mitxonline order show` and `mitxonline order refund` run as the real binary against a
//! running app's database (the refund goes to that app's sandbox CyberSource, as a staff
//! refund would): what they print, partial and full refunds, and bad input refused with a
//! non-zero exit and nothing changed.

use std::process::Output;

use super::refunds_partial::paid_order;
use crate::support::TestApp;
use crate::support::commerce::count;
use crate::support::process::run_cli;

async fn cli(app: &TestApp, args: &[&str]) -> (i32, String, String) {
    let dir = app.dir.path().to_owned();
    let bind = app.base.trim_start_matches("http://").to_owned();
    let base = app.base.clone();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let out: Output = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run_cli(
            &dir,
            &[
                ("MITXONLINE_PUBLIC_URL", &base),
                ("MITXONLINE_BIND", &bind),
                ("RUST_LOG", "warn"),
            ],
            &args,
        )
    })
    .await
    .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn order_show_prints_the_order_by_id_or_reference_and_unknown_orders_exit_2() {
    let app = TestApp::spawn().await;
    let (_, order, _, _) = paid_order(&app, "CLISHOW", "100.00").await;
    let id = order.to_string();
    let (code, out, err) = cli(&app, &["order", "show", &id]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("state: fulfilled"), "{out}");
    assert!(out.contains("purchaser: clishow@example.com"), "{out}");
    assert!(out.contains("total paid: 100.00"), "{out}");
    assert!(out.contains("refunds:\n  none"), "{out}");
    assert!(out.contains("remaining: 100.00"), "{out}");
    let reference = out
        .lines()
        .find(|l| l.starts_with("order "))
        .and_then(|l| l.split(['(', ')']).nth(1))
        .unwrap_or_else(|| panic!("{out}"))
        .to_owned();
    assert!(reference.starts_with("mitxonline-"), "{out}");
    let (code, by_ref, _) = cli(&app, &["order", "show", &reference]).await;
    assert_eq!((code, by_ref), (0, out));
    for unknown in ["999999", "mitxonline-nope-1", ""] {
        let (code, _, err) = cli(&app, &["order", "show", unknown]).await;
        assert_eq!(code, 2, "{unknown}");
        assert!(err.contains("no order"), "{err}");
    }
    app.shutdown().await;
}

#[tokio::test]
async fn order_refund_refunds_part_then_the_rest_and_refuses_bad_input_changing_nothing() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx", "mail"]);
    let (user, order, _, _) = paid_order(&app, "CLIREF", "100.00").await;
    let id = order.to_string();
    for (args, needle) in [
        (vec!["--reason", "x", "--amount", "abc"], "--amount"),
        (vec!["--reason", "x", "--amount", "1.001"], "--amount"),
        (vec!["--reason", "x", "--amount", "-3"], "--amount"),
        (vec!["--reason", "x", "--amount", "100.01"], "remaining"),
        (vec!["--reason", "   "], "--reason"),
        (vec!["--amount", "5"], "--reason"),
    ] {
        let mut all = vec!["order", "refund", id.as_str()];
        all.extend(args.iter().copied());
        let (code, _, err) = cli(&app, &all).await;
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    let (code, _, err) = cli(&app, &["order", "refund", "424242", "--reason", "x"]).await;
    assert_eq!(code, 2);
    assert!(err.contains("no order"), "{err}");
    assert_eq!(app.scalar_i64("SELECT count(*) FROM order_refunds").await, 0);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM cybersource_sandbox_refunds")
            .await,
        0
    );

    let (code, out, err) = cli(
        &app,
        &[
            "order",
            "refund",
            &id,
            "--reason",
            "cli goodwill",
            "--amount",
            "30",
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("30.00 done"), "{out}");
    assert!(out.contains("cli goodwill"), "{out}");
    assert!(out.contains("remaining: 70.00"), "{out}");
    assert!(out.contains("state: fulfilled"), "{out}");
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM audit_log WHERE actor_label = 'cli' AND action = 'refund'")
            .await,
        1
    );

    // The gateway's answer is lost: exit 1, the refund stays pending with its amount reserved.
    let s = super::refunds_partial::staff(&app).await;
    let armed = s
        .post(app.url("/sandbox/cybersource/faults/lose-next-refund-reply"))
        .send()
        .await
        .unwrap();
    assert_eq!(armed.status(), 200);
    let (code, out, err) = cli(
        &app,
        &["order", "refund", &id, "--reason", "lost", "--amount", "10"],
    )
    .await;
    assert_eq!(code, 1, "{out}");
    assert!(err.contains("pending"), "{err}");
    assert!(out.contains("10.00 pending"), "{out}");
    assert!(out.contains("remaining: 60.00"), "{out}");

    let (code, out, err) = cli(
        &app,
        &["order", "refund", &id, "--reason", "the rest", "--unenroll"],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("state: refunded"), "{out}");
    assert!(out.contains("remaining: 0.00"), "{out}");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM course_run_enrollments WHERE user_id = ?1 AND active = 1",
            user
        )
        .await,
        0,
        "--unenroll deactivates the enrollment"
    );
    assert_eq!(
        app.scalar_i64("SELECT CAST(refunded_amount AS INTEGER) FROM cybersource_sandbox_payments")
            .await,
        100
    );
    let (code, _, err) = cli(&app, &["order", "refund", &id, "--reason", "again"]).await;
    assert_eq!(code, 2);
    assert!(err.contains("fulfilled"), "{err}");
    app.shutdown().await;
}
