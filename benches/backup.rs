//! Backup benchmark (`cargo bench --bench backup`), loopback and local disk only. Prints:
//! 1. write throughput (single-row transactions, 32 concurrent writers) with replication off vs
//!    on, interleaved twice;
//! 2. replication lag under a sustained 1,000 transactions/s (each sample: the oldest commit of
//!    one LTX file until that file is on the replica, i.e. the worst transaction of each sync);
//! 3. the initial full copy and the restore time of a large database (1 GB by default) from a
//!    local replica, with our restore and, when MITXONLINE_TEST_LITESTREAM is set, the real one.
//!
//! Knobs: BACKUP_BENCH_SECONDS (lag run, default 20), BACKUP_BENCH_DB_MB (default 1024),
//! BACKUP_BENCH_THROUGHPUT_SECONDS (default 5).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use mitxonline::backup::merge::Target;
use mitxonline::backup::replica::{FileReplica, Replica};
use mitxonline::backup::service;
use mitxonline::config::Config;
use mitxonline::serve::{self, Running, StartOptions};

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn start(data: &Path, replica: Option<&Path>) -> Running {
    let mut vars = BTreeMap::new();
    vars.insert("MITXONLINE_DATA_DIR".to_owned(), data.display().to_string());
    vars.insert("MITXONLINE_SCHEDULER".to_owned(), "false".to_owned());
    if let Some(r) = replica {
        vars.insert(
            "MITXONLINE_BACKUP_URL".to_owned(),
            format!("file://{}", r.display()),
        );
    }
    let config = Config::from_vars(&vars).expect("config");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    serve::start(
        config,
        StartOptions {
            listener: Some(listener),
            ..StartOptions::default()
        },
    )
    .await
    .expect("start")
}

async fn create_table(r: &Running) {
    r.state
        .db
        .write(|c| {
            c.execute_batch("CREATE TABLE IF NOT EXISTS bench (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
        })
        .await
        .expect("table");
}

async fn insert(r: &Running, i: u64) {
    r.state
        .db
        .write(move |c| {
            c.execute(
                "INSERT INTO bench (v) VALUES (?1)",
                [format!("row {i} {}", "x".repeat(100))],
            )
        })
        .await
        .expect("insert");
}

async fn throughput(replicated: bool, secs: u64) -> f64 {
    let dir = tempfile::tempdir().expect("tmp");
    let replica = dir.path().join("replica");
    let r = start(&dir.path().join("data"), replicated.then_some(replica.as_path())).await;
    create_table(&r).await;
    if let Some(b) = r.state.backup.get() {
        b.sync_now().await.expect("initial sync");
    }
    let count = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let (state, count) = (r.state.clone(), count.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let i = count.fetch_add(1, Ordering::Relaxed);
                state
                    .db
                    .write(move |c| {
                        c.execute(
                            "INSERT INTO bench (v) VALUES (?1)",
                            [format!("row {i} {}", "x".repeat(100))],
                        )
                    })
                    .await
                    .expect("insert");
            }
        }));
    }
    for t in tasks {
        t.await.expect("writer");
    }
    let rate = count.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64();
    r.shutdown().await;
    rate
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

async fn lag(secs: u64) {
    let dir = tempfile::tempdir().expect("tmp");
    let replica = dir.path().join("replica");
    let r = start(&dir.path().join("data"), Some(&replica)).await;
    create_table(&r).await;
    let b = r.state.backup.get().expect("replicator").clone();
    b.sync_now().await.expect("initial sync");
    let skip = b.lag_samples().len();
    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut sent = 0u64;
    let inflight = Arc::new(AtomicU64::new(0));
    let r = Arc::new(r);
    while started.elapsed() < Duration::from_secs(secs) {
        tick.tick().await;
        sent += 1;
        let (r2, inflight) = (r.clone(), inflight.clone());
        inflight.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(async move {
            insert(&r2, sent).await;
            inflight.fetch_sub(1, Ordering::Relaxed);
        });
    }
    let elapsed = started.elapsed();
    while inflight.load(Ordering::Relaxed) > 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let mut samples: Vec<Duration> = b.lag_samples().into_iter().skip(skip).collect();
    samples.sort();
    println!(
        "replication lag at {:.0} tx/s for {secs} s ({} LTX files): p50 {:?}, p99 {:?}, max {:?}",
        sent as f64 / elapsed.as_secs_f64(),
        samples.len(),
        percentile(&samples, 0.50),
        percentile(&samples, 0.99),
        samples.last().copied().unwrap_or_default(),
    );
    if let Ok(r) = Arc::try_unwrap(r) {
        r.shutdown().await;
    }
}

