//! End-to-end checkout throughput over HTTP, printed, never asserted: basket
//! (`create_from_product`) → signed payload (`/api/v0/baskets/checkout/`) → signed ACCEPT
//! (`/api/checkout/result/`) → fulfilled order with a verified enrollment. Run with
//! `scripts/bench-checkout` (`cargo bench --profile release-nolto --bench checkout`; the app is
//! the integration tests' `TestApp`). Env: BENCH_ORDERS (3000), BENCH_CONCURRENCY (16),
//! BENCH_SYNCHRONOUS (FULL).

use std::time::{Duration, Instant};

use mitxonline::db::DbError;
use mitxonline::users::store::{self, NewUser};

#[path = "../tests/it/support/mod.rs"]
mod support;

use support::TestApp;
use support::commerce::*;

/// CPU seconds (user + system) per thread group of this process: the database writer, the
/// database readers, and everything else (HTTP server, bench client, runtime).
fn cpu_by_thread() -> [f64; 3] {
    let mut out = [0.0; 3];
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return out;
    };
    for t in tasks.flatten() {
        let comm = std::fs::read_to_string(t.path().join("comm")).unwrap_or_default();
        let stat = std::fs::read_to_string(t.path().join("stat")).unwrap_or_default();
        // Fields after the parenthesised name: state is field 3; utime 14, stime 15.
        let Some((_, rest)) = stat.rsplit_once(") ") else {
            continue;
        };
        let f: Vec<&str> = rest.split_whitespace().collect();
        let ticks: f64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0)
            + f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
        let i = match comm.trim() {
            "db-writer" => 0,
            c if c.starts_with("db-reader") => 1,
            _ => 2,
        };
        out[i] += ticks / 100.0;
    }
    out
}

/// `(count, sum seconds)` of a histogram in the Prometheus text.
fn histogram(text: &str, name: &str) -> (f64, f64) {
    let value = |suffix: &str| {
        let key = format!("{name}_{suffix} ");
        text.lines()
            .find_map(|l| l.strip_prefix(&key))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0.0)
    };
    (value("count"), value("sum"))
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let env = |k: &str, d: usize| std::env::var(k).ok().and_then(|v| v.parse().ok()).unwrap_or(d);
    let n = env("BENCH_ORDERS", 3000);
    let concurrency = env("BENCH_CONCURRENCY", 16);
    let sync = std::env::var("BENCH_SYNCHRONOUS").unwrap_or_else(|_| "FULL".into());
    let app = TestApp::builder()
        .env("MITXONLINE_DB_SYNCHRONOUS", &sync)
        .spawn()
        .await;
    // Fulfilment queues each learner's edX account, enrollment and receipt; the bench times
    // checkout only.
    app.expect_undrained(&["openedx", "mail"]);
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
            Ok::<_, DbError>(out)
        })
        .await
        .unwrap();
    let app = std::sync::Arc::new(app);
    let queue = std::sync::Arc::new(std::sync::Mutex::new(tokens));
    let metrics_before = app.state.metrics.render();
    let cpu_before = cpu_by_thread();
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let app = app.clone();
        let queue = queue.clone();
        workers.push(tokio::spawn(async move {
            let mut times: [Vec<Duration>; 3] = Default::default();
            // One keep-alive client per worker (as a browser keeps its connection); the
            // learner's bearer token goes on each request.
            let client = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap();
            loop {
                let Some(token) = queue.lock().unwrap().pop() else {
                    break;
                };
                let bearer = format!("Bearer {token}");
                let t = Instant::now();
                let r = client
                    .post(app.url(&format!("/api/v0/baskets/create_from_product/{product}/")))
                    .header(reqwest::header::AUTHORIZATION, &bearer)
                    .send()
                    .await
                    .unwrap();
                assert!(r.status().is_success());
                times[0].push(t.elapsed());
                let t = Instant::now();
                let body: serde_json::Value = client
                    .get(app.url("/api/v0/baskets/checkout/"))
                    .header(reqwest::header::AUTHORIZATION, &bearer)
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                times[1].push(t.elapsed());
                let fields = signed_result(&app, &body["payload"], "ACCEPT", "");
                let t = Instant::now();
                let r = client
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
    let cpu_after = cpu_by_thread();
    let metrics_after = app.state.metrics.render();
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
    let delta = |name: &str| {
        let (c0, s0) = histogram(&metrics_before, name);
        let (c1, s1) = histogram(&metrics_after, name);
        (c1 - c0, s1 - s0)
    };
    let (closures, waited) = delta("mitxonline_db_writer_wait_seconds");
    let (commits, busy) = delta("mitxonline_db_writer_commit_seconds");
    println!(
        "checkout bench: writer: {closures:.0} write closures in {commits:.0} transactions ({:.1} per commit, {:.2} per order), mean queue wait {:.2} ms, mean transaction {:.2} ms, busy {:.0}% of the run",
        closures / commits.max(1.0),
        closures / n as f64,
        waited * 1000.0 / closures.max(1.0),
        busy * 1000.0 / commits.max(1.0),
        busy * 100.0 / elapsed.as_secs_f64()
    );
    let (checkpoints, checkpointing) = delta("mitxonline_db_checkpoint_seconds");
    println!(
        "checkout bench: WAL checkpoints: {checkpoints:.0}, mean {:.1} ms each (writes wait meanwhile), {:.2} s in all",
        checkpointing * 1000.0 / checkpoints.max(1.0),
        checkpointing
    );
    let cpu: Vec<f64> = (0..3).map(|i| cpu_after[i] - cpu_before[i]).collect();
    println!(
        "checkout bench: CPU per order: writer thread {:.0} µs, reader threads {:.0} µs, everything else (server, client, runtime) {:.0} µs",
        cpu[0] * 1e6 / n as f64,
        cpu[1] * 1e6 / n as f64,
        cpu[2] * 1e6 / n as f64
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
