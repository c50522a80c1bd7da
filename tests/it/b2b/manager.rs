//! The manager API's code lifecycle (assign → remind → reassign → redeem → 409s) and the
//! Mailgun webhook (good, bad and replayed signatures).

use hmac::{Hmac, KeyInit as _, Mac as _};
use serde_json::{Value, json};
use sha2::Sha256;

use super::{codes, contract, count, program_with_sources};
use crate::support::TestApp;
use crate::support::commerce::learner;

const KEY: &str = "mailgun-test-signing-key";

async fn make_manager(app: &TestApp, user: i64, org: i64) {
    let now = app.state.clock.now();
    app.state
        .db
        .write(move |c| {
            mitxonline::b2b::store::add_membership(c, user, org, false, now)?;
            mitxonline::b2b::store::set_manager(c, user, org, true)
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn a_code_is_assigned_reminded_reassigned_redeemed_and_then_refused_with_409s() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx"]);
    let (program, _) = program_with_sources(&app, "MGR", 1).await;
    let (org, k) = contract(&app, "mgr", "code", Some(3), None, Some(program), None).await;
    let (mid, manager) = learner(&app, "mgr-boss@example.com").await;
    make_manager(&app, mid, org).await;
    let (_, outsider) = learner(&app, "mgr-outsider@example.com").await;
    let base = app.url(&format!("/api/v0/b2b/manager/organizations/{org}/contracts/{k}"));
    let code = codes(&app, k).await[0].clone();

    let orgs: Value = manager
        .get(app.url("/api/v0/b2b/manager/organizations/"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(orgs["count"], 1);
    assert_eq!(orgs["results"][0]["id"], org);
    let none: Value = outsider
        .get(app.url("/api/v0/b2b/manager/organizations/"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(none["count"], 0);
    assert_eq!(
        outsider.get(format!("{base}/")).send().await.unwrap().status(),
        404
    );

    let r = manager
        .post(format!("{base}/codes/{code}/assign/"))
        .json(&json!({ "email": "not-an-email" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = manager
        .post(format!("{base}/codes/{code}/assign/"))
        .json(&json!({ "email": "ann@example.com", "name": "Ann" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["redemption_status"], "assigned");
    assert_eq!(body["assigned_to"], "ann@example.com");
    assert_eq!(body["email_status"], "pending");
    let r = manager
        .post(format!("{base}/codes/{code}/assign/"))
        .json(&json!({ "email": "bob@example.com" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    assert_eq!(
        manager
            .post(format!("{base}/codes/{code}/remind/"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM outbox WHERE destination = 'mail'")
            .await,
        2
    );

    // Reassigning rotates the code: the old string no longer attaches anyone.
    let r = manager
        .put(format!("{base}/codes/{code}/reassign/"))
        .json(&json!({ "email": "bob@example.com", "name": "Bob" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    let rotated = body["code"].as_str().unwrap().to_owned();
    assert_ne!(rotated, code);
    assert_eq!(body["assigned_to"], "bob@example.com");
    let (_, bob) = learner(&app, "bob@example.com").await;
    assert_eq!(
        bob.post(app.url(&format!("/api/v0/b2b/attach/{code}/")))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        bob.post(app.url(&format!("/api/v0/b2b/attach/{rotated}/")))
            .send()
            .await
            .unwrap()
            .status(),
        201
    );

    let listed: Value = manager
        .get(format!("{base}/codes/?status=redeemed"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["count"], 1);
    assert_eq!(listed["results"][0]["redeemed_by"], "bob@example.com");
    let searched: Value = manager
        .get(format!("{base}/codes/?search_term=BOB"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(searched["count"], 1);
    for (method, path) in [("PUT", "reassign"), ("DELETE", "revoke"), ("POST", "remind")] {
        let r = manager
            .request(method.parse().unwrap(), format!("{base}/codes/{rotated}/{path}/"))
            .json(&json!({ "email": "carl@example.com" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 409, "{method} {path}");
    }
    let detail: Value = manager
        .get(format!("{base}/"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            &detail["total_codes"],
            &detail["assigned_codes"],
            &detail["unassigned_codes"],
            &detail["redeemed_codes"]
        ),
        (&json!(3), &json!(0), &json!(2), &json!(1))
    );
    assert_eq!(detail["attachment_percentage"], 33.33);

    // Revoking an assigned code frees it and rotates it too.
    let second = codes(&app, k).await.into_iter().find(|c| *c != rotated).unwrap();
    manager
        .post(format!("{base}/codes/{second}/assign/"))
        .json(&json!({ "email": "dee@example.com" }))
        .send()
        .await
        .unwrap();
    let r = manager
        .delete(format!("{base}/codes/{second}/revoke/"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["redemption_status"], "unassigned");
    assert_ne!(body["code"], second.as_str());

    let bulk: Value = manager
        .post(format!("{base}/codes/bulk_assign/"))
        .json(&json!([
            { "email": "eve@example.com" }, { "email": "EVE@example.com" }, { "email": "bob@example.com" },
            { "email": "fay@example.com" }, { "email": "gus@example.com" }, { "email": "hal@example.com" },
            { "email": "ian@example.com" }, { "email": "jay@example.com" }
        ]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // Three seats, two products (English and Spanish runs): six codes; Bob's is redeemed.
    assert_eq!(bulk["assigned"].as_array().unwrap().len(), 5, "{bulk}");
    let errors: Vec<&str> = bulk["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["detail"].as_str().unwrap())
        .collect();
    assert_eq!(
        errors,
        [
            "Email has already been assigned or has redeemed a code.",
            "No available code."
        ]
    );
    assert_eq!(
        manager
            .post(format!("{base}/codes/send_test_email/"))
            .json(&json!({ "email": "me@example.com" }))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    app.drain_outbox().await;
    let mail = crate::support::identity::last_mail(&app, "bob@example.com").await;
    assert!(
        mail.contains(&format!("https://learn.mit.edu/enrollmentcode/{rotated}")),
        "{mail}"
    );
    assert!(
        count(
            &app,
            "SELECT count(*) FROM audit_log WHERE action LIKE 'b2b.%' AND ?1 > 0",
            1
        )
        .await
            >= 6
    );
    app.shutdown().await;
}

fn signed(timestamp: &str, token: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(KEY.as_bytes()).unwrap();
    mac.update(timestamp.as_bytes());
    mac.update(token.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn event(event: &str, message_id: &str, at: f64, timestamp: &str, token: &str, signature: &str) -> Value {
    json!({
        "signature": { "timestamp": timestamp, "token": token, "signature": signature },
        "event-data": {
            "event": event, "timestamp": at, "tags": ["b2b-enrollment-code"],
            "severity": if event == "failed" { "temporary" } else { "" },
            "message": { "headers": { "message-id": message_id } }
        }
    })
}

#[tokio::test]
async fn mailgun_events_update_an_invite_only_with_a_good_fresh_signature() {
    let app = TestApp::builder()
        .env("MITXONLINE_MAILGUN_WEBHOOK_SIGNING_KEY", KEY)
        .spawn()
        .await;
    app.expect_undrained(&["openedx", "mail"]);
    let (program, _) = program_with_sources(&app, "MG", 1).await;
    let (org, k) = contract(&app, "mg", "code", Some(2), None, Some(program), None).await;
    let (mid, manager) = learner(&app, "mg-boss@example.com").await;
    make_manager(&app, mid, org).await;
    let code = codes(&app, k).await[0].clone();
    let base = app.url(&format!("/api/v0/b2b/manager/organizations/{org}/contracts/{k}"));
    manager
        .post(format!("{base}/codes/{code}/assign/"))
        .json(&json!({ "email": "ann@example.com" }))
        .send()
        .await
        .unwrap();
    let message_id: String = app
        .state
        .db
        .read(|c| {
            c.query_row("SELECT email_message_id FROM b2b_code_redemptions", [], |r| {
                r.get(0)
            })
        })
        .await
        .unwrap();
    let status = || async {
        app.state
            .db
            .read(|c| {
                c.query_row("SELECT email_status FROM b2b_code_redemptions", [], |r| {
                    r.get::<_, String>(0)
                })
            })
            .await
            .unwrap()
    };
    let now = app.state.clock.now().timestamp();
    let ts = now.to_string();
    let post = |v: Value| {
        let url = app.url("/api/v0/b2b/webhook");
        async move {
            crate::support::client()
                .post(url)
                .json(&v)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    // A bad signature changes nothing (and still answers 200).
    assert_eq!(
        post(event("delivered", &message_id, now as f64, &ts, "tok-1", "00ff")).await,
        200
    );
    assert_eq!(status().await, "pending");
    // A good one applies.
    assert_eq!(
        post(event(
            "delivered",
            &message_id,
            now as f64,
            &ts,
            "tok-1",
            &signed(&ts, "tok-1")
        ))
        .await,
        200
    );
    assert_eq!(status().await, "delivered");
    // Replaying the signature with other event data is ignored.
    assert_eq!(
        post(event(
            "clicked",
            &message_id,
            (now + 5) as f64,
            &ts,
            "tok-1",
            &signed(&ts, "tok-1")
        ))
        .await,
        200
    );
    assert_eq!(status().await, "delivered");
    // An old signature timestamp is ignored, as are temporary failures and older events.
    let old = (now - 3600).to_string();
    post(event(
        "clicked",
        &message_id,
        (now + 5) as f64,
        &old,
        "tok-2",
        &signed(&old, "tok-2"),
    ))
    .await;
    post(event(
        "failed",
        &message_id,
        (now + 6) as f64,
        &ts,
        "tok-3",
        &signed(&ts, "tok-3"),
    ))
    .await;
    post(event(
        "opened",
        &message_id,
        (now - 60) as f64,
        &ts,
        "tok-4",
        &signed(&ts, "tok-4"),
    ))
    .await;
    assert_eq!(status().await, "delivered");
    post(event(
        "opened",
        &message_id,
        (now + 7) as f64,
        &ts,
        "tok-5",
        &signed(&ts, "tok-5"),
    ))
    .await;
    assert_eq!(status().await, "opened");
    // Garbage is answered 200 too.
    let r = crate::support::client()
        .post(app.url("/api/v0/b2b/webhook"))
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    app.shutdown().await;
}
