//! Backups across crashes and from the command line, with the real binary: kill -9 in the
//! middle of writes, restart, continue, restore; `mitxonline backup status|now|restore|verify`.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use mitxonline::backup::merge::Target;
use mitxonline::backup::service;

use super::replica::{digests_of, file_replica, file_url, litestream};
use crate::support::process::{Process, run_cli};

const INTERVAL_MS: u64 = 500;

fn open(data: &Path) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(data.join("mitxonline.db")).unwrap();
    // Another process writing like the app does: never checkpoint behind the replicator's back.
    c.execute_batch(
        "PRAGMA busy_timeout = 10000; PRAGMA wal_autocheckpoint = 0; PRAGMA synchronous = FULL;
         CREATE TABLE IF NOT EXISTS acks (id INTEGER PRIMARY KEY, payload TEXT NOT NULL);",
    )
    .unwrap();
    c
}

/// Inserts rows one transaction each until `stop`; returns (id, when acknowledged).
fn write_until(
    c: rusqlite::Connection,
    stop: Arc<AtomicBool>,
) -> (rusqlite::Connection, Vec<(i64, Instant)>) {
    let mut acks = Vec::new();
    let mut i = 0u64;
    while !stop.load(Ordering::SeqCst) {
        i += 1;
        c.execute(
            "INSERT INTO acks (payload) VALUES (?1)",
            [format!("{i}-{}", "p".repeat((i % 500) as usize))],
        )
        .unwrap();
        acks.push((c.last_insert_rowid(), Instant::now()));
        if i.is_multiple_of(7) {
            c.execute(
                "UPDATE acks SET payload = payload || 'u' WHERE id = ?1",
                [i as i64 / 2],
            )
            .unwrap();
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    (c, acks)
}

fn ids(path: &Path) -> std::collections::BTreeSet<i64> {
    let c = rusqlite::Connection::open(path).unwrap();
    c.prepare("SELECT id FROM acks")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[tokio::test]
async fn a_kill_9_during_writes_loses_no_transaction_acknowledged_more_than_one_sync_interval_before() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let replica = dir.path().join("replica");
    let url = file_url(&replica);
    let interval = format!("{INTERVAL_MS}ms");
    let env = [
        ("MITXONLINE_BACKUP_URL", url.as_str()),
        ("MITXONLINE_BACKUP_SYNC_INTERVAL", interval.as_str()),
    ];
    let server = Process::serve(&data, &env).await;
    let conn = open(&data);
    let stop = Arc::new(AtomicBool::new(false));
    let s2 = stop.clone();
    let writer = std::thread::spawn(move || write_until(conn, s2));
    tokio::time::sleep(Duration::from_millis(2500)).await;
    server.kill9();
    let killed = Instant::now();
    stop.store(true, Ordering::SeqCst);
    let (conn, acks) = writer.join().unwrap();
    assert!(acks.len() > 100, "only {} writes", acks.len());

    // Right after the kill: the replica holds everything acknowledged more than one sync
    // interval (plus the upload of that sync) before it.
    let at_kill = dir.path().join("at-kill.db");
    service::restore(&file_replica(&replica), &at_kill, Target::Latest)
        .await
        .unwrap();
    let present = ids(&at_kill);
    let cutoff = killed - Duration::from_millis(INTERVAL_MS + 500);
    let missing: Vec<i64> = acks
        .iter()
        .filter(|(id, t)| *t < cutoff && !present.contains(id))
        .map(|(id, _)| *id)
        .collect();
    assert!(
        missing.is_empty(),
        "acknowledged before the cutoff but not replicated: {missing:?}"
    );

    // Restart, continue, stop cleanly: every acknowledged row is on the replica.
    let server = Process::serve(&data, &env).await;
    let stop = Arc::new(AtomicBool::new(false));
    let s2 = stop.clone();
    let writer = std::thread::spawn(move || write_until(conn, s2));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    stop.store(true, Ordering::SeqCst);
    let (conn, more) = writer.join().unwrap();
    tokio::time::sleep(Duration::from_millis(INTERVAL_MS * 3)).await;
    let metrics = reqwest::get(format!("{}/metrics", server.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("mitxonline_backup_txid"), "{metrics}");
    assert!(
        !metrics.contains("mitxonline_backup_full_copies_total"),
        "the restart after kill -9 did not continue the history"
    );
    assert!(server.terminate().success());

    // A clean restart continues the history too.
    let server = Process::serve(&data, &env).await;
    conn.execute("INSERT INTO acks (payload) VALUES ('after a clean restart')", [])
        .unwrap();
    tokio::time::sleep(Duration::from_millis(INTERVAL_MS * 3)).await;
    let metrics = reqwest::get(format!("{}/metrics", server.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !metrics.contains("mitxonline_backup_full_copies_total"),
        "the restart after a clean stop did not continue the history"
    );
    assert!(server.terminate().success());
    let live = service::table_digests(&conn).unwrap();
    drop(conn);

    let ours = dir.path().join("ours.db");
    service::restore(&file_replica(&replica), &ours, Target::Latest)
        .await
        .unwrap();
    let present = ids(&ours);
    for (id, _) in acks.iter().chain(more.iter()) {
        assert!(present.contains(id), "row {id} lost");
    }
    assert_eq!(digests_of(&ours), live);
    if let Some(bin) = litestream() {
        let theirs = dir.path().join("theirs.db");
        let out = std::process::Command::new(bin)
            .args(["restore", "-integrity-check", "full", "-o"])
            .arg(&theirs)
            .arg(&url)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(digests_of(&theirs), live);
    }
}

#[tokio::test]
async fn the_backup_commands_report_status_snapshot_restore_and_verify() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let replica = dir.path().join("replica");
    let url = file_url(&replica);
    let env = [
        ("MITXONLINE_BACKUP_URL", url.as_str()),
        ("MITXONLINE_BACKUP_SYNC_INTERVAL", "200ms"),
    ];
    let server = Process::serve(&data, &env).await;
    let conn = open(&data);
    for i in 0..50 {
        conn.execute("INSERT INTO acks (payload) VALUES (?1)", [format!("row {i}")])
            .unwrap();
    }
    drop(conn);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(server.terminate().success());

    let out = run_cli(&data, &env, &["backup", "status"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("status: ok") && text.contains("last snapshot: ltx/9/"),
        "{text}"
    );

    let out = run_cli(&data, &env, &["backup", "now"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains("snapshot"), "{text}");

    let out = run_cli(&data, &env, &["backup", "verify"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("verify ok"), "{text}");

    let to = dir.path().join("restored.db");
    let out = run_cli(&data, &env, &["backup", "restore", "--to", to.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(ids(&to).len(), 50);

    let again = run_cli(&data, &env, &["backup", "restore", "--to", to.to_str().unwrap()]);
    assert!(
        !again.status.success(),
        "restoring over an existing file must fail"
    );
    let bad = run_cli(
        &data,
        &env,
        &[
            "backup",
            "restore",
            "--to",
            "/tmp/x.db",
            "--timestamp",
            "yesterday",
        ],
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--timestamp"));
}
