//! Where LTX files go: a directory or an S3-compatible bucket, both in Litestream 0.5's layout
//! `<root>/ltx/<level>/<min>-<max>.ltx`. Files are written whole (a temporary name, then a
//! rename, with mtime = the header timestamp, as Litestream does) and never modified.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::ltx;
use super::s3::S3Replica;
use crate::config::Config;

/// The snapshot level.
pub const SNAPSHOT_LEVEL: u8 = 9;

/// One file of the replica.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    pub level: u8,
    pub min_txid: u64,
    pub max_txid: u64,
    pub size: u64,
    /// Timestamp (ms since epoch) from the listing: the header timestamp for a directory
    /// replica (file mtime), the upload time for S3.
    pub timestamp_ms: i64,
}

impl FileInfo {
    /// `ltx/<level>/<min>-<max>.ltx`, the name errors and reports use.
    pub fn key(&self) -> String {
        format!(
            "ltx/{}/{}",
            self.level,
            ltx::file_name(self.min_txid, self.max_txid)
        )
    }
}

/// A replica destination.
pub enum Replica {
    File(FileReplica),
    S3(S3Replica),
}

impl Replica {
    /// Builds the replica named by `MITXONLINE_BACKUP_URL`; `None` when backups are off.
    pub fn from_config(config: &Config, http: reqwest::Client) -> anyhow::Result<Option<Replica>> {
        let Some(url) = &config.backup_url else {
            return Ok(None);
        };
        Self::from_url(url, config, http).map(Some)
    }

    pub fn from_url(url: &str, config: &Config, http: reqwest::Client) -> anyhow::Result<Replica> {
        if let Some(path) = url.strip_prefix("file://") {
            anyhow::ensure!(
                path.starts_with('/'),
                "{url}: a file:// replica needs an absolute path"
            );
            let path = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
            return Ok(Replica::File(FileReplica {
                root: PathBuf::from(path.as_ref()),
            }));
        }
        if url.starts_with("s3://") {
            return Ok(Replica::S3(S3Replica::from_url(url, &config.backup, http)?));
        }
        anyhow::bail!("{url}: unsupported replica URL (file:/// or s3://)")
    }

    /// A short description for logs and status (never credentials).
    pub fn describe(&self) -> String {
        match self {
            Replica::File(f) => format!("file://{}", f.root.display()),
            Replica::S3(s) => s.describe(),
        }
    }

    /// Every LTX file at every level, sorted by level then TXID.
    pub async fn list(&self) -> anyhow::Result<Vec<FileInfo>> {
        let mut files = match self {
            Replica::File(f) => {
                let f = FileReplica { root: f.root.clone() };
                tokio::task::spawn_blocking(move || f.list()).await??
            }
            Replica::S3(s) => s.list().await?,
        };
        files.sort_by_key(|f| (f.level, f.min_txid, f.max_txid));
        Ok(files)
    }

    /// Uploads a local LTX file.
    pub async fn put(&self, level: u8, local: &Path, header: &ltx::Header) -> anyhow::Result<()> {
        match self {
            Replica::File(f) => {
                let f = FileReplica { root: f.root.clone() };
                let (local, header) = (local.to_owned(), header.clone());
                tokio::task::spawn_blocking(move || f.put(level, &local, &header)).await?
            }
            Replica::S3(s) => s.put(level, local, header).await,
        }
    }

    /// A local path holding the file: the file itself for a directory replica, or a download
    /// into `work_dir` for S3.
    pub async fn fetch(&self, info: &FileInfo, work_dir: &Path) -> anyhow::Result<PathBuf> {
        match self {
            Replica::File(f) => Ok(f.path(info)),
            Replica::S3(s) => {
                let dest = work_dir.join(format!(
                    "{}-{}",
                    info.level,
                    ltx::file_name(info.min_txid, info.max_txid)
                ));
                s.get(info, &dest).await?;
                Ok(dest)
            }
        }
    }

    /// The header timestamp of a file (the listing only knows it for directory replicas).
    pub async fn timestamp(&self, info: &FileInfo) -> anyhow::Result<i64> {
        match self {
            Replica::File(_) => Ok(info.timestamp_ms),
            Replica::S3(s) => Ok(s.header(info).await?.timestamp_ms),
        }
    }

    pub async fn delete(&self, info: &FileInfo) -> anyhow::Result<()> {
        match self {
            Replica::File(f) => {
                let path = f.path(info);
                match tokio::fs::remove_file(&path).await {
                    Ok(()) => Ok(()),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                    Err(e) => Err(e).with_context(|| format!("deleting {}", path.display())),
                }
            }
            Replica::S3(s) => s.delete(info).await,
        }
    }
}

/// A replica in a local (or mounted) directory.
pub struct FileReplica {
    pub root: PathBuf,
}

impl FileReplica {
    fn path(&self, info: &FileInfo) -> PathBuf {
        self.root.join(info.key())
    }

    fn list(&self) -> anyhow::Result<Vec<FileInfo>> {
        let mut out = Vec::new();
        for level in 0..=SNAPSHOT_LEVEL {
            let dir = self.root.join(format!("ltx/{level}"));
            let entries = match std::fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e).with_context(|| format!("listing {}", dir.display())),
            };
            for entry in entries {
                let entry = entry?;
                let name = entry.file_name();
                let Some((min, max)) = name.to_str().and_then(ltx::parse_file_name) else {
                    continue;
                };
                let meta = entry.metadata()?;
                let timestamp_ms = meta
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map(|d| d.as_millis() as i64)
                    .unwrap_or(0);
                out.push(FileInfo {
                    level,
                    min_txid: min,
                    max_txid: max,
                    size: meta.len(),
                    timestamp_ms,
                });
            }
        }
        Ok(out)
    }

    fn put(&self, level: u8, local: &Path, header: &ltx::Header) -> anyhow::Result<()> {
        let dir = self.root.join(format!("ltx/{level}"));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let name = ltx::file_name(header.min_txid, header.max_txid);
        let tmp = dir.join(format!("{name}.tmp"));
        let dest = dir.join(&name);
        std::fs::copy(local, &tmp).with_context(|| format!("writing {}", tmp.display()))?;
        let f = std::fs::OpenOptions::new().write(true).open(&tmp)?;
        let mtime = std::time::UNIX_EPOCH
            + std::time::Duration::from_millis(u64::try_from(header.timestamp_ms).unwrap_or(0));
        f.set_modified(mtime)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, &dest).with_context(|| format!("renaming {}", dest.display()))?;
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}
