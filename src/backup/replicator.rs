//! The live replicator: turns committed WAL frames into level-0 LTX files, stages them on local
//! disk, uploads them, and coordinates with the writer's checkpoints.
//!
//! - Capture (scan the WAL past the shipped position, encode one LTX file, stage it with fsync)
//!   runs on a blocking thread once per sync interval after a commit, and on the writer thread
//!   right before every checkpoint, so no frame is checkpointed away before it was captured.
//!   Uploads happen afterwards, off the writer, so a slow or dead replica never blocks writes:
//!   staged files wait (and the health check turns degraded) until the replica is back.
//! - A "base" (every page of the database, one LTX file) is written when there is no usable
//!   history: first start, an emptied replica, or a WAL we cannot account for. The writer
//!   checkpoints with TRUNCATE inside the hook, then the base is read from the database file
//!   while further checkpoints are postponed.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufWriter;
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use super::ltx::{self, Encoder, Header};
use super::replica::Replica;
use super::status::Status;
use super::wal::{self, WalPos};
use crate::db::CheckpointHook;

/// What survives a restart (`<backup dir>/position.json`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct Core {
    /// Last captured (staged) transaction id.
    pub txid: u64,
    /// Where capture stopped in the WAL.
    pub pos: Option<WalPos>,
    /// Everything up to `pos` was captured right before a checkpoint: a WAL generation whose
    /// salt1 is `pos.salt1 + 1` (or any, when `pos` is `None`) continues the history.
    pub expect_reset: bool,
    pub page_size: u32,
    /// A full copy must start a new history. Persisted as soon as it is decided and until the
    /// copy is staged: the copy's checkpoint takes frames out of the WAL that no LTX file holds,
    /// so a restart in between must not resume from `pos` (it would skip them).
    #[serde(default)]
    pub base_needed: bool,
    /// The database file right after our last checkpoint (see [`DbMark`]).
    pub db_mark: Option<DbMark>,
    /// Set once the writer checkpointed for a base: the database file is complete and frozen.
    #[serde(skip)]
    pub base_ready: Option<(u32, u32)>,
}

/// Size and modification time of the database file. Only checkpoints write it, so an
/// unchanged mark proves that no checkpoint ran behind the replicator's back since ours: the
/// condition for taking a WAL generation we cannot chain to by checksum (after a WAL reset,
/// or a missing WAL) as the continuation of the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct DbMark {
    pub len: u64,
    pub mtime_s: i64,
    pub mtime_ns: i64,
}

impl DbMark {
    pub fn of(path: &Path) -> Option<DbMark> {
        use std::os::unix::fs::MetadataExt as _;
        let m = std::fs::metadata(path).ok()?;
        Some(DbMark {
            len: m.len(),
            mtime_s: m.mtime(),
            mtime_ns: m.mtime_nsec(),
        })
    }
}

impl Core {
    /// `position.json`: a full copy being read still counts as needed (it is not staged yet).
    pub fn stored(&self) -> serde_json::Result<Vec<u8>> {
        let mut stored = self.clone();
        stored.base_needed |= self.base_ready.is_some();
        serde_json::to_vec(&stored)
    }

    /// No checkpoint changed the database file since ours (state from before marks: trusted).
    pub fn db_unchanged(&self, db_path: &Path) -> bool {
        self.db_mark.is_none_or(|m| Some(m) == DbMark::of(db_path))
    }
}

pub(super) struct Shared {
    pub db_path: PathBuf,
    pub wal_path: PathBuf,
    pub dir: PathBuf,
    pub staging: PathBuf,
    pub replica: Replica,
    pub core: Mutex<Core>,
    pub status: Mutex<Status>,
    pub wake: tokio::sync::Notify,
    /// Serializes sync cycles, maintenance and on-demand snapshots of this process.
    pub cycle: tokio::sync::Mutex<()>,
    /// When the oldest commit not yet captured happened.
    pub pending_since: Mutex<Option<Instant>>,
}

