//! Exchange rates (the daily job, from the sandbox or a configured Open Exchange Rates) and
//! income thresholds (staff-only writes, CSV with a dry run).

use serde_json::{Value, json};

use super::staff_client;
use crate::support::TestApp;
use crate::support::commerce::learner;
use crate::support::fake::{FakeServer, Reply};

#[tokio::test]
async fn the_exchange_rate_job_replaces_the_table_from_the_sandbox_skipping_disallowed_currencies() {
    let app = TestApp::spawn().await;
    let staff = staff_client(&app).await;
    let r = staff
        .post(app.url("/api/v0/flexible_pricing/exchange_rates/"))
        .json(&json!({"currency_code": "XTS", "exchange_rate": "2"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let outcome = app.run_job("update-currency-exchange-rates").await;
    assert_eq!(outcome.status, "succeeded", "{}", outcome.detail);
    let (_, client) = learner(&app, "fp-rates@example.com").await;
    let rates: Value = client
        .get(app.url("/api/flexible_pricing/exchange_rates/"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let codes: Vec<&str> = rates
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["currency_code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"EUR") && codes.contains(&"INR"));
    for skipped in ["CUP", "CUC", "IRR", "SYP", "KPW", "XTS"] {
        assert!(!codes.contains(&skipped), "{skipped} in {codes:?}");
    }
    let eur = rates
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["currency_code"] == "EUR")
        .unwrap();
    assert_eq!(eur["exchange_rate"], "0.92147");
}

#[tokio::test]
async fn the_job_reads_open_exchange_rates_with_the_app_id_and_a_failed_fetch_keeps_the_table() {
    let oxr = FakeServer::start().await;
    oxr.push(Reply::json(
        200,
        json!({"USD": "United States Dollar", "EUR": "Euro", "IRR": "Iranian Rial"}),
    ));
    oxr.push(Reply::json(
        200,
        json!({"base": "USD", "rates": {"USD": 1, "EUR": 0.5, "IRR": 42000}}),
    ));
    oxr.push(Reply::json(503, json!({"error": true})));
    let app = TestApp::builder()
        .env("MITXONLINE_OPEN_EXCHANGE_RATES_APP_ID", "the-app-id")
        .env("MITXONLINE_OPEN_EXCHANGE_RATES_URL", &format!("{}/api", oxr.url))
        .spawn()
        .await;
    let outcome = app.run_job("update-currency-exchange-rates").await;
    assert_eq!(outcome.status, "succeeded", "{}", outcome.detail);
    let reqs = oxr.requests();
    assert_eq!(reqs[0].path, "/api/currencies.json");
    assert_eq!(reqs[1].path, "/api/latest.json");
    assert_eq!(reqs[1].query.as_deref(), Some("app_id=the-app-id"));
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM currency_exchange_rates")
            .await,
        2
    );

    let failed = app.run_job("update-currency-exchange-rates").await;
    assert_eq!(failed.status, "failed");
    assert!(failed.detail.contains("503"), "{}", failed.detail);
    assert!(!failed.detail.contains("the-app-id"));
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM currency_exchange_rates")
            .await,
        2
    );
    app.expect_failed_runs_of("update-currency-exchange-rates");
}

#[tokio::test]
async fn rate_and_threshold_writes_are_staff_only_unlike_the_original_which_let_any_user_write() {
    let app = TestApp::spawn().await;
    let (_, client) = learner(&app, "fp-writer@example.com").await;
    for (path, body) in [
        (
            "/api/flexible_pricing/exchange_rates/",
            json!({"currency_code": "EUR", "exchange_rate": "1"}),
        ),
        (
            "/api/flexible_pricing/income_thresholds/",
            json!({"country_code": "US", "income_threshold": 1}),
        ),
    ] {
        assert_eq!(
            client
                .post(app.url(path))
                .json(&body)
                .send()
                .await
                .unwrap()
                .status(),
            403,
            "{path}"
        );
        assert_eq!(
            client.get(app.url(path)).send().await.unwrap().status(),
            200,
            "{path}"
        );
    }
    assert_eq!(
        client
            .delete(app.url("/api/flexible_pricing/income_thresholds/US/"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        app.get("/api/flexible_pricing/exchange_rates/").await.status(),
        403
    );
    let staff = staff_client(&app).await;
    let r = staff
        .post(app.url("/api/flexible_pricing/income_thresholds/"))
        .json(&json!({"country_code": "ZZ", "income_threshold": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.json::<Value>().await.unwrap().get("country_code").is_some());
    let r = staff
        .post(app.url("/api/flexible_pricing/income_thresholds/"))
        .json(&json!({"country_code": "us", "income_threshold": "-3"}))
        .send()
        .await
        .unwrap();
    assert!(r.json::<Value>().await.unwrap().get("income_threshold").is_some());
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM country_income_thresholds")
            .await,
        0
    );
}

#[tokio::test]
async fn a_threshold_csv_dry_run_shows_the_changes_and_stores_nothing_until_applied() {
    let app = TestApp::spawn().await;
    let staff = staff_client(&app).await;
    let r = staff
        .post(app.url("/api/v0/flexible_pricing/income_thresholds/"))
        .json(&json!({"country_code": "US", "income_threshold": 75000}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let csv = "country,income\nUS,75000\nIN,25000\nDE,60000\n";
    let url = app.url("/api/v0/flexible_pricing/income_thresholds/load_csv/");
    let dry: Value = staff
        .post(&url)
        .json(&json!({"csv": csv, "dry_run": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(dry["changes"].as_array().unwrap().len(), 2, "{dry}");
    assert_eq!(dry["changes"][0]["country_code"], "IN");
    assert!(dry["changes"][0]["before"].is_null());
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM country_income_thresholds")
            .await,
        1
    );
    let bad = staff
        .post(&url)
        .json(&json!({"csv": "country,amount\nUS,1\n"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert!(
        bad.json::<Value>().await.unwrap()["csv"][0]
            .as_str()
            .unwrap()
            .contains("income")
    );
    let applied: Value = staff
        .post(&url)
        .json(&json!({"csv": csv}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(applied["dry_run"], false);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM country_income_thresholds")
            .await,
        3
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM audit_log WHERE object_type = 'country_income_threshold'")
            .await,
        2
    );
}
