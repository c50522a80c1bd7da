//! The real binary under kill -9 and bad start-up conditions.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;

use crate::support::fake::{FakeServer, Reply};
use crate::support::process::{Process, run_cli};

fn staff_key(data: &std::path::Path) -> String {
    let out = run_cli(data, &[], &["apikey", "create", "ops", "--scope", "staff"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("key: "))
        .expect("key printed")
        .to_owned()
}

fn sqlite(data: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(data.join("mitxonline.db")).unwrap()
}

#[tokio::test]
async fn kill_9_while_acknowledging_writes_loses_none_of_them() {
    let dir = tempfile::tempdir().unwrap();
    let key = staff_key(dir.path());
    let server = Process::serve(dir.path(), &[]).await;
    let acked: Arc<Mutex<Vec<i64>>> = Arc::default();
    let client = reqwest::Client::new();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (client, acked, key, base) = (client.clone(), acked.clone(), key.clone(), server.base.clone());
        tasks.push(tokio::spawn(async move {
            for _ in 0..10_000 {
                let r = client
                    .post(format!("{base}/api/v0/staff/jobs/prune-job-runs/runs/"))
                    .header("authorization", format!("Api-Key {key}"))
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status() == 202 => {
                        let body: serde_json::Value = match r.json().await {
                            Ok(b) => b,
                            Err(_) => return,
                        };
                        acked.lock().unwrap().push(body["id"].as_i64().unwrap());
                    }
                    _ => return,
                }
            }
        }));
    }
    // Kill in the middle of the stream of acknowledgements.
    while acked.lock().unwrap().len() < 300 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill9();
    for t in tasks {
        let _ = t.await;
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 300);

    // Restart (recovery runs), then count.
    let server = Process::serve(dir.path(), &[]).await;
    let conn = sqlite(dir.path());
    let mut missing = Vec::new();
    for id in &acked {
        let found: bool = conn
            .query_row("SELECT EXISTS(SELECT 1 FROM job_runs WHERE id = ?1)", [id], |r| {
                r.get(0)
            })
            .unwrap();
        if !found {
            missing.push(*id);
        }
    }
    assert!(
        missing.is_empty(),
        "{} acknowledged writes lost: {missing:?}",
        missing.len()
    );
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    drop(server);
}

#[tokio::test]
async fn an_outbox_message_in_flight_at_kill_9_is_delivered_after_restart_exactly_once() {
    let fake = FakeServer::start().await;
    // The first delivery hangs, so the kill lands while it is in flight.
    fake.push(Reply::status(200).delay(Duration::from_secs(30)));
    let dir = tempfile::tempdir().unwrap();
    let env = [("MITXONLINE_OUTBOX_POLL_INTERVAL", "100ms")];
    let server = Process::serve(dir.path(), &env).await;

    let conn = sqlite(dir.path());
    conn.busy_timeout(Duration::from_secs(5)).unwrap();
    let msg =
        mitxonline::outbox::http_post_message(&format!("{}/hook", fake.url), json!({ "n": 1 }), "crash-1");
    mitxonline::outbox::enqueue(&conn, chrono::Utc::now(), &msg).unwrap();

    fake.wait_for(1, Duration::from_secs(20)).await;
    server.kill9();

    let server = Process::serve(dir.path(), &env).await;
    fake.wait_for(2, Duration::from_secs(20)).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let status: String = conn
            .query_row(
                "SELECT status FROM outbox WHERE idempotency_key = 'crash-1'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        if status == "delivered" {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not delivered after restart"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Give the dispatcher a few more rounds: nothing more may be sent.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(fake.count(), 2, "one attempt before the kill, one after");
    assert_eq!(
        fake.distinct_header("idempotency-key").len(),
        1,
        "the partner sees one message"
    );
    drop(server);
}

#[tokio::test]
async fn an_unwritable_data_directory_is_a_clear_error_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let out = run_cli(&file.join("data"), &[], &["migrate"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot create the data directory"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[tokio::test]
async fn a_database_from_a_newer_binary_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    assert!(run_cli(dir.path(), &[], &["migrate"]).status.success());
    let conn = sqlite(dir.path());
    conn.execute(
        "INSERT INTO refinery_schema_history (version, name, applied_on, checksum) VALUES (9999, 'future', '', '0')",
        [],
    )
    .unwrap();
    drop(conn);
    let out = run_cli(dir.path(), &[], &["serve"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("newer than this binary"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[tokio::test]
async fn config_check_names_every_invalid_variable_and_redacts_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_cli(
        dir.path(),
        &[
            ("MITXONLINE_BIND", "not-an-address"),
            ("MITXONLINE_LOG_FORMAT", "xml"),
        ],
        &["config", "check"],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("MITXONLINE_BIND: `not-an-address`"), "{err}");
    assert!(err.contains("MITXONLINE_LOG_FORMAT"), "{err}");

    let out = run_cli(
        dir.path(),
        &[("MITXONLINE_SMTP_URL", "smtp://user:hunter2@mail.example")],
        &["config", "check"],
    );
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("hunter2"), "{text}");
    assert!(text.contains("MITXONLINE_SMTP_URL=********"));
}

#[tokio::test]
async fn sigterm_stops_the_server_cleanly_and_truncates_the_wal() {
    let dir = tempfile::tempdir().unwrap();
    let key = staff_key(dir.path());
    let server = Process::serve(dir.path(), &[]).await;
    let r = reqwest::Client::new()
        .post(format!("{}/api/v0/staff/jobs/prune-job-runs/runs/", server.base))
        .header("authorization", format!("Api-Key {key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let status = server.terminate();
    assert!(status.success(), "{status:?}");
    let wal = dir.path().join("mitxonline.db-wal");
    assert_eq!(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0), 0);
}

#[tokio::test]
async fn the_cli_creates_users_runs_jobs_and_checks_health() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_cli(dir.path(), &[], &["user", "create", "ops@example.com", "--staff"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("password: "));
    let out = run_cli(dir.path(), &[], &["user", "create", "not-an-email"]);
    assert_eq!(out.status.code(), Some(2));
    let conn = sqlite(dir.path());
    let (staff, hash): (bool, String) = conn
        .query_row(
            "SELECT is_staff, password_hash FROM users WHERE email = 'ops@example.com'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(staff && hash.starts_with("$argon2id$"));

    let out = run_cli(dir.path(), &[], &["job", "list"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("prune-job-runs"));
    let out = run_cli(dir.path(), &[], &["job", "run", "prune-job-runs"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("succeeded"));
    let out = run_cli(dir.path(), &[], &["job", "run", "nope"]);
    assert!(!out.status.success());

    let server = Process::serve(dir.path(), &[]).await;
    let out = run_cli(
        dir.path(),
        &[],
        &["healthcheck", &format!("{}/health/readiness/", server.base)],
    );
    assert!(out.status.success());
    drop(server);
    let port = crate::support::process::free_port();
    let out = run_cli(
        dir.path(),
        &[],
        &[
            "healthcheck",
            &format!("http://127.0.0.1:{port}/health/readiness/"),
        ],
    );
    assert!(!out.status.success());
}