/// A lock whose holder panicked is taken anyway: the data is plain state, re-checked by the next
/// cycle. Without this, one panic (say, in a sync while the disk was full) poisoned the lock and
/// every later commit's hook on the writer thread failed with it.
fn relock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| {
        m.clear_poison();
        poisoned.into_inner()
    })
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Shared {
    /// The replication position. Taken from a holder that panicked, it is no longer trusted:
    /// the next cycle starts a new history from a full copy.
    pub fn core(&self) -> std::sync::MutexGuard<'_, Core> {
        let poisoned = self.core.is_poisoned();
        let mut core = relock(&self.core);
        if poisoned {
            tracing::error!("backup: a sync panicked; the next cycle makes a full copy");
            core.base_needed = true;
        }
        core
    }

    pub fn status(&self) -> std::sync::MutexGuard<'_, Status> {
        relock(&self.status)
    }

    pub fn pending_since(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        relock(&self.pending_since)
    }

    pub fn new(db_path: &Path, replica: Replica) -> anyhow::Result<Shared> {
        let name = db_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "db".into());
        let parent = db_path.parent().unwrap_or(Path::new("."));
        let dir = parent.join(format!(".{name}-backup"));
        let staging = dir.join("staging");
        std::fs::create_dir_all(&staging)
            .with_context(|| format!("creating the backup staging directory {}", staging.display()))?;
        Ok(Shared {
            db_path: db_path.to_owned(),
            wal_path: PathBuf::from(format!("{}-wal", db_path.display())),
            dir,
            staging,
            replica,
            core: Mutex::new(Core::default()),
            status: Mutex::new(Status::default()),
            wake: tokio::sync::Notify::new(),
            cycle: tokio::sync::Mutex::new(()),
            pending_since: Mutex::new(None),
        })
    }

    pub fn load_core(&self) -> Option<Core> {
        let bytes = std::fs::read(self.dir.join("position.json")).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    pub(super) fn persist(&self, core: &Core) -> anyhow::Result<()> {
        write_durably(&self.dir.join("position.json"), &core.stored()?)
    }

    /// Where full copies wait as level-9 snapshots (uploaded before level-0 files).
    pub fn snapshot_staging(&self) -> PathBuf {
        self.staging.join("snapshot")
    }

    /// Staged level-0 files, oldest first.
    pub fn staged(&self) -> anyhow::Result<Vec<(u64, u64, PathBuf)>> {
        staged_in(&self.staging)
    }

    /// Staged level-9 snapshots.
    pub fn staged_snapshots(&self) -> anyhow::Result<Vec<(u64, u64, PathBuf)>> {
        match std::fs::metadata(self.snapshot_staging()) {
            Ok(_) => staged_in(&self.snapshot_staging()),
            Err(_) => Ok(Vec::new()),
        }
    }
}

fn staged_in(dir: &Path) -> anyhow::Result<Vec<(u64, u64, PathBuf)>> {
    {
        let mut out = Vec::new();
        for e in std::fs::read_dir(dir)? {
            let e = e?;
            if let Some((a, b)) = e.file_name().to_str().and_then(ltx::parse_file_name) {
                out.push((a, b, e.path()));
            }
        }
        out.sort();
        Ok(out)
    }
}

