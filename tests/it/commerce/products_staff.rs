//! The staff product API (`/api/v0/products/all/`): every product, searchable; created for a
//! run, re-priced as a new version that earlier orders do not see, hidden instead of deleted.

use serde_json::json;

use crate::support::TestApp;
use crate::support::commerce::*;

/// A second run of the course of `run`, with no product.
async fn bare_run(app: &TestApp, run: i64, tag: &str) -> i64 {
    let tag = tag.to_owned();
    app.state
        .db
        .write(move |c| {
            c.execute(
                "INSERT INTO course_runs (course_id, title, courseware_id, run_tag, live, created_on, updated_on)
                 SELECT course_id, 'Run ' || ?2, 'course-v1:MITxT+' || ?2 || '+2T2026', '2T2026', 1, created_on, updated_on
                 FROM course_runs WHERE id = ?1",
                rusqlite::params![run, tag],
            )?;
            Ok::<_, mitxonline::db::DbError>(c.last_insert_rowid())
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn staff_create_reprice_and_hide_products_and_earlier_orders_keep_their_price() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx", "mail", "hubspot"]);
    let s = staff(&app).await;
    let (run, sold) = run_product(&app, "PRD", "100.00").await;
    let second = bare_run(&app, run, "PRDB").await;
    let all = app.url("/api/v0/products/all/");
    let products = || app.scalar_i64("SELECT count(*) FROM products");
    let before = products().await;

    // Bad bodies: 400 naming the field, nothing made.
    for (body, field) in [
        (json!({"course_run_id": second, "description": "x"}), "price"),
        (
            json!({"course_run_id": second, "price": "12.345", "description": "x"}),
            "price",
        ),
        (
            json!({"course_run_id": second, "price": "-1", "description": "x"}),
            "price",
        ),
        (
            json!({"course_run_id": second, "price": "123456", "description": "x"}),
            "price",
        ),
        (json!({"course_run_id": second, "price": "10"}), "description"),
        (
            json!({"course_run_id": second, "price": "10", "description": "  "}),
            "description",
        ),
        (json!({"price": "10", "description": "x"}), "course_run_id"),
        (
            json!({"course_run_id": 424242, "price": "10", "description": "x"}),
            "course_run_id",
        ),
        (
            json!({"course_run_id": run, "price": "10", "description": "x"}),
            "course_run_id",
        ),
        (
            json!({"content_type": "page", "object_id": second, "price": "10", "description": "x"}),
            "content_type",
        ),
    ] {
        let (st, err) = send(s.post(&all).json(&body)).await;
        assert_eq!(st, 400, "{body} → {err}");
        assert!(err[field].is_array(), "{body}: {field} named in {err}");
    }
    assert_eq!(products().await, before);

    // Created through the original's generic relation spelling.
    let (st, made) = send(s.post(&all).json(&json!({
        "content_type": "courserun", "object_id": second, "price": "120", "description": "Run PRDB verified"
    })))
    .await;
    assert_eq!(st, 201, "{made}");
    assert_eq!(made["price"], "120.00");
    assert_eq!(made["is_active"], true);
    assert_eq!(made["purchasable_object"]["id"], second);
    let id = made["id"].as_i64().unwrap();

    // Listed newest first, two a page by default, searchable by courseware id.
    let (_, page) = send(s.get(&all)).await;
    assert_eq!(page["count"], before + 1);
    assert_eq!(page["results"][0]["id"], id);
    assert!(page["results"].as_array().unwrap().len() <= 2);
    let (_, found) = send(s.get(format!("{all}?search=mitxt%2Bprdb"))).await;
    assert_eq!(found["count"], 1, "{found}");
    assert_eq!(found["results"][0]["id"], id);

    // A learner's pending order holds the old price; re-pricing makes a new version.
    let (_, learner_client) = learner(&app, "buyer@example.com").await;
    let order = started_checkout(&app, &learner_client, sold).await;
    let one = app.url(&format!("/api/v0/products/all/{sold}/"));
    let (st, body) = send(s.put(&one).json(&json!({"price": "150"}))).await;
    assert_eq!(st, 400, "PUT needs the description too: {body}");
    let (st, repriced) = send(s.patch(&one).json(&json!({"price": "150.50"}))).await;
    assert_eq!(st, 200, "{repriced}");
    assert_eq!(repriced["price"], "150.50");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM product_versions WHERE product_id = ?1",
            sold
        )
        .await,
        2
    );
    let line_price = app
        .state
        .db
        .read(move |c| {
            c.query_row(
                "SELECT v.price FROM order_lines l JOIN product_versions v ON v.id = l.product_version_id
                 WHERE l.product_id = ?1",
                [sold],
                |r| r.get::<_, String>(0),
            )
        })
        .await
        .unwrap();
    assert_eq!(
        line_price, "100.00",
        "order {} keeps its version",
        order["order_id"]
    );
    let (st, body) = send(s.patch(&one).json(&json!({"program_id": 1}))).await;
    assert_eq!(st, 400, "what it sells cannot change: {body}");

    // Hidden, not deleted: gone from the learner API, still in the staff list.
    let (st, _) = send(s.delete(&one)).await;
    assert_eq!(st, 204);
    let (_, hidden) = send(s.get(&one)).await;
    assert_eq!(hidden["is_active"], false);
    let r = learner_client
        .get(app.url(&format!("/api/v0/products/{sold}/")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        count(&app, "SELECT count(*) FROM products WHERE id = ?1", sold).await,
        1
    );
    let (_, shown) = send(s.patch(&one).json(&json!({"is_active": true}))).await;
    assert_eq!(shown["is_active"], true);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM audit_log WHERE object_type = 'product'")
            .await,
        4,
        "create, re-price, hide, show"
    );
    assert_eq!(send(s.get(app.url("/api/v0/products/all/424242/"))).await.0, 404);

    // Staff only.
    let r = learner_client.get(&all).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let r = reqwest::Client::new().get(&all).send().await.unwrap();
    assert!(matches!(r.status().as_u16(), 401 | 403));
    app.shutdown().await;
}
