#![allow(dead_code)] // shared by several bench binaries, each using a part
//! The real binary as the benches that run it see it: `mitxonline CMD` against a data
//! directory, `serve` started as behind APISIX (gateway sign-in through `X-Userinfo`, links on
//! the bound address, backups streamed to `replica_url`) and waited on until ready. Every
//! server life's log is appended to `serve.log` in the data directory (`BENCH_RUST_LOG`, the
//! servers' `RUST_LOG`, default `warn`).

pub mod check;
pub mod client;
pub mod load;

use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use rusqlite::Connection;

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_mitxonline")
}

pub fn cli(dir: &Path, args: &[&str]) {
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

pub struct Server {
    child: Child,
}

impl Server {
    pub async fn start(dir: &Path, port: u16, replica_url: &str) -> Server {
        Server::start_with(dir, port, replica_url, &[]).await
    }

    /// [`Server::start`] with more environment (set last, so it wins).
    pub async fn start_with(dir: &Path, port: u16, replica_url: &str, extra: &[(&str, &str)]) -> Server {
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
                    std::env::var("BENCH_RUST_LOG").unwrap_or_else(|_| "warn".into()),
                )
                .envs(extra.iter().copied())
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

    /// The server's process id, for reading its figures under `/proc`.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM: the graceful shutdown, which ends with the backup's last sync.
    pub fn stop(mut self) {
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

/// The open runs of a `bench seed` catalog: (run id, product id, course id).
pub fn open_runs(db: &Path) -> Vec<(i64, i64, i64)> {
    let c = Connection::open(db).unwrap();
    let mut st = c
        .prepare(
            "SELECT r.id, p.id, r.course_id FROM course_runs r JOIN products p ON p.course_run_id = r.id
             WHERE r.courseware_id LIKE 'course-v1:BENCH+%+2T2026' ORDER BY r.id",
        )
        .unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Seconds until no outbox message is pending (at most 120).
pub async fn wait_for_drain(db: &Path) -> f64 {
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

/// A fresh data directory with a `bench seed` catalog of `courses` courses (no learners), the
/// file replica's URL for its backups and a free port for `serve`.
pub struct Seeded {
    pub dir: tempfile::TempDir,
    pub replica_url: String,
    pub db: std::path::PathBuf,
    pub port: u16,
}

impl Seeded {
    pub fn new(courses: &str) -> Seeded {
        let dir = tempfile::tempdir().unwrap();
        cli(
            dir.path(),
            &["bench", "seed", "--learners", "0", "--courses", courses],
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Seeded {
            replica_url: format!("file://{}", dir.path().join("replica").display()),
            db: dir.path().join("mitxonline.db"),
            dir,
            port,
        }
    }
}

/// The multi-threaded runtime the benches drive the server from.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}