impl Shared {
    /// Captures committed WAL frames past the shipped position into a staged LTX file.
    /// Returns the new TXID, if any. Runs on a blocking thread or the writer thread.
    pub fn capture(&self, core: &mut Core) -> anyhow::Result<Option<u64>> {
        if core.base_needed || core.base_ready.is_some() {
            return Ok(None);
        }
        let Some(hdr) = wal::read_header(&self.wal_path)? else {
            return Ok(None);
        };
        let from = match core.pos {
            Some(p) if (p.salt1, p.salt2) == (hdr.salt1, hdr.salt2) => p,
            Some(p)
                if core.expect_reset
                    && hdr.salt1 == p.salt1.wrapping_add(1)
                    && core.db_unchanged(&self.db_path) =>
            {
                hdr.start()
            }
            None if core.expect_reset && core.db_unchanged(&self.db_path) => hdr.start(),
            _ => {
                tracing::warn!(
                    "the WAL changed without the replicator (another process checkpointed?); writing a full copy"
                );
                core.base_needed = true;
                // Persisted so that a restart before the full copy also makes one.
                core.pos = None;
                core.expect_reset = false;
                self.persist(core)?;
                return Ok(None);
            }
        };
        let captured_since = self.pending_since().take();
        let scan = wal::scan(&self.wal_path, &hdr, from)?;
        if scan.end == from {
            if core.pos != Some(from) {
                core.pos = Some(from);
                core.expect_reset = false;
                self.persist(core)?;
            }
            return Ok(None);
        }
        let txid = core.txid + 1;
        tracing::debug!(txid, ?from, end = ?scan.end, commit = scan.commit, pages = scan.pages.len(), "backup: capture");
        let mut h = Header::new(hdr.page_size, scan.commit, txid, txid, now_ms());
        h.wal_offset = i64::try_from(scan.start_offset)?;
        h.wal_size = i64::try_from(scan.end.offset - scan.start_offset)?;
        h.wal_salt1 = hdr.salt1;
        h.wal_salt2 = hdr.salt2;
        let lock = h.lock_page();
        self.stage(&self.staging, h, |enc| {
            for (pgno, data) in &scan.pages {
                if *pgno != lock {
                    enc.write_page(*pgno, data)?;
                }
            }
            Ok(())
        })?;
        core.txid = txid;
        core.pos = Some(scan.end);
        core.expect_reset = false;
        core.page_size = hdr.page_size;
        self.persist(core)?;
        let mut st = self.status();
        st.captured_txid = txid;
        st.capture_times
            .insert(txid, captured_since.unwrap_or_else(Instant::now));
        Ok(Some(txid))
    }

    /// Writes one LTX file into the staging directory (temporary name, fsync, rename).
    fn stage(
        &self,
        dir: &Path,
        header: Header,
        pages: impl FnOnce(&mut Encoder<BufWriter<File>>) -> Result<(), ltx::LtxError>,
    ) -> anyhow::Result<PathBuf> {
        let name = ltx::file_name(header.min_txid, header.max_txid);
        let tmp = dir.join(format!("{name}.tmp"));
        let dest = dir.join(&name);
        let f = File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        let mut enc = Encoder::new(BufWriter::with_capacity(1 << 20, f), header)?;
        pages(&mut enc)?;
        let (w, _) = enc.finish()?;
        let f = w.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()?;
        std::fs::rename(&tmp, &dest)?;
        Ok(dest)
    }

    /// The replica lost files we shipped (emptied, or restored from an older copy): start a new
    /// history after what it still has, with a full copy.
    pub fn restart_history(&self, replica_max: u64) -> anyhow::Result<()> {
        let mut core = self.core();
        for (_, _, path) in self.staged()?.into_iter().chain(self.staged_snapshots()?) {
            let _ = std::fs::remove_file(path);
        }
        core.base_needed = true;
        core.txid = replica_max;
        core.pos = None;
        core.expect_reset = false;
        self.persist(&core)?;
        let mut st = self.status();
        st.captured_txid = replica_max;
        st.replicated_txid = replica_max;
        st.capture_times.clear();
        st.last_snapshot = None;
        tracing::warn!(
            replica_max,
            "backup replica lost shipped files; starting a new history with a full copy"
        );
        Ok(())
    }

    /// Writer-thread part of a base: checkpoint everything into the database file.
    fn prepare_base(&self, conn: &Connection, core: &mut Core) -> anyhow::Result<()> {
        let (busy, _, _): (i64, i64, i64) = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
        anyhow::ensure!(busy == 0, "readers kept the checkpoint for a full backup busy");
        core.db_mark = DbMark::of(&self.db_path);
        let pages: u32 = conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
        let page_size: u32 = conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
        tracing::debug!(pages, ?core, "backup: base prepared");
        *self.pending_since() = None;
        core.base_needed = false;
        core.base_ready = Some((pages, page_size));
        core.pos = None;
        core.expect_reset = true;
        Ok(())
    }

