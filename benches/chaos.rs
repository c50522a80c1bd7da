//! Chaos: enrollment load while the real binary is killed with SIGKILL at random points and
//! restarted, then invariant checks (issue 20's chaos suite, enrollments and the edX push; the
//! payment and backup parts are not in it yet).
//!
//! Learners sign in through the gateway's `X-Userinfo` header (as behind APISIX) and enroll in
//! and unenroll from random open runs of a `bench seed` catalog, one task per learner. Every
//! request whose answer arrived counts as acknowledged. After the last kill the server runs
//! until the outbox has drained, and the checks are:
//! - `PRAGMA integrity_check` is `ok`;
//! - every (learner, run) whose last request was acknowledged is in the state that answer
//!   said (enrolled or not), and no acknowledged enrollment is missing;
//! - no outbox message is dead or still pending;
//! - the sandbox Open edX agrees with every local enrollment (active or not, and the mode), and
//!   holds one account per learner;
//! - no request was answered with a 5xx.
//!
//! Run: `scripts/chaos` (`cargo bench --profile release-nolto --bench chaos`). `CHAOS_KILLS`
//! (default 50), `CHAOS_LEARNERS` (default 8). Prints the figures; exits 1 when a check fails.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use rand::Rng as _;
use rusqlite::Connection;

const COURSES: &str = "20";
const CSRF: &str = "chaoschaoschaoschaoschaoschaos12";

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
    async fn start(dir: &Path, port: u16) -> Server {
        let server = Server {
            child: Command::new(bin())
                .arg("serve")
                .env("MITXONLINE_AUTH_MODE", "gateway")
                .env("MITXONLINE_DATA_DIR", dir)
                .env("MITXONLINE_BIND", format!("127.0.0.1:{port}"))
                .env("MITXONLINE_SCHEDULER", "false")
                .env("MITXONLINE_HUBSPOT_SYNC", "off")
                .env("MITXONLINE_OUTBOX_BASE_BACKOFF", "1s")
                // The sandbox edX is in-process; the default pace (120 a minute) is for a real one.
                .env("MITXONLINE_OUTBOX_RATE_PER_MINUTE", "60000")
                .env("RUST_LOG", "warn")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn serve"),
        };
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let up = client
                .get(format!("http://127.0.0.1:{port}/health/readiness/"))
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
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    Enrolled,
    NotEnrolled,
}

/// Per (learner, run index): what the last request asked and whether its answer arrived.
type Ledger = HashMap<(usize, usize), (Want, bool)>;

#[derive(Default)]
struct Figures {
    acked_enrolls: u64,
    acked_unenrolls: u64,
    unanswered: u64,
    server_errors: u64,
}

fn userinfo(learner: usize) -> String {
    let info = serde_json::json!({
        "sub": format!("chaos-sub-{learner}"),
        "email": format!("chaos-{learner}@example.com"),
        "preferred_username": format!("chaos{learner}"),
        "name": format!("Chaos {learner}"),
    });
    base64::engine::general_purpose::STANDARD.encode(info.to_string())
}

