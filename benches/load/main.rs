//! Load: the compass's figures side by side, each a closed loop of `LOAD_CONCURRENCY` clients
//! (default 16) for `LOAD_SECS` (default 10) against the real binary on a `bench seed` catalog
//! of 110 courses: the plain-text ceiling (`/bench/ping`, `MITXONLINE_BENCH_PING=true`), the v2
//! course list cached and uncached (a new query string each request), a course's detail, v3
//! enrollments and the dashboard page of a learner with 106 enrollments, and checkout end to
//! end (basket → signed payload → the sandbox's pay page → the signed result). Per scenario:
//! requests a second, p50 and p99 latency, and the server's CPU per request (from
//! `/proc/<pid>/stat`). The client runs on the same machine, so every figure is what is left of
//! the box after the client's share. SQL statements per request come from the server's
//! `mitxonline_db_statements_total` (every statement begun on any connection), less what the
//! idle server runs in as long (the outbox and job pollers), over the requests answered. Writes
//! `target/bench-report/load.md`. Run: `scripts/load`.

#[path = "../process/mod.rs"]
mod process;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use process::client::{answer, client, purchase, signed_in, userinfo};
use process::{Seeded, Server, open_runs};

/// utime + stime of a process, in seconds.
fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(") ")
        .map_or(vec![], |(_, r)| r.split(' ').collect());
    // After the name: state is field 3, utime 14 and stime 15 (1-based), so 11 and 12 here.
    let ticks: f64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i)?.parse::<f64>().ok())
        .sum();
    ticks / 100.0
}

struct Row {
    name: &'static str,
    requests: usize,
    errors: usize,
    per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
    cpu_ms: f64,
    sql_per_request: f64,
}

/// The server's `mitxonline_db_statements_total` (NaN when `/metrics` does not say).
async fn statements(c: &reqwest::Client, base: &str) -> f64 {
    let text = match c.get(format!("{base}/metrics")).send().await {
        Ok(r) => r.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    };
    text.lines()
        .find_map(|l| l.strip_prefix("mitxonline_db_statements_total ")?.parse().ok())
        .unwrap_or(f64::NAN)
}

#[derive(Clone, Copy)]
enum Scenario {
    Ping,
    ListCached,
    ListUncached,
    Detail,
    V3Enrollments,
    Dashboard,
    Checkout,
}

const SCENARIOS: &[(Scenario, &str)] = &[
    (Scenario::Ping, "plain text (/bench/ping)"),
    (Scenario::ListCached, "v2 course list, cached"),
    (Scenario::ListUncached, "v2 course list, uncached"),
    (Scenario::Detail, "v2 course detail"),
    (Scenario::V3Enrollments, "v3 enrollments (106)"),
    (Scenario::Dashboard, "dashboard page (106)"),
    (Scenario::Checkout, "checkout end to end"),
];

struct Ctx {
    base: String,
    course: i64,
    runs: Vec<(i64, i64, i64)>,
    heavy: String,
    n: AtomicUsize,
}

/// One request of the scenario; its status (None when no answer came).
async fn one(c: &reqwest::Client, x: &Ctx, s: Scenario) -> Option<u16> {
    let n = x.n.fetch_add(1, Ordering::Relaxed);
    let get = |path: String| c.get(format!("{}{path}", x.base));
    let a = match s {
        Scenario::Ping => answer(get("/bench/ping".into())).await,
        Scenario::ListCached => answer(get("/api/v2/courses/?page=1".into())).await,
        Scenario::ListUncached => answer(get(format!("/api/v2/courses/?page=1&n={n}"))).await,
        Scenario::Detail => answer(get(format!("/api/v2/courses/{}/", x.course))).await,
        Scenario::V3Enrollments => answer(signed_in(get("/api/v3/enrollments/".into()), &x.heavy)).await,
        Scenario::Dashboard => answer(signed_in(get("/dashboard/".into()), &x.heavy)).await,
        Scenario::Checkout => {
            let product = x.runs[n % x.runs.len()].1;
            return match purchase(c, &x.base, &userinfo("lb", n), product).await {
                Ok(_) => Some(200),
                Err(status) => status,
            };
        }
    };
    a.map(|(status, _)| status)
}