    /// Blocking part of a base: every page of the (frozen) database file into one LTX file.
    pub fn write_base(&self) -> anyhow::Result<Option<u64>> {
        let (pages, page_size) = match self.core().base_ready {
            Some(b) => b,
            None => return Ok(None),
        };
        let txid = self.core().txid + 1;
        let f = File::open(&self.db_path)?;
        let started = Instant::now();
        let now = now_ms();
        let copy = |dir: &Path, min_txid: u64| {
            let header = Header::new(page_size, pages, min_txid, txid, now);
            let lock = header.lock_page();
            self.stage(dir, header, |enc| {
                let mut buf = vec![0u8; page_size as usize];
                for pgno in 1..=pages {
                    if pgno == lock {
                        continue;
                    }
                    f.read_exact_at(&mut buf, u64::from(pgno - 1) * u64::from(page_size))?;
                    enc.write_page(pgno, &buf)?;
                }
                Ok(())
            })
        };
        if txid > 1 {
            // A new history after older files: also a level-9 snapshot `1-txid`, so restores
            // start here whatever came before.
            std::fs::create_dir_all(self.snapshot_staging())?;
            copy(&self.snapshot_staging(), 1)?;
        }
        copy(&self.staging, txid)?;
        let mut core = self.core();
        core.txid = txid;
        core.page_size = page_size;
        core.base_ready = None;
        self.persist(&core)?;
        let mut st = self.status();
        st.captured_txid = txid;
        st.capture_times.insert(txid, Instant::now());
        tracing::info!(txid, pages, elapsed = ?started.elapsed(), "backup: full copy staged");
        Ok(Some(txid))
    }
}

fn write_durably(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut f = File::create(&tmp)?;
    std::io::Write::write_all(&mut f, bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// The writer's checkpoint hook.
pub(super) struct Hook(pub Arc<Shared>);

impl CheckpointHook for Hook {
    fn before_checkpoint(&self, conn: &Connection) -> anyhow::Result<()> {
        let mut core = self.0.core();
        if core.base_ready.is_some() {
            anyhow::bail!("a full backup copy is being read from the database file");
        }
        if !core.base_needed {
            // May find that the history cannot continue (and then asks for a base).
            self.0.capture(&mut core)?;
        }
        if core.base_needed {
            self.0.prepare_base(conn, &mut core)?;
            // The base is the new history; the writer's own checkpoint is now a no-op.
            drop(core);
            self.0.wake.notify_one();
            return Ok(());
        }
        // Everything in this WAL generation is staged: a restart of the WAL is expected.
        core.expect_reset = true;
        self.0.persist(&core)?;
        drop(core);
        self.0.wake.notify_one();
        Ok(())
    }

    fn after_checkpoint(&self) {
        let mut core = self.0.core();
        if core.base_needed || core.base_ready.is_some() {
            return;
        }
        core.db_mark = DbMark::of(&self.0.db_path);
        if let Err(e) = self.0.persist(&core) {
            tracing::warn!(error = %format!("{e:#}"), "backup: cannot persist the position");
        }
    }

    fn after_commit(&self) {
        let mut p = self.0.pending_since();
        if p.is_none() {
            *p = Some(Instant::now());
        }
        drop(p);
        self.0.wake.notify_one();
    }
}

/// Recent ship-lag samples kept for benchmarks and status.
pub(super) const LAG_SAMPLES: usize = 100_000;

pub(super) fn record_lag(samples: &mut std::collections::VecDeque<Duration>, d: Duration) {
    if samples.len() == LAG_SAMPLES {
        samples.pop_front();
    }
    samples.push_back(d);
}

/// Capture times keyed by TXID (the oldest commit each staged file holds).
pub(super) type CaptureTimes = BTreeMap<u64, Instant>;

#[cfg(test)]
#[path = "replicator_tests.rs"]
mod tests;
