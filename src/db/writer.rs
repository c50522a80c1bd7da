//! The single writer thread: group commit, savepoints per closure, checkpoints.
//!
//! A closure that is alone in its batch runs straight in the transaction (a failure rolls the
//! transaction back) instead of in a savepoint: inside a savepoint SQLite keeps a copy of
//! every page the closure touches in its in-memory sub-journal and walks that journal from
//! its start at the end of every statement, so a large write (the hourly certificate job's
//! chunk) spent most of its time there.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::{DbError, DbMetrics};

/// Most closures committed in one transaction.
const MAX_BATCH: usize = 256;
/// Checkpoint once the WAL file grows past this many bytes.
const CHECKPOINT_WAL_BYTES: u64 = 16 * 1024 * 1024;

/// Called on the writer thread, outside any transaction, right before a checkpoint; the backup
/// replicator ships every WAL frame it has not shipped yet. An error skips this checkpoint (the
/// WAL keeps growing rather than losing unshipped frames).
pub trait CheckpointHook: Send + Sync {
    fn before_checkpoint(&self, conn: &Connection) -> anyhow::Result<()>;
    /// Called after every commit; must be cheap (a notification).
    fn after_commit(&self) {}
    /// Called on the writer thread right after a checkpoint ran (the database file changed).
    fn after_checkpoint(&self) {}
}

/// What happens once the batch's transaction has committed (or failed to).
type Completion = Box<dyn FnOnce(Option<&str>) + Send>;
/// Runs a closure (`true`: alone in its batch, so without a savepoint); returns its completion
/// and whether it succeeded.
type WriteJob = Box<dyn FnOnce(&Connection, bool) -> (Completion, bool) + Send>;

enum Msg {
    Write(WriteJob, Instant),
    Checkpoint(oneshot::Sender<Result<(), DbError>>),
    Shutdown(oneshot::Sender<()>),
}

pub(super) struct Writer {
    tx: mpsc::Sender<Msg>,
    hook: Arc<Mutex<Option<Arc<dyn CheckpointHook>>>>,
    held: Arc<AtomicBool>,
    metrics: Arc<DbMetrics>,
}

pub(crate) fn panic_text(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".to_owned())
}

impl Writer {
    /// `held`: no checkpoint at all until a hook is installed (or the hold released).
    pub(super) fn start(conn: Connection, path: PathBuf, metrics: DbMetrics, held: bool) -> Self {
        let (tx, rx) = mpsc::channel();
        let hook: Arc<Mutex<Option<Arc<dyn CheckpointHook>>>> = Arc::default();
        let held = Arc::new(AtomicBool::new(held));
        let metrics = Arc::new(metrics);
        let state = WriterThread {
            conn,
            wal_path: PathBuf::from(format!("{}-wal", path.display())),
            hook: hook.clone(),
            held: held.clone(),
            metrics: metrics.clone(),
            next_checkpoint_at: std::cell::Cell::new(CHECKPOINT_WAL_BYTES),
        };
        std::thread::Builder::new()
            .name("db-writer".into())
            .spawn(move || state.run(rx))
            .expect("spawn the database writer thread");
        Self {
            tx,
            hook,
            held,
            metrics,
        }
    }

    pub(super) fn set_hook(&self, hook: Arc<dyn CheckpointHook>) {
        *self.hook.lock().expect("hook lock") = Some(hook);
    }

    pub(super) fn release_hold(&self) {
        self.held.store(false, Ordering::SeqCst);
    }

    pub(super) fn queue_depth(&self) -> i64 {
        self.metrics.queue_depth.load(Ordering::Relaxed)
    }

