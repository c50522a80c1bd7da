//! `mitxonline hubspot sync --dry-run` prints what would be sent and sends nothing; without
//! `--dry-run` (and as the `hubspot-sync` job) it queues what changed since the last run. The
//! built-in sandbox CRM receives the sync when no token is set, and staff see it.

use std::time::Duration;

use super::fake::{FakeHubspot, TOKEN};
use super::{app_with, deliver_all, hubspot_rows, rename};
use crate::support::TestApp;
use crate::support::commerce::{basket_with, learner, run_product};
use crate::support::identity::{make_user, signed_in};
use crate::support::process::run_cli;

#[tokio::test]
async fn the_dry_run_prints_what_it_would_send_and_sends_nothing_then_a_sync_queues_it() {
    let hs = FakeHubspot::start().await;
    let app = app_with(&hs.url, "50").await;
    make_user(&app, "dry@example.com", "a good password", false).await;
    let (_, product) = run_product(&app, "HSDRY", "75.00").await;
    app.drain_outbox().await;
    let url: &'static str = Box::leak(hs.url.clone().into_boxed_str());
    let env = [
        ("MITXONLINE_HUBSPOT_SYNC", "on"),
        ("MITXONLINE_HUBSPOT_ACCESS_TOKEN", TOKEN),
        ("MITXONLINE_HUBSPOT_BASE_URL", url),
    ];
    let dir = app.dir.path().to_owned();
    let out = tokio::task::spawn_blocking({
        let dir = dir.clone();
        move || run_cli(&dir, &env, &["hubspot", "sync", "--dry-run"])
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(r#""email":"dry@example.com""#), "{stdout}");
    assert!(
        stdout.contains(&format!(r#""unique_app_id":"mitxonline-{product}""#)),
        "{stdout}"
    );
    assert!(stdout.contains("nothing sent or queued"), "{stdout}");
    assert!(!stdout.contains(TOKEN), "the token is never printed");
    assert!(hs.requests().is_empty(), "a dry run sends nothing");
    let check = tokio::task::spawn_blocking({
        let dir = dir.clone();
        move || run_cli(&dir, &env, &["config", "check"])
    })
    .await
    .unwrap();
    let printed = String::from_utf8_lossy(&check.stdout);
    assert!(
        printed.contains("MITXONLINE_HUBSPOT_ACCESS_TOKEN=********"),
        "{printed}"
    );
    assert!(!printed.contains(TOKEN), "config check redacts the token");
    assert!(hubspot_rows(&app).await.is_empty(), "and queues nothing");

    let out = tokio::task::spawn_blocking(move || run_cli(&dir, &env, &["hubspot", "sync"]))
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("queued 1 contacts, 1 products, 0 deals and 0 certificates"),
        "{stdout}"
    );
    deliver_all(&app, Duration::from_secs(20)).await;
    assert_eq!(hs.find("contacts", "email", "dry@example.com").len(), 1);
    assert_eq!(hs.objects("products").len(), 1);

    // The job re-syncs only what changed since.
    let c = signed_in(&app, "later@example.com", false).await;
    rename(&app, &c, "Later").await;
    deliver_all(&app, Duration::from_secs(20)).await;
    let run = app.run_job("hubspot-sync").await;
    assert_eq!(
        run.detail, "queued 1 contacts, 0 products, 0 deals and 0 certificates",
        "{run:?}"
    );
    deliver_all(&app, Duration::from_secs(20)).await;
    assert_eq!(hs.objects("contacts").len(), 2);
    app.shutdown().await;
}

#[tokio::test]
async fn without_a_token_the_sandbox_crm_receives_the_sync_and_staff_see_it() {
    let app = TestApp::builder()
        .env("MITXONLINE_HUBSPOT_SYNC", "on")
        .spawn()
        .await;
    let (_, product) = run_product(&app, "HSSBX", "60.00").await;
    let (_, client) = learner(&app, "sandboxed@example.com").await;
    basket_with(&app, &client, product).await;
    app.drain_outbox().await;
    assert_eq!(hubspot_rows(&app).await, [("delivered".to_owned(), 1)]);
    let staff = signed_in(&app, "hs-staff@example.com", true).await;
    let r = staff
        .get(app.url("/staff/sandbox/hubspot/"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    for needle in [
        "sandboxed@example.com",
        "MITXONLINE-CART-",
        "checkout_abandoned",
        "Run HSSBX",
    ] {
        assert!(html.contains(needle), "{needle} in {html}");
    }
    let learner_page = crate::support::identity::signed_in(&app, "nosy@example.com", false).await;
    let r = learner_page
        .get(app.url("/staff/sandbox/hubspot/"))
        .send()
        .await
        .unwrap();
    assert_ne!(r.status(), 200, "staff only");
    app.shutdown().await;
}

/// The sandbox CRM in an outage staff switched on: the sync waits in the outbox (a 500, then a
/// nonsense answer) and arrives once it ends; the page shows what is in force.
#[tokio::test]
async fn an_outage_of_the_sandbox_crm_holds_the_sync_back_until_it_ends() {
    let app = TestApp::builder()
        .env("MITXONLINE_HUBSPOT_SYNC", "on")
        .env("MITXONLINE_OUTBOX_BASE_BACKOFF", "100ms")
        .env("MITXONLINE_OUTBOX_MAX_BACKOFF", "500ms")
        .spawn()
        .await;
    let staff = crate::support::commerce::staff(&app).await;
    let set = |kind: &'static str| {
        let staff = staff.clone();
        let url = app.url("/api/v0/staff/sandbox/faults/hubspot/");
        async move {
            let r = staff
                .post(url)
                .json(&serde_json::json!({"kind": kind, "seconds": 3600}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{kind}");
        }
    };
    set("error").await;
    let (_, product) = run_product(&app, "HSOUT", "60.00").await;
    let (_, client) = learner(&app, "outage@example.com").await;
    basket_with(&app, &client, product).await;
    app.drain_outbox().await;
    assert_eq!(hubspot_rows(&app).await, [("pending".to_owned(), 1)]);
    set("garbage").await;
    app.advance(Duration::from_secs(2));
    app.drain_outbox().await;
    assert_eq!(hubspot_rows(&app).await, [("pending".to_owned(), 1)]);
    let html = staff
        .get(app.url("/staff/sandbox/hubspot/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Wrong answers (200 with an HTML page)."), "{html}");
    assert!(
        html.contains("action=\"/staff/sandbox/faults/hubspot/\""),
        "{html}"
    );

    let r = staff
        .post(app.url("/staff/sandbox/faults/hubspot/"))
        .form(&[("kind", "none")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    deliver_all(&app, Duration::from_secs(10)).await;
    assert_eq!(hubspot_rows(&app).await, [("delivered".to_owned(), 1)]);
    app.shutdown().await;
}
