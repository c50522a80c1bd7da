//! The staff console home and the staff orders console: find an order, read its history,
//! refund it (with the reason kept and the actor audited); bad input changes nothing.

use crate::support::TestApp;
use crate::support::commerce::*;
use crate::support::identity::signed_in;
use mitxonline::users::api_keys::Scope;

fn staff_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn staff_get(app: &TestApp, key: &str, path: &str) -> (u16, String) {
    let r = staff_client()
        .get(app.url(path))
        .header("Authorization", format!("Api-Key {key}"))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn staff_post(app: &TestApp, key: &str, path: &str, form: &[(&str, &str)]) -> (u16, String) {
    let r = staff_client()
        .post(app.url(path))
        .header("Authorization", format!("Api-Key {key}"))
        .form(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// A learner's fulfilled, paid order for a fresh run product: (learner id, order id, run id).
async fn fulfilled_order(app: &TestApp, email: &str) -> (i64, i64, i64) {
    let (run, product) = run_product(app, "STAFFORD", "80.00").await;
    let (user, client) = learner(app, email).await;
    let body = started_checkout(app, &client, product).await;
    let order = body["order_id"].as_i64().unwrap();
    pay_on_sandbox(app, &body, &[("decision", "accept")]).await;
    app.drain_outbox().await; // the sandbox's back-office post
    assert_eq!(order_state(app, order).await, "fulfilled");
    (user, order, run)
}

#[tokio::test]
async fn the_staff_home_links_every_console_and_is_for_staff_only() {
    let app = TestApp::spawn().await;
    let key = app.api_key(Scope::Staff).await;
    let (status, html) = staff_get(&app, &key, "/staff/").await;
    assert_eq!(status, 200);
    for path in [
        "/staff/orders/",
        "/staff/refunds/",
        "/staff/jobs/",
        "/staff/cms/",
        "/staff/users/",
    ] {
        assert!(
            html.contains(&format!("href=\"{path}\"")),
            "{path} missing: {html}"
        );
    }
    let learner = signed_in(&app, "not-staff@example.com", false).await;
    let r = learner.get(app.url("/staff/")).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let anonymous = staff_client()
        .get(app.url("/staff/orders/"))
        .send()
        .await
        .unwrap();
    assert!(
        [302, 303, 401, 403].contains(&anonymous.status().as_u16()),
        "{}",
        anonymous.status()
    );
    // Every console page answers and carries the shared staff navigation back home.
    for (path, _, _) in mitxonline::staff::pages::CONSOLES {
        let (status, html) = staff_get(&app, &key, path).await;
        assert_eq!(status, 200, "{path}");
        assert!(html.contains("<nav aria-label=\"Staff\">"), "{path}: {html}");
    }
}

#[tokio::test]
async fn staff_find_an_order_by_email_or_reference_and_read_its_history() {
    let app = TestApp::spawn().await;
    let key = app.api_key(Scope::Staff).await;
    let (_, order, _) = fulfilled_order(&app, "finder@example.com").await;
    let reference = format!("mitxonline-{}-{order}", app.state.config.environment);
    for q in ["finder@", reference.as_str(), &order.to_string()] {
        let (status, html) = staff_get(&app, &key, &format!("/staff/orders/?q={q}")).await;
        assert_eq!(status, 200);
        assert!(
            html.contains(&format!("href=\"/staff/orders/{order}/\"")),
            "{q}: {html}"
        );
    }
    let (_, none) = staff_get(&app, &key, "/staff/orders/?q=nobody-at-all").await;
    assert!(none.contains("No orders match."), "{none}");

    let (status, html) = staff_get(&app, &key, &format!("/staff/orders/{order}/")).await;
    assert_eq!(status, 200);
    assert!(html.contains("finder@example.com"), "{html}");
    assert!(html.contains("pending → fulfilled"), "{html}");
    assert!(html.contains("payment $80.00"), "{html}");
    assert!(
        html.contains(&format!("action=\"/staff/orders/{order}/refund/\"")),
        "{html}"
    );
    assert_eq!(staff_get(&app, &key, "/staff/orders/999999/").await.0, 404);
}

#[tokio::test]
async fn staff_refund_part_then_the_rest_with_a_reason_and_unenroll_when_asked() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx", "mail"]);
    let key = app.api_key(Scope::Staff).await;
    let (user, order, run) = fulfilled_order(&app, "refundee@example.com").await;
    let path = format!("/staff/orders/{order}/refund/");

    // Bad input names the field and changes nothing.
    let (status, body) = staff_post(&app, &key, &path, &[("reason", "  "), ("after", "unenroll")]).await;
    assert_eq!(status, 400);
    assert!(body.contains("reason"), "{body}");
    let (status, body) = staff_post(&app, &key, &path, &[("reason", "asked"), ("after", "vanish")]).await;
    assert_eq!(status, 400);
    assert!(body.contains("after"), "{body}");
    for bad in ["abc", "0", "-5", "80.01", "1.005"] {
        let (status, body) = staff_post(&app, &key, &path, &[("reason", "asked"), ("amount", bad)]).await;
        assert_eq!(status, 400, "{bad}");
        assert!(body.contains("amount"), "{bad}: {body}");
    }
    assert_eq!(
        staff_post(&app, &key, "/staff/orders/999999/refund/", &[("reason", "x")])
            .await
            .0,
        404
    );
    assert_eq!(order_state(&app, order).await, "fulfilled");
    let refunds =
        "SELECT count(*) FROM order_transactions WHERE order_id = ?1 AND transaction_type = 'refund'";
    assert_eq!(count(&app, refunds, order).await, 0);

    // Part of it: the order stays fulfilled and the learner keeps the verified enrollment.
    let active = "SELECT count(*) FROM course_run_enrollments WHERE user_id = ?1 AND active = 1";
    let (status, body) = staff_post(
        &app,
        &key,
        &path,
        &[
            ("reason", "late start"),
            ("amount", "30.00"),
            ("after", "unenroll"),
        ],
    )
    .await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(order_state(&app, order).await, "fulfilled");
    assert_eq!(count(&app, active, user).await, 1);
    let (_, html) = staff_get(&app, &key, &format!("/staff/orders/{order}/")).await;
    assert!(html.contains("Refundable: $50.00 of $80.00."), "{html}");

    // The rest (the default amount): refunded, and unenrolled as asked.
    let (status, body) = staff_post(
        &app,
        &key,
        &path,
        &[("reason", "duplicate purchase"), ("after", "unenroll")],
    )
    .await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(order_state(&app, order).await, "refunded");
    assert_eq!(count(&app, refunds, order).await, 2);
    assert_eq!(count(&app, active, user).await, 0);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM paid_course_runs WHERE run_id = ?1",
            run
        )
        .await,
        0
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM audit_log WHERE action = 'refund' AND object_type = 'order'")
            .await,
        2,
        "each refund audited once"
    );
    let (_, html) = staff_get(&app, &key, &format!("/staff/orders/{order}/")).await;
    assert!(html.contains("duplicate purchase"), "{html}");
    assert!(
        !html.contains("/refund/\""),
        "no refund form on a refunded order: {html}"
    );

    // Refunding again is refused and records nothing.
    let (status, _) = staff_post(&app, &key, &path, &[("reason", "again")]).await;
    assert_eq!(status, 400);
    assert_eq!(count(&app, refunds, order).await, 2);
}
