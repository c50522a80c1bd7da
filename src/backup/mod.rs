//! Streamed, Litestream-compatible backups built into the binary.
//!
//! The replicator ships every committed transaction, within `MITXONLINE_BACKUP_SYNC_INTERVAL`,
//! as LTX files in Litestream 0.5's replica layout (a directory or an S3-compatible bucket),
//! compacts them into levels 1–3, writes full snapshots at level 9 and applies retention, so
//! both `mitxonline backup restore` and the real `litestream restore` rebuild the database.
//! No sidecar: the writer thread calls our hook before each checkpoint, so no WAL frame is
//! checkpointed away before it was captured. See `replicator` for the capture path, `ltx` for
//! the file format and `service` for the operator commands.

pub mod ltx;
mod maintain;
pub mod merge;
pub mod replica;
mod replicator;
pub mod s3;
pub mod service;
mod status;
pub mod wal;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tokio::sync::watch;

use crate::state::AppState;
use replica::Replica;
use replicator::{Core, Hook, Shared};
pub use service::BackupCommand;
pub use status::Summary;

/// A running replicator; cheap to clone.
#[derive(Clone)]
pub struct Replicator {
    shared: Arc<Shared>,
    state: AppState,
    stop: watch::Sender<bool>,
    task: Arc<Mutex<Option<tokio::task::JoinHandle<()>>>>,
    _lock: Arc<std::fs::File>,
}

/// The replica's HTTP client: no overall timeout (snapshots can be large), but connects and
/// every read must make progress.
pub fn http_client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .read_timeout(Duration::from_secs(60))
        .user_agent(concat!("mitxonline/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

fn try_lock(path: &std::path::Path) -> anyhow::Result<Option<std::fs::File>> {
    use std::os::fd::AsRawFd as _;
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))?;
    // SAFETY: flock on a file descriptor we own; no memory is shared with the kernel.
    let rc = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    Ok((rc == 0).then_some(f))
}

