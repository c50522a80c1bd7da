//! The built-in sandbox CyberSource, the default when no `MITXONLINE_CYBERSOURCE_*` credentials
//! are set (DESIGN decision 8) — only where sandboxes are allowed (`dev`/`test` or
//! `MITXONLINE_SANDBOX=on`); elsewhere every route here answers 404 and `serve` refuses to
//! start without credentials. Its keys are random per database ([`crate::db::sandbox_keys`]).
//!
//! `POST /sandbox/cybersource/pay` plays the hosted checkout page: it verifies the signed form
//! exactly as CyberSource would, records it, and shows the order with test cards and Accept /
//! Decline / Review / Error / Cancel buttons. The learner's choice produces a correctly signed result that is
//! (1) handed back to the browser as an auto-submitting form to the receipt/cancel page named
//! in the checkout form (a plain button without JavaScript), and (2) posted server-to-server
//! to the back-office URL **through the outbox** (destination `cybersource_sandbox_callback`):
//! the notification is then durable and retried if our own endpoint is briefly down, and the
//! page's "lose the notification" box simulates the real service's single, unretried post
//! (failure mode 1), so reconciliation can be exercised. Its REST endpoints under
//! `/sandbox/cybersource/rest` check CyberSource HTTP signatures and answer refunds,
//! transaction searches and details from what the page recorded.

mod api;
mod pages;
pub mod refunds;
pub mod service;
pub mod store;

pub use service::{
    Choice, TEST_CARDS, backoffice_url, callback_message, override_allowed, result_fields, transaction_id,
};

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};

use crate::outbox::{BoxFuture, Deliverer, Delivery, Message};
use crate::state::AppState;

/// Where the hosted checkout page lives.
pub const PAY_PATH: &str = "/sandbox/cybersource/pay";
/// The REST API's base path.
pub const REST_BASE: &str = "/sandbox/cybersource/rest";
/// Outbox destination of server-to-server results.
pub const DESTINATION: &str = "cybersource_sandbox_callback";

/// Posts results as `application/x-www-form-urlencoded`, like CyberSource's back-office post.
pub struct CallbackDeliverer {
    client: reqwest::Client,
}

impl Deliverer for CallbackDeliverer {
    fn deliver<'a>(&'a self, msg: &'a Message) -> BoxFuture<'a, Delivery> {
        Box::pin(async move {
            let url = msg.payload["url"].as_str().unwrap_or_default();
            let fields: Vec<(String, String)> =
                serde_json::from_value(msg.payload["fields"].clone()).unwrap_or_default();
            if url.is_empty() || fields.is_empty() {
                return Delivery::Permanent {
                    error: "payload has no url or fields".into(),
                };
            }
            let sent = self
                .client
                .post(url)
                .header("Idempotency-Key", &msg.idempotency_key)
                .timeout(Duration::from_secs(10))
                .form(&fields)
                .send()
                .await;
            Delivery::from_sent(sent).await
        })
    }
}

pub fn register(state: &AppState) {
    state.outbox.register(
        DESTINATION,
        Arc::new(CallbackDeliverer {
            client: state.http_client.clone(),
        }),
    );
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(PAY_PATH, post(pages::receive_checkout).get(pages::explain))
        .route(&format!("{PAY_PATH}/{{token}}"), post(pages::decide))
        .route(
            &format!("{REST_BASE}/pts/v2/payments/{{id}}/refunds"),
            post(api::refund),
        )
        .route(&format!("{REST_BASE}/tss/v2/searches"), post(api::search))
        .route(
            &format!("{REST_BASE}/tss/v2/transactions/{{id}}"),
            get(api::details),
        )
        .route(
            "/sandbox/cybersource/faults/lose-next-refund-reply",
            post(refunds::arm_lost_reply),
        )
}
