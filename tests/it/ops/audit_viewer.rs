//! `/staff/audit/`: the audit trail filtered by actor, action, object and date, paged.

use serde_json::json;

use crate::support::TestApp;
use crate::support::commerce::{discount, send, staff};
use crate::support::identity::signed_in;

#[tokio::test]
async fn staff_filter_the_audit_trail_by_actor_action_object_and_date_and_page_through_it() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let mut ids = Vec::new();
    for i in 0..55 {
        let d = discount(
            &app,
            json!({"discount_code": format!("AUD{i}"), "amount": "5", "discount_type": "dollars-off"}),
        )
        .await;
        ids.push(d["id"].as_i64().unwrap());
    }
    let (st, _) = send(
        s.patch(app.url(&format!("/api/v0/discounts/{}/", ids[3])))
            .json(&json!({"amount": "7"})),
    )
    .await;
    assert_eq!(st, 200);
    let get = |q: &str| {
        let url = app.url(&format!("/staff/audit/{q}"));
        let s = s.clone();
        async move {
            let r = s.get(url).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };

    let (st, all) = get("").await;
    assert_eq!(st, 200);
    assert!(all.contains("56 entries"), "{all}");
    assert!(all.contains("Older"), "a second page");
    let (_, older) = get("?page=2").await;
    assert!(older.contains("Newer") && !older.contains("Older"));
    assert_eq!(
        older.matches("<tr>").count() - 1,
        6,
        "50 on the first page, 6 on the second"
    );

    let (_, updates) = get(&format!(
        "?action=update&object_type=discount&object_id={}",
        ids[3]
    ))
    .await;
    assert!(updates.contains("1 entry"), "{updates}");
    assert!(
        updates.contains("&quot;amount&quot;:&quot;7&quot;") || updates.contains("\"7\""),
        "the after state shown"
    );
    let (_, by_actor) = get("?actor=api-key").await;
    assert!(
        by_actor.contains("56 entries"),
        "staff API key changes: {by_actor}"
    );
    let (_, nobody) = get("?actor=nobody%40example.com").await;
    assert!(nobody.contains("0 entries"));
    let (_, future) = get("?from=2099-01-01").await;
    assert!(future.contains("0 entries"));
    let today = app.state.clock.now().format("%Y-%m-%d").to_string();
    let (_, today_only) = get(&format!("?from={today}&until={today}")).await;
    assert!(today_only.contains("56 entries"), "{today_only}");

    for (q, field) in [
        ("?from=yesterday", "from"),
        ("?until=2026-13-01", "until"),
        ("?page=0", "page"),
    ] {
        let (st, body) = get(q).await;
        assert_eq!(st, 400, "{q}");
        assert!(body.contains(field), "{q}: {body}");
    }
    let learner = signed_in(&app, "audit.learner@example.com", false).await;
    assert_eq!(
        learner
            .get(app.url("/staff/audit/"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    app.shutdown().await;
}