impl Replicator {
    /// Starts replicating when `MITXONLINE_BACKUP_URL` is set (and no other process already
    /// replicates this database); installs the checkpoint hook and the health check.
    pub async fn start(state: &AppState) -> anyhow::Result<Option<Replicator>> {
        let Some(replica) = Replica::from_config(&state.config, http_client()?)? else {
            return Ok(None);
        };
        let shared = Arc::new(Shared::new(state.db.path(), replica)?);
        let Some(lock) = try_lock(&shared.dir.join("lock"))? else {
            tracing::info!("another process replicates this database; this one does not");
            return Ok(None);
        };
        let core = decide_start(&shared).await?;
        *shared.core() = core;
        state.db.set_checkpoint_hook(Arc::new(Hook(shared.clone())));
        state.add_health_contributor(Arc::new(status::BackupHealth(shared.clone())));
        let (stop, stop_rx) = watch::channel(false);
        let r = Replicator {
            shared,
            state: state.clone(),
            stop,
            task: Arc::default(),
            _lock: Arc::new(lock),
        };
        let task = tokio::spawn(r.clone().run(stop_rx.clone()));
        // Health, metrics and the stall alert stay current even while an upload hangs.
        let (shared, metrics, mut stop_pub) = (r.shared.clone(), state.metrics.clone(), stop_rx);
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => shared.publish(&metrics),
                    _ = stop_pub.changed() => return,
                }
            }
        });
        *r.task.lock().expect("lock") = Some(task);
        tracing::info!(replica = %r.shared.replica.describe(), "backup replication started");
        Ok(Some(r))
    }

    async fn run(self, mut stop: watch::Receiver<bool>) {
        let interval = self.state.config.backup_sync_interval;
        let mut maint = maintain::Maintenance::new(&self.state.config);
        let mut last = Instant::now().checked_sub(interval).unwrap_or_else(Instant::now);
        loop {
            tokio::select! {
                _ = self.shared.wake.notified() => {}
                _ = tokio::time::sleep(interval) => {}
                _ = stop.changed() => return,
            }
            // Ship when the oldest uncaptured commit is 90% of an interval old (so it reaches
            // the replica within the interval), but at most two syncs per interval.
            let oldest = *self.shared.pending_since();
            let due = oldest
                .map(|t| t + interval.mul_f64(0.9))
                .unwrap_or_else(Instant::now);
            let due = due.max(last + interval / 2);
            let now = Instant::now();
            if due > now {
                tokio::select! {
                    _ = tokio::time::sleep(due - now) => {}
                    _ = stop.changed() => return,
                }
            }
            last = Instant::now();
            let _cycle = self.shared.cycle.lock().await;
            let shipped = self.sync_once().await;
            if shipped && let Err(e) = maint.run(&self.shared, &self.state).await {
                tracing::warn!(error = %format!("{e:#}"), "backup maintenance failed");
                let mut st = self.shared.status();
                st.last_error = Some(format!("{e:#}"));
                st.errors += 1;
            }
            self.shared.publish(&self.state.metrics);
        }
    }

    /// One cycle: a full copy if one is due, capture, upload. True when nothing is left staged.
    async fn sync_once(&self) -> bool {
        if let Err(e) = self.capture().await {
            self.record_error(&e);
        }
        match self.upload().await {
            Ok(()) => true,
            Err(e) => {
                self.record_error(&e);
                false
            }
        }
    }

    fn record_error(&self, e: &anyhow::Error) {
        let msg = format!("{e:#}");
        tracing::warn!(error = %msg, "backup sync failed");
        self.state.metrics.inc(
            "mitxonline_backup_errors_total",
            "Failed backup captures or uploads.",
            &[],
        );
        let mut st = self.shared.status();
        st.last_error = Some(msg);
        st.errors += 1;
    }

    async fn capture(&self) -> anyhow::Result<()> {
        let base_needed = self.shared.core().base_needed;
        if base_needed {
            self.state.db.checkpoint().await?;
        }
        let shared = self.shared.clone();
        let base = tokio::task::spawn_blocking(move || -> anyhow::Result<bool> {
            let base = match shared.write_base() {
                Ok(b) => b.is_some(),
                Err(e) => {
                    // Checkpoints resume; the next cycle checkpoints and copies again.
                    let mut core = shared.core();
                    core.base_ready = None;
                    core.base_needed = true;
                    return Err(e.context("writing a full copy"));
                }
            };
            let mut core = shared.core();
            shared.capture(&mut core)?;
            Ok(base)
        })
        .await??;
        if base {
            self.state.metrics.inc(
                "mitxonline_backup_full_copies_total",
                "LTX files holding every page (first start, or a history that could not continue).",
                &[],
            );
        }
        Ok(())
    }

    async fn upload(&self) -> anyhow::Result<()> {
        let shared = self.shared.clone();
        let snapshots = tokio::task::spawn_blocking(move || shared.staged_snapshots()).await??;
        for (_, max, path) in snapshots {
            let header = read_header(&path)?;
            self.shared
                .replica
                .put(replica::SNAPSHOT_LEVEL, &path, &header)
                .await
                .with_context(|| format!("uploading ltx/9/{}", ltx::file_name(1, max)))?;
            tokio::fs::remove_file(&path).await?;
            self.shared.status().last_snapshot = Some((max, chrono::Utc::now()));
        }
        let shared = self.shared.clone();
        let staged = tokio::task::spawn_blocking(move || shared.staged()).await??;
        for (_, max, path) in staged {
            let header = read_header(&path)?;
            self.shared
                .replica
                .put(0, &path, &header)
                .await
                .with_context(|| format!("uploading ltx/0/{}", ltx::file_name(header.min_txid, max)))?;
            tokio::fs::remove_file(&path).await?;
            let mut st = self.shared.status();
            st.replicated_txid = st.replicated_txid.max(max);
            st.last_sync = Some(chrono::Utc::now());
            st.last_error = None;
            let captured: Vec<u64> = st.capture_times.range(..=max).map(|(k, _)| *k).collect();
            for k in captured {
                if let Some(t) = st.capture_times.remove(&k) {
                    let lag = t.elapsed();
                    replicator::record_lag(&mut st.lag_samples, lag);
                    self.state.metrics.observe(
                        "mitxonline_backup_ship_lag_seconds",
                        "Time from a commit to its LTX file being on the replica.",
                        &[],
                        lag,
                    );
                }
            }
        }
        Ok(())
    }

    /// Ships everything committed so far (tests, shutdown).
    pub async fn sync_now(&self) -> anyhow::Result<()> {
        let _cycle = self.shared.cycle.lock().await;
        let outcome = match self.capture().await {
            Ok(()) => self.upload().await,
            Err(e) => Err(e),
        };
        if let Err(e) = &outcome {
            self.record_error(e);
        }
        self.shared.publish(&self.state.metrics);
        outcome
    }

    /// Takes a level-9 snapshot from the replica now.
    pub async fn snapshot_now(&self) -> anyhow::Result<Option<u64>> {
        self.sync_now().await?;
        let _cycle = self.shared.cycle.lock().await;
        let work = self.shared.dir.join("work");
        let txid = service::snapshot(&self.shared.replica, &work).await?;
        if let Some(t) = txid {
            self.shared.status().last_snapshot = Some((t, chrono::Utc::now()));
        }
        Ok(txid)
    }

    pub fn summary(&self) -> Summary {
        self.shared.summary()
    }

    /// Recent commit-to-replica lag samples (benchmarks).
    pub fn lag_samples(&self) -> Vec<Duration> {
        self.shared
            .status
            .lock()
            .expect("lock")
            .lag_samples
            .iter()
            .copied()
            .collect()
    }

    /// Final sync, then stops the background task. The writer's own last checkpoint still calls
    /// the hook, which stages anything committed after this (uploaded on the next start).
    pub async fn shutdown(&self) {
        let _ = self.stop.send(true);
        let task = self.task.lock().expect("lock").take();
        if let Some(t) = task {
            let _ = t.await;
        }
        match tokio::time::timeout(Duration::from_secs(10), self.sync_now()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::warn!(error = %format!("{e:#}"), "final backup sync failed; staged files ship on the next start")
            }
            Err(_) => tracing::warn!("final backup sync timed out; staged files ship on the next start"),
        }
    }
}

