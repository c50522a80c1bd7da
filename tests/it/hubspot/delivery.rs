//! Delivery: HubSpot down for the whole test then back (every message delivered exactly once,
//! no stale state ever sent), a 429 storm (our rate stays within the configured bucket and
//! nothing is lost), a create whose answer was lost (the retry searches first), and a record
//! HubSpot refuses (the others still go).

use std::time::{Duration, Instant};

use serde_json::Value;

use super::fake::FakeHubspot;
use super::{app_with, deliver_all, hubspot_rows, rename};
use crate::support::fake::DownPort;
use crate::support::identity::signed_in;

#[tokio::test]
async fn hubspot_down_then_back_delivers_every_message_exactly_once_and_never_a_stale_state() {
    let down = DownPort::reserve();
    let app = app_with(&down.url(), "100").await;
    let mut learners = Vec::new();
    for i in 0..4 {
        let email = format!("outage{i}@example.com");
        let c = signed_in(&app, &email, false).await;
        rename(&app, &c, &format!("First {i}")).await;
        rename(&app, &c, &format!("Second {i}")).await;
        learners.push(email);
    }
    for _ in 0..3 {
        let r = app.drain_outbox().await;
        assert_eq!(r.delivered, 0, "HubSpot is down");
        app.advance(Duration::from_secs(5));
    }
    let failed = app
        .scalar_i64("SELECT count(*) FROM outbox WHERE destination = 'hubspot' AND attempts > 0 AND status = 'pending'")
        .await;
    assert_eq!(failed, 8, "every message waits for a retry");

    let hs = FakeHubspot::start_on(down);
    deliver_all(&app, Duration::from_secs(30)).await;
    assert_eq!(hubspot_rows(&app).await, [("delivered".to_owned(), 8)]);
    for (i, email) in learners.iter().enumerate() {
        let found = hs.find("contacts", "email", email);
        assert_eq!(found.len(), 1, "one contact for {email}");
        assert_eq!(found[0].1["name"], format!("Second {i}"));
        let id = &found[0].0;
        // Each message upserted once: a create then a PATCH, both with the latest name.
        let writes: Vec<(&str, Value)> = hs
            .requests()
            .iter()
            .filter(|r| {
                r.status == 200
                    && (r.body["properties"]["email"] == email.as_str())
                    && (r.method == "PATCH" && r.path.ends_with(&format!("/contacts/{id}"))
                        || r.method == "POST" && r.path == "/crm/v3/objects/contacts")
            })
            .map(|r| (r.method, r.body["properties"]["name"].clone()))
            .collect();
        assert_eq!(writes.len(), 2, "{email}: {writes:?}");
        assert_eq!(writes[0].0, "POST");
        assert_eq!(writes[1].0, "PATCH");
        assert!(
            writes.iter().all(|(_, n)| *n == format!("Second {i}")),
            "{writes:?}"
        );
    }
    app.shutdown().await;
}

#[tokio::test]
async fn a_429_storm_keeps_our_request_rate_within_the_bucket_and_loses_nothing() {
    let hs = FakeHubspot::start().await;
    hs.limit_per_second(4);
    let app = app_with(&hs.url, "8").await;
    let mut emails = Vec::new();
    for i in 0..8 {
        let email = format!("storm{i}@example.com");
        let c = signed_in(&app, &email, false).await;
        rename(&app, &c, &format!("Storm {i}")).await;
        emails.push(email);
    }
    deliver_all(&app, Duration::from_secs(60)).await;
    let reqs = hs.requests();
    assert!(reqs.iter().any(|r| r.status == 429), "the storm happened");
    let times: Vec<Instant> = reqs.iter().map(|r| r.at).collect();
    for (i, t) in times.iter().enumerate() {
        let in_window = times[i..]
            .iter()
            .take_while(|u| **u < *t + Duration::from_millis(990))
            .count();
        assert!(
            in_window <= 9,
            "{in_window} requests within one second (bucket: 8/s)"
        );
    }
    for email in &emails {
        assert_eq!(hs.find("contacts", "email", email).len(), 1, "{email}");
    }
    assert_eq!(hubspot_rows(&app).await, [("delivered".to_owned(), 8)]);
    app.shutdown().await;
}

