//! Streamed backups: our replica restores with the real Litestream and with ours, row for row;
//! point-in-time restore; corrupted files are refused by name; a broken replica degrades health
//! without stopping the server; our restore reads what the real `litestream replicate` wrote.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use mitxonline::backup::merge::Target;
use mitxonline::backup::replica::Replica;
use mitxonline::backup::service;
use mitxonline::db::DbError;
use rand::Rng;

use crate::support::TestApp;

/// The real litestream binary (scripts/test sets it); `None` prints a loud skip message.
pub fn litestream() -> Option<PathBuf> {
    match std::env::var("MITXONLINE_TEST_LITESTREAM") {
        Ok(p) if !p.is_empty() => {
            assert!(
                Path::new(&p).exists(),
                "MITXONLINE_TEST_LITESTREAM={p} does not exist"
            );
            Some(PathBuf::from(p))
        }
        _ => {
            eprintln!(
                "\n*** SKIPPED: MITXONLINE_TEST_LITESTREAM is unset; run scripts/test (it installs litestream) ***\n"
            );
            None
        }
    }
}

pub fn file_url(p: &Path) -> String {
    format!("file://{}", p.display())
}

pub async fn backed_up_app(replica: &Path, extra: &[(&str, &str)]) -> TestApp {
    let mut b = TestApp::builder()
        .env("MITXONLINE_BACKUP_URL", &file_url(replica))
        .env("MITXONLINE_BACKUP_SYNC_INTERVAL", "200ms");
    for (k, v) in extra {
        b = b.env(k, v);
    }
    b.spawn().await
}

pub async fn create_churn_table(app: &TestApp) {
    app.state
        .db
        .write(|c| {
            c.execute_batch(
                "CREATE TABLE IF NOT EXISTS churn (id INTEGER PRIMARY KEY, v TEXT NOT NULL, n INTEGER NOT NULL);
                 CREATE TABLE IF NOT EXISTS blobs (id INTEGER PRIMARY KEY, b BLOB NOT NULL);",
            )
        })
        .await
        .expect("create tables");
}

/// Concurrent inserts, updates and deletes (and a few explicit checkpoints) for `rounds`.
pub async fn churn(app: &TestApp, rounds: usize) {
    let mut tasks = Vec::new();
    for worker in 0..4 {
        let db = app.state.db.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..rounds {
                let (op, key, size): (u8, i64, usize) = {
                    let mut r = rand::rng();
                    (
                        r.random_range(0..10),
                        r.random_range(1..400),
                        r.random_range(10..3000),
                    )
                };
                db.write(move |c| {
                    match op {
                        0..=4 => {
                            c.execute(
                                "INSERT INTO churn (v, n) VALUES (?1, ?2)",
                                rusqlite::params!["x".repeat(size), worker * 100_000 + i as i64],
                            )?;
                        }
                        5..=6 => {
                            c.execute(
                                "UPDATE churn SET v = ?1, n = n + 1 WHERE id = ?2",
                                rusqlite::params!["u".repeat(size), key],
                            )?;
                        }
                        7 => {
                            c.execute("DELETE FROM churn WHERE id = ?1", [key])?;
                        }
                        _ => {
                            c.execute("INSERT INTO blobs (b) VALUES (zeroblob(?1))", [size as i64 * 4])?;
                        }
                    }
                    Ok::<_, DbError>(())
                })
                .await
                .expect("write");
            }
        }));
    }
    let db = app.state.db.clone();
    let checkpoints = tokio::spawn(async move {
        for _ in 0..3 {
            tokio::time::sleep(Duration::from_millis(150)).await;
            db.checkpoint().await.expect("checkpoint");
        }
    });
    for t in tasks {
        t.await.expect("worker");
    }
    checkpoints.await.expect("checkpointer");
}

