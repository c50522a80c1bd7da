//! Enrollment benchmark, in-process on 127.0.0.1:
//! 1. `GET /api/v3/enrollments/` for a learner with 106 enrollments (grades on half of them),
//!    driven by `wrk` at 32 connections: requests/s, p50/p99, SQL statements per request
//!    (the enrollment module's own counter; identity adds two: token lookup and user load).
//! 2. `POST /api/v1/enrollments/` throughput: 200 learners × 10 runs from 32 concurrent
//!    clients, with the built-in sandbox Open edX attached and the outbox dispatcher running;
//!    then how long until every enrollment was delivered to (and confirmed by) edX.
//!
//! Run: `scripts/bench-enrollments` (`cargo bench --profile release-nolto --bench enrollments`).
//! `BENCH_SECONDS` (default 10), `BENCH_CONNECTIONS` (default 32).

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use mitxonline::catalog::store::{self, NewCourse, NewRun};
use mitxonline::clock::Clock;
use mitxonline::config::Config;
use mitxonline::db::DbError;
use mitxonline::enrollment::{Actor, Checks, Mode, service};
use mitxonline::serve::{self, StartOptions};
use mitxonline::users::store::NewUser;
use rusqlite::Connection;

const RUNS: usize = 130;
const LEARNER_ENROLLMENTS: usize = 106;
const POST_LEARNERS: usize = 200;
const POST_RUNS_EACH: usize = 10;

fn catalog(c: &Connection, now: DateTime<Utc>) -> rusqlite::Result<Vec<i64>> {
    let audit = store::ensure_mode(c, "audit", false)?;
    let verified = store::ensure_mode(c, "verified", true)?;
    let day = |n: i64| Some(now + chrono::Duration::days(n));
    let mut runs = Vec::new();
    for i in 0..RUNS {
        let readable = format!("course-v1:BENCH+E{i:04}x");
        let course = store::insert_course(
            c,
            &NewCourse {
                title: &format!("Bench course {i}"),
                readable_id: &readable,
                live: true,
                departments: &[],
                topics: &[],
            },
            now,
        )?;
        let key = format!("{readable}+1T2026");
        let run = store::insert_run(
            c,
            &NewRun {
                course_id: course,
                title: "Bench run",
                courseware_id: &key,
                run_tag: "1T2026",
                start_date: day(-10),
                end_date: day(80),
                enrollment_start: day(-40),
                upgrade_deadline: day(70),
                live: true,
                language: "en",
                modes: &[audit, verified],
                ..NewRun::default()
            },
            now,
        )?;
        store::insert_product(
            c,
            store::ProductTarget::CourseRun(run),
            rust_decimal::Decimal::from(49),
            &key,
            now,
        )?;
        runs.push(run);
    }
    Ok(runs)
}

fn user(c: &Connection, name: &str, now: DateTime<Utc>) -> rusqlite::Result<(i64, String)> {
    let id = mitxonline::users::store::insert(
        c,
        &NewUser {
            email: format!("{name}@example.com"),
            username: name.into(),
            name: name.into(),
            ..NewUser::default()
        },
        now,
    )?;
    // Test callers authenticate by a staff-minted bearer token, which only service accounts hold.
    mitxonline::users::store::set_service_account(c, id, true, now)?;
    let token =
        mitxonline::users::sessions::issue_access_token(c, id, "bench", chrono::Duration::days(1), now)?;
    Ok((id, token))
}

struct Wrk {
    requests: u64,
    rps: String,
    p50: String,
    p99: String,
    errors: String,
}

fn wrk(url: &str, token: &str, secs: u64, conns: u32) -> Wrk {
    let out = Command::new("wrk")
        .args([
            "-t2",
            &format!("-c{conns}"),
            &format!("-d{secs}s"),
            "--latency",
            "-H",
            &format!("Authorization: Bearer {token}"),
            url,
        ])
        .output()
        .expect("wrk is installed");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let field = |prefix: &str| {
        text.lines()
            .map(str::trim)
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap_or("?")
            .to_owned()
    };
    Wrk {
        requests: text
            .lines()
            .find(|l| l.contains(" requests in "))
            .and_then(|l| l.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0),
        rps: field("Requests/sec:"),
        p50: field("50%"),
        p99: field("99%"),
        errors: text
            .lines()
            .filter(|l| l.contains("Non-2xx") || l.contains("Socket errors"))
            .map(str::trim)
            .collect::<Vec<_>>()
            .join("; "),
    }
}

