//! `/api/v0/baskets/{basket}/items/`: a learner's basket items one by one, in the original's
//! shape, only ever the learner's own.

use serde_json::{Value, json};

use crate::support::TestApp;
use crate::support::commerce::*;

#[tokio::test]
async fn a_learner_lists_adds_swaps_and_removes_items_of_their_own_basket_only() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx", "mail", "hubspot"]);
    let (_, p1) = run_product(&app, "ITA", "100.00").await;
    let (_, p2) = run_product(&app, "ITB", "200.00").await;
    let (_, p3) = run_product(&app, "ITC", "300.00").await;
    let (_, a) = learner(&app, "items.a@example.com").await;
    let basket = basket_with(&app, &a, p1).await["id"].as_i64().unwrap();
    let items = app.url(&format!("/api/v0/baskets/{basket}/items/"));

    let (st, list) = send(a.get(&items)).await;
    assert_eq!(st, 200, "{list}");
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["basket"], basket);
    assert_eq!(list[0]["product"], p1);
    let first = list[0]["id"].as_i64().unwrap();

    // Adding keeps what is there; adding again changes nothing.
    let (st, added) = send(a.post(&items).json(&json!({"basket": basket, "product": p2}))).await;
    assert_eq!(st, 201, "{added}");
    assert_eq!(added["product"], p2);
    let (st, again) = send(a.post(&items).json(&json!({"product": p2}))).await;
    assert_eq!((st, &again), (200, &added));
    assert_eq!(send(a.get(&items)).await.1.as_array().unwrap().len(), 2);

    // Bad bodies name the problem and change nothing.
    for (body, field) in [
        (json!({}), "product"),
        (json!({"product": p3, "basket": basket + 1000}), "basket"),
    ] {
        let (st, err) = send(a.post(&items).json(&body)).await;
        assert_eq!(st, 400, "{body}: {err}");
        assert!(err[field].is_array(), "{err}");
    }
    let (st, _) = send(a.post(&items).json(&json!({"product": 424242}))).await;
    assert_eq!(st, 404);
    let item = |id: i64| app.url(&format!("/api/v0/baskets/{basket}/items/{id}/"));
    let (st, err) = send(a.put(item(first)).json(&json!({"basket": basket}))).await;
    assert_eq!(st, 400, "PUT needs the product: {err}");
    let (st, err) = send(a.patch(item(first)).json(&json!({"product": p2}))).await;
    assert_eq!(st, 400, "p2 is already in the basket: {err}");

    // One item; swapping its product.
    let (st, one) = send(a.get(item(first))).await;
    assert_eq!((st, &one), (200, &list[0]));
    let (st, swapped) = send(a.patch(item(first)).json(&json!({"product": p3}))).await;
    assert_eq!(st, 200, "{swapped}");
    assert_eq!(swapped["product"], p3);
    let products: Vec<Value> = send(a.get(&items))
        .await
        .1
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["product"].clone())
        .collect();
    assert_eq!(products.len(), 2);
    assert!(
        products.contains(&json!(p2)) && products.contains(&json!(p3)),
        "{products:?}"
    );
    let swapped_id = swapped["id"].as_i64().unwrap();

    // Someone else's basket does not exist for them, and nothing changes.
    let (_, b) = learner(&app, "items.b@example.com").await;
    assert_eq!(send(b.get(&items)).await.0, 404);
    assert_eq!(send(b.get(item(swapped_id))).await.0, 404);
    assert_eq!(send(b.delete(item(swapped_id))).await.0, 404);
    assert_eq!(send(b.post(&items).json(&json!({"product": p1}))).await.0, 404);
    assert_eq!(send(a.get(&items)).await.1.as_array().unwrap().len(), 2);
    let anon = reqwest::Client::new().get(&items).send().await.unwrap();
    assert!(matches!(anon.status().as_u16(), 401 | 403));

    // Removing.
    assert_eq!(send(a.delete(item(swapped_id))).await.0, 204);
    assert_eq!(send(a.get(item(swapped_id))).await.0, 404);
    let (_, left) = send(a.get(&items)).await;
    assert_eq!(left.as_array().unwrap().len(), 1);
    assert_eq!(left[0]["product"], p2);
    app.shutdown().await;
}
