//! Chaos: enrollment and purchase load while the real binary is killed with SIGKILL at random
//! points and restarted, then invariant checks (issue 20's chaos suite; refunds and staff
//! traffic are not in its load yet).
//!
//! On a `bench seed` catalog, learners enroll in and unenroll from random open runs and buyers
//! pay for certificates (basket → checkout → the sandbox CyberSource's pay page → the signed
//! result back to us), each signing in through the gateway's `X-Userinfo` header as behind
//! APISIX. Backups stream to a file replica throughout. After the last kill the server runs
//! until the outbox has drained, stops gracefully, and the checks are:
//! - `PRAGMA integrity_check` is `ok`; no outbox message is dead or still pending;
//! - every (learner, run) whose last request was acknowledged is in the state that answer
//!   said (enrolled or not);
//! - every acknowledged order is fulfilled with exactly one payment and a verified enrollment;
//!   no order is paid twice, no paid order is left unfulfilled, no run is bought twice;
//! - the sandbox Open edX agrees with every local enrollment (active or not, and the mode) and
//!   holds one account per learner who enrolled;
//! - the backup replica restores (ours, and the real `litestream restore` when
//!   `MITXONLINE_TEST_LITESTREAM` names it) to the live database's rows;
//! - no request was answered with a 5xx.
//!
//! Run: `scripts/chaos` (`cargo bench --profile release-nolto --bench chaos`). `CHAOS_KILLS`
//! (default 50), `CHAOS_LEARNERS` (default 8), `CHAOS_BUYERS` (default 4), `CHAOS_RUST_LOG`
//! (the servers' `RUST_LOG`, default `warn`; every life's log is appended to `serve.log` in the
//! data directory). Prints the figures; when a check fails, keeps the data directory (replica,
//! backup state, log), prints its path and exits 1.

mod check;
mod load;

use std::path::Path;
use std::process::{Child, Command};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use rand::Rng as _;
use rusqlite::Connection;

use load::Shared;

const COURSES: &str = "20";

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_mitxonline")
}

