//! The sandbox checkout in a real (headless) browser: the learner clicks Accept and the signed
//! result form submits itself to the receipt page named in the checkout form (always on this
//! site: the sandbox refuses return URLs elsewhere).

use std::time::Duration;

use crate::support::TestApp;
use crate::support::browser::Browser;
use crate::support::commerce::{count, learner, order_state, run_product, started_checkout};

#[tokio::test]
async fn in_a_browser_accepting_a_sandbox_payment_returns_a_signed_result_to_the_receipt_page() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn().await;
    app.expect_undelivered_to("cybersource_sandbox_callback");
    app.expect_undrained(&["openedx", "mail"]);
    let (_, product) = run_product(&app, "BROWSER77", "75.00").await;
    let (_, client) = learner(&app, "browser-learner@example.com").await;
    let checkout = started_checkout(&app, &client, product).await;
    let order = checkout["order_id"].as_i64().unwrap();
    let receipt = checkout["payload"]["override_custom_receipt_page"]
        .as_str()
        .unwrap();
    assert_eq!(receipt, app.url("/checkout/result/"));
    let fields: Vec<(String, String)> = checkout["payload"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
        .collect();

    // What the checkout interstitial does: a form of hidden inputs posted to CyberSource.
    browser.goto(&app.url("/")).await;
    let script = format!(
        "const f = document.createElement('form'); f.method = 'post'; f.action = {};
         for (const [k, v] of {}) {{ const i = document.createElement('input'); i.type = 'hidden'; i.name = k; i.value = v; f.appendChild(i); }}
         document.body.appendChild(f); f.submit(); return true;",
        serde_json::to_string(&checkout["url"]).unwrap(),
        serde_json::to_string(&fields).unwrap(),
    );
    browser.eval(&script).await;
    let mut accept = None;
    for _ in 0..400 {
        accept = browser.try_find("button[value=accept]").await;
        if accept.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let accept = accept.expect("the sandbox payment page appears");
    assert!(browser.source().await.contains("75.00 USD"));
    browser.click(&accept).await;

    // The back-office post waits in the outbox (no dispatcher here): only the browser's
    // auto-submitted, signed result can fulfil the order.
    let mut state = String::new();
    for _ in 0..400 {
        state = order_state(&app, order).await;
        if state != "pending" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        state, "fulfilled",
        "the browser returned an accepted, verified result"
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM order_transactions WHERE order_id = ?1 AND transaction_type = 'payment'",
            order
        )
        .await,
        1
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM outbox WHERE destination = 'cybersource_sandbox_callback'")
            .await,
        1,
        "the back-office notification is still queued"
    );
    browser.quit().await;
    app.shutdown().await;
}
