//! Checkout gates: `course-non-upgradable` uses the catalog's rule (live, upgrade deadline
//! unset or ahead, a product, the verified mode), on the API and on the cart page; a run of a
//! B2B contract needs an enrollment code bound to its product.

use mitxonline::db::DbError;
use mitxonline::users::api_keys::Scope;
use serde_json::json;

use crate::support::TestApp;
use crate::support::commerce::*;

/// Breaks one part of the rule for the run.
async fn spoil(app: &TestApp, run: i64, how: &'static str) {
    let past = mitxonline::clock::to_db(app.state.clock.now() - chrono::Duration::days(1));
    app.state
        .db
        .write(move |c| {
            match how {
                "no verified mode" => {
                    c.execute("DELETE FROM course_run_modes WHERE course_run_id = ?1", [run])?
                }
                "not live" => c.execute("UPDATE course_runs SET live = 0 WHERE id = ?1", [run])?,
                _ => c.execute(
                    "UPDATE course_runs SET upgrade_deadline = ?2 WHERE id = ?1",
                    rusqlite::params![run, past],
                )?,
            };
            Ok::<_, DbError>(())
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn a_run_without_the_verified_mode_a_non_live_run_and_a_past_deadline_are_course_non_upgradable() {
    let app = TestApp::spawn().await;
    for (i, how) in ["no verified mode", "not live", "past upgrade deadline"]
        .into_iter()
        .enumerate()
    {
        let (run, product) = run_product(&app, &format!("UPG{i}"), "40.00").await;
        let (_, client) = learner(&app, &format!("upg{i}@example.com")).await;
        basket_with(&app, &client, product).await;
        spoil(&app, run, how).await;

        let (status, body) = checkout(&app, &client).await;
        assert_eq!(status, 400, "{how}: {body}");
        assert_eq!(body["error"], "course-non-upgradable", "{how}");

        // The cart page path: back to the cart with the message.
        let r = client.get(app.url("/checkout/to_payment")).send().await.unwrap();
        assert_eq!(r.status(), 303, "{how}");
        let to = r.headers()["location"].to_str().unwrap().to_owned();
        assert!(to.contains("/cart/?message="), "{how}: {to}");
        let page = client
            .get(app.url(&to))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("This course run can no longer be upgraded."),
            "{how}: {page}"
        );
    }
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM orders").await,
        0,
        "nothing created"
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM discount_redemptions").await,
        0
    );
    app.shutdown().await;
}

#[tokio::test]
async fn an_upgradable_run_still_checks_out() {
    let app = TestApp::spawn().await;
    let (_, product) = run_product(&app, "UPGOK", "40.00").await;
    let (_, client) = learner(&app, "upgok@example.com").await;
    let body = started_checkout(&app, &client, product).await;
    assert_eq!(body["no_checkout"], false);
    assert_eq!(app.scalar_i64("SELECT count(*) FROM orders").await, 1);
    app.shutdown().await;
}

#[tokio::test]
async fn a_contract_run_needs_an_enrollment_code_bound_to_its_product() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx", "mail"]);
    let (run, product) = run_product(&app, "B2BGATE", "250.00").await;
    app.state
        .db
        .write(move |c| {
            c.execute("UPDATE course_runs SET b2b_contract_id = 9 WHERE id = ?1", [run])?;
            Ok::<_, DbError>(())
        })
        .await
        .unwrap();
    let (_, client) = learner(&app, "b2bgate@example.com").await;
    basket_with(&app, &client, product).await;

    // No code at all.
    let (status, body) = checkout(&app, &client).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "b2b-error-missing-enrollment-code");

    // A code that is not one of this run's enrollment codes.
    discount(
        &app,
        json!({"discount_code": "ANYTHING", "amount": "10", "discount_type": "percent-off"}),
    )
    .await;
    let r = client
        .post(app.url("/api/checkout/redeem_discount/"))
        .json(&json!({"discount": "ANYTHING"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let (status, body) = checkout(&app, &client).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "b2b-invalid-basket");
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM orders").await,
        0,
        "nothing created"
    );

    // The contract's enrollment code (fixed price, bound to the run's product) checks out.
    let code = discount(
        &app,
        json!({"discount_code": "ACME-SEAT-1", "amount": "0", "discount_type": "fixed-price", "redemption_type": "one-time"}),
    )
    .await;
    let key = app.api_key(Scope::Staff).await;
    let r = reqwest::Client::new()
        .patch(app.url(&format!("/api/discounts/{}/products/", code["id"])))
        .header("Authorization", format!("Api-Key {key}"))
        .json(&json!({"product_id": product}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = client
        .post(app.url("/api/checkout/redeem_discount/"))
        .json(&json!({"discount": "ACME-SEAT-1"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let (status, body) = checkout(&app, &client).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["no_checkout"], true,
        "a free seat is fulfilled at once: {body}"
    );
    app.shutdown().await;
}