#[tokio::test]
async fn a_create_retried_after_its_answer_was_lost_searches_first_and_makes_no_duplicate() {
    let hs = FakeHubspot::start().await;
    let app = app_with(&hs.url, "50").await;
    let c = signed_in(&app, "lost@example.com", false).await;
    hs.lose_next_create();
    rename(&app, &c, "Lost Answer").await;
    let r = app.state.outbox.round_once().await.unwrap();
    assert_eq!((r.delivered, r.retried), (0, 1), "the create's answer was lost");
    assert_eq!(hs.objects("contacts").len(), 1, "yet HubSpot made the contact");
    deliver_all(&app, Duration::from_secs(20)).await;
    let paths: Vec<String> = hs
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    let id = hs.objects("contacts")[0].0.clone();
    assert_eq!(
        paths,
        [
            "POST /crm/v3/objects/contacts/search".to_owned(),
            "POST /crm/v3/objects/contacts".to_owned(),
            "POST /crm/v3/objects/contacts/search".to_owned(),
            format!("PATCH /crm/v3/objects/contacts/{id}"),
        ]
    );
    assert_eq!(hs.objects("contacts").len(), 1, "no duplicate");
    let mapped = app
        .state
        .db
        .read(|c| {
            c.query_row(
                "SELECT hubspot_id FROM hubspot_objects WHERE content_type = 'user'",
                [],
                |r| r.get::<_, String>(0),
            )
        })
        .await
        .unwrap();
    assert_eq!(mapped, id);
    app.shutdown().await;
}

#[tokio::test]
async fn a_record_hubspot_refuses_never_holds_up_the_others() {
    let hs = FakeHubspot::start().await;
    hs.refuse_email("refused@example.com");
    let app = app_with(&hs.url, "50").await;
    for email in ["ok1@example.com", "refused@example.com", "ok2@example.com"] {
        let c = signed_in(&app, email, false).await;
        rename(&app, &c, "Someone").await;
    }
    for _ in 0..3 {
        app.drain_outbox().await;
        app.advance(Duration::from_secs(2));
    }
    assert_eq!(hs.find("contacts", "email", "ok1@example.com").len(), 1);
    assert_eq!(hs.find("contacts", "email", "ok2@example.com").len(), 1);
    assert!(hs.find("contacts", "email", "refused@example.com").is_empty());
    let error = app
        .state
        .db
        .read(|c| {
            c.query_row(
                "SELECT last_error FROM outbox WHERE destination = 'hubspot' AND status != 'delivered'",
                [],
                |r| r.get::<_, String>(0),
            )
        })
        .await
        .unwrap();
    assert!(error.contains("HTTP 400"), "{error}");
    app.expect_undelivered_to("hubspot");
    app.shutdown().await;
}

#[tokio::test]
async fn when_search_lags_behind_a_lost_create_the_conflict_names_the_contact_and_no_duplicate_is_made() {
    let hs = FakeHubspot::start().await;
    let app = app_with(&hs.url, "50").await;
    let c = signed_in(&app, "lagging@example.com", false).await;
    hs.lose_next_create();
    hs.search_blind();
    rename(&app, &c, "Lagging").await;
    deliver_all(&app, Duration::from_secs(20)).await;
    let statuses: Vec<String> = hs
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path.rsplit('/').next().unwrap()))
        .collect();
    let id = hs.objects("contacts")[0].0.clone();
    assert_eq!(
        statuses,
        [
            "POST search",
            "POST contacts",
            "POST search",
            "POST contacts",
            &format!("PATCH {id}")
        ],
        "the second create is refused (409 naming the contact), which is then updated"
    );
    assert_eq!(hs.objects("contacts").len(), 1, "no duplicate");
    assert_eq!(hs.objects("contacts")[0].1["name"], "Lagging");
    app.shutdown().await;
}
