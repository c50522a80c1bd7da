//! The one SQLite database: a single writer thread that owns the only write connection, a few
//! reader threads with read-only connections, and the embedded migrations.
//!
//! Async code never touches a connection: it sends a closure with [`Db::read`] or [`Db::write`]
//! and awaits the result. Writes queued at the same moment are committed together in one
//! transaction (each in its own savepoint, so one failing closure does not undo the others), and
//! a write is acknowledged only after its transaction committed. The writer also owns WAL
//! checkpoints, so the backup replicator can ship frames before they are checkpointed away.

mod migrate;
mod readers;
mod row;
pub mod sandbox_keys;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicI64;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags};

use crate::config::Synchronous;
use crate::metrics::{Histogram, Metrics};

pub use migrate::{MigrationStatus, latest_embedded_version};
pub use row::contains_pattern;
pub(crate) use row::from_row;
pub use writer::CheckpointHook;

/// Errors from the database layer itself (as opposed to a closure's own errors).
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
    #[error("the database is shutting down")]
    Closed,
    #[error("a database task panicked: {0}")]
    Panicked(String),
    #[error("commit failed: {0}")]
    Commit(String),
}

/// `impl From<…> for` a module's error, written once: `error_from!(rusqlite::Error, DbError =>
/// PricingError::Db)` wraps either error's `.into()` in the variant; with a conversion,
/// `error_from!(rusqlite::Error => EnrollError::Db(DbError::Sqlite))`, the variant holds
/// `DbError::Sqlite(e)`.
macro_rules! error_from {
    ($($from:ty),+ => $ty:ident :: $variant:ident) => {
        $(impl From<$from> for $ty {
            fn from(e: $from) -> Self {
                $ty::$variant(e.into())
            }
        })+
    };
    ($($from:ty),+ => $ty:ident :: $variant:ident ($conv:path)) => {
        $(impl From<$from> for $ty {
            fn from(e: $from) -> Self {
                $ty::$variant($conv(e))
            }
        })+
    };
}
pub(crate) use error_from;

/// An error's message, for errors that keep storage failures as text.
pub fn error_text(e: impl std::fmt::Display) -> String {
    e.to_string()
}

impl From<rusqlite::Error> for DbError {
    fn from(e: rusqlite::Error) -> Self {
        match e {
            rusqlite::Error::ToSqlConversionFailure(boxed) => match boxed.downcast::<DbError>() {
                Ok(ours) => *ours,
                Err(other) => DbError::Sqlite(rusqlite::Error::ToSqlConversionFailure(other)),
            },
            e => DbError::Sqlite(e),
        }
    }
}

impl DbError {
    /// The failure as a `rusqlite::Error`, so that a closure's own error type only needs
    /// `From<rusqlite::Error>`. The database layer's own failures (closed, a panicking closure,
    /// a failed commit) travel boxed in `ToSqlConversionFailure` (the one variant that carries any error) and come back out unchanged through
    /// `DbError::from`, so nothing about them is lost.
    pub fn into_sqlite(self) -> rusqlite::Error {
        match self {
            DbError::Sqlite(e) => e,
            other => rusqlite::Error::ToSqlConversionFailure(Box::new(other)),
        }
    }

    /// True when the error is a UNIQUE/CHECK/FOREIGN KEY violation.
    pub fn is_constraint(&self) -> bool {
        matches!(
            self,
            DbError::Sqlite(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::ConstraintViolation
        )
    }
}

/// How to open the database.
#[derive(Debug, Clone)]
pub struct DbOptions {
    pub path: PathBuf,
    pub readers: usize,
    pub synchronous: Synchronous,
    /// Backups are configured: this process checkpoints only through the backup replicator's
    /// hook (none before it is installed, none when another process replicates), and closing
    /// the last connection does not checkpoint either.
    pub hold_checkpoints: bool,
}

/// Handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Db {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: writer::Writer,
    readers: readers::Readers,
    migrations: MigrationStatus,
}

/// Metric handles the database updates.
pub(crate) struct DbMetrics {
    pub queue_depth: Arc<AtomicI64>,
    pub wait: Arc<Histogram>,
    pub batch: Arc<Histogram>,
    pub checkpoint: Arc<Histogram>,
}

impl DbMetrics {
    fn new(m: &Metrics) -> Self {
        Self {
            queue_depth: m.gauge(
                "mitxonline_db_writer_queue_depth",
                "Write closures waiting for the writer thread.",
            ),
            wait: m.histogram(
                "mitxonline_db_writer_wait_seconds",
                "Time a write waited in the queue before the writer ran it.",
                &[],
            ),
            batch: m.histogram(
                "mitxonline_db_writer_commit_seconds",
                "Time of one writer transaction (a batch of writes) including commit.",
                &[],
            ),
            checkpoint: m.histogram(
                "mitxonline_db_checkpoint_seconds",
                "Time the writer thread spent in a WAL checkpoint (writes wait meanwhile).",
                &[],
            ),
        }
    }
}

/// Prepared statements kept per connection (the app has a few hundred distinct statements).
const STATEMENT_CACHE: usize = 512;