pub async fn live_digests(app: &TestApp) -> Vec<(String, u64, u64)> {
    app.state
        .db
        .read(|c| service::table_digests(c).map_err(|e| DbError::Panicked(e.to_string())))
        .await
        .expect("digests")
}

pub fn digests_of(path: &Path) -> Vec<(String, u64, u64)> {
    let c = rusqlite::Connection::open(path).expect("open restored");
    service::table_digests(&c).expect("digests")
}

pub fn file_replica(root: &Path) -> Replica {
    Replica::File(mitxonline::backup::replica::FileReplica {
        root: root.to_owned(),
    })
}

pub async fn sync(app: &TestApp) {
    app.state
        .backup
        .get()
        .expect("replicator running")
        .sync_now()
        .await
        .expect("sync");
}

pub fn litestream_restore(bin: &Path, replica: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    Command::new(bin)
        .arg("restore")
        .args(extra)
        .arg("-o")
        .arg(out)
        .arg(file_url(replica))
        .output()
        .expect("run litestream")
}

#[tokio::test]
async fn churn_with_checkpoints_restores_row_for_row_with_the_real_litestream_and_with_ours() {
    let dir = tempfile::tempdir().unwrap();
    let replica = dir.path().join("replica");
    let app = backed_up_app(&replica, &[]).await;
    create_churn_table(&app).await;
    churn(&app, 150).await;
    sync(&app).await;
    let live = live_digests(&app).await;
    assert!(live.iter().any(|t| t.0 == "churn" && t.1 > 100), "{live:?}");

    let ours = dir.path().join("ours.db");
    service::restore(&file_replica(&replica), &ours, Target::Latest)
        .await
        .expect("our restore");
    assert_eq!(service::integrity_check(&ours).unwrap(), "ok");
    assert_eq!(
        digests_of(&ours),
        live,
        "our restore differs from the live database"
    );

    if let Some(bin) = litestream() {
        let theirs = dir.path().join("theirs.db");
        let out = litestream_restore(&bin, &replica, &theirs, &["-integrity-check", "full"]);
        assert!(
            out.status.success(),
            "litestream restore failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            digests_of(&theirs),
            live,
            "litestream's restore differs from the live database"
        );
    }
    app.shutdown().await;
}

