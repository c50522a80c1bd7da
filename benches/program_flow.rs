//! Verified-program enrollment throughput over HTTP, printed, never asserted: each learner
//! (verified in the program) posts `/api/v2/verified_program_enrollments/{run}/` once — a
//! zero-value order, its fulfilment and the verified enrollment per request. Run with
//! `cargo bench --profile release-nolto --bench program_flow` (the app is the integration
//! tests' `TestApp`). Env: BENCH_LEARNERS (500), BENCH_CONCURRENCY (16).

use std::time::{Duration, Instant};

use mitxonline::enrollment::model::{Actor, Mode};
use mitxonline::users::store::{self, NewUser};
use serde_json::json;

#[path = "../tests/it/support/mod.rs"]
mod support;

use support::TestApp;
use support::commerce::bearer_client;
use support::program_flow::*;

fn ms(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len().max(1) as f64 - 1.0) * p).round() as usize;
    sorted.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let env = |k: &str, d: usize| std::env::var(k).ok().and_then(|v| v.parse().ok()).unwrap_or(d);
    let n = env("BENCH_LEARNERS", 500);
    let concurrency = env("BENCH_CONCURRENCY", 16);
    let app = TestApp::spawn().await;
    // Each verified enrollment queues its edX push; the bench times the request only.
    app.expect_undrained(&["openedx"]);
    let prog = program(&app, "program-v1:MITx+BENCH", Some("1000.00")).await;
    let (_, key) = course_run(&app, "BENCH1", Some(prog), UPGRADABLE).await;
    let now = app.state.clock.now();
    let program_id = prog.0;
    let tokens: Vec<String> = app
        .state
        .db
        .write(move |c| {
            let mut out = Vec::new();
            for i in 0..n {
                let email = format!("vpe{i}@example.com");
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
                mitxonline::enrollment::service::enroll_program(
                    c,
                    now,
                    id,
                    program_id,
                    Mode::Verified,
                    &Actor::system("bench"),
                )?;
                // Test callers authenticate by a staff-minted bearer token, which only service accounts hold.
                mitxonline::users::store::set_service_account(c, id, true, now)?;
                out.push(mitxonline::users::sessions::issue_access_token(
                    c,
                    id,
                    "bench",
                    chrono::Duration::days(1),
                    now,
                )?);
            }
            Ok::<_, mitxonline::enrollment::EnrollError>(out)
        })
        .await
        .unwrap();
    let queue = std::sync::Arc::new(std::sync::Mutex::new(tokens));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let queue = queue.clone();
        let url = app.url(&format!("/api/v2/verified_program_enrollments/{key}/"));
        workers.push(tokio::spawn(async move {
            let mut times = Vec::new();
            loop {
                let Some(token) = queue.lock().unwrap().pop() else {
                    break;
                };
                let client = bearer_client(&token);
                let t = Instant::now();
                let r = client
                    .post(&url)
                    .json(&json!(["program-v1:MITx+BENCH"]))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 201);
                times.push(t.elapsed());
            }
            times
        }));
    }
    let mut times = Vec::new();
    for w in workers {
        times.extend(w.await.unwrap());
    }
    let elapsed = started.elapsed();
    times.sort_unstable();
    let orders = app
        .scalar_i64(
            "SELECT count(*) FROM orders WHERE state = 'fulfilled' AND total_price_paid IN ('0', '0.00')",
        )
        .await;
    println!(
        "verified program bench: {n} learners, concurrency {concurrency}: {:.0} enrollments/s, p50 {:.1} ms, p99 {:.1} ms, {orders} zero-value orders",
        n as f64 / elapsed.as_secs_f64(),
        ms(&times, 0.5),
        ms(&times, 0.99),
    );
}
