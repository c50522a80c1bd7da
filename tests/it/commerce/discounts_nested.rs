//! The staff discount API's nested resources (products, assignees, redemptions, tiers), the
//! user-discount endpoint and the staff discount page, driven over HTTP.

use serde_json::json;

use crate::support::TestApp;
use crate::support::commerce::*;

pub async fn a_discount(app: &TestApp, code: &str, amount: &str) -> i64 {
    discount(
        app,
        json!({"discount_code": code, "amount": amount, "discount_type": "percent-off", "redemption_type": "unlimited"}),
    )
    .await["id"]
        .as_i64()
        .unwrap()
}

async fn audit_rows(app: &TestApp) -> i64 {
    app.scalar_i64("SELECT count(*) FROM audit_log").await
}

#[tokio::test]
async fn staff_link_products_and_users_and_see_them_with_redemptions_in_the_originals_shapes() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx", "mail"]);
    let s = staff(&app).await;
    let (_, product) = run_product(&app, "NEST", "100.00").await;
    let id = a_discount(&app, "FREEBIE", "100").await;
    let (user, learner_client) = learner(&app, "nested@example.com").await;
    let audit_before = audit_rows(&app).await;

    // Products: add (201, the whole list), add again (200, unchanged), list paginated.
    let url = app.url(&format!("/api/discounts/{id}/products/"));
    let (st, list) = send(s.patch(&url).json(&json!({"product_id": product}))).await;
    assert_eq!(st, 201, "{list}");
    assert_eq!(list[0]["product"]["id"], product);
    assert_eq!(list[0]["discount"]["id"], id);
    let (st, _) = send(s.patch(&url).json(&json!({"product_id": product}))).await;
    assert_eq!(st, 200);
    let (st, page) = send(s.get(&url)).await;
    assert_eq!(st, 200);
    assert_eq!(page["count"], 1);
    assert!(page["next"].is_null() && page["previous"].is_null());
    assert_eq!(page["results"][0]["product"]["price"], "100.00");

    // Assignees: add by user_id, list; the nested user carries no password hash.
    let aurl = app.url(&format!("/api/v0/discounts/{id}/assignees/"));
    let (st, list) = send(s.post(&aurl).json(&json!({"user_id": user}))).await;
    assert_eq!(st, 201, "{list}");
    // v0 answers a plain list unless `limit` is given (DRF LimitOffsetPagination, no page size).
    let (_, plain) = send(s.get(&aurl)).await;
    assert_eq!(plain.as_array().map(Vec::len), Some(1), "{plain}");
    let (_, page) = send(s.get(format!("{aurl}?limit=1"))).await;
    assert_eq!(page["count"], 1);
    assert_eq!(page["results"][0], plain[0]);
    let u = &page["results"][0]["user"];
    assert_eq!(u["id"], user);
    assert_eq!(u["email"], "nested@example.com");
    assert!(u.get("password_hash").is_none() && u.get("password").is_none());

    // A redemption: the learner checks out for free with the code.
    let r = learner_client
        .post(app.url(&format!("/api/v0/baskets/create_from_product/{product}/FREEBIE/")))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let (st, body) = checkout(&app, &learner_client).await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(body["no_checkout"], true);
    let (st, page) = send(s.get(app.url(&format!("/api/discounts/{id}/redemptions/")))).await;
    assert_eq!(st, 200, "{page}");
    assert_eq!(page["count"], 1);
    let red = &page["results"][0];
    assert_eq!(red["redeemed_by"]["id"], user);
    assert_eq!(red["redeemed_discount"]["discount_code"], "FREEBIE");
    assert_eq!(red["redeemed_order"]["id"], body["order_id"]);
    assert_eq!(red["redeemed_order"]["state"], "fulfilled");
    assert!(red["redemption_date"].is_string());
    assert!(red["id"].is_i64());

    // Remove both links; removing again is a 404 that changes nothing.
    let (st, list) = send(s.delete(app.url(&format!("/api/discounts/{id}/products/{product}/")))).await;
    assert_eq!((st, list), (200, json!([])));
    let (st, _) = send(s.delete(app.url(&format!("/api/discounts/{id}/products/{product}/")))).await;
    assert_eq!(st, 404);
    let (st, list) = send(s.delete(app.url(&format!("/api/discounts/{id}/assignees/{user}/")))).await;
    assert_eq!((st, list), (200, json!([])));
    assert_eq!(
        app.scalar_i64(
            "SELECT count(*) FROM audit_log WHERE object_type IN ('discount_product', 'discount_assignee')"
        )
        .await,
        4,
        "two adds and two removals audited (the repeated add changed nothing)"
    );
    assert!(audit_rows(&app).await >= audit_before + 4);
    app.shutdown().await;
}

