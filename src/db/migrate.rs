//! Embedded, append-only refinery migrations from `migrations/`.

use anyhow::Context as _;
use rusqlite::Connection;

mod embedded {
    refinery::embed_migrations!("migrations");
}

/// What the database looked like when it was opened.
#[derive(Debug, Clone)]
pub struct MigrationStatus {
    /// Schema version after start-up.
    pub current: i64,
    /// Newest migration this binary knows.
    pub latest: i64,
    /// Migrations applied by this start.
    pub applied_now: usize,
}

/// The newest migration embedded in this binary.
pub fn latest_embedded_version() -> i64 {
    embedded::migrations::runner()
        .get_migrations()
        .iter()
        .map(|m| i64::from(m.version()))
        .max()
        .unwrap_or(0)
}

fn applied_version(conn: &Connection) -> rusqlite::Result<Option<i64>> {
    let exists: bool = conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM sqlite_master WHERE type='table' AND name='refinery_schema_history')",
        [],
        |r| r.get(0),
    )?;
    if !exists {
        return Ok(None);
    }
    conn.query_row("SELECT MAX(version) FROM refinery_schema_history", [], |r| {
        r.get(0)
    })
}

/// Applies pending migrations; refuses a database migrated by a newer binary.
pub(super) fn run(conn: &mut Connection) -> anyhow::Result<MigrationStatus> {
    let latest = latest_embedded_version();
    let before = applied_version(conn)?.unwrap_or(0);
    anyhow::ensure!(
        before <= latest,
        "the database schema is at version {before}, newer than this binary knows (up to {latest}); \
         run a newer mitxonline or restore a backup made by this version"
    );
    let report = embedded::migrations::runner()
        .set_abort_divergent(true)
        .set_abort_missing(true)
        .run(conn)
        .context("applying database migrations")?;
    let current = applied_version(conn)?.unwrap_or(0);
    Ok(MigrationStatus {
        current,
        latest,
        applied_now: report.applied_migrations().len(),
    })
}
