//! The HubSpot CRM sync against an in-process fake HubSpot ([`fake`]) on 127.0.0.1: what is
//! sent for learners and orders ([`objects`]), delivery through outages, 429 storms and lost
//! answers ([`delivery`]), the dry-run CLI and the sandbox CRM ([`cli`]), certificate custom
//! objects ([`certificates`]).

mod certificates;
mod cli;
mod delivery;
pub mod fake;
mod objects;

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::TestApp;

/// The app syncing to HubSpot at `url` (the fake's token), with quick outbox retries.
pub async fn app_with(url: &str, rate: &str) -> TestApp {
    TestApp::builder()
        .env("MITXONLINE_HUBSPOT_SYNC", "on")
        .env("MITXONLINE_HUBSPOT_ACCESS_TOKEN", fake::TOKEN)
        .env("MITXONLINE_HUBSPOT_BASE_URL", url)
        .env("MITXONLINE_HUBSPOT_PIPELINE_ID", "pipeline-test")
        .env("MITXONLINE_HUBSPOT_RATE", rate)
        .env("MITXONLINE_OUTBOX_RATE_PER_MINUTE", "60000")
        .env("MITXONLINE_OUTBOX_BASE_BACKOFF", "100ms")
        .env("MITXONLINE_OUTBOX_MAX_BACKOFF", "500ms")
        .spawn()
        .await
}

/// `PATCH /api/v0/users/me` as the signed-in `client`; it must succeed.
pub async fn patch_me(app: &TestApp, client: &reqwest::Client, body: Value) -> Value {
    let (status, me) = crate::support::identity::patch_me(app, client, body).await;
    assert_eq!(status, 200, "{me}");
    me
}

/// Renames the signed-in learner.
pub async fn rename(app: &TestApp, client: &reqwest::Client, name: &str) {
    patch_me(app, client, json!({ "name": name })).await;
}

/// `(status, count)` of the `hubspot` outbox rows.
pub async fn hubspot_rows(app: &TestApp) -> Vec<(String, i64)> {
    app.state
        .db
        .read(|c| {
            c.prepare("SELECT status, count(*) FROM outbox WHERE destination = 'hubspot' GROUP BY status ORDER BY status")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .await
        .unwrap()
}

/// Drains (moving the clock past every backoff) until no `hubspot` row is pending, or panics.
pub async fn deliver_all(app: &TestApp, within: Duration) {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        app.drain_outbox().await;
        let pending = hubspot_rows(app).await.iter().any(|(s, _)| s == "pending");
        if !pending {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "hubspot messages still pending: {:?}",
            hubspot_rows(app).await
        );
        app.advance(Duration::from_secs(2));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
