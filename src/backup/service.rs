//! Operator use cases: `backup status`, `backup now` (a level-9 snapshot built from the
//! replica itself), `backup restore --to PATH [--timestamp T]` and `backup verify` (restore to a
//! temporary file, integrity_check, compare every table with the live database).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;

use super::ltx::Header;
use super::merge::{self, Input, Sink, Target};
use super::replica::{FileInfo, Replica, SNAPSHOT_LEVEL};
use crate::config::Config;

/// `mitxonline backup …`.
#[derive(clap::Subcommand, Debug)]
pub enum BackupCommand {
    /// Replication position, lag and the last snapshot.
    Status,
    /// Take a snapshot now.
    Now,
    /// Restore the replica into a new database file.
    Restore {
        #[arg(long)]
        to: std::path::PathBuf,
        /// Point in time (RFC 3339); the latest state when omitted.
        #[arg(long)]
        timestamp: Option<String>,
    },
    /// Restore to a temporary file, run integrity_check and compare with the live database.
    Verify,
}

/// A directory removed with everything in it when dropped.
struct WorkDir(PathBuf);

impl WorkDir {
    fn new(parent: &Path, prefix: &str) -> anyhow::Result<WorkDir> {
        let path = parent.join(format!("{prefix}{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&path).with_context(|| format!("creating {}", path.display()))?;
        Ok(WorkDir(path))
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Local copies of `files` (downloads for S3) as merge inputs.
async fn inputs(replica: &Replica, files: &[FileInfo], work: &Path) -> anyhow::Result<Vec<Input>> {
    tokio::fs::create_dir_all(work).await?;
    let mut out = Vec::with_capacity(files.len());
    for f in files {
        let path = replica
            .fetch(f, work)
            .await
            .with_context(|| format!("fetching {}", f.key()))?;
        out.push(Input { name: f.key(), path });
    }
    Ok(out)
}

fn cleanup(replica: &Replica, inputs: &[Input]) {
    if matches!(replica, Replica::S3(_)) {
        for i in inputs {
            let _ = std::fs::remove_file(&i.path);
        }
    }
}

/// Merges `files` into `<work>/merged.ltx`; returns its header.
pub async fn merge_to_ltx(replica: &Replica, files: &[FileInfo], work: &Path) -> anyhow::Result<Header> {
    let ins = inputs(replica, files, work).await?;
    let out = work.join("merged.ltx");
    let ins2: Vec<Input> = ins
        .iter()
        .map(|i| Input {
            name: i.name.clone(),
            path: i.path.clone(),
        })
        .collect();
    let merged = tokio::task::spawn_blocking(move || merge::merge(&ins2, &Sink::Ltx(out))).await?;
    cleanup(replica, &ins);
    Ok(merged?.header)
}

/// Writes a level-9 snapshot of the newest state on the replica; `None` when the newest
/// snapshot is already current.
pub async fn snapshot(replica: &Replica, work: &Path) -> anyhow::Result<Option<u64>> {
    let files = replica.list().await?;
    let chosen = merge::plan(&files, Target::Latest)?;
    if chosen.len() == 1 && chosen[0].level == SNAPSHOT_LEVEL {
        return Ok(None);
    }
    let header = merge_to_ltx(replica, &chosen, work).await?;
    let out = work.join("merged.ltx");
    replica.put(SNAPSHOT_LEVEL, &out, &header).await?;
    let _ = tokio::fs::remove_file(&out).await;
    tracing::info!(txid = header.max_txid, "backup: snapshot written");
    Ok(Some(header.max_txid))
}

/// What a restore did.
#[derive(Debug, Clone)]
pub struct Restored {
    pub txid: u64,
    pub files: Vec<String>,
    pub pages: u64,
}

/// Rebuilds the database at `to` (which must not exist) from the replica.
pub async fn restore(replica: &Replica, to: &Path, target: Target) -> anyhow::Result<Restored> {
    anyhow::ensure!(
        !to.exists(),
        "{} already exists; restore into a new path",
        to.display()
    );
    let mut files = replica.list().await?;
    if matches!(target, Target::Time(_)) && matches!(replica, Replica::S3(_)) {
        for f in &mut files {
            f.timestamp_ms = replica.timestamp(f).await?;
        }
    }
    let chosen = merge::plan(&files, target)?;
    let parent = to
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let work = WorkDir::new(parent, ".restore-")?;
    let ins = inputs(replica, &chosen, &work.0).await?;
    let tmp = PathBuf::from(format!("{}.tmp", to.display()));
    let tmp2 = tmp.clone();
    let names: Vec<String> = ins.iter().map(|i| i.name.clone()).collect();
    let merged = tokio::task::spawn_blocking(move || merge::merge(&ins, &Sink::Database(tmp2))).await?;
    let merged = match merged {
        Ok(m) => m,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    std::fs::rename(&tmp, to)?;
    Ok(Restored {
        txid: merged.header.max_txid,
        files: names,
        pages: merged.pages,
    })
}

/// `PRAGMA integrity_check` result ("ok" when sound).
pub fn integrity_check(path: &Path) -> anyhow::Result<String> {
    let conn = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let rows: Vec<String> = conn
        .prepare("PRAGMA integrity_check")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(rows.join("; "))
}

/// Per-table row count and content checksum, for comparing two databases.
pub fn table_digests(conn: &rusqlite::Connection) -> anyhow::Result<Vec<(String, u64, u64)>> {
    let tables: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for t in tables {
        let quoted = t.replace('"', "\"\"");
        let sql = format!("SELECT * FROM \"{quoted}\" ORDER BY 1");
        let mut stmt = conn.prepare(&sql)?;
        let cols = stmt.column_count();
        let mut digest = super::ltx::CRC64.digest();
        let mut rows = stmt.query([])?;
        let mut n = 0u64;
        while let Some(row) = rows.next()? {
            n += 1;
            for i in 0..cols {
                let v: rusqlite::types::Value = row.get(i)?;
                digest.update(format!("{v:?}\u{1}").as_bytes());
            }
            digest.update(b"\n");
        }
        out.push((t, n, digest.finalize()));
    }
    Ok(out)
}

/// Runs `mitxonline backup …`.
pub async fn command(command: BackupCommand, config: Config) -> anyhow::Result<ExitCode> {
    let Some(replica) = Replica::from_config(&config, super::http_client()?)? else {
        eprintln!("MITXONLINE_BACKUP_URL is not set: backups are off");
        return Ok(ExitCode::from(2));
    };
    let db_path = config.database_path();
    let backup_dir = db_path.parent().unwrap_or(Path::new(".")).join(format!(
        ".{}-backup",
        db_path
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    ));
    match command {
        BackupCommand::Status => status(&replica, &backup_dir).await,
        BackupCommand::Now => match snapshot(&replica, &backup_dir.join("work-cli")).await? {
            Some(txid) => {
                println!("snapshot written: ltx/9/{}", super::ltx::file_name(1, txid));
                Ok(ExitCode::SUCCESS)
            }
            None => {
                println!("the newest snapshot is already current");
                Ok(ExitCode::SUCCESS)
            }
        },
        BackupCommand::Restore { to, timestamp } => {
            let target = match timestamp {
                None => Target::Latest,
                Some(t) => match chrono::DateTime::parse_from_rfc3339(&t) {
                    Ok(t) => Target::Time(t.timestamp_millis()),
                    Err(_) => {
                        eprintln!("--timestamp: `{t}` is not an RFC 3339 time like 2026-11-27T10:00:00Z");
                        return Ok(ExitCode::from(2));
                    }
                },
            };
            match restore(&replica, &to, target).await {
                Ok(r) => {
                    println!(
                        "restored {} (transaction {:016x}, {} pages) from {} files",
                        to.display(),
                        r.txid,
                        r.pages,
                        r.files.len()
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("restore failed: {e:#}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        BackupCommand::Verify => verify(&replica, &db_path, &backup_dir).await,
    }
}

async fn status(replica: &Replica, backup_dir: &Path) -> anyhow::Result<ExitCode> {
    println!("replica: {}", replica.describe());
    match std::fs::read(backup_dir.join("status.json")) {
        Ok(bytes) => {
            let s: super::Summary = serde_json::from_slice(&bytes)?;
            println!("status: {} (as of {})", s.status, s.written_at.to_rfc3339());
            println!(
                "position: transaction {:016x} shipped, {:016x} captured",
                s.replicated_txid, s.captured_txid
            );
            println!("lag: {:.3} s", s.lag_seconds);
            println!(
                "last sync: {}",
                s.last_sync
                    .map(|t| t.to_rfc3339())
                    .unwrap_or_else(|| "never".into())
            );
            if let Some(e) = s.last_error {
                println!("last error: {e}");
            }
        }
        Err(_) => println!("status: no replicator has run on this database yet"),
    }
    let files = replica.list().await?;
    let max = files.iter().map(|f| f.max_txid).max().unwrap_or(0);
    println!("replica position: transaction {max:016x}, {} files", files.len());
    match files
        .iter()
        .filter(|f| f.level == SNAPSHOT_LEVEL)
        .max_by_key(|f| f.max_txid)
    {
        Some(s) => {
            let at = chrono::DateTime::from_timestamp_millis(replica.timestamp(s).await?).unwrap_or_default();
            println!("last snapshot: {} at {}", s.key(), at.to_rfc3339());
        }
        None => println!("last snapshot: none yet"),
    }
    Ok(ExitCode::SUCCESS)
}

async fn verify(replica: &Replica, live: &Path, backup_dir: &Path) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(backup_dir)?;
    for attempt in 1..=3 {
        let dir = WorkDir::new(backup_dir, "verify-")?;
        let out = dir.0.join("restored.db");
        let restored = match restore(replica, &out, Target::Latest).await {
            Ok(r) => r,
            Err(e) => {
                eprintln!("verify failed: restore: {e:#}");
                return Ok(ExitCode::FAILURE);
            }
        };
        let check = integrity_check(&out)?;
        if check != "ok" {
            eprintln!("verify failed: integrity_check on the restored copy: {check}");
            return Ok(ExitCode::FAILURE);
        }
        let theirs = table_digests(&rusqlite::Connection::open_with_flags(
            &out,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )?)?;
        let ours = table_digests(&crate::db::open_read_only(
            live,
            crate::config::Synchronous::Normal,
        )?)?;
        if theirs == ours {
            println!(
                "verify ok: transaction {:016x}, integrity_check ok, {} tables identical to the live database",
                restored.txid,
                ours.len()
            );
            return Ok(ExitCode::SUCCESS);
        }
        let differing: Vec<&str> = ours
            .iter()
            .filter(|t| !theirs.contains(t))
            .map(|t| t.0.as_str())
            .collect();
        eprintln!(
            "attempt {attempt}: tables differ from the live database: {}",
            differing.join(", ")
        );
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    }
    eprintln!("verify failed: the restored copy differs from the live database (see above)");
    Ok(ExitCode::FAILURE)
}