#[tokio::test]
async fn the_user_discount_endpoint_lists_creates_and_deletes_assignments_with_refine_pagination() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let id = a_discount(&app, "USERS", "10").await;
    let mut users = vec![];
    for i in 0..3 {
        users.push(learner(&app, &format!("ud{i}@example.com")).await.0);
    }
    let url = app.url("/api/discounts/user/");
    for u in &users {
        let (st, row) = send(s.post(&url).json(&json!({"discount": id, "user": u}))).await;
        assert_eq!(st, 201, "{row}");
        assert_eq!(row["discount"], id);
        assert_eq!(row["user"], *u);
    }
    let (st, err) = send(s.post(&url).json(&json!({"discount": id, "user": users[0]}))).await;
    assert_eq!(st, 400);
    assert!(err["user"].is_array() || err["user"].is_string(), "{err}");
    let (st, page) = send(s.get(format!("{url}?l=2"))).await;
    assert_eq!(st, 200);
    assert_eq!(page["count"], 3);
    assert_eq!(page["results"].as_array().unwrap().len(), 2);
    assert!(
        page["next"]
            .as_str()
            .unwrap()
            .ends_with("/api/discounts/user/?l=2&o=2"),
        "{page}"
    );
    let (_, page2) = send(s.get(page["next"].as_str().unwrap())).await;
    assert_eq!(page2["results"].as_array().unwrap().len(), 1);
    assert!(page2["previous"].is_string());
    let one = page["results"][0]["id"].as_i64().unwrap();
    let (st, row) = send(s.get(app.url(&format!("/api/discounts/user/{one}/")))).await;
    assert_eq!((st, row["user"].clone()), (200, json!(users[0])));
    let r = s
        .delete(app.url(&format!("/api/discounts/user/{one}/")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let (st, _) = send(s.get(app.url(&format!("/api/discounts/user/{one}/")))).await;
    assert_eq!(st, 404);
    assert_eq!(app.scalar_i64("SELECT count(*) FROM user_discounts").await, 2);
    let (st, err) = send(s.get(format!("{url}?l=abc"))).await;
    assert_eq!(st, 400);
    assert!(err.get("l").is_some(), "{err}");
    app.shutdown().await;
}

#[tokio::test]
async fn staff_create_list_and_delete_flexible_price_tiers_and_see_every_tab_on_the_discount_page() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let (run, _) = run_product(&app, "TIER", "300.00").await;
    let course = count(&app, "SELECT course_id FROM course_runs WHERE id = ?1", run).await;
    let id = a_discount(&app, "FA-TIER-1", "50").await;
    let url = app.url(&format!("/api/discounts/{id}/tiers/"));
    let (st, tier) = send(s.post(&url).json(&json!({
        "courseware_type": "course", "courseware_id": course, "current": true, "income_threshold_usd": "25000"
    })))
    .await;
    assert_eq!(st, 201, "{tier}");
    assert_eq!(tier["discount"], id);
    assert_eq!(tier["current"], true);
    assert_eq!(tier["income_threshold_usd"], json!(25000));
    assert_eq!(tier["courseware_object"]["id"], course);
    assert_eq!(tier["courseware_object"]["readable_id"], "course-v1:MITxT+TIER");
    let (_, page) = send(s.get(&url)).await;
    assert_eq!(page["count"], 1);
    assert_eq!(page["results"][0], tier);

    // The page shows the four tabs, and its form adds a second tier through the same code.
    let html = s
        .get(app.url(&format!("/staff/discounts/{id}/")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for tab in [
        "#products",
        "#assignees",
        "#redemptions",
        "#tiers",
        "course-v1:MITxT+TIER",
        "25000",
    ] {
        assert!(html.contains(tab), "{tab} missing from {html}");
    }
    let r = s
        .post(app.url(&format!("/staff/discounts/{id}/tiers/")))
        .form(&[
            ("courseware_type", "course"),
            ("courseware_id", &course.to_string()),
            ("income_threshold_usd", "75000.50"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, page) = send(s.get(&url)).await;
    assert_eq!(page["count"], 2);
    assert_eq!(page["results"][1]["income_threshold_usd"], json!(75000.5));
    assert_eq!(
        page["results"][1]["current"], false,
        "an unticked box is not current"
    );
    let list = s
        .get(app.url("/staff/discounts/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains("FA-TIER-1"));

    let tid = tier["id"].as_i64().unwrap();
    let turl = app.url(&format!("/api/discounts/{id}/tiers/{tid}/"));
    let (st, updated) = send(
        s.patch(&turl)
            .json(&json!({"current": false, "income_threshold_usd": 30000})),
    )
    .await;
    assert_eq!(st, 200, "{updated}");
    assert_eq!(
        (
            updated["current"].clone(),
            updated["income_threshold_usd"].clone()
        ),
        (json!(false), json!(30000))
    );
    let (st, err) = send(s.patch(&turl).json(&json!({"income_threshold_usd": "-1"}))).await;
    assert_eq!(st, 400);
    assert!(err.get("income_threshold_usd").is_some(), "{err}");
    let r = s
        .delete(app.url(&format!("/api/discounts/{id}/tiers/{tid}/")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = s
        .delete(app.url(&format!("/api/discounts/{id}/tiers/{tid}/")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM audit_log WHERE object_type = 'flexible_price_tier'")
            .await,
        4,
        "two creations, one update and one deletion"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn learners_get_403_and_anonymous_visitors_401_on_every_nested_resource_and_nothing_changes() {
    let app = TestApp::spawn().await;
    let (_, product) = run_product(&app, "GUARD", "10.00").await;
    let id = a_discount(&app, "GUARDED", "10").await;
    let (user, learner_client) = learner(&app, "guard@example.com").await;
    let anon = crate::support::client();
    let paths = [
        format!("/api/discounts/{id}/redemptions/"),
        format!("/api/discounts/{id}/assignees/"),
        format!("/api/discounts/{id}/products/"),
        format!("/api/discounts/{id}/tiers/"),
        "/api/discounts/user/".to_owned(),
        format!("/api/v0/discounts/{id}/products/"),
    ];
    for p in &paths {
        assert_eq!(send(learner_client.get(app.url(p))).await.0, 403, "{p}");
        assert_eq!(send(anon.get(app.url(p))).await.0, 401, "{p}");
    }
    let body = json!({"product_id": product, "user_id": user, "discount": id, "user": user});
    for p in &paths[1..] {
        assert_eq!(
            send(learner_client.post(app.url(p)).json(&body)).await.0,
            403,
            "{p}"
        );
        assert_eq!(send(anon.post(app.url(p)).json(&body)).await.0, 401, "{p}");
    }
    let page = anon
        .get(app.url(&format!("/staff/discounts/{id}/")))
        .send()
        .await
        .unwrap();
    assert!(
        matches!(page.status().as_u16(), 401 | 403 | 303),
        "{}",
        page.status()
    );
    for t in ["discount_products", "user_discounts", "flexible_price_tiers"] {
        let sql: &'static str = Box::leak(format!("SELECT count(*) FROM {t}").into_boxed_str());
        assert_eq!(app.scalar_i64(sql).await, 0, "{t}");
    }
    app.shutdown().await;
}

#[tokio::test]
async fn unknown_ids_and_bad_bodies_are_4xx_naming_the_problem_and_change_nothing() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let (run, product) = run_product(&app, "BAD", "10.00").await;
    let course = count(&app, "SELECT course_id FROM course_runs WHERE id = ?1", run).await;
    let id = a_discount(&app, "BADIN", "10").await;
    let audit_before = audit_rows(&app).await;
    let p = |path: String| app.url(&path);
    let cases: Vec<(reqwest::RequestBuilder, u16, &str)> = vec![
        (s.get(p("/api/discounts/999/redemptions/".into())), 404, "detail"),
        (s.get(p("/api/discounts/999/tiers/".into())), 404, "detail"),
        (s.patch(p("/api/discounts/999/products/".into())).json(&json!({"product_id": product})), 404, "detail"),
        (s.patch(p(format!("/api/discounts/{id}/products/"))).json(&json!({"product_id": 4242})), 400, "product_id"),
        (s.patch(p(format!("/api/discounts/{id}/products/"))).json(&json!({})), 400, "product_id"),
        (s.patch(p(format!("/api/discounts/{id}/products/"))).json(&json!({"product_id": "x"})), 400, "product_id"),
        (s.post(p(format!("/api/discounts/{id}/assignees/"))).json(&json!({"user_id": 4242})), 400, "user_id"),
        (s.delete(p(format!("/api/discounts/{id}/assignees/4242/"))), 404, "detail"),
        (s.delete(p(format!("/api/discounts/{id}/products/{product}/"))), 404, "detail"),
        (s.post(p(format!("/api/discounts/{id}/tiers/"))).json(&json!({"courseware_type": "run", "courseware_id": course, "income_threshold_usd": "1"})), 400, "courseware_type"),
        (s.post(p(format!("/api/discounts/{id}/tiers/"))).json(&json!({"courseware_type": "course", "courseware_id": 4242, "income_threshold_usd": "1"})), 400, "courseware_id"),
        (s.post(p(format!("/api/discounts/{id}/tiers/"))).json(&json!({"courseware_type": "course", "courseware_id": course, "income_threshold_usd": "-5"})), 400, "income_threshold_usd"),
        (s.post(p(format!("/api/discounts/{id}/tiers/"))).json(&json!({"courseware_type": "course", "courseware_id": course, "income_threshold_usd": "lots"})), 400, "income_threshold_usd"),
        (s.post(p("/api/discounts/999/tiers/".into())).json(&json!({"courseware_type": "course", "courseware_id": course, "income_threshold_usd": "1"})), 404, "detail"),
        (s.post(p("/api/discounts/user/".into())).json(&json!({"discount": 999, "user": 1})), 400, "discount"),
        (s.get(p(format!("/api/discounts/{id}/products/?o=-1"))), 400, "o"),
    ];
    for (i, (req, status, field)) in cases.into_iter().enumerate() {
        let (st, body) = send(req).await;
        assert_eq!(st, status, "case {i}: {body}");
        if field != "detail" || st != 404 {
            assert!(
                body.get(field).is_some() || body.to_string().contains(field),
                "case {i} names {field}: {body}"
            );
        }
    }
    for t in ["discount_products", "user_discounts", "flexible_price_tiers"] {
        let sql: &'static str = Box::leak(format!("SELECT count(*) FROM {t}").into_boxed_str());
        assert_eq!(app.scalar_i64(sql).await, 0, "{t}");
    }
    assert_eq!(audit_rows(&app).await, audit_before);
    app.shutdown().await;
}

#[tokio::test]
async fn the_discount_page_adds_and_removes_products_and_users_through_the_audited_code() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let (_, product) = run_product(&app, "PGLINK", "20.00").await;
    let (user, _) = learner(&app, "pagelink@example.com").await;
    let id = a_discount(&app, "PAGELINK", "10").await;
    let post = |action: &'static str, target: String| {
        s.post(app.url(&format!("/staff/discounts/{id}/links/")))
            .form(&[("action", action), ("target", target.as_str())])
            .send()
    };
    let r = post("add_product", "x".into()).await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("product_id"));
    let r = post("add_user", "4242".into()).await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("user_id"));
    assert_eq!(app.scalar_i64("SELECT count(*) FROM discount_products").await, 0);
    assert_eq!(app.scalar_i64("SELECT count(*) FROM user_discounts").await, 0);

    assert_eq!(
        post("add_product", product.to_string()).await.unwrap().status(),
        303
    );
    assert_eq!(post("add_user", user.to_string()).await.unwrap().status(), 303);
    let html = s
        .get(app.url(&format!("/staff/discounts/{id}/")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("pagelink@example.com") && html.contains("Course PGLINK verified"),
        "{html}"
    );
    assert!(
        html.contains("Products (1)") && html.contains("Assigned users (1)"),
        "{html}"
    );
    assert_eq!(
        post("remove_product", product.to_string())
            .await
            .unwrap()
            .status(),
        303
    );
    assert_eq!(post("remove_user", user.to_string()).await.unwrap().status(), 303);
    assert_eq!(app.scalar_i64("SELECT count(*) FROM discount_products").await, 0);
    assert_eq!(app.scalar_i64("SELECT count(*) FROM user_discounts").await, 0);
    assert_eq!(
        app.scalar_i64(
            "SELECT count(*) FROM audit_log WHERE object_type IN ('discount_product', 'discount_assignee')"
        )
        .await,
        4
    );
    app.shutdown().await;
}