/// One learner's loop: enroll in a random open run, or unenroll from one they hold.
async fn learner(
    learner: usize,
    base: Arc<Mutex<String>>,
    runs: Arc<Vec<i64>>,
    ledger: Arc<Mutex<Ledger>>,
    figures: Arc<Mutex<Figures>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let header = userinfo(learner);
    let mut held: HashMap<usize, i64> = HashMap::new();
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        let base = base.lock().unwrap().clone();
        let (index, unenroll) = {
            let mut rng = rand::rng();
            let index = rng.random_range(0..runs.len());
            (index, held.contains_key(&index) && rng.random_bool(0.4))
        };
        let want = if unenroll {
            Want::NotEnrolled
        } else {
            Want::Enrolled
        };
        ledger.lock().unwrap().insert((learner, index), (want, false));
        let req = if unenroll {
            client.delete(format!("{base}/api/v1/enrollments/{}/", held[&index]))
        } else {
            client
                .post(format!("{base}/api/v1/enrollments/"))
                .json(&serde_json::json!({ "run_id": runs[index] }))
        };
        let answer = req
            .header("x-userinfo", &header)
            .header("cookie", format!("csrftoken={CSRF}"))
            .header("x-csrftoken", CSRF)
            .send()
            .await;
        let status = match answer {
            Ok(r) => {
                let status = r.status().as_u16();
                let body: Option<serde_json::Value> = r.json().await.ok();
                (status, body)
            }
            Err(_) => {
                figures.lock().unwrap().unanswered += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let mut f = figures.lock().unwrap();
        match status {
            (s, Some(body)) if (200..300).contains(&s) && !unenroll => {
                held.insert(index, body["id"].as_i64().unwrap_or_default());
                f.acked_enrolls += 1;
                ledger.lock().unwrap().insert((learner, index), (want, true));
            }
            (s, _) if (200..300).contains(&s) => {
                held.remove(&index);
                f.acked_unenrolls += 1;
                ledger.lock().unwrap().insert((learner, index), (want, true));
            }
            (s, _) if s >= 500 => f.server_errors += 1,
            _ => {}
        }
    }
}

fn check(db: &Path, ledger: &Ledger, runs: &[i64], learners: usize) -> Vec<String> {
    let c = Connection::open(db).unwrap();
    let mut problems = Vec::new();
    let integrity: String = c.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    if integrity != "ok" {
        problems.push(format!("integrity_check: {integrity}"));
    }
    for ((learner, index), (want, acked)) in ledger {
        if !acked {
            continue;
        }
        let active: Option<bool> = c
            .query_row(
                "SELECT e.active FROM course_run_enrollments e JOIN users u ON u.id = e.user_id
                 WHERE u.email = ?1 AND e.run_id = ?2",
                rusqlite::params![format!("chaos-{learner}@example.com"), runs[*index]],
                |r| r.get(0),
            )
            .ok();
        let ok = match want {
            Want::Enrolled => active == Some(true),
            Want::NotEnrolled => active != Some(true),
        };
        if !ok {
            problems.push(format!(
                "learner {learner} run {}: acknowledged {want:?}, stored {active:?}",
                runs[*index]
            ));
        }
    }
    let outbox: (i64, i64) = c
        .query_row(
            "SELECT count(*) FILTER (WHERE status = 'dead'), count(*) FILTER (WHERE status = 'pending') FROM outbox",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    if outbox != (0, 0) {
        problems.push(format!(
            "outbox: {} dead, {} pending after the drain",
            outbox.0, outbox.1
        ));
    }
    let disagree: i64 = c
        .query_row(
            "SELECT count(*) FROM course_run_enrollments e
             JOIN course_runs r ON r.id = e.run_id
             LEFT JOIN openedx_users o ON o.user_id = e.user_id
             LEFT JOIN openedx_sandbox_enrollments s ON s.username = o.edx_username AND s.course_id = r.courseware_id
             WHERE s.username IS NULL OR s.is_active <> e.active OR (e.active = 1 AND s.mode <> e.enrollment_mode)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    if disagree > 0 {
        problems.push(format!(
            "{disagree} local enrollments Open edX does not agree with"
        ));
    }
    let edx_accounts: i64 = c
        .query_row(
            "SELECT count(*) FROM openedx_sandbox_users WHERE email LIKE 'chaos-%@example.com'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let enrolled_learners: i64 = c
        .query_row(
            "SELECT count(DISTINCT u.id) FROM users u JOIN course_run_enrollments e ON e.user_id = u.id
             WHERE u.email LIKE 'chaos-%@example.com'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    if edx_accounts != enrolled_learners || enrolled_learners > learners as i64 {
        problems.push(format!(
            "{edx_accounts} edX accounts for {enrolled_learners} enrolled learners"
        ));
    }
    problems
}

fn main() {
    let env = |k: &str, d: usize| std::env::var(k).ok().and_then(|s| s.parse().ok()).unwrap_or(d);
    let (kills, learners) = (env("CHAOS_KILLS", 50), env("CHAOS_LEARNERS", 8));
    let dir = tempfile::tempdir().unwrap();
    cli(
        dir.path(),
        &["bench", "seed", "--learners", "0", "--courses", COURSES],
    );
    let db = dir.path().join("mitxonline.db");
    let runs: Vec<i64> = {
        let c = Connection::open(&db).unwrap();
        let mut st = c
            .prepare(
                "SELECT id FROM course_runs WHERE courseware_id LIKE 'course-v1:BENCH+%+2T2026' ORDER BY id",
            )
            .unwrap();
        st.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let base = Arc::new(Mutex::new(format!("http://127.0.0.1:{port}")));
        let (runs, ledger, figures) = (
            Arc::new(runs),
            Arc::<Mutex<Ledger>>::default(),
            Arc::<Mutex<Figures>>::default(),
        );
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let started = Instant::now();
        let mut server = Some(Server::start(dir.path(), port).await);
        let tasks: Vec<_> = (0..learners)
            .map(|l| {
                tokio::spawn(learner(
                    l,
                    base.clone(),
                    runs.clone(),
                    ledger.clone(),
                    figures.clone(),
                    stop.clone(),
                ))
            })
            .collect();
        for _ in 0..kills {
            let life = rand::rng().random_range(200..1500);
            tokio::time::sleep(Duration::from_millis(life)).await;
            server.take().unwrap().kill9();
            server = Some(Server::start(dir.path(), port).await);
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for t in tasks {
            let _ = t.await;
        }
        let load_secs = started.elapsed().as_secs_f64();
        let drain_started = Instant::now();
        let c = Connection::open(&db).unwrap();
        loop {
            let pending: i64 = c
                .query_row("SELECT count(*) FROM outbox WHERE status = 'pending'", [], |r| {
                    r.get(0)
                })
                .unwrap();
            if pending == 0 || drain_started.elapsed() > Duration::from_secs(120) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let drain_secs = drain_started.elapsed().as_secs_f64();
        drop(server);
        let ledger = ledger.lock().unwrap();
        let f = figures.lock().unwrap();
        println!(
            "chaos: {kills} SIGKILLs over {load_secs:.1} s, {learners} learners on {} open runs",
            runs.len()
        );
        println!(
            "  acknowledged: {} enrollments, {} unenrollments; unanswered (killed in flight): {}; 5xx: {}",
            f.acked_enrolls, f.acked_unenrolls, f.unanswered, f.server_errors
        );
        println!("  outbox drained {drain_secs:.1} s after the last restart");
        let mut problems = check(&db, &ledger, &runs, learners);
        if f.server_errors > 0 {
            problems.push(format!("{} answers were 5xx", f.server_errors));
        }
        if problems.is_empty() {
            println!(
                "  invariants: all hold (integrity, acknowledged state, outbox, Open edX agreement, accounts)"
            );
        } else {
            for p in &problems {
                println!("  BROKEN: {p}");
            }
            std::process::exit(1);
        }
    });
}
