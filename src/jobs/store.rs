//! `job_runs` rows.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::Trigger;
use crate::clock::to_db;
use crate::db::from_row;

/// One run of a job: `trigger` is `schedule`, `staff`, `cli` (or `test`); `status` goes `queued`,
/// `running`, then `succeeded` or `failed` (`detail` says what it did or why it failed).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct JobRun {
    pub id: i64,
    pub job: String,
    pub trigger: String,
    pub status: String,
    pub queued_on: String,
    pub started_on: Option<String>,
    pub finished_on: Option<String>,
    pub detail: String,
}

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<JobRun> {
    from_row!(
        r,
        JobRun {
            id,
            job,
            trigger,
            status,
            queued_on,
            started_on,
            finished_on,
            detail
        }
    )
}

const COLUMNS: &str = "id, job, trigger, status, queued_on, started_on, finished_on, detail";

pub(super) fn insert(
    c: &Connection,
    job: &str,
    trigger: Trigger,
    status: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<i64> {
    c.prepare_cached("INSERT INTO job_runs (job, trigger, status, queued_on) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![job, trigger.as_str(), status, to_db(now)])?;
    Ok(c.last_insert_rowid())
}

pub(super) fn mark_started(c: &Connection, id: i64, now: DateTime<Utc>) -> rusqlite::Result<()> {
    c.execute(
        "UPDATE job_runs SET status = 'running', started_on = ?2 WHERE id = ?1",
        params![id, to_db(now)],
    )?;
    Ok(())
}

pub(super) fn mark_finished(
    c: &Connection,
    id: i64,
    status: &str,
    detail: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    c.execute(
        "UPDATE job_runs SET status = ?2, detail = ?3, finished_on = ?4 WHERE id = ?1",
        params![id, status, detail, to_db(now)],
    )?;
    Ok(())
}

/// Runs left `queued` or `running` by a process that died: they will never finish.
pub fn fail_interrupted(c: &Connection, now: DateTime<Utc>) -> rusqlite::Result<usize> {
    c.execute(
        "UPDATE job_runs SET status = 'failed', finished_on = ?1,
                detail = 'interrupted: the process stopped before the run finished'
         WHERE status IN ('queued', 'running')",
        [to_db(now)],
    )
}

/// The most recent runs, optionally of one job.
pub fn recent(c: &Connection, job: Option<&str>, limit: usize) -> rusqlite::Result<Vec<JobRun>> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM job_runs WHERE (?1 IS NULL OR job = ?1) ORDER BY id DESC LIMIT ?2"
    ))?;
    let rows = stmt.query_map(params![job, limit as i64], from_row)?;
    rows.collect()
}

pub fn get(c: &Connection, id: i64) -> rusqlite::Result<Option<JobRun>> {
    use rusqlite::OptionalExtension as _;
    c.query_row(
        &format!("SELECT {COLUMNS} FROM job_runs WHERE id = ?1"),
        [id],
        from_row,
    )
    .optional()
}

/// Deletes finished runs older than `before`.
pub(super) fn prune(c: &Connection, before: DateTime<Utc>) -> rusqlite::Result<usize> {
    c.execute(
        "DELETE FROM job_runs WHERE status IN ('succeeded', 'failed', 'skipped') AND queued_on < ?1",
        [to_db(before)],
    )
}

/// The latest run of every job that has run.
pub fn last_runs(c: &Connection) -> rusqlite::Result<Vec<JobRun>> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM job_runs WHERE id IN (SELECT max(id) FROM job_runs GROUP BY job)"
    ))?;
    let rows = stmt.query_map([], from_row)?;
    rows.collect()
}

/// Some jobs' run figures since `since`, for the data-flow map.
#[derive(Debug, Clone, Default, Serialize)]
pub struct JobFlowFigures {
    pub last_success: Option<String>,
    /// The newest finished run's status and detail.
    pub last_status: Option<String>,
    pub last_detail: Option<String>,
    pub runs_24h: i64,
    pub failed_24h: i64,
}

pub fn flow_figures(c: &Connection, jobs: &[&str], since: DateTime<Utc>) -> rusqlite::Result<JobFlowFigures> {
    let names = serde_json::to_string(jobs).unwrap_or_else(|_| "[]".into());
    let of = "job IN (SELECT value FROM json_each(?1))";
    let (last_success, runs_24h, failed_24h) = c.query_row(
        &format!(
            "SELECT max(CASE WHEN status = 'succeeded' THEN finished_on END),
                    coalesce(sum(finished_on >= ?2 AND status IN ('succeeded', 'failed')), 0),
                    coalesce(sum(finished_on >= ?2 AND status = 'failed'), 0)
             FROM job_runs WHERE {of}"
        ),
        params![names, to_db(since)],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let last: Option<(String, String)> = c
        .query_row(
            &format!(
                "SELECT status, detail FROM job_runs WHERE {of} AND status IN ('succeeded', 'failed')
                 ORDER BY finished_on DESC, id DESC LIMIT 1"
            ),
            [&names],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (last_status, last_detail) = last.unzip();
    Ok(JobFlowFigures {
        last_success,
        last_status,
        last_detail,
        runs_24h,
        failed_24h,
    })
}