#[tokio::test]
async fn a_point_in_time_restore_returns_the_state_at_that_time() {
    let dir = tempfile::tempdir().unwrap();
    let replica = dir.path().join("replica");
    let app = backed_up_app(&replica, &[]).await;
    create_churn_table(&app).await;
    for i in 0..5 {
        app.state
            .db
            .write(move |c| c.execute("INSERT INTO churn (v, n) VALUES ('before', ?1)", [i]))
            .await
            .unwrap();
    }
    sync(&app).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let t = chrono::Utc::now();
    tokio::time::sleep(Duration::from_millis(50)).await;
    app.state
        .db
        .write(|c| c.execute("INSERT INTO churn (v, n) VALUES ('after', 99)", []))
        .await
        .unwrap();
    sync(&app).await;

    let count = |p: &Path, v: &str| -> i64 {
        rusqlite::Connection::open(p)
            .unwrap()
            .query_row("SELECT count(*) FROM churn WHERE v = ?1", [v], |r| r.get(0))
            .unwrap()
    };
    let ours = dir.path().join("ours.db");
    service::restore(&file_replica(&replica), &ours, Target::Time(t.timestamp_millis()))
        .await
        .unwrap();
    assert_eq!((count(&ours, "before"), count(&ours, "after")), (5, 0));
    let latest = dir.path().join("latest.db");
    service::restore(&file_replica(&replica), &latest, Target::Latest)
        .await
        .unwrap();
    assert_eq!((count(&latest, "before"), count(&latest, "after")), (5, 1));

    if let Some(bin) = litestream() {
        let theirs = dir.path().join("theirs.db");
        let ts = t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let out = litestream_restore(&bin, &replica, &theirs, &["-timestamp", &ts]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!((count(&theirs, "before"), count(&theirs, "after")), (5, 0));
    }
    app.shutdown().await;
}

async fn replica_with_history(dir: &Path) -> PathBuf {
    let replica = dir.join("replica");
    let app = backed_up_app(&replica, &[]).await;
    create_churn_table(&app).await;
    sync(&app).await;
    app.state
        .db
        .write(|c| c.execute("INSERT INTO churn (v, n) VALUES ('x', 1)", []))
        .await
        .unwrap();
    sync(&app).await;
    app.shutdown().await;
    replica
}

/// The newest file a restore of the latest state reads.
async fn newest_used_file(replica: &Path) -> PathBuf {
    let files = file_replica(replica).list().await.unwrap();
    let plan = mitxonline::backup::merge::plan(&files, Target::Latest).unwrap();
    replica.join(plan.last().unwrap().key())
}

#[tokio::test]
async fn a_corrupted_ltx_file_makes_restore_fail_naming_the_file_and_leaves_no_database() {
    let dir = tempfile::tempdir().unwrap();
    let replica = replica_with_history(dir.path()).await;
    let victim = newest_used_file(&replica).await;
    let mut bytes = std::fs::read(&victim).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    std::fs::write(&victim, bytes).unwrap();
    let out = dir.path().join("r.db");
    let err = service::restore(&file_replica(&replica), &out, Target::Latest)
        .await
        .unwrap_err();
    let name = victim.file_name().unwrap().to_string_lossy().to_string();
    assert!(format!("{err:#}").contains(&name), "{err:#}");
    assert!(!out.exists(), "a partial database was left behind");
    assert!(!dir.path().join("r.db.tmp").exists());
}

#[tokio::test]
async fn a_truncated_ltx_file_makes_restore_fail_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let replica = replica_with_history(dir.path()).await;
    let victim = newest_used_file(&replica).await;
    let bytes = std::fs::read(&victim).unwrap();
    std::fs::write(&victim, &bytes[..bytes.len() - 10]).unwrap();
    let out = dir.path().join("r.db");
    let err = service::restore(&file_replica(&replica), &out, Target::Latest)
        .await
        .unwrap_err();
    let msg = format!("{err:#}");
    assert!(
        msg.contains(&*victim.file_name().unwrap().to_string_lossy()),
        "{msg}"
    );
    assert!(msg.contains("truncated"), "{msg}");
    assert!(!out.exists());
}

#[tokio::test]
async fn an_unwritable_replica_keeps_the_server_serving_shows_degraded_and_resumes_when_fixed() {
    let dir = tempfile::tempdir().unwrap();
    let replica = dir.path().join("replica");
    let app = backed_up_app(&replica, &[]).await;
    create_churn_table(&app).await;
    sync(&app).await;
    // Break the replica: its level-0 directory becomes a plain file.
    let l0 = replica.join("ltx/0");
    std::fs::rename(&l0, dir.path().join("l0-aside")).unwrap();
    std::fs::write(&l0, b"not a directory").unwrap();
    for i in 0..20 {
        app.state
            .db
            .write(move |c| c.execute("INSERT INTO churn (v, n) VALUES ('during', ?1)", [i]))
            .await
            .expect("writes keep working");
    }
    let replicator = app.state.backup.get().unwrap().clone();
    assert!(replicator.sync_now().await.is_err());
    let (status, health) = app.get_json("/health/full/").await;
    assert_eq!(status, 200, "{health}");
    assert_eq!(health["checks"]["backup"]["status"], "degraded", "{health}");
    assert!(
        health["checks"]["backup"]["last_error"]
            .as_str()
            .unwrap()
            .contains("ltx/0"),
        "{health}"
    );
    let (ready, _) = app.get_json("/health/readiness/").await;
    assert_eq!(ready, 200);

    std::fs::remove_file(&l0).unwrap();
    std::fs::rename(dir.path().join("l0-aside"), &l0).unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (_, health) = app.get_json("/health/full/").await;
        if health["checks"]["backup"]["status"] == "ok" && health["checks"]["backup"]["lag_seconds"] == 0.0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "replication did not resume: {health}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let live = live_digests(&app).await;
    let out = dir.path().join("r.db");
    service::restore(&file_replica(&replica), &out, Target::Latest)
        .await
        .unwrap();
    assert_eq!(digests_of(&out), live);
    app.shutdown().await;
}

