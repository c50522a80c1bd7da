//! The cart and order pages as a learner reads them (issue 19): the order summary and its
//! POST button, a checkout gate's refusal as an alert on the cart, the order history's column
//! headers and labelled cells, and the receipt's print layout hooks.

use crate::support::TestApp;
use crate::support::commerce::*;

async fn text(c: &reqwest::Client, app: &TestApp, path: &str) -> String {
    let r = c.get(app.url(path)).send().await.unwrap();
    assert_eq!(r.status(), 200, "{path}");
    r.text().await.unwrap()
}

#[tokio::test]
async fn the_cart_lays_out_an_order_summary_with_a_real_button_and_a_gate_refusal_is_an_alert() {
    let app = TestApp::spawn().await;
    let (run, product) = run_product(&app, "CARTUX", "49.00").await;
    let (_, client) = learner(&app, "cartux@example.com").await;
    basket_with(&app, &client, product).await;
    let cart = text(&client, &app, "/cart/").await;
    let summary = &cart[cart
        .find("<aside class=\"order-summary\"")
        .expect("an order summary")..];
    assert!(
        summary.contains("Order summary") && summary.contains("id=\"cart-total\">$49.00<"),
        "{summary}"
    );
    assert!(
        summary.contains("id=\"cart-discounted-total\">$49.00<"),
        "{summary}"
    );
    let form = &summary[summary.find("<form").unwrap()..summary.find("</form>").unwrap()];
    assert!(
        form.contains("method=\"post\"") && form.contains("action=\"/checkout/to_payment\""),
        "{form}"
    );
    assert!(
        form.contains("<button type=\"submit\" id=\"place-order\">Place your order</button>"),
        "{form}"
    );
    assert!(cart.contains("<th scope=\"col\">Item</th>"), "{cart}");

    // The upgrade deadline passes: placing the order lands back on the cart with an alert
    // that names the gate.
    let past = mitxonline::clock::to_db(app.state.clock.now() - chrono::Duration::days(1));
    app.state
        .db
        .write(move |c| {
            c.execute(
                "UPDATE course_runs SET upgrade_deadline = ?2 WHERE id = ?1",
                rusqlite::params![run, past],
            )
        })
        .await
        .unwrap();
    let r = client.get(app.url("/checkout/to_payment")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    let page = text(&client, &app, &to).await;
    let alert = &page[page.find("id=\"cart-error\"").expect("an error banner")..];
    assert!(
        alert.contains("We could not place your order.") && alert.contains("can no longer be upgraded"),
        "{alert}"
    );
    assert!(
        page.contains("class=\"notice banner error\" role=\"alert\""),
        "{page}"
    );
    assert_eq!(app.scalar_i64("SELECT count(*) FROM orders").await, 0);
    app.shutdown().await;
}

#[tokio::test]
async fn order_history_has_column_headers_and_labelled_cells_and_the_receipt_prints_without_buttons() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx", "mail"]);
    let (_, product) = run_product(&app, "HIST", "30.00").await;
    let (_, client) = learner(&app, "hist@example.com").await;
    let empty = text(&client, &app, "/orders/history/").await;
    assert!(empty.contains("You have no orders yet.") && empty.contains("href=\"/catalog/\""));
    let checkout = started_checkout(&app, &client, product).await;
    let order = checkout["order_id"].as_i64().unwrap();
    let paid = signed_result(&app, &checkout["payload"], "ACCEPT", "7000000000000000000778");
    assert_eq!(
        post_result(&app, "/api/checkout/result/", &paid).await.status(),
        200
    );

    let html = text(&client, &app, "/orders/history/").await;
    for h in ["Items", "Order number", "Date", "Total", "State"] {
        assert!(html.contains(&format!(">{h}</th>")), "{h}: {html}");
        assert!(html.contains(&format!("data-label=\"{h}\"")), "{h}: {html}");
    }
    assert_eq!(html.matches("<th scope=\"col\"").count(), 6, "{html}");
    assert!(html.contains("<table class=\"orders stack\">"), "{html}");
    assert!(html.contains(&format!("/orders/receipt/{order}/")), "{html}");

    let receipt = text(&client, &app, &format!("/orders/receipt/{order}/")).await;
    assert!(receipt.contains("id=\"receipt-total\">$30.00<"), "{receipt}");
    assert!(
        receipt.contains("class=\"receipt-actions no-print\""),
        "{receipt}"
    );
    assert!(
        receipt.contains("<th scope=\"col\" class=\"num\">Paid</th>"),
        "{receipt}"
    );
    app.shutdown().await;
}