fn cli(dir: &Path, args: &[&str]) {
    let out = Command::new(bin())
        .args(args)
        .env("MITXONLINE_DATA_DIR", dir)
        .env("MITXONLINE_SCHEDULER", "false")
        .output()
        .expect("run mitxonline");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

struct Server {
    child: Child,
}

impl Server {
    async fn start(dir: &Path, port: u16, replica_url: &str) -> Server {
        let base = format!("http://127.0.0.1:{port}");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("serve.log"))
            .expect("open serve.log");
        let server = Server {
            child: Command::new(bin())
                .arg("serve")
                .env("MITXONLINE_AUTH_MODE", "gateway")
                .env("MITXONLINE_DATA_DIR", dir)
                .env("MITXONLINE_BIND", format!("127.0.0.1:{port}"))
                // Links, the checkout's pay page and the sandbox's back-office post point here.
                .env("MITXONLINE_PUBLIC_URL", &base)
                .env("MITXONLINE_BACKUP_URL", replica_url)
                .env("MITXONLINE_SCHEDULER", "false")
                .env("MITXONLINE_HUBSPOT_SYNC", "off")
                .env("MITXONLINE_OUTBOX_BASE_BACKOFF", "1s")
                // The sandboxes are in-process; the default pace (120 a minute) is for real partners.
                .env("MITXONLINE_OUTBOX_RATE_PER_MINUTE", "60000")
                .env(
                    "RUST_LOG",
                    std::env::var("CHAOS_RUST_LOG").unwrap_or_else(|_| "warn".into()),
                )
                // Every life's log, appended, stays with the data directory.
                .stdout(log.try_clone().expect("clone serve.log"))
                .stderr(log)
                .spawn()
                .expect("spawn serve"),
        };
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let up = client
                .get(format!("{base}/health/readiness/"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if up {
                return server;
            }
            assert!(Instant::now() < deadline, "server did not become ready");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM: the graceful shutdown, which ends with the backup's last sync.
    fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The open runs of the seeded catalog, with their products: (run id, product id).
fn open_runs(db: &Path) -> Vec<(i64, i64)> {
    let c = Connection::open(db).unwrap();
    let mut st = c
        .prepare(
            "SELECT r.id, p.id FROM course_runs r JOIN products p ON p.course_run_id = r.id
             WHERE r.courseware_id LIKE 'course-v1:BENCH+%+2T2026' ORDER BY r.id",
        )
        .unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

async fn wait_for_drain(db: &Path) -> f64 {
    let started = Instant::now();
    let c = Connection::open(db).unwrap();
    loop {
        let pending: i64 = c
            .query_row("SELECT count(*) FROM outbox WHERE status = 'pending'", [], |r| {
                r.get(0)
            })
            .unwrap();
        if pending == 0 || started.elapsed() > Duration::from_secs(120) {
            return started.elapsed().as_secs_f64();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn main() {
    let env = |k: &str, d: usize| std::env::var(k).ok().and_then(|s| s.parse().ok()).unwrap_or(d);
    let (kills, learners, buyers) = (
        env("CHAOS_KILLS", 50),
        env("CHAOS_LEARNERS", 8),
        env("CHAOS_BUYERS", 4),
    );
    let dir = tempfile::tempdir().unwrap();
    let replica_url = format!("file://{}", dir.path().join("replica").display());
    cli(
        dir.path(),
        &["bench", "seed", "--learners", "0", "--courses", COURSES],
    );
    let db = dir.path().join("mitxonline.db");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let shared = Arc::new(Shared {
        base: format!("http://127.0.0.1:{port}"),
        runs: open_runs(&db),
        ledger: Default::default(),
        paid: Default::default(),
        figures: Default::default(),
        stop: Default::default(),
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let (load_secs, drain_secs) = rt.block_on(async {
        let started = Instant::now();
        let mut server = Server::start(dir.path(), port, &replica_url).await;
        let mut tasks: Vec<_> = (0..learners)
            .map(|n| tokio::spawn(load::learner(n, shared.clone())))
            .collect();
        tasks.extend((0..buyers).map(|n| tokio::spawn(load::buyer(n, buyers, shared.clone()))));
        for _ in 0..kills {
            let life = rand::rng().random_range(200..1500);
            tokio::time::sleep(Duration::from_millis(life)).await;
            server.kill9();
            server = Server::start(dir.path(), port, &replica_url).await;
        }
        shared.stop.store(true, Ordering::Relaxed);
        for t in tasks {
            let _ = t.await;
        }
        let load_secs = started.elapsed().as_secs_f64();
        let drain_secs = wait_for_drain(&db).await;
        server.stop();
        (load_secs, drain_secs)
    });
    let ok = report(
        &shared,
        dir.path(),
        &replica_url,
        (kills, learners, buyers),
        (load_secs, drain_secs),
    );
    if !ok {
        let kept = dir.keep();
        println!("  data directory kept: {}", kept.display());
        std::process::exit(1);
    }
}

fn report(
    s: &Shared,
    dir: &Path,
    replica_url: &str,
    (kills, learners, buyers): (usize, usize, usize),
    (load_secs, drain_secs): (f64, f64),
) -> bool {
    let f = s.figures.lock().unwrap();
    println!(
        "chaos: {kills} SIGKILLs over {load_secs:.1} s; {learners} learners and {buyers} buyers on {} open runs",
        s.runs.len()
    );
    println!(
        "  acknowledged: {} enrollments, {} unenrollments, {} paid orders; refused: {}; unanswered (killed in flight): {}; 5xx: {}",
        f.acked_enrolls, f.acked_unenrolls, f.acked_orders, f.refused, f.unanswered, f.server_errors
    );
    println!("  outbox drained {drain_secs:.1} s after the last restart");
    let c = Connection::open(dir.join("mitxonline.db")).unwrap();
    let mut problems = check::enrollments(&c, &s.ledger.lock().unwrap(), &s.runs);
    problems.extend(check::orders(&c, &s.paid.lock().unwrap(), &s.runs));
    problems.extend(check::openedx(&c));
    drop(c);
    let (backup_problems, restored_by) = check::backup(bin(), dir, replica_url);
    problems.extend(backup_problems);
    if f.server_errors > 0 {
        problems.push(format!("{} answers were 5xx", f.server_errors));
    }
    if problems.is_empty() {
        println!(
            "  invariants: all hold (integrity, acknowledged enrollments and orders, payments, outbox, Open edX agreement, backup restored by {})",
            restored_by.join(" and ")
        );
    } else {
        for p in &problems {
            println!("  BROKEN: {p}");
        }
    }
    problems.is_empty()
}