/// SQL statements begun on every connection of this process (each statement once per run, a
/// trigger's statements too): `mitxonline_db_statements_total`, and the load bench's
/// statements per request.
static STATEMENTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Bounds what SQLite holds in memory across the process (every connection's page cache,
/// prepared statements, temp tables) to about `mb` megabytes: past it the page caches recycle
/// their pages instead of allocating (SQLite's soft heap limit). Without it each connection's
/// cache fills to its own `cache_size` as the database grows, which a long soak showed as RSS
/// climbing for half an hour.
pub fn limit_memory(mb: usize) {
    let bytes = i64::try_from(mb.saturating_mul(1 << 20)).unwrap_or(i64::MAX);
    // SAFETY: sets a process-wide integer; no pointers involved.
    unsafe { rusqlite::ffi::sqlite3_soft_heap_limit64(bytes) };
}

/// How many SQL statements this process has begun (see [`STATEMENTS`]).
pub fn statements_run() -> u64 {
    STATEMENTS.load(std::sync::atomic::Ordering::Relaxed)
}

pub(crate) fn apply_pragmas(conn: &mut Connection, sync: Synchronous) -> rusqlite::Result<()> {
    let sync = match sync {
        Synchronous::Full => "FULL",
        Synchronous::Normal => "NORMAL",
    };
    // Every hot path uses `prepare_cached`; rusqlite's default cache keeps only 16 statements,
    // fewer than one checkout touches, so the LRU would evict and re-prepare on every request.
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    // Query planner stability: plans never depend on bound values. Without it SQLite marks
    // many `col = ?` statements "re-prepare when rebound", and rusqlite clears the bindings of
    // every statement it puts back in the cache, so each reuse was a full re-prepare (measured:
    // ~40% of the writer thread's CPU during checkout).
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    // SQLITE_TRACE_STMT hands over the unexpanded SQL text: counting costs an atomic add.
    conn.trace_v2(
        rusqlite::trace::TraceEventCodes::SQLITE_TRACE_STMT,
        Some(|_: rusqlite::trace::TraceEvent<'_>| {
            STATEMENTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }),
    )?;
    conn.execute_batch(&format!(
        "PRAGMA busy_timeout = 5000;
         PRAGMA foreign_keys = ON;
         PRAGMA synchronous = {sync};
         PRAGMA cache_size = -16000;
         PRAGMA temp_store = MEMORY;"
    ))
}

impl Db {
    /// Opens (creating if needed) and migrates the database, then starts the writer and readers.
    ///
    /// Fails with a clear message when the directory is not writable or the database was
    /// migrated by a newer binary.
    pub fn open(opts: &DbOptions, metrics: &Metrics) -> anyhow::Result<Db> {
        use anyhow::Context as _;
        if let Some(dir) = opts.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create the data directory {}", dir.display()))?;
            check_writable(dir)?;
        }
        let mut conn = Connection::open(&opts.path)
            .with_context(|| format!("cannot open the database {}", opts.path.display()))?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .with_context(|| format!("cannot use the database {}", opts.path.display()))?;
        anyhow::ensure!(
            mode.eq_ignore_ascii_case("wal"),
            "the database refused WAL mode ({mode})"
        );
        apply_pragmas(&mut conn, opts.synchronous)?;
        // The writer thread checkpoints; SQLite must not do it behind the replicator's back.
        conn.execute_batch("PRAGMA wal_autocheckpoint = 0;")?;
        if opts.hold_checkpoints {
            conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)?;
        }
        let migrations = migrate::run(&mut conn)?;

        let db_metrics = DbMetrics::new(metrics);
        let readers = readers::Readers::start(&opts.path, opts.readers.max(1), opts.synchronous)?;
        let writer = writer::Writer::start(conn, opts.path.clone(), db_metrics, opts.hold_checkpoints);
        Ok(Db {
            inner: Arc::new(Inner {
                path: opts.path.clone(),
                writer,
                readers,
                migrations,
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    pub fn migrations(&self) -> &MigrationStatus {
        &self.inner.migrations
    }

    /// Runs `f` on a read-only connection on a reader thread. `f` may fail with any error that
    /// holds a `rusqlite::Error` (a store's own `rusqlite::Result`, [`DbError`], a domain error).
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<rusqlite::Error> + Send + 'static,
    {
        self.inner.readers.run(f).await
    }

    /// Runs `f` inside the writer's transaction; resolves after the commit.
    ///
    /// `f` runs in its own savepoint: when it returns `Err`, its changes are rolled back and the
    /// error is returned, without affecting other writes batched in the same transaction.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<rusqlite::Error> + Send + 'static,
    {
        self.inner.writer.run(f).await
    }

    /// Installs the hook the writer calls before each checkpoint (the backup replicator).
    pub fn set_checkpoint_hook(&self, hook: Arc<dyn CheckpointHook>) {
        self.inner.writer.set_hook(hook);
    }

    /// Lets the writer checkpoint without a hook again (the backup replicator could not start).
    pub fn release_checkpoint_hold(&self) {
        self.inner.writer.release_hold();
    }

    /// Asks the writer to checkpoint now (after the hook ran), returning once done.
    pub async fn checkpoint(&self) -> Result<(), DbError> {
        self.inner.writer.checkpoint().await
    }

    /// Number of writes waiting for the writer.
    pub fn write_queue_depth(&self) -> i64 {
        self.inner.writer.queue_depth()
    }

    /// Finishes queued writes, checkpoints and truncates the WAL, and stops the threads.
    pub async fn shutdown(&self) {
        self.inner.writer.shutdown().await;
        self.inner.readers.shutdown();
    }
}

fn check_writable(dir: &Path) -> anyhow::Result<()> {
    let probe = dir.join(format!(".write-probe-{}", std::process::id()));
    std::fs::write(&probe, b"ok").map_err(|e| {
        anyhow::anyhow!(
            "the data directory {} is not writable ({e}); set MITXONLINE_DATA_DIR to a writable directory",
            dir.display()
        )
    })?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

/// Opens a read-only connection (used by reader threads and by tools).
pub(crate) fn open_read_only(path: &Path, sync: Synchronous) -> rusqlite::Result<Connection> {
    let mut conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
    )?;
    apply_pragmas(&mut conn, sync)?;
    Ok(conn)
}

#[cfg(test)]
mod tests;