fn fill(db: &Path, mb: u64) {
    let c = rusqlite::Connection::open(db).expect("open");
    c.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF;
         CREATE TABLE big (id INTEGER PRIMARY KEY, b BLOB NOT NULL, t TEXT NOT NULL);",
    )
    .expect("schema");
    // ~1.4 KB per row on disk: half random bytes, half text (so LZ4 has something to do).
    let rows = mb * 740;
    c.execute_batch("BEGIN").expect("begin");
    c.execute(
        "WITH RECURSIVE n(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM n WHERE value < ?1)
         INSERT INTO big (b, t) SELECT randomblob(512), printf('%0500d', value) FROM n",
        [rows as i64],
    )
    .expect("fill");
    c.execute_batch("COMMIT; PRAGMA wal_checkpoint(TRUNCATE);")
        .expect("commit");
}

async fn restore_big(mb: u64) {
    let dir = tempfile::tempdir_in(std::env::var("BACKUP_BENCH_DIR").unwrap_or_else(|_| "/tmp".into()))
        .expect("tmp");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).expect("data dir");
    let replica = dir.path().join("replica");
    let t = Instant::now();
    fill(&data.join("mitxonline.db"), mb);
    let size = std::fs::metadata(data.join("mitxonline.db")).expect("db").len();
    println!(
        "built a {:.0} MB database in {:?}",
        size as f64 / 1e6,
        t.elapsed()
    );

    let t = Instant::now();
    let r = start(&data, Some(&replica)).await;
    let b = r.state.backup.get().expect("replicator").clone();
    b.sync_now().await.expect("full copy");
    println!(
        "initial full copy to the replica (read, LZ4, CRC, fsync, upload): {:?}",
        t.elapsed()
    );
    r.shutdown().await;

    let out = dir.path().join("restored.db");
    let replica_client = Replica::File(FileReplica {
        root: replica.clone(),
    });
    let t = Instant::now();
    let restored = service::restore(&replica_client, &out, Target::Latest)
        .await
        .expect("restore");
    println!(
        "our restore of {:.0} MB ({} pages, {} files): {:?}",
        size as f64 / 1e6,
        restored.pages,
        restored.files.len(),
        t.elapsed()
    );
    let t = Instant::now();
    let check = service::integrity_check(&out).expect("integrity_check");
    let rows: i64 = rusqlite::Connection::open(&out)
        .expect("open restored")
        .query_row("SELECT count(*) FROM big", [], |r| r.get(0))
        .expect("count");
    println!(
        "integrity_check of the restored copy: {check} ({rows} rows) in {:?}",
        t.elapsed()
    );
    let _ = std::fs::remove_file(&out);
    if let Ok(bin) = std::env::var("MITXONLINE_TEST_LITESTREAM") {
        let theirs = dir.path().join("theirs.db");
        let t = Instant::now();
        let o = std::process::Command::new(bin)
            .args(["restore", "-integrity-check", "none", "-o"])
            .arg(&theirs)
            .arg(format!("file://{}", replica.display()))
            .output()
            .expect("litestream");
        println!(
            "litestream 0.5.17 restore of the same replica: {:?} ({})",
            t.elapsed(),
            if o.status.success() { "ok" } else { "FAILED" }
        );
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let tsecs = env_u64("BACKUP_BENCH_THROUGHPUT_SECONDS", 5);
        let mut off = Vec::new();
        let mut on = Vec::new();
        for _ in 0..2 {
            off.push(throughput(false, tsecs).await);
            on.push(throughput(true, tsecs).await);
        }
        println!(
            "write throughput, 32 writers, single-row transactions, synchronous=FULL: replication off {:.0} tx/s, on {:.0} tx/s (runs: off {:?}, on {:?})",
            off.iter().sum::<f64>() / off.len() as f64,
            on.iter().sum::<f64>() / on.len() as f64,
            off.iter().map(|v| v.round()).collect::<Vec<_>>(),
            on.iter().map(|v| v.round()).collect::<Vec<_>>(),
        );
        lag(env_u64("BACKUP_BENCH_SECONDS", 20)).await;
        restore_big(env_u64("BACKUP_BENCH_DB_MB", 1024)).await;
    });
}
