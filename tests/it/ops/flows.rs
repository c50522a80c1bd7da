//! The live data-flow map: HubSpot down → its arrow is red on `/staff/flows/` (in headless
//! Chromium too), `mitxonline_flow_*` on `/metrics` and `flows` in `/health/full/` say the
//! same; HubSpot back and the backlog delivered → green. MIT Learn's pulls are seen from its
//! API key.

use std::time::Duration;

use mitxonline::users::api_keys::Scope;

use crate::hubspot::fake::FakeHubspot;
use crate::hubspot::{app_with, deliver_all, rename};
use crate::support::browser::Browser;
use crate::support::fake::DownPort;
use crate::support::identity::signed_in;
use crate::support::{TestApp, client};

/// The `data-health` of a flow's arrow and its table row, from the page's HTML.
async fn arrow(app: &TestApp, staff: &reqwest::Client, flow: &str) -> (String, String) {
    let r = staff.get(app.url("/staff/flows/")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    let at = html
        .find(&format!("data-flow=\"{flow}\""))
        .expect("the flow's arrow");
    let health = html[at..]
        .split("data-health=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let row = html.find(&format!("id=\"flow-{flow}\"")).expect("the flow's row");
    let end = html[row..].find("</tr>").unwrap();
    (health.to_owned(), html[row..row + end].to_owned())
}

async fn metric(app: &TestApp, name: &str, flow: &str) -> i64 {
    let text = app.get("/metrics").await.text().await.unwrap();
    let prefix = format!("{name}{{flow=\"{flow}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("{prefix} missing"))
        .parse()
        .unwrap()
}

async fn browser_arrow_colour(b: &Browser, app: &TestApp, flow: &str) -> String {
    b.goto(&app.url("/staff/flows/")).await;
    let v = b
        .eval(&format!(
            "return getComputedStyle(document.querySelector('a[data-flow=\"{flow}\"] line')).stroke"
        ))
        .await;
    v.as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn hubspot_down_turns_its_arrow_red_and_back_up_turns_it_green() {
    let down = DownPort::reserve();
    let app = app_with(&down.url(), "100").await;
    let staff = signed_in(&app, "ops@example.com", true).await;
    let learner = signed_in(&app, "flowing@example.com", false).await;
    rename(&app, &learner, "Flowing Learner").await;
    for _ in 0..2 {
        app.drain_outbox().await;
        app.advance(Duration::from_secs(5));
    }
    let (health, row) = arrow(&app, &staff, "hubspot").await;
    assert_eq!(health, "failing", "{row}");
    assert!(
        row.contains("Outbox and retry") && row.contains("Run hubspot-sync"),
        "{row}"
    );
    assert_eq!(metric(&app, "mitxonline_flow_health", "hubspot").await, 3);
    assert!(metric(&app, "mitxonline_flow_backlog", "hubspot").await >= 1);
    assert!(metric(&app, "mitxonline_flow_errors_24h", "hubspot").await >= 1);
    let (_, full) = app.get_json("/health/full/").await;
    let hubspot = full["checks"]["flows"]["flows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "hubspot")
        .cloned()
        .unwrap();
    assert_eq!(hubspot["health"], "failing", "{hubspot}");

    let browser = Browser::start().await;
    if let Some(b) = &browser {
        b.goto(&app.url("/login/")).await;
        let email = b.find("#f-email").await;
        b.type_text(&email, "ops@example.com").await;
        let pw = b.find("#f-password").await;
        b.type_text(&pw, "a good password").await;
        b.click(&b.find("form[action='/login/'] button[type=submit]").await)
            .await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(browser_arrow_colour(b, &app, "hubspot").await, "rgb(207, 34, 46)");
    }

    let _hs = FakeHubspot::start_on(down);
    deliver_all(&app, Duration::from_secs(30)).await;
    let (health, row) = arrow(&app, &staff, "hubspot").await;
    // Failed attempts stay in the 24-hour error rate, so the arrow is amber, then green a day on.
    assert_eq!(health, "degraded", "{row}");
    assert_eq!(metric(&app, "mitxonline_flow_backlog", "hubspot").await, 0);
    app.advance(Duration::from_secs(25 * 3600));
    let (health, row) = arrow(&app, &staff, "hubspot").await;
    assert_eq!(health, "ok", "{row}");
    assert_eq!(metric(&app, "mitxonline_flow_health", "hubspot").await, 1);
    if let Some(b) = browser {
        assert_eq!(
            browser_arrow_colour(&b, &app, "hubspot").await,
            "rgb(26, 127, 55)"
        );
        b.quit().await;
    }
    app.shutdown().await;
}

#[tokio::test]
async fn mit_learns_catalog_pulls_are_seen_from_its_api_key() {
    let app = TestApp::spawn().await;
    let staff = signed_in(&app, "ops@example.com", true).await;
    let (health, row) = arrow(&app, &staff, "mit_learn").await;
    assert_eq!(health, "idle", "{row}");
    assert!(row.contains("never"), "{row}");

    let key = app.api_key(Scope::Catalog).await;
    let r = client()
        .get(app.url("/api/v2/courses/"))
        .header("Authorization", format!("Api-Key {key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let mut seen = String::new();
    for _ in 0..100 {
        let (health, row) = arrow(&app, &staff, "mit_learn").await;
        if health == "ok" {
            seen = row;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        seen.contains("last pull with the key"),
        "the pull was never recorded: {seen}"
    );
    assert!(metric(&app, "mitxonline_flow_seconds_since_success", "mit_learn").await >= 0);
    app.shutdown().await;
}
