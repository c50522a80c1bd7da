//! The sandbox checkout in a real (headless) browser: the learner clicks Accept and the signed
//! result form submits itself to the receipt page named in the checkout form.

use std::time::Duration;

use mitxonline::integrations::cybersource::{
    CallbackForm, CheckoutLine, CheckoutOrder, CyberSource, Decision, ReturnUrls,
};
use rust_decimal::Decimal;

use crate::support::TestApp;
use crate::support::browser::Browser;
use crate::support::fake::FakeServer;

#[tokio::test]
async fn in_a_browser_accepting_a_sandbox_payment_returns_a_signed_result_to_the_receipt_page() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let receiver = FakeServer::start().await;
    let app = TestApp::spawn().await;
    let cs = CyberSource::from_config(&app.state.config);
    let order = CheckoutOrder {
        username: "browser-learner".into(),
        ip_address: None,
        reference: "mitxonline-dev-77".into(),
        lines: vec![CheckoutLine {
            code: "19".into(),
            name: "Circuits and Electronics".into(),
            sku: "19-3".into(),
            quantity: 1,
            unit_price: Decimal::new(7500, 2),
            tax_amount: Decimal::ZERO,
        }],
        merchant_fields: vec![9.into()],
    };
    let urls = ReturnUrls {
        receipt: format!("{}/checkout/result/", receiver.url),
        cancel: format!("{}/checkout/result/", receiver.url),
        backoffice: None,
    };
    let form = cs.checkout(&order, &urls, app.state.clock.now());

    // What the checkout interstitial does: a form of hidden inputs posted to CyberSource.
    browser.goto(&app.url("/")).await;
    let script = format!(
        "const f = document.createElement('form'); f.method = 'post'; f.action = {};
         for (const [k, v] of {}) {{ const i = document.createElement('input'); i.type = 'hidden'; i.name = k; i.value = v; f.appendChild(i); }}
         document.body.appendChild(f); f.submit(); return true;",
        serde_json::to_string(&form.url).unwrap(),
        serde_json::to_string(&form.fields).unwrap(),
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

    receiver.wait_for(1, Duration::from_secs(20)).await;
    let posted = &receiver.requests()[0];
    assert_eq!(
        (posted.method.as_str(), posted.path.as_str()),
        ("POST", "/checkout/result/")
    );
    let result = CallbackForm::from_body(posted.header("content-type").as_deref(), &posted.body).unwrap();
    assert_eq!(result.verify(cs.credentials.security_key.expose()), Ok(()));
    assert_eq!(result.decode().decision, Decision::Accept);
    assert_eq!(result.get("req_reference_number"), Some("mitxonline-dev-77"));
    browser.quit().await;
    app.shutdown().await;
}
