//! A second payment for a seat already paid (found by the chaos bench): the learner's first
//! payment result is in flight when they pay again from a basket that has grown; the late
//! result must not sell the seat twice. The order is held in review with its payment recorded
//! and an alert, staff refund it, and the enrollment the other order bought stays verified.

use crate::support::TestApp;
use crate::support::commerce::*;

const ACTIVE_VERIFIED: &str = "SELECT count(*) FROM course_run_enrollments WHERE user_id = ?1 AND active = 1 AND enrollment_mode = 'verified'";
const PAYMENTS: &str =
    "SELECT count(*) FROM order_transactions WHERE order_id = ?1 AND transaction_type = 'payment'";

#[tokio::test]
async fn a_late_result_for_a_seat_another_order_paid_is_held_for_review_and_refunded() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx", "mail"]);
    let (_, first) = run_product(&app, "DUPA", "80.00").await;
    let (_, second) = run_product(&app, "DUPB", "40.00").await;
    let (user, client) = learner(&app, "twice@example.com").await;

    // The first checkout is paid at the sandbox gateway; its results (the browser's and the
    // back office's, still in the outbox) have not reached us yet.
    let a = started_checkout(&app, &client, first).await;
    let order_a = a["order_id"].as_i64().unwrap();
    let late = pay_on_sandbox(&app, &a, &[("decision", "accept")]).await;

    // The learner adds a second course and pays for both: a new order, fulfilled.
    let b = started_checkout(&app, &client, second).await;
    let order_b = b["order_id"].as_i64().unwrap();
    assert_ne!(order_a, order_b, "a basket that grew makes a new order");
    let paid_b = pay_on_sandbox(&app, &b, &[("decision", "accept")]).await;
    let r = post_result(&app, "/checkout/result/", &paid_b).await;
    assert_eq!(r.status(), 303);
    assert_eq!(order_state(&app, order_b).await, "fulfilled");
    assert_eq!(count(&app, ACTIVE_VERIFIED, user).await, 2);

    // The first result arrives (the back office's, from the outbox): held for review, the
    // money recorded, nothing granted again.
    app.drain_outbox().await;
    assert_eq!(order_state(&app, order_a).await, "review");
    assert_eq!(count(&app, PAYMENTS, order_a).await, 1);
    assert_eq!(count(&app, ACTIVE_VERIFIED, user).await, 2);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM order_alerts WHERE order_id = ?1 AND kind = 'duplicate_payment'",
            order_a
        )
        .await,
        1
    );
    // The browser's copy arriving after it changes nothing.
    let r = post_result(&app, "/checkout/result/", &late).await;
    assert_eq!(r.status(), 303);
    assert_eq!(count(&app, PAYMENTS, order_a).await, 1);

    // Staff see why, and refund it; the verified enrollment bought by the other order stays.
    let staff = staff(&app).await;
    let page = staff
        .get(app.url(&format!("/staff/orders/{order_a}/")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!("paid again for what order {order_b} already paid")),
        "{page}"
    );
    assert!(
        page.contains(&format!("action=\"/staff/orders/{order_a}/refund/\"")),
        "{page}"
    );
    let r = staff
        .post(app.url(&format!("/staff/orders/{order_a}/refund/")))
        .form(&[("reason", "paid twice"), ("after", "downgrade")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    assert_eq!(order_state(&app, order_a).await, "refunded");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM order_transactions WHERE order_id = ?1 AND transaction_type = 'refund'",
            order_a
        )
        .await,
        1
    );
    assert_eq!(count(&app, ACTIVE_VERIFIED, user).await, 2);
    assert_eq!(order_state(&app, order_b).await, "fulfilled");
}
