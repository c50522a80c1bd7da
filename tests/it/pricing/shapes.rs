//! What an approval changes in the catalog and enrollment responses its learner reads, and
//! that nobody else (another learner, an anonymous visitor, the shared response cache) sees it.

use serde_json::{Value, json};

use super::{apply, priced_course};
use crate::support::TestApp;
use crate::support::commerce::*;

async fn get(client: &reqwest::Client, app: &TestApp, path: &str) -> Value {
    let r = client.get(app.url(path)).send().await.unwrap();
    assert_eq!(r.status(), 200, "{path}");
    r.json().await.unwrap()
}

/// `(approved_flexible_price_exists, product_flexible_price)` of the course's first run.
fn run_prices(course: &Value) -> (Value, Value) {
    let run = &course["courseruns"][0];
    (
        run["approved_flexible_price_exists"].clone(),
        run["products"][0]["product_flexible_price"].clone(),
    )
}

#[tokio::test]
async fn an_approval_shows_in_its_learners_catalog_and_enrollments_and_in_nobody_elses() {
    let app = TestApp::spawn().await;
    let (course, product, [_, fifty, _]) = priced_course(&app, "FPS1", "1000.00").await;
    let run = count(&app, "SELECT course_run_id FROM products WHERE id = ?1", product).await;
    let (_, client) = learner(&app, "fp-shapes@example.com").await;
    let (_, other) = learner(&app, "fp-shapes-other@example.com").await;
    let path = format!("/api/v1/courses/{course}/");

    // Before any request: the learner's answer is the shared one.
    let before = get(&client, &app, &path).await;
    assert_eq!(run_prices(&before), (json!(false), Value::Null));

    let (status, body) = apply(&app, &client, course, "2500000", "INR", "IN").await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["status"], "auto-approved");

    let mine = get(&client, &app, &path).await;
    let (exists, price) = run_prices(&mine);
    assert_eq!(exists, json!(true), "{mine}");
    assert_eq!(price["id"], fifty, "{mine}");
    assert_eq!(price["payment_type"], "financial-assistance");
    let listed = get(&client, &app, "/api/v1/courses/").await;
    let listed = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == course)
        .unwrap()
        .clone();
    assert_eq!(run_prices(&listed).1["id"], fifty);
    // v2 runs say so too (they carry no per-product price).
    let v2 = get(&client, &app, &format!("/api/v2/courses/{course}/")).await;
    assert_eq!(
        v2["courseruns"][0]["approved_flexible_price_exists"], true,
        "{v2}"
    );

    // Another learner and an anonymous visitor see the list price, also from the cache.
    for _ in 0..2 {
        let theirs = get(&other, &app, &path).await;
        assert_eq!(run_prices(&theirs), (json!(false), Value::Null), "{theirs}");
        let anonymous: Value = app.get(&path).await.json().await.unwrap();
        assert_eq!(run_prices(&anonymous), (json!(false), Value::Null));
    }

    // Enrolled, the learner's enrollment says the approval exists, in every version.
    let r = client
        .post(app.url("/api/v1/enrollments/"))
        .json(&json!({ "run_id": run }))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "enroll: {}", r.status());
    for v in ["v1", "v2", "v3"] {
        let list = get(&client, &app, &format!("/api/{v}/enrollments/")).await;
        let e = &list.as_array().unwrap()[0];
        assert_eq!(e["approved_flexible_price_exists"], true, "{v}: {e}");
    }
    let (_, stranger) = learner(&app, "fp-shapes-third@example.com").await;
    stranger
        .post(app.url("/api/v1/enrollments/"))
        .json(&json!({ "run_id": run }))
        .send()
        .await
        .unwrap();
    let list = get(&stranger, &app, "/api/v3/enrollments/").await;
    assert_eq!(list[0]["approved_flexible_price_exists"], false, "{list}");
    app.drain_outbox().await;
}
