//! Soak: the real binary under a steady mixed load for `SOAK_SECS` (default 1800; CI runs
//! 120), sampled every `SOAK_WINDOW_SECS` (10): the server's RSS and open files, the WAL's
//! size, and p50/p99 per operation (see `traffic.rs` for the mix). Writes
//! `target/bench-report/soak.md` (a row a window) and `soak.svg` (RSS and p99 over time),
//! prints the start/end figures, and exits 1 when RSS or open files grow (the rule in
//! `figures::growth`) or any answer was a 5xx.
//!
//! Run: `scripts/soak` (`cargo bench --profile release-nolto --bench soak`). `SOAK_RATE`
//! operations a second (default 40), `SOAK_LEARNERS` (default 50), `SOAK_OUT` (another folder
//! for the report).

mod figures;
#[path = "../process/mod.rs"]
mod process;
mod traffic;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use figures::Sample;
use process::{Seeded, Server, open_runs};
use traffic::Traffic;

async fn sample(t: &Traffic, pid: u32, db: &Path, at_secs: f64) -> Sample {
    let [sqlite_mb, heap_used_mb, heap_free_mb] = t.memory().await;
    let window = std::mem::take(&mut *t.window.lock().unwrap());
    let ops: BTreeMap<&'static str, (usize, f64, f64)> = window
        .latencies
        .into_iter()
        .map(|(op, mut v)| {
            let (p50, p99) = (figures::quantile(&mut v, 0.5), figures::quantile(&mut v, 0.99));
            (op, (v.len(), p50, p99))
        })
        .collect();
    let (open_files, sockets) = figures::open_fds(pid);
    Sample {
        at_secs,
        rss_mb: figures::rss_mb(pid),
        sqlite_mb,
        heap_used_mb,
        heap_free_mb,
        open_files,
        sockets,
        wal_mb: figures::file_mb(&db.with_extension("db-wal")),
        ops,
        server_errors: window.server_errors,
        unanswered: window.unanswered,
    }
}

fn main() {
    let env = |k: &str, d: u64| std::env::var(k).ok().and_then(|s| s.parse().ok()).unwrap_or(d);
    let (secs, window, rate, learners) = (
        env("SOAK_SECS", 1800),
        env("SOAK_WINDOW_SECS", 10),
        env("SOAK_RATE", 40),
        env("SOAK_LEARNERS", 50) as usize,
    );
    let Seeded {
        dir,
        replica_url,
        db,
        port,
    } = Seeded::new("30");
    let traffic = Arc::new(Traffic::new(
        format!("http://127.0.0.1:{port}"),
        open_runs(&db),
        learners,
    ));
    let rt = process::runtime();
    let samples = rt.block_on(async {
        let server = Server::start(dir.path(), port, &replica_url).await;
        traffic.warm_up(10).await;
        let started = Instant::now();
        let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut samples = Vec::new();
        let mut next_window = Duration::from_secs(window);
        while started.elapsed() < Duration::from_secs(secs) {
            ticks.tick().await;
            traffic.tick();
            if started.elapsed() >= next_window {
                samples.push(sample(&traffic, server.pid(), &db, started.elapsed().as_secs_f64()).await);
                next_window += Duration::from_secs(window);
            }
        }
        tokio::time::sleep(Duration::from_secs(2)).await; // the last operations end
        server.stop();
        samples
    });
    report(&samples, (secs, rate, learners));
}

fn report(samples: &[Sample], (secs, rate, learners): (u64, u64, usize)) {
    let (first, last) = (&samples[0], &samples[samples.len() - 1]);
    let errors: u64 = samples.iter().map(|s| s.server_errors).sum();
    let unanswered: u64 = samples.iter().map(|s| s.unanswered).sum();
    let operations: usize = samples.iter().flat_map(|s| s.ops.values().map(|o| o.0)).sum();
    let header = format!(
        "# Soak: {secs} s at {rate} operations/s, {learners} learners ({operations} operations answered, {errors} 5xx, {unanswered} unanswered)"
    );
    println!("{}", header.trim_start_matches("# "));
    println!(
        "  of it SQLite {:.1} → {:.1} MB, heap in use {:.1} → {:.1} MB, heap held free {:.1} → {:.1} MB",
        first.sqlite_mb,
        last.sqlite_mb,
        first.heap_used_mb,
        last.heap_used_mb,
        first.heap_free_mb,
        last.heap_free_mb
    );
    println!(
        "  RSS {:.1} → {:.1} MB; open files {} → {}, sockets {} → {}; WAL {:.2} → {:.2} MB (max {:.2})",
        first.rss_mb,
        last.rss_mb,
        first.open_files,
        last.open_files,
        first.sockets,
        last.sockets,
        first.wal_mb,
        last.wal_mb,
        samples.iter().map(|s| s.wal_mb).fold(0.0, f64::max)
    );
    for (name, _) in traffic::MIX {
        let p99 = |s: &Sample| s.ops.get(name).map_or(f64::NAN, |o| o.2);
        println!(
            "  {name}: p99 {:.1} ms in the first window, {:.1} ms in the last",
            p99(first),
            p99(last)
        );
    }
    let out = std::env::var_os("SOAK_OUT").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-report"),
        std::path::PathBuf::from,
    );
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("soak.md"), figures::markdown(samples, &header)).unwrap();
    std::fs::write(out.join("soak.svg"), figures::svg(samples)).unwrap();
    println!("  report: {}/soak.md, soak.svg", out.display());
    let mut problems = figures::growth(samples);
    if errors > 0 {
        problems.push(format!("{errors} answers were 5xx"));
    }
    if problems.is_empty() {
        println!("  invariants: no growth in RSS or open files, no 5xx");
    } else {
        for p in &problems {
            println!("  BROKEN: {p}");
        }
        std::process::exit(1);
    }
}
