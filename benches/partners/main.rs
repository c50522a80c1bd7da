//! Partners: the sandbox Open edX in trouble while learners enroll and unenroll. For each fault
//! in turn (down, slow, failing, throttling, wrong answers; `integrations::sandbox_faults`)
//! it is switched on for `PARTNERS_WINDOW` seconds (default 15) under load, then the load
//! pauses and the backlog must drain. Figures per fault: the backlog's peak, the seconds to
//! drain once edX is healthy, and the most delivery attempts in any 10 s (bounded by the
//! outbox's token bucket: a burst of 10 s of the rate plus 10 s of refill). Afterwards the
//! chaos suite's checks: integrity, every acknowledged enrollment/unenrollment, the outbox
//! drained with no dead letter, the sandbox edX agreeing with every enrollment and account.
//! Exits 1 naming what broke. Only edX today: the other partners' sandboxes have no faults yet.
//!
//! Run: `scripts/partners` (`cargo bench --profile release-nolto --bench partners`).
//! `PARTNERS_LEARNERS` (default 6), `PARTNERS_RATE` (outbox deliveries a minute, default 600).

#[path = "../process/mod.rs"]
mod process;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use rusqlite::Connection;

use process::load::{self, Shared};
use process::{Seeded, Server, bin, check, open_runs};

const FAULTS: &[&str] = &["down", "slow", "error", "throttle", "garbage"];

fn staff_key(dir: &Path) -> String {
    let out = std::process::Command::new(bin())
        .args(["apikey", "create", "partners-bench", "--scope", "staff"])
        .env("MITXONLINE_DATA_DIR", dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    text.lines()
        .find_map(|l| l.strip_prefix("key: "))
        .expect("apikey create prints the key")
        .trim()
        .to_owned()
}

/// (pending edX messages, delivery attempts so far) of the edX destination.
fn edx_figures(c: &Connection) -> (i64, i64) {
    c.query_row(
        "SELECT count(*) FILTER (WHERE status = 'pending'), coalesce(sum(attempts), 0)
         FROM outbox WHERE destination = 'openedx'",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .unwrap()
}

struct Window {
    fault: &'static str,
    peak_backlog: i64,
    drain_secs: f64,
    max_attempts_10s: i64,
}

async fn fault(base: &str, key: &str, kind: &str, seconds: u64) {
    let r = reqwest::Client::new()
        .post(format!("{base}/api/v0/staff/sandbox/faults/openedx/"))
        .header("authorization", format!("Api-Key {key}"))
        .json(&serde_json::json!({ "kind": kind, "seconds": seconds }))
        .send()
        .await
        .expect("fault switch");
    assert!(r.status().is_success(), "fault {kind}: {}", r.status());
}

/// One fault's window under load, then the drain with the load paused.
async fn window(s: &Shared, db: &Path, key: &str, kind: &'static str, secs: u64) -> Window {
    let c = Connection::open(db).unwrap();
    fault(&s.base, key, kind, secs).await;
    s.paused.store(false, Ordering::Relaxed);
    let started = Instant::now();
    let mut attempts: Vec<(f64, i64)> = Vec::new();
    let mut peak_backlog = 0;
    let mut sample = |attempts: &mut Vec<(f64, i64)>| {
        let (pending, tried) = edx_figures(&c);
        peak_backlog = peak_backlog.max(pending);
        attempts.push((started.elapsed().as_secs_f64(), tried));
        pending
    };
    while started.elapsed() < Duration::from_secs(secs) {
        sample(&mut attempts);
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    s.paused.store(true, Ordering::Relaxed);
    fault(&s.base, key, "none", 1).await;
    let healthy = Instant::now();
    while sample(&mut attempts) > 0 && healthy.elapsed() < Duration::from_secs(180) {
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    // The most attempts between two samples at most 10 s apart.
    let max_attempts_10s = (0..attempts.len())
        .filter_map(|i| {
            let end = attempts[i..]
                .iter()
                .take_while(|a| a.0 - attempts[i].0 <= 10.0)
                .last()?;
            Some(end.1 - attempts[i].1)
        })
        .max()
        .unwrap_or(0);
    Window {
        fault: kind,
        peak_backlog,
        drain_secs: healthy.elapsed().as_secs_f64(),
        max_attempts_10s,
    }
}

fn main() {
    let env = |k: &str, d: u64| std::env::var(k).ok().and_then(|s| s.parse().ok()).unwrap_or(d);
    let (secs, learners, rate) = (
        env("PARTNERS_WINDOW", 15),
        env("PARTNERS_LEARNERS", 6) as usize,
        env("PARTNERS_RATE", 600),
    );
    let Seeded {
        dir,
        replica_url,
        db,
        port,
    } = Seeded::new("20");
    let key = staff_key(dir.path());
    let shared = Arc::new(Shared::new(
        format!("http://127.0.0.1:{port}"),
        open_runs(&db).into_iter().map(|(r, p, _)| (r, p)).collect(),
        Duration::from_millis(100),
    ));
    let rt = process::runtime();
    let rate_text = rate.to_string();
    let windows = rt.block_on(async {
        let server = Server::start_with(
            dir.path(),
            port,
            &replica_url,
            &[("MITXONLINE_OUTBOX_RATE_PER_MINUTE", &rate_text)],
        )
        .await;
        let tasks: Vec<_> = (0..learners)
            .map(|n| tokio::spawn(load::learner(n, shared.clone())))
            .collect();
        let mut windows = Vec::new();
        for kind in FAULTS {
            windows.push(window(&shared, &db, &key, kind, secs).await);
        }
        shared.stop.store(true, Ordering::Relaxed);
        for t in tasks {
            let _ = t.await;
        }
        process::wait_for_drain(&db).await;
        server.stop();
        windows
    });
    report(&shared, &db, &windows, rate);
}

fn report(s: &Shared, db: &Path, windows: &[Window], rate: u64) {
    // The token bucket: a burst of ten seconds' worth, then the rate; one second more of it
    // for attempts recorded after the instant their token was taken.
    let bound = (rate as f64 / 6.0).max(1.0) as i64 + (rate as i64) * 11 / 60;
    let f = s.figures.lock().unwrap();
    println!(
        "partners (sandbox Open edX): {} enrollments and {} unenrollments acknowledged; 5xx: {}; outbox pace {rate}/min",
        f.acked_enrolls, f.acked_unenrolls, f.server_errors
    );
    let mut problems = Vec::new();
    for w in windows {
        println!(
            "  {:<8} backlog peak {:>4}, drained {:>5.1} s after healthy, at most {:>4} attempts in 10 s (bound {bound})",
            w.fault, w.peak_backlog, w.drain_secs, w.max_attempts_10s
        );
        if w.max_attempts_10s > bound {
            problems.push(format!(
                "{}: {} attempts in 10 s exceed the bucket's {bound}",
                w.fault, w.max_attempts_10s
            ));
        }
    }
    let c = Connection::open(db).unwrap();
    problems.extend(check::enrollments(&c, &s.ledger.lock().unwrap(), &s.runs));
    problems.extend(check::openedx(&c));
    if f.server_errors > 0 {
        problems.push(format!("{} answers were 5xx", f.server_errors));
    }
    if problems.is_empty() {
        println!(
            "  invariants: all hold (integrity, acknowledged state, outbox drained with no dead letter, Open edX agreement)"
        );
    } else {
        for p in &problems {
            println!("  BROKEN: {p}");
        }
        std::process::exit(1);
    }
}