fn read_header(path: &std::path::Path) -> anyhow::Result<ltx::Header> {
    use std::io::Read as _;
    let mut head = [0u8; ltx::HEADER_SIZE];
    std::fs::File::open(path)?.read_exact(&mut head)?;
    ltx::Header::decode(&head).map_err(|e| anyhow::anyhow!("staged {}: {e}", path.display()))
}

/// Decides at start whether the local position still continues the replica's history, or a
/// full copy must start a new one.
async fn decide_start(shared: &Arc<Shared>) -> anyhow::Result<Core> {
    let listed = shared.replica.list().await;
    let persisted = shared.load_core();
    let staged = shared.staged()?;
    let mut core = persisted.clone().unwrap_or_default();
    // A full copy decided before the last stop and not finished is still needed.
    let mut base = persisted.as_ref().is_none_or(|c| c.base_needed);
    let mut replica_max = None;
    match &listed {
        Ok(files) => {
            let max = files.iter().map(|f| f.max_txid).max().unwrap_or(0);
            replica_max = Some(max);
            if let Some(snap) = files
                .iter()
                .filter(|f| f.level == replica::SNAPSHOT_LEVEL)
                .max_by_key(|f| f.max_txid)
            {
                let at = chrono::DateTime::from_timestamp_millis(snap.timestamp_ms).unwrap_or_default();
                shared.status().last_snapshot = Some((snap.max_txid, at));
            }
            if max > core.txid {
                base = true;
            } else if max < core.txid {
                let covered = (max + 1..=core.txid).all(|t| staged.iter().any(|s| s.0 <= t && s.1 >= t));
                if !covered {
                    base = true;
                }
            }
            if base {
                core.txid = max;
            }
        }
        Err(e) if persisted.is_none() => {
            anyhow::bail!(
                "cannot list the backup replica, and there is no local backup state to resume from: {e:#}"
            );
        }
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "cannot list the backup replica at start; resuming from local state");
            shared.status().last_error = Some(format!("{e:#}"));
        }
    }
    let hdr = wal::read_header(&shared.wal_path)?;
    tracing::debug!(
        ?persisted,
        ?hdr,
        ?replica_max,
        staged = staged.len(),
        base,
        "backup: start"
    );
    if !base {
        // A generation we cannot chain to by checksum continues the history only if no
        // checkpoint but ours changed the database file.
        let unchanged = core.db_unchanged(&shared.db_path);
        base = match (hdr, core.pos) {
            (Some(h), Some(p)) if (h.salt1, h.salt2) == (p.salt1, p.salt2) => {
                !wal::still_valid(&shared.wal_path, &h, &p)?
            }
            (Some(h), Some(p)) => !(core.expect_reset && unchanged && h.salt1 == p.salt1.wrapping_add(1)),
            (None, _) | (Some(_), None) => {
                if core.expect_reset && unchanged {
                    core.pos = None;
                    false
                } else {
                    true
                }
            }
        };
    }
    if base {
        for (_, _, path) in staged.iter().cloned().chain(shared.staged_snapshots()?) {
            let _ = std::fs::remove_file(path);
        }
        core.base_needed = true;
        core.pos = None;
        core.expect_reset = false;
        // Durable before the copy's checkpoint empties the WAL.
        shared.persist(&core)?;
        tracing::info!(
            next_txid = core.txid + 1,
            "backup: starting with a full copy of the database"
        );
    }
    let mut st = shared.status();
    st.captured_txid = core.txid;
    st.replicated_txid = replica_max.unwrap_or(0);
    for (_, max, _) in shared.staged()? {
        st.capture_times.insert(max, Instant::now());
    }
    Ok(core)
}
