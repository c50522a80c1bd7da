//! End-to-end checkout throughput over HTTP, printed, never asserted: basket
//! (`create_from_product`) → signed payload (`/api/v0/baskets/checkout/`) → signed ACCEPT
//! (`/api/checkout/result/`) → fulfilled order with a verified enrollment. Run with
//! `scripts/bench-checkout` (an ignored test built with the release-nolto profile).

use std::time::{Duration, Instant};

use mitxonline::db::DbError;
use mitxonline::users::store::{self, NewUser};

use crate::commerce_helpers::*;
use crate::support::TestApp;

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "benchmark: run scripts/bench-checkout"]
async fn bench_end_to_end_checkout() {
    let env = |k: &str, d: usize| std::env::var(k).ok().and_then(|v| v.parse().ok()).unwrap_or(d);
    let n = env("BENCH_ORDERS", 3000);
    let concurrency = env("BENCH_CONCURRENCY", 16);
    let sync = std::env::var("BENCH_SYNCHRONOUS").unwrap_or_else(|_| "FULL".into());
    let app = TestApp::builder()
        .env("MITXONLINE_DB_SYNCHRONOUS", &sync)
        .spawn()
        .await;
    let (_, product) = run_product(&app, "BENCH", "100.00").await;
    let now = app.state.clock.now();
    let tokens: Vec<String> = app
        .state
        .db
        .write(move |c| {
            let mut out = Vec::new();
            for i in 0..n {
                let email = format!("bench{i}@example.com");
                let id = store::insert(
                    c,
                    &NewUser {
                        username: email.clone(),
                        email,
                        name: "Bench".into(),
                        ..NewUser::default()
                    },
                    now,
                )?;
                out.push(mitxonline::users::sessions::issue_access_token(
                    c,
                    id,
                    "bench",
                    chrono::Duration::days(1),
                    now,
                )?);
            }
            Ok::<_, DbError>(out)
        })
        .await
        .unwrap();
    let app = std::sync::Arc::new(app);
    let queue = std::sync::Arc::new(std::sync::Mutex::new(tokens));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let app = app.clone();
        let queue = queue.clone();
        workers.push(tokio::spawn(async move {
            let mut times: [Vec<Duration>; 3] = Default::default();
            let plain = reqwest::Client::new();
            loop {
                let Some(token) = queue.lock().unwrap().pop() else {
                    break;
                };
                let client = bearer_client(&token);
                let t = Instant::now();
                let r = client
                    .post(app.url(&format!("/api/v0/baskets/create_from_product/{product}/")))
                    .send()
                    .await
                    .unwrap();
                assert!(r.status().is_success());
                times[0].push(t.elapsed());
                let t = Instant::now();
                let body: serde_json::Value = client
                    .get(app.url("/api/v0/baskets/checkout/"))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                times[1].push(t.elapsed());
                let fields = signed_result(&app, &body["payload"], "ACCEPT", "");
                let t = Instant::now();
                let r = plain
                    .post(app.url("/api/checkout/result/"))
                    .form(&fields)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200);
                times[2].push(t.elapsed());
            }
            times
        }));
    }
    let mut all: [Vec<Duration>; 3] = Default::default();
    for w in workers {
        let t = w.await.unwrap();
        for (i, v) in t.into_iter().enumerate() {
            all[i].extend(v);
        }
    }
    let elapsed = started.elapsed();
    let fulfilled = app
        .scalar_i64("SELECT count(*) FROM orders WHERE state = 'fulfilled'")
        .await;
    let verified = app
        .scalar_i64(
            "SELECT count(*) FROM course_run_enrollments WHERE enrollment_mode = 'verified' AND active = 1",
        )
        .await;
    assert_eq!(fulfilled as usize, n);
    assert_eq!(verified as usize, n);
    println!(
        "checkout bench: {n} orders, {concurrency} concurrent learners, synchronous={sync}: {:.0} orders/s end to end ({:.2} s)",
        n as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64()
    );
    for (i, name) in [
        "basket (create_from_product)",
        "checkout payload",
        "ACCEPT callback + fulfilment",
    ]
    .iter()
    .enumerate()
    {
        all[i].sort();
        println!(
            "checkout bench: {name}: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            pct(&all[i], 0.5),
            pct(&all[i], 0.99),
            pct(&all[i], 1.0)
        );
    }
}
