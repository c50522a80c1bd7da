//! The real `mitxonline` binary as a child process, for crash (kill -9) and start-up tests.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_mitxonline")
}

/// Runs a CLI command to completion with a data dir and extra variables.
pub fn run_cli(data_dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(bin());
    cmd.args(args)
        .env("MITXONLINE_DATA_DIR", data_dir)
        .env("MITXONLINE_SCHEDULER", "false");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run mitxonline")
}

/// A free loopback port (bound then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A `mitxonline serve` child process.
pub struct Process {
    child: Child,
    pub base: String,
    pub data_dir: PathBuf,
}

impl Process {
    pub async fn serve(data_dir: &Path, env: &[(&str, &str)]) -> Process {
        let port = free_port();
        let mut cmd = Command::new(bin());
        cmd.arg("serve")
            .env("MITXONLINE_DATA_DIR", data_dir)
            .env("MITXONLINE_BIND", format!("127.0.0.1:{port}"))
            .env("MITXONLINE_SCHEDULER", "false")
            .env("MITXONLINE_HUBSPOT_SYNC", "off")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("spawn mitxonline serve");
        let p = Process {
            child,
            base: format!("http://127.0.0.1:{port}"),
            data_dir: data_dir.to_owned(),
        };
        p.wait_ready(Duration::from_secs(30)).await;
        p
    }

    async fn wait_ready(&self, timeout: Duration) {
        let client = reqwest::Client::new();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Ok(r) = client
                .get(format!("{}/health/readiness/", self.base))
                .send()
                .await
                && r.status().is_success()
            {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "server did not become ready"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL: no shutdown code runs.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM and wait for a clean exit.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        self.child.wait().expect("wait")
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