#[tokio::test]
async fn our_restore_rebuilds_a_replica_the_real_litestream_replicate_wrote() {
    let Some(bin) = litestream() else { return };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("src.db");
    let replica = dir.path().join("replica");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch("PRAGMA journal_mode=WAL; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);")
        .unwrap();
    for round in 0..3 {
        for i in 0..200 {
            conn.execute(
                "INSERT INTO t (v) VALUES (?1)",
                [format!("{round}-{i}-{}", "y".repeat(i % 300))],
            )
            .unwrap();
        }
        conn.execute("DELETE FROM t WHERE id % 7 = ?1", [round]).unwrap();
        let out = Command::new(&bin)
            .args(["replicate", "-once"])
            .arg(&db)
            .arg(file_url(&replica))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let expected = service::table_digests(&conn).unwrap();
    let out = dir.path().join("ours.db");
    let r = service::restore(&file_replica(&replica), &out, Target::Latest)
        .await
        .unwrap();
    assert!(r.txid >= 2, "{r:?}");
    assert_eq!(service::integrity_check(&out).unwrap(), "ok");
    assert_eq!(digests_of(&out), expected);
}

#[tokio::test]
async fn health_and_metrics_report_the_replica_position_and_lag() {
    let dir = tempfile::tempdir().unwrap();
    let app = backed_up_app(&dir.path().join("replica"), &[]).await;
    create_churn_table(&app).await;
    sync(&app).await;
    let (_, before) = app.get_json("/health/full/").await;
    let first = before["checks"]["backup"]["txid"].as_u64().expect("txid");
    app.state
        .db
        .write(|c| c.execute("INSERT INTO churn (v, n) VALUES ('x', 1)", []))
        .await
        .unwrap();
    sync(&app).await;
    let (_, health) = app.get_json("/health/full/").await;
    let b = &health["checks"]["backup"];
    assert_eq!(b["status"], "ok", "{health}");
    assert_eq!(b["txid"].as_u64().unwrap(), first + 1, "{health}");
    assert!(b["last_sync"].is_string(), "{health}");
    let metrics = app.get("/metrics").await.text().await.unwrap();
    for name in [
        "mitxonline_backup_txid",
        "mitxonline_backup_lag_milliseconds",
        "mitxonline_backup_last_sync_timestamp_seconds",
        "mitxonline_backup_ship_lag_seconds_count",
    ] {
        assert!(metrics.contains(name), "{name} missing from /metrics");
    }
    app.shutdown().await;
}

#[tokio::test]
async fn an_emptied_replica_gets_a_new_history_that_both_restores_read() {
    let dir = tempfile::tempdir().unwrap();
    let replica = dir.path().join("replica");
    let app = backed_up_app(&replica, &[]).await;
    create_churn_table(&app).await;
    churn(&app, 20).await;
    sync(&app).await;
    std::fs::remove_dir_all(&replica).unwrap();
    churn(&app, 20).await;
    let live = live_digests(&app).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let out = dir.path().join("r.db");
    loop {
        let _ = std::fs::remove_file(&out);
        if service::restore(&file_replica(&replica), &out, Target::Latest)
            .await
            .is_ok()
            && digests_of(&out) == live
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the replica never got a new history"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    if let Some(bin) = litestream() {
        let theirs = dir.path().join("theirs.db");
        let o = litestream_restore(&bin, &replica, &theirs, &[]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(digests_of(&theirs), live);
    }
    app.shutdown().await;
}
