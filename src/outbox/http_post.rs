//! A generic destination: POST a JSON body to a URL with an `Idempotency-Key` header. Used for
//! webhooks and cache purges, and as the reference deliverer the outbox tests drive.

use std::time::Duration;

use serde_json::json;

use super::dispatcher::{BoxFuture, Deliverer, Delivery};
use super::store::{Message, NewMessage};

pub const HTTP_POST: &str = "http_post";

/// Builds a message for [`HttpPostDeliverer`].
pub fn http_post_message(url: &str, body: serde_json::Value, idempotency_key: &str) -> NewMessage {
    NewMessage {
        destination: HTTP_POST.to_owned(),
        kind: "post".to_owned(),
        payload: json!({ "url": url, "body": body }),
        idempotency_key: idempotency_key.to_owned(),
    }
}

pub struct HttpPostDeliverer {
    client: reqwest::Client,
}

impl HttpPostDeliverer {
    pub fn new(client: reqwest::Client) -> Self {
        Self { client }
    }
}

impl Deliverer for HttpPostDeliverer {
    fn deliver<'a>(&'a self, msg: &'a Message) -> BoxFuture<'a, Delivery> {
        Box::pin(async move {
            let Some(url) = msg.payload.get("url").and_then(|u| u.as_str()) else {
                return Delivery::Permanent {
                    error: "payload has no url".into(),
                };
            };
            let body = msg
                .payload
                .get("body")
                .cloned()
                .unwrap_or(serde_json::Value::Null);
            let sent = self
                .client
                .post(url)
                .header("Idempotency-Key", &msg.idempotency_key)
                .timeout(Duration::from_secs(10))
                .json(&body)
                .send()
                .await;
            Delivery::from_sent(sent).await
        })
    }
}