fn main() {
    let env = |k: &str, d: u64| std::env::var(k).ok().and_then(|s| s.parse().ok()).unwrap_or(d);
    let secs = env("BENCH_SECONDS", 10);
    let conns = env("BENCH_CONNECTIONS", 32) as u32;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let dir = tempfile::tempdir().unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let vars = std::collections::BTreeMap::from([
            ("MITXONLINE_DATA_DIR".to_owned(), dir.path().display().to_string()),
            ("MITXONLINE_PUBLIC_URL".to_owned(), base.clone()),
            ("MITXONLINE_LOG_FORMAT".to_owned(), "text".to_owned()),
            // The edX lane's politeness limit (120/min by default) would dominate the figure.
            ("MITXONLINE_OUTBOX_RATE_PER_MINUTE".to_owned(), std::env::var("BENCH_EDX_RATE").unwrap_or_else(|_| "1000000".into())),
        ]);
        let config = Config::from_vars(&vars).expect("config");
        let running = serve::start(config, StartOptions { listener: Some(listener), clock: Clock::default(), dispatcher: true, scheduler: Some(false), ..StartOptions::default() })
            .await
            .expect("start");
        let state = running.state.clone();
        let now = state.clock.now();
        let (runs, token) = state
            .db
            .write(move |c| {
                let runs = catalog(c, now)?;
                let (learner, token) = user(c, "heavy", now)?;
                for (i, run) in runs.iter().take(LEARNER_ENROLLMENTS).enumerate() {
                    let mode = if i % 3 == 0 { Mode::Verified } else { Mode::Audit };
                    service::enroll(c, now, learner, *run, mode, Checks::NONE, &Actor::system("bench"))
                        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
                    if i % 2 == 0 {
                        store_grade(c, learner, *run, now)?;
                    }
                }
                Ok::<_, DbError>((runs, token))
            })
            .await
            .expect("generate");

        // 1. The heavy learner's list.
        let url = format!("{base}/api/v3/enrollments/");
        let warm = reqwest::Client::new().get(&url).bearer_auth(&token).send().await.unwrap();
        assert_eq!(warm.status(), 200);
        let body: serde_json::Value = warm.json().await.unwrap();
        assert_eq!(body.as_array().map(Vec::len), Some(LEARNER_ENROLLMENTS));
        let before = state.metrics.counter_value(mitxonline::enrollment::api::SQL_STATEMENTS, &[]);
        let t = token.clone();
        let u = url.clone();
        let r = tokio::task::spawn_blocking(move || wrk(&u, &t, secs, conns)).await.unwrap();
        let after = state.metrics.counter_value(mitxonline::enrollment::api::SQL_STATEMENTS, &[]);
        println!("GET /api/v3/enrollments/ ({LEARNER_ENROLLMENTS} enrollments), wrk -t2 -c{conns} -d{secs}s:");
        println!(
            "  {} req/s, p50 {}, p99 {}, enrollment SQL/request {:.3} (+2 by identity: bearer-token lookup, user load){}",
            r.rps,
            r.p50,
            r.p99,
            (after - before) as f64 / r.requests.max(1) as f64,
            if r.errors.is_empty() { String::new() } else { format!("; {}", r.errors) }
        );

        // 2. POST enroll throughput with the sandbox edX attached.
        let learners = state
            .db
            .write(move |c| (0..POST_LEARNERS).map(|i| user(c, &format!("p{i}"), now)).collect::<Result<Vec<_>, _>>())
            .await
            .unwrap();
        let runs = &runs;
        let jobs: Vec<(String, i64)> = learners
            .iter()
            .enumerate()
            .flat_map(|(i, (_, tok))| (0..POST_RUNS_EACH).map(move |k| (tok.clone(), runs[(i + k * 7) % RUNS])))
            .collect();
        let total = jobs.len();
        let queue = Arc::new(tokio::sync::Mutex::new(jobs));
        let client = reqwest::Client::new();
        let post_url = format!("{base}/api/v1/enrollments/");
        let started = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..conns {
            let (queue, client, post_url) = (queue.clone(), client.clone(), post_url.clone());
            tasks.push(tokio::spawn(async move {
                let mut failures = 0;
                loop {
                    let Some((tok, run)) = queue.lock().await.pop() else { break };
                    let r = client.post(&post_url).bearer_auth(&tok).json(&serde_json::json!({ "run_id": run })).send().await;
                    if !matches!(r, Ok(ref r) if r.status() == 201) {
                        failures += 1;
                    }
                }
                failures
            }));
        }
        let mut failures = 0;
        for t in tasks {
            failures += t.await.unwrap();
        }
        let posted = started.elapsed();
        let expected = (total + LEARNER_ENROLLMENTS) as i64;
        let deadline = Instant::now() + Duration::from_secs(300);
        let confirmed = loop {
            let n = state
                .db
                .read(|c| c.query_row("SELECT count(*) FROM openedx_enrollment_sync WHERE is_active = 1", [], |r| r.get::<_, i64>(0)))
                .await
                .unwrap();
            if n >= expected || Instant::now() > deadline {
                break n;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let delivered = started.elapsed();
        println!("POST /api/v1/enrollments/ ({total} enrollments, {POST_LEARNERS} learners, {conns} concurrent clients, sandbox edX + dispatcher):");
        println!(
            "  {:.0} enrollments/s accepted ({} failed) in {:.2}s; {confirmed}/{expected} confirmed by edX after {:.2}s ({:.0}/s end to end)",
            total as f64 / posted.as_secs_f64(),
            failures,
            posted.as_secs_f64(),
            delivered.as_secs_f64(),
            confirmed as f64 / delivered.as_secs_f64(),
        );
        running.shutdown().await;
    });
}

fn store_grade(c: &Connection, user: i64, run: i64, now: DateTime<Utc>) -> rusqlite::Result<bool> {
    mitxonline::enrollment::store::upsert_grade(c, user, run, "0.85".parse().unwrap(), Some("B"), true, now)
}