    pub(super) async fn run<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<rusqlite::Error> + Send + 'static,
    {
        let (done, result) = oneshot::channel::<Result<T, E>>();
        let job: WriteJob = Box::new(move |conn: &Connection, alone: bool| -> (Completion, bool) {
            let outcome = if alone {
                guarded(conn, f)
            } else {
                in_savepoint(conn, f)
            };
            let ok = outcome.is_ok();
            let completion: Completion = Box::new(move |commit_error: Option<&str>| {
                let out = match commit_error {
                    None => outcome,
                    Some(e) => Err(E::from(DbError::Commit(e.to_owned()).into_sqlite())),
                };
                let _ = done.send(out);
            });
            (completion, ok)
        });
        self.metrics.queue_depth.fetch_add(1, Ordering::Relaxed);
        if self.tx.send(Msg::Write(job, Instant::now())).is_err() {
            self.metrics.queue_depth.fetch_sub(1, Ordering::Relaxed);
            return Err(E::from(DbError::Closed.into_sqlite()));
        }
        result
            .await
            .unwrap_or_else(|_| Err(E::from(DbError::Closed.into_sqlite())))
    }

    pub(super) async fn checkpoint(&self) -> Result<(), DbError> {
        let (done, result) = oneshot::channel();
        self.tx.send(Msg::Checkpoint(done)).map_err(|_| DbError::Closed)?;
        result.await.map_err(|_| DbError::Closed)?
    }

    pub(super) async fn shutdown(&self) {
        let (done, result) = oneshot::channel();
        if self.tx.send(Msg::Shutdown(done)).is_ok() {
            let _ = result.await;
        }
    }
}

/// Runs `f` in a savepoint, rolling it back when `f` fails or panics.
fn in_savepoint<T, E, F>(conn: &Connection, f: F) -> Result<T, E>
where
    F: FnOnce(&Connection) -> Result<T, E>,
    E: From<rusqlite::Error>,
{
    if let Err(e) = run_cached(conn, "SAVEPOINT w") {
        return Err(E::from(e));
    }
    let outcome = guarded(conn, f);
    let end = if outcome.is_ok() {
        run_cached(conn, "RELEASE w")
    } else {
        conn.execute_batch("ROLLBACK TO w; RELEASE w")
    };
    match end {
        Ok(()) => outcome,
        Err(e) => Err(E::from(e)),
    }
}

/// Runs `f`, turning a panic into an error.
fn guarded<T, E, F>(conn: &Connection, f: F) -> Result<T, E>
where
    F: FnOnce(&Connection) -> Result<T, E>,
    E: From<rusqlite::Error>,
{
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(conn)))
        .unwrap_or_else(|p| Err(E::from(DbError::Panicked(panic_text(&p)).into_sqlite())))
}

/// Runs one statement through the connection's statement cache (no re-parse per closure).
fn run_cached(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([])?;
    Ok(())
}

struct WriterThread {
    conn: Connection,
    wal_path: PathBuf,
    hook: Arc<Mutex<Option<Arc<dyn CheckpointHook>>>>,
    /// Checkpoints wait for the hook: a frame checkpointed before the backup replicator saw it
    /// would be missing from the replica (and from the database it restores).
    held: Arc<AtomicBool>,
    metrics: Arc<DbMetrics>,
    /// WAL file size that triggers the next checkpoint. A checkpoint that could not empty the
    /// WAL (busy readers, a postponing hook) moves it up, so it is not retried after every batch.
    next_checkpoint_at: std::cell::Cell<u64>,
}

/// Runs a hook call on the writer thread, a panic in it logged and contained (`None`): the
/// writer thread is every write's only way in, so nothing the backup does may end it.
fn hook_call<T>(what: &str, f: impl FnOnce() -> T) -> Option<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .map_err(|p| tracing::error!(hook = what, panic = %panic_text(&p), "checkpoint hook panicked"))
        .ok()
}

