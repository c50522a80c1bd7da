//! Keeping the replica small and restores fast, like Litestream 0.5: level 1, 2 and 3
//! compactions (merging the previous level's new files), a full snapshot at level 9 every
//! snapshot interval, and retention (level 0–2 files once a higher level covers them and they are
//! older than the L0 retention; snapshots older than the retention, keeping the newest, with the
//! history they make redundant).

use std::time::{Duration, Instant};

use super::replica::{FileInfo, Replica, SNAPSHOT_LEVEL};
use super::replicator::Shared;
use super::service;
use crate::config::Config;
use crate::state::AppState;

pub(super) struct Maintenance {
    intervals: [Duration; 3],
    last: [Instant; 3],
    snapshot_interval: Duration,
    retention: Duration,
    l0_retention: Duration,
    last_retention: Instant,
}

impl Maintenance {
    pub fn new(config: &Config) -> Self {
        let now = Instant::now();
        Maintenance {
            intervals: config.backup.compaction,
            last: [now; 3],
            snapshot_interval: config.backup.snapshot_interval,
            retention: config.backup.retention,
            l0_retention: config.backup.l0_retention,
            last_retention: now,
        }
    }

    pub async fn run(&mut self, shared: &Shared, state: &AppState) -> anyhow::Result<()> {
        let work = shared.dir.join("work");
        let replica = &shared.replica;
        let files = replica.list().await?;
        let on_replica = files.iter().map(|f| f.max_txid).max().unwrap_or(0);
        let restorable = super::merge::plan(&files, super::merge::Target::Latest)
            .ok()
            .and_then(|p| p.last().map(|f| f.max_txid))
            .unwrap_or(0);
        let shipped = shared.status().replicated_txid;
        if restorable < shipped {
            return shared.restart_history(on_replica);
        }
        for level in 1..=3u8 {
            let i = usize::from(level - 1);
            if self.last[i].elapsed() >= self.intervals[i] {
                self.last[i] = Instant::now();
                let files = replica.list().await?;
                if let Some(txid) = compact(replica, &files, level, &work).await? {
                    tracing::debug!(level, txid, "backup: compacted");
                }
            }
        }
        let due = {
            let st = shared.status();
            match st.last_snapshot {
                None => true,
                Some((_, at)) => {
                    let age = chrono::Utc::now() - at;
                    age.to_std().unwrap_or_default() >= self.snapshot_interval
                }
            }
        };
        if due && let Some(txid) = service::snapshot(replica, &work).await? {
            shared.status().last_snapshot = Some((txid, chrono::Utc::now()));
            state.metrics.set_gauge(
                "mitxonline_backup_last_snapshot_txid",
                "Transaction id of the newest level-9 snapshot.",
                &[],
                txid as i64,
            );
        }
        if self.last_retention.elapsed() >= self.intervals[0].min(Duration::from_secs(60)) {
            self.last_retention = Instant::now();
            let deleted = retain(replica, self.retention, self.l0_retention).await?;
            if deleted > 0 {
                tracing::debug!(deleted, "backup: retention removed files");
            }
        }
        Ok(())
    }
}

/// Merges the files of `level - 1` not yet covered by `level` into one file at `level`.
pub(super) async fn compact(
    replica: &Replica,
    files: &[FileInfo],
    level: u8,
    work: &std::path::Path,
) -> anyhow::Result<Option<u64>> {
    let done = files
        .iter()
        .filter(|f| f.level == level)
        .map(|f| f.max_txid)
        .max()
        .unwrap_or(0);
    let mut src: Vec<&FileInfo> = files
        .iter()
        .filter(|f| f.level == level - 1 && f.min_txid > done)
        .collect();
    src.sort_by_key(|f| f.min_txid);
    let mut chain: Vec<FileInfo> = Vec::new();
    for f in src {
        let next = chain.last().map(|c| c.max_txid + 1);
        let expected = next.unwrap_or(if done == 0 { f.min_txid } else { done + 1 });
        if f.min_txid != expected {
            break;
        }
        chain.push(f.clone());
    }
    if chain.is_empty() {
        return Ok(None);
    }
    let header = service::merge_to_ltx(replica, &chain, work).await?;
    let out = work.join("merged.ltx");
    replica.put(level, &out, &header).await?;
    let _ = tokio::fs::remove_file(&out).await;
    Ok(Some(header.max_txid))
}

/// Applies retention; returns how many files were deleted.
pub(super) async fn retain(
    replica: &Replica,
    retention: Duration,
    l0_retention: Duration,
) -> anyhow::Result<usize> {
    let files = replica.list().await?;
    let now = chrono::Utc::now().timestamp_millis();
    let ms = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
    let mut doomed: Vec<FileInfo> = Vec::new();
    for f in files.iter().filter(|f| f.level <= 2) {
        let covered = files
            .iter()
            .any(|g| g.level == f.level + 1 && g.min_txid <= f.min_txid && g.max_txid >= f.max_txid);
        if covered && f.timestamp_ms < now - ms(l0_retention) {
            doomed.push(f.clone());
        }
    }
    let mut snaps: Vec<&FileInfo> = files.iter().filter(|f| f.level == SNAPSHOT_LEVEL).collect();
    snaps.sort_by_key(|f| f.max_txid);
    if let Some((newest, older)) = snaps.split_last() {
        let mut oldest_kept = *newest;
        for s in older.iter().rev() {
            if s.timestamp_ms < now - ms(retention) {
                doomed.push((*s).clone());
            } else {
                oldest_kept = s;
            }
        }
        for f in files
            .iter()
            .filter(|f| f.level <= 3 && f.max_txid <= oldest_kept.max_txid)
        {
            if !doomed.contains(f) {
                doomed.push(f.clone());
            }
        }
    }
    for f in &doomed {
        replica.delete(f).await?;
    }
    Ok(doomed.len())
}
