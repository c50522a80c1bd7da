//! Backups to an S3-compatible store: moto's server on 127.0.0.1 stands in for S3; we replicate
//! to it, restore from it with our restore and with the real `litestream restore`.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use mitxonline::backup::merge::Target;
use mitxonline::backup::replica::Replica;
use mitxonline::backup::service;
use mitxonline::config::Config;

use super::replica::{churn, create_churn_table, digests_of, litestream, live_digests, sync};
use crate::support::TestApp;
use crate::support::process::free_port;

const KEY_ID: &str = "test-key";
const SECRET: &str = "test-secret";

struct Moto {
    child: Child,
    endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn moto() -> Option<Moto> {
    let Ok(bin) = std::env::var("MITXONLINE_TEST_MOTO") else {
        eprintln!(
            "\n*** SKIPPED: MITXONLINE_TEST_MOTO is unset; run scripts/test (it installs moto[server]) ***\n"
        );
        return None;
    };
    let port = free_port();
    let child = Command::new(bin)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start moto_server");
    let m = Moto {
        child,
        endpoint: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if client.get(&m.endpoint).send().await.is_ok() {
            return Some(m);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("moto_server did not start");
}

async fn create_bucket(endpoint: &str, bucket: &str) {
    let r = reqwest::Client::new()
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "create bucket: {}", r.status());
}

fn s3_vars(endpoint: &str) -> Vec<(&'static str, String)> {
    vec![
        ("MITXONLINE_BACKUP_URL", "s3://backups/mitxonline".to_owned()),
        ("MITXONLINE_BACKUP_S3_ENDPOINT", endpoint.to_owned()),
        ("MITXONLINE_BACKUP_S3_ACCESS_KEY_ID", KEY_ID.to_owned()),
        ("MITXONLINE_BACKUP_S3_SECRET_ACCESS_KEY", SECRET.to_owned()),
        ("MITXONLINE_BACKUP_SYNC_INTERVAL", "200ms".to_owned()),
    ]
}

#[tokio::test]
async fn a_replica_in_an_s3_compatible_store_restores_with_ours_and_with_the_real_litestream() {
    let Some(moto) = moto().await else { return };
    create_bucket(&moto.endpoint, "backups").await;
    let vars = s3_vars(&moto.endpoint);
    let mut b = TestApp::builder();
    for (k, v) in &vars {
        b = b.env(k, v);
    }
    let app = b.spawn().await;
    create_churn_table(&app).await;
    churn(&app, 60).await;
    sync(&app).await;
    app.state.backup.get().unwrap().snapshot_now().await.unwrap();
    churn(&app, 20).await;
    sync(&app).await;
    let live = live_digests(&app).await;
    let (_, health) = app.get_json("/health/full/").await;
    assert_eq!(health["checks"]["backup"]["status"], "ok", "{health}");

    let config =
        Config::from_vars(&vars.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect()).unwrap();
    let replica = Replica::from_config(&config, reqwest::Client::new())
        .unwrap()
        .unwrap();
    let files = replica.list().await.unwrap();
    assert!(files.iter().any(|f| f.level == 9), "{files:?}");
    let dir = tempfile::tempdir().unwrap();
    let ours = dir.path().join("ours.db");
    service::restore(&replica, &ours, Target::Latest).await.unwrap();
    assert_eq!(digests_of(&ours), live);

    if let Some(bin) = litestream() {
        let theirs: PathBuf = dir.path().join("theirs.db");
        let out = Command::new(bin)
            .args(["restore", "-integrity-check", "full", "-o"])
            .arg(&theirs)
            .arg(format!(
                "s3://backups/mitxonline?endpoint={}&region=us-east-1",
                moto.endpoint
            ))
            .env_remove("AWS_CA_BUNDLE")
            .env("AWS_ACCESS_KEY_ID", KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", SECRET)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(digests_of(&theirs), live);
    }
    app.shutdown().await;
}

#[tokio::test]
async fn our_restore_reads_a_replica_the_real_litestream_wrote_to_s3() {
    let Some(moto) = moto().await else { return };
    let Some(bin) = litestream() else { return };
    create_bucket(&moto.endpoint, "theirs").await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("src.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch("PRAGMA journal_mode=WAL; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);")
        .unwrap();
    let url = format!("s3://theirs/db?endpoint={}&region=us-east-1", moto.endpoint);
    for round in 0..2 {
        for i in 0..100 {
            conn.execute("INSERT INTO t (v) VALUES (?1)", [format!("{round}-{i}")])
                .unwrap();
        }
        let out = Command::new(&bin)
            .args(["replicate", "-once"])
            .arg(&db)
            .arg(&url)
            .env_remove("AWS_CA_BUNDLE")
            .env("AWS_ACCESS_KEY_ID", KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", SECRET)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let expected = service::table_digests(&conn).unwrap();
    let mut vars = s3_vars(&moto.endpoint);
    vars[0].1 = "s3://theirs/db".to_owned();
    let config =
        Config::from_vars(&vars.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect()).unwrap();
    let replica = Replica::from_config(&config, reqwest::Client::new())
        .unwrap()
        .unwrap();
    let out = dir.path().join("ours.db");
    service::restore(&replica, &out, Target::Latest).await.unwrap();
    assert_eq!(digests_of(&out), expected);
}

/// An S3 endpoint that lists an empty bucket but never answers an upload.
async fn hanging_s3() -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                let Ok(n) = sock.read(&mut buf).await else { return };
                if buf[..n].starts_with(b"GET") {
                    let body = "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>";
                    let resp = format!(
                        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = sock.write_all(resp.as_bytes()).await;
                } else {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                }
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn a_replica_that_stops_answering_is_shown_stalled_after_ten_seconds_while_writes_go_on() {
    let endpoint = hanging_s3().await;
    let mut b = TestApp::builder();
    for (k, v) in s3_vars(&endpoint) {
        b = b.env(k, &v);
    }
    let app = b.spawn().await;
    create_churn_table(&app).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        app.state
            .db
            .write(|c| {
                c.execute("INSERT INTO churn (v, n) VALUES ('w', 1)", [])
                    .map_err(mitxonline::db::DbError::from)
            })
            .await
            .expect("writes keep working");
        let (status, health) = app.get_json("/health/full/").await;
        assert_eq!(status, 200, "{health}");
        let backup = &health["checks"]["backup"];
        if backup["status"] == "degraded" {
            assert!(backup["lag_seconds"].as_f64().unwrap() > 10.0, "{health}");
            break;
        }
        assert!(backup["lag_seconds"].as_f64().unwrap() <= 10.5, "{health}");
        assert!(
            tokio::time::Instant::now() < deadline,
            "never shown as stalled: {health}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // The gauges are published every second.
    for _ in 0..30 {
        let metrics = app.get("/metrics").await.text().await.unwrap();
        if metrics.contains("mitxonline_backup_healthy 0") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("/metrics never showed mitxonline_backup_healthy 0");
}
