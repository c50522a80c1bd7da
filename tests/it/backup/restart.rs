//! The history across restarts when WAL frames were written while no replicator ran (the last
//! life was killed before capturing them, or another process wrote meanwhile), with the real
//! binary. Each ends with restores (ours and the real Litestream) equal to the live database:
//! the chaos bench found replicas whose next file grew the database without the pages in
//! between ("the files do not hold page N"; Litestream: "nonsequential page numbers").

use std::path::Path;
use std::time::{Duration, Instant};

use mitxonline::backup::merge::Target;
use mitxonline::backup::{ltx, service};

use super::replica::{digests_of, file_replica, file_url, litestream, litestream_restore};
use crate::support::process::Process;

/// A connection writing like the app does (no automatic checkpoint), kept open across the
/// server's restarts so that closing it never checkpoints either.
fn open(data: &Path) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(data.join("mitxonline.db")).unwrap();
    c.execute_batch(
        "PRAGMA busy_timeout = 10000; PRAGMA wal_autocheckpoint = 0;
         CREATE TABLE IF NOT EXISTS blobs (id INTEGER PRIMARY KEY, b BLOB NOT NULL);",
    )
    .unwrap();
    c
}

/// Grows the database by about `mb` MB, one transaction per MB (new pages at its end).
fn grow(c: &rusqlite::Connection, mb: usize) {
    for _ in 0..mb {
        c.execute("INSERT INTO blobs (b) VALUES (randomblob(1000000))", [])
            .unwrap();
    }
}

fn wal_len(data: &Path) -> u64 {
    std::fs::metadata(data.join("mitxonline.db-wal"))
        .map(|m| m.len())
        .unwrap_or(0)
}

fn env(url: &str) -> [(&'static str, &str); 2] {
    [
        ("MITXONLINE_BACKUP_URL", url),
        ("MITXONLINE_BACKUP_SYNC_INTERVAL", "200ms"),
    ]
}

/// A first server life that ships about 2 MB and stops: the data and replica folders, the
/// replica's URL and the writing connection kept open across the lives that follow.
async fn first_life(
    dir: &Path,
) -> (
    std::path::PathBuf,
    std::path::PathBuf,
    String,
    rusqlite::Connection,
) {
    let (data, replica) = (dir.join("data"), dir.join("replica"));
    let url = file_url(&replica);
    let server = Process::serve(&data, &env(&url)).await;
    let conn = open(&data);
    grow(&conn, 2);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(server.terminate().success());
    (data, replica, url, conn)
}

/// Both restores rebuild exactly the live database.
async fn assert_restores(dir: &Path, replica: &Path, live: &[(String, u64, u64)]) {
    let ours = dir.join("ours.db");
    service::restore(&file_replica(replica), &ours, Target::Latest)
        .await
        .unwrap();
    assert_eq!(
        digests_of(&ours),
        live,
        "our restore differs from the live database"
    );
    if let Some(bin) = litestream() {
        let theirs = dir.join("theirs.db");
        let out = litestream_restore(&bin, replica, &theirs, &["-integrity-check", "full"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(digests_of(&theirs), live, "litestream's restore differs");
    }
}

/// The server's own first write used to checkpoint (and truncate) a WAL past the writer's
/// checkpoint size before the replicator had installed its hook, so the frames waiting there
/// never reached the replica while the history went on.
#[tokio::test]
async fn a_long_wal_waiting_at_start_is_shipped_before_any_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let (data, replica, url, conn) = first_life(dir.path()).await;

    // While no replicator runs: more WAL than the writer's 16 MiB checkpoint size.
    grow(&conn, 20);
    assert!(wal_len(&data) > 16 << 20, "{} bytes of WAL", wal_len(&data));
    let server = Process::serve(&data, &env(&url)).await;
    grow(&conn, 3);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(server.terminate().success());
    let live = service::table_digests(&conn).unwrap();
    assert_restores(dir.path(), &replica, &live).await;
}

/// Another process checkpointed behind the replicator's back while it was down, so the WAL it
/// finds at start cannot continue the history (it used to be taken as the continuation when
/// no position was kept, skipping the checkpointed frames): a full copy is decided, and its
/// own checkpoint empties the WAL into the database file. Killed before the copy is staged
/// (here: the copy cannot be written), the next start must copy again, not resume.
#[tokio::test]
async fn a_kill_before_a_full_copy_is_staged_makes_the_next_start_copy_again() {
    let dir = tempfile::tempdir().unwrap();
    let (data, replica, url, conn) = first_life(dir.path()).await;

    // Another process writes and checkpoints: a WAL the replicator cannot account for.
    grow(&conn, 2);
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
    grow(&conn, 3);
    // The full copy's level-9 file cannot be created (a directory holds its temporary name).
    let shipped = std::fs::read_dir(replica.join("ltx/0"))
        .unwrap()
        .filter_map(|e| ltx::parse_file_name(e.unwrap().file_name().to_str()?))
        .map(|(_, max)| max)
        .max()
        .unwrap();
    let blocker = data
        .join(".mitxonline.db-backup/staging/snapshot")
        .join(format!("{}.tmp", ltx::file_name(1, shipped + 1)));
    std::fs::create_dir_all(&blocker).unwrap();
    let server = Process::serve(&data, &env(&url)).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let metrics = reqwest::get(format!("{}/metrics", server.base))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if metrics.contains("mitxonline_backup_errors_total") {
            break;
        }
        assert!(Instant::now() < deadline, "the full copy never failed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.kill9();
    std::fs::remove_dir(&blocker).unwrap();

    let server = Process::serve(&data, &env(&url)).await;
    grow(&conn, 3);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(server.terminate().success());
    let live = service::table_digests(&conn).unwrap();
    assert_restores(dir.path(), &replica, &live).await;
}
