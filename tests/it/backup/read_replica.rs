//! A read replica with the real Litestream VFS (PyPI litestream-vfs): a reader that opens the
//! database through our replica (`vfs=litestream`, Debian's sqlite3 shell) sees what the server
//! committed, and keeps following as more is written: the read-replica path of deploy/SCALING.md.
//! Lag figures come from `scripts/bench-replica-lag`, not from this test.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use super::replica::{backed_up_app, create_churn_table, file_url};

/// The VFS extension (scripts/test sets it); `None` prints a loud skip message.
fn vfs() -> Option<String> {
    match std::env::var("MITXONLINE_TEST_LITESTREAM_VFS") {
        Ok(p) if !p.is_empty() => Some(p),
        _ => {
            eprintln!(
                "\n*** SKIPPED: MITXONLINE_TEST_LITESTREAM_VFS is unset; run scripts/test (it installs litestream-vfs) ***\n"
            );
            None
        }
    }
}

struct Reader {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Reader {
    fn open(ext: &str, replica_url: &str) -> Reader {
        let mut child = Command::new("sqlite3")
            .arg(":memory:")
            .env("LITESTREAM_REPLICA_URL", replica_url)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("sqlite3 (scripts/install-test-deps installs it)");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut r = Reader { child, stdin, stdout };
        r.ask(&format!(".load {ext}"));
        r.ask(".open file:mitxonline.db?vfs=litestream");
        r
    }

    /// The lines a command printed.
    fn ask(&mut self, sql: &str) -> Vec<String> {
        writeln!(self.stdin, "{sql}\nSELECT '--end--';").unwrap();
        self.stdin.flush().unwrap();
        let mut out = Vec::new();
        loop {
            let mut line = String::new();
            assert!(
                self.stdout.read_line(&mut line).unwrap() > 0,
                "sqlite3 exited: {out:?}"
            );
            let line = line.trim_end().to_owned();
            if line == "--end--" {
                return out;
            }
            out.push(line);
        }
    }

    fn scalar(&mut self, sql: &str) -> Option<i64> {
        self.ask(sql).last().and_then(|l| l.parse().ok())
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls until the replica answers `want` (a liveness bound of 60 s, not a speed check).
fn until(reader: &mut Reader, sql: &str, want: i64) {
    let started = Instant::now();
    while reader.scalar(sql) != Some(want) {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the replica never showed {want} for {sql}: {:?}",
            reader.ask(sql)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reader_through_the_litestream_vfs_follows_what_the_server_commits() {
    let Some(ext) = vfs() else { return };
    let dir = tempfile::tempdir().unwrap();
    let replica = dir.path().join("replica");
    let app = backed_up_app(&replica, &[]).await;
    create_churn_table(&app).await;
    let insert = |from: i64, to: i64| {
        let db = app.state.db.clone();
        async move {
            db.write(move |c| {
                for n in from..to {
                    c.execute(
                        "INSERT INTO churn (v, n) VALUES (?1, ?2)",
                        rusqlite::params![format!("row {n}"), n],
                    )?;
                }
                Ok::<_, mitxonline::db::DbError>(())
            })
            .await
            .unwrap()
        }
    };
    insert(0, 100).await;
    let url = file_url(&replica);
    let ext2 = ext.clone();
    let mut reader = tokio::task::spawn_blocking(move || {
        let mut r = Reader::open(&ext2, &url);
        until(&mut r, "SELECT count(*) FROM churn;", 100);
        r
    })
    .await
    .unwrap();
    // More commits: the same open reader follows them, and reads what they wrote.
    insert(100, 250).await;
    let mut reader = tokio::task::spawn_blocking(move || {
        until(&mut reader, "SELECT count(*) FROM churn;", 250);
        until(&mut reader, "SELECT sum(n) FROM churn;", (0..250).sum());
        reader
    })
    .await
    .unwrap();
    // A write through a replica is refused: it is read-only.
    let refused = reader.ask("INSERT INTO churn (v, n) VALUES ('x', 1);");
    assert_eq!(
        reader.scalar("SELECT count(*) FROM churn;"),
        Some(250),
        "{refused:?}"
    );
    drop(reader);
    app.shutdown().await;
}
