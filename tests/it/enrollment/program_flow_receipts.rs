//! `/orders/receipt/by-run/{id}/` and `/orders/receipt/by-program/{id}/`: a 302 to the
//! learner's latest fulfilled receipt, the 404 page when there is none, the login redirect for
//! anonymous visitors; and the dashboard's "View receipt" links.

use mitxonline::enrollment::model::Mode;
use serde_json::json;

use crate::support::TestApp;
use crate::support::commerce::{count, learner, post_result, signed_result, started_checkout};
use crate::support::program_flow::*;

const DEDP: &str = "program-v1:MITx+DEDP";

async fn location(client: &reqwest::Client, url: &str) -> (u16, String) {
    let r = client.get(url).send().await.unwrap();
    let loc = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (r.status().as_u16(), loc)
}

#[tokio::test]
async fn receipt_links_redirect_to_the_latest_fulfilled_order_for_the_run_or_the_program() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx", "mail"]);
    let prog = program(&app, DEDP, Some("1000.00")).await;
    let (run, key) = course_run(&app, "RCPT", Some(prog), UPGRADABLE).await;
    let (user, client) = learner(&app, "receipts@example.com").await;

    // Nothing bought yet: the 404 page.
    let r = client
        .get(app.url(&format!("/orders/receipt/by-run/{run}/")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.text().await.unwrap().contains("no receipt"));
    let (status, _) = location(
        &client,
        &app.url(&format!("/orders/receipt/by-program/{}/", prog.0)),
    )
    .await;
    assert_eq!(status, 404);

    // The program is bought (a pending order for it stays pending and is not a receipt).
    let product = count(&app, "SELECT id FROM products WHERE program_id = ?1", prog.0).await;
    let body = started_checkout(&app, &client, product).await;
    let program_order = body["order_id"].as_i64().unwrap();
    let (status, _) = location(
        &client,
        &app.url(&format!("/orders/receipt/by-program/{}/", prog.0)),
    )
    .await;
    assert_eq!(status, 404, "a pending order has no receipt");
    let fields = signed_result(&app, &body["payload"], "ACCEPT", "7200000000000000001");
    assert_eq!(
        post_result(&app, "/api/checkout/result/", &fields).await.status(),
        200
    );
    let (status, to) = location(
        &client,
        &app.url(&format!("/orders/receipt/by-program/{}/", prog.0)),
    )
    .await;
    assert_eq!(
        (status, to.as_str()),
        (302, format!("/orders/receipt/{program_order}/").as_str())
    );

    // The run comes through the verified-program flow.
    assert_eq!(post_vpe(&app, &client, &key, &json!([DEDP])).await.0, 201);
    let run_order = count(&app, "SELECT max(id) FROM orders WHERE purchaser_id = ?1", user).await;
    let (status, to) = location(&client, &app.url(&format!("/orders/receipt/by-run/{run}/"))).await;
    assert_eq!(
        (status, to.as_str()),
        (302, format!("/orders/receipt/{run_order}/").as_str())
    );
    // Where it leads is the learner's receipt.
    let r = client.get(app.url(&to)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Course RCPT"));

    // The dashboard links both.
    let page = client
        .get(app.url("/dashboard/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("/orders/receipt/by-run/{run}/")), "{page}");
    let page = client
        .get(app.url("/dashboard/?tab=programs"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!("/orders/receipt/by-program/{}/", prog.0)),
        "{page}"
    );

    // Another learner has no receipt for the same run; ids that are not numbers are 404s.
    let (other, other_client) = learner(&app, "other@example.com").await;
    enroll_in_program(&app, other, prog.0, Mode::Audit).await;
    let (status, _) = location(&other_client, &app.url(&format!("/orders/receipt/by-run/{run}/"))).await;
    assert_eq!(status, 404);
    let (status, _) = location(&client, &app.url("/orders/receipt/by-run/abc/")).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn an_anonymous_visitor_is_sent_to_log_in_first() {
    let app = TestApp::spawn().await;
    for path in ["/orders/receipt/by-run/1/", "/orders/receipt/by-program/1/"] {
        let (status, to) = location(&crate::support::client(), &app.url(path)).await;
        assert!(
            status == 303 || status == 302 || status == 307,
            "{path}: {status}"
        );
        assert!(to.starts_with("/login/?next="), "{path}: {to}");
        assert!(to.contains("by-"), "{path}: {to}");
    }
}

#[tokio::test]
async fn a_refunded_order_is_no_longer_the_receipt_the_link_leads_to() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx"]);
    let prog = program(&app, DEDP, Some("1000.00")).await;
    let (run, key) = course_run(&app, "REFUND", Some(prog), UPGRADABLE).await;
    let (user, client) = learner(&app, "refunded@example.com").await;
    enroll_in_program(&app, user, prog.0, Mode::Verified).await;
    assert_eq!(post_vpe(&app, &client, &key, &json!([DEDP])).await.0, 201);
    let (status, _) = location(&client, &app.url(&format!("/orders/receipt/by-run/{run}/"))).await;
    assert_eq!(status, 302);
    app.state
        .db
        .write(move |c| {
            c.execute(
                "UPDATE orders SET state = 'refunded' WHERE purchaser_id = ?1",
                [user],
            )
            .map_err(mitxonline::db::DbError::from)
        })
        .await
        .unwrap();
    let (status, _) = location(&client, &app.url(&format!("/orders/receipt/by-run/{run}/"))).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn under_a_path_prefix_the_receipt_link_redirects_inside_the_prefix() {
    let app = TestApp::builder()
        .public_url("https://api.learn.mit.edu/mitxonline")
        .spawn()
        .await;
    app.expect_undrained(&["openedx"]);
    let prog = program(&app, DEDP, Some("1000.00")).await;
    let (run, key) = course_run(&app, "PREFIX", Some(prog), UPGRADABLE).await;
    let (user, client) = learner(&app, "prefix@example.com").await;
    enroll_in_program(&app, user, prog.0, Mode::Verified).await;
    assert_eq!(post_vpe(&app, &client, &key, &json!([DEDP])).await.0, 201);
    let order = count(&app, "SELECT max(id) FROM orders WHERE purchaser_id = ?1", user).await;
    let (status, to) = location(
        &client,
        &app.url(&format!("/mitxonline/orders/receipt/by-run/{run}/")),
    )
    .await;
    assert_eq!(
        (status, to),
        (302, format!("/mitxonline/orders/receipt/{order}/"))
    );
}