async fn scenario(
    x: Arc<Ctx>,
    pid: u32,
    (s, name): (Scenario, &'static str),
    secs: u64,
    concurrency: usize,
    idle_statements_per_sec: f64,
) -> Row {
    let sql_before = statements(&client(), &x.base).await;
    let cpu_before = cpu_secs(pid);
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let x = x.clone();
            tokio::spawn(async move {
                let c = client();
                let (mut lat, mut errors) = (Vec::new(), 0usize);
                while started.elapsed() < Duration::from_secs(secs) {
                    let t = Instant::now();
                    match one(&c, &x, s).await {
                        Some(status) if status < 400 => lat.push(t.elapsed().as_secs_f64() * 1000.0),
                        _ => errors += 1,
                    }
                }
                (lat, errors)
            })
        })
        .collect();
    let (mut lat, mut errors) = (Vec::new(), 0);
    for t in tasks {
        let (l, e) = t.await.unwrap();
        lat.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = cpu_secs(pid) - cpu_before;
    let sql = statements(&client(), &x.base).await - sql_before - idle_statements_per_sec * elapsed;
    lat.sort_by(f64::total_cmp);
    let q = |p: f64| {
        lat.get(((p * lat.len() as f64).ceil() as usize).saturating_sub(1))
            .copied()
            .unwrap_or(0.0)
    };
    Row {
        name,
        requests: lat.len(),
        errors,
        per_sec: lat.len() as f64 / elapsed,
        p50_ms: q(0.5),
        p99_ms: q(0.99),
        cpu_ms: if lat.is_empty() {
            0.0
        } else {
            cpu * 1000.0 / lat.len() as f64
        },
        sql_per_request: if lat.is_empty() {
            0.0
        } else {
            sql.max(0.0) / lat.len() as f64
        },
    }
}

fn main() {
    let env = |k: &str, d: u64| std::env::var(k).ok().and_then(|s| s.parse().ok()).unwrap_or(d);
    let (secs, concurrency) = (env("LOAD_SECS", 10), env("LOAD_CONCURRENCY", 16) as usize);
    let Seeded {
        dir,
        replica_url,
        db,
        port,
    } = Seeded::new("110");
    let base = format!("http://127.0.0.1:{port}");
    let runs = open_runs(&db);
    let rt = process::runtime();
    let rows = rt.block_on(async {
        let server = Server::start_with(
            dir.path(),
            port,
            &replica_url,
            &[("MITXONLINE_BENCH_PING", "true")],
        )
        .await;
        // The heavy learner: 106 enrollments (every run the seed opened, then the others).
        let heavy = userinfo("heavy", 0);
        let all = every_run(&db);
        let c = client();
        for run in all.iter().take(106) {
            let req = c
                .post(format!("{base}/api/v1/enrollments/"))
                .json(&serde_json::json!({ "run_id": run }));
            answer(signed_in(req, &heavy)).await;
        }
        let (_, list) = answer(signed_in(c.get(format!("{base}/api/v1/enrollments/")), &heavy))
            .await
            .expect("the heavy learner's enrollments");
        let held = serde_json::from_str::<serde_json::Value>(&list)
            .ok()
            .and_then(|v| v.as_array().map(Vec::len));
        assert_eq!(held, Some(106), "the heavy learner holds 106 enrollments");
        let x = Arc::new(Ctx {
            base: base.clone(),
            course: runs[0].2,
            runs,
            heavy,
            n: AtomicUsize::new(0),
        });
        // What the idle server runs on its own (pollers), so each scenario's figure is its own.
        let idle_from = statements(&c, &base).await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        let idle = ((statements(&c, &base).await - idle_from) / 3.0).max(0.0);
        let mut rows = Vec::new();
        for s in SCENARIOS {
            rows.push(scenario(x.clone(), server.pid(), *s, secs, concurrency, idle).await);
        }
        server.stop();
        rows
    });
    report(&rows, secs, concurrency);
}

/// Every run of the seeded catalog, open ones first.
fn every_run(db: &Path) -> Vec<i64> {
    let c = rusqlite::Connection::open(db).unwrap();
    let mut st = c
        .prepare("SELECT id FROM course_runs ORDER BY courseware_id LIKE '%+2T2026' DESC, id")
        .unwrap();
    st.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn report(rows: &[Row], secs: u64, concurrency: usize) {
    let mut md = format!(
        "# Load: {concurrency} clients, {secs} s a scenario, on {} cores\n\n| scenario | requests | errors | req/s | p50 ms | p99 ms | server CPU ms/request | SQL statements/request |\n|---|---|---|---|---|---|---|---|\n",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("load: {concurrency} clients, {secs} s a scenario");
    for r in rows {
        println!(
            "  {:<28} {:>8.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  CPU {:>6.3} ms/req  SQL {:>6.1}/req  ({} requests, {} errors)",
            r.name, r.per_sec, r.p50_ms, r.p99_ms, r.cpu_ms, r.sql_per_request, r.requests, r.errors
        );
        md.push_str(&format!(
            "| {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.3} | {:.1} |\n",
            r.name, r.requests, r.errors, r.per_sec, r.p50_ms, r.p99_ms, r.cpu_ms, r.sql_per_request
        ));
    }
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-report");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("load.md"), md).unwrap();
    println!("  report: {}/load.md", out.display());
    if rows.iter().any(|r| r.errors > 0 || r.requests == 0) {
        println!("  BROKEN: a scenario had errors or no answer");
        std::process::exit(1);
    }
}