impl WriterThread {
    fn hook(&self) -> Option<Arc<dyn CheckpointHook>> {
        self.hook
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn run(self, rx: mpsc::Receiver<Msg>) {
        let mut pending: Option<Msg> = None;
        loop {
            let msg = match pending.take() {
                Some(m) => m,
                None => match rx.recv() {
                    Ok(m) => m,
                    Err(_) => {
                        let _ = self.checkpoint(true);
                        return;
                    }
                },
            };
            match msg {
                Msg::Write(job, queued) => {
                    let mut batch = vec![(job, queued)];
                    while batch.len() < MAX_BATCH {
                        match rx.try_recv() {
                            Ok(Msg::Write(j, q)) => batch.push((j, q)),
                            Ok(other) => {
                                pending = Some(other);
                                break;
                            }
                            Err(_) => break,
                        }
                    }
                    self.commit_batch(batch);
                    self.maybe_checkpoint();
                }
                Msg::Checkpoint(done) => {
                    let _ = done.send(self.checkpoint(false));
                }
                Msg::Shutdown(done) => {
                    // Everything sent before the shutdown is already processed (FIFO).
                    let _ = self.checkpoint(true);
                    let _ = done.send(());
                    return;
                }
            }
        }
    }

    fn commit_batch(&self, batch: Vec<(WriteJob, Instant)>) {
        let started = Instant::now();
        let n = i64::try_from(batch.len()).unwrap_or(i64::MAX);
        self.metrics.queue_depth.fetch_sub(n, Ordering::Relaxed);
        if let Err(e) = run_cached(&self.conn, "BEGIN IMMEDIATE") {
            // Never run a closure outside a transaction: dropping the jobs answers each caller
            // with `DbError::Closed`, and nothing was written.
            tracing::error!(error = %e, "cannot begin a write transaction");
            return;
        }
        let alone = batch.len() == 1;
        let mut completions = Vec::with_capacity(batch.len());
        let mut all_ok = true;
        for (job, queued) in batch {
            self.metrics
                .wait
                .observe(started.saturating_duration_since(queued));
            let (completion, ok) = job(&self.conn, alone);
            all_ok &= ok;
            completions.push(completion);
        }
        if alone && !all_ok {
            // The lone closure failed outside a savepoint: undo it with the transaction. Its
            // completion answers with its own error.
            let _ = self.conn.execute_batch("ROLLBACK");
            self.metrics.batch.observe(started.elapsed());
            for c in completions {
                c(None);
            }
            return;
        }
        let commit = run_cached(&self.conn, "COMMIT");
        let err = commit.as_ref().err().map(ToString::to_string);
        if let Some(e) = &err {
            tracing::error!(error = %e, "write transaction failed to commit");
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        self.metrics.batch.observe(started.elapsed());
        if err.is_none()
            && let Some(h) = self.hook()
        {
            hook_call("after_commit", || h.after_commit());
        }
        for c in completions {
            c(err.as_deref());
        }
    }

    fn maybe_checkpoint(&self) {
        let wal_len = || std::fs::metadata(&self.wal_path).map(|m| m.len()).unwrap_or(0);
        if wal_len() > self.next_checkpoint_at.get() {
            // TRUNCATE empties the file, so its size measures growth since this checkpoint.
            let _ = self.checkpoint(true);
            self.next_checkpoint_at.set(wal_len() + CHECKPOINT_WAL_BYTES);
        }
    }

    /// Lets the hook ship pending frames, then checkpoints; `truncate` also empties the WAL file.
    fn checkpoint(&self, truncate: bool) -> Result<(), DbError> {
        let hook = self.hook();
        if hook.is_none() && self.held.load(Ordering::SeqCst) {
            tracing::debug!("checkpoint postponed: the backup replicator is not running yet");
            return Ok(());
        }
        if let Some(h) = &hook
            && let Err(e) = hook_call("before_checkpoint", || h.before_checkpoint(&self.conn))
                .unwrap_or_else(|| Err(anyhow::anyhow!("the hook panicked")))
        {
            tracing::warn!(error = %e, "checkpoint postponed: backup hook failed");
            return Ok(());
        }
        let started = Instant::now();
        let mode = if truncate { "TRUNCATE" } else { "RESTART" };
        let (busy, _log, _done): (i64, i64, i64) =
            self.conn
                .query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?;
        if busy != 0 {
            // Readers still need old frames; a passive pass copies what it can.
            self.conn
                .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
        }
        if let Some(h) = &hook {
            hook_call("after_checkpoint", || h.after_checkpoint());
        }
        self.metrics.checkpoint.observe(started.elapsed());
        Ok(())
    }
}
