//! Outbox rows: enqueue, claim what is due, record outcomes.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::clock::to_db;
use crate::db::from_row;

/// A message to enqueue.
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// Which deliverer handles it (`openedx`, `hubspot`, `mail`, `http_post`, …).
    pub destination: String,
    /// What it asks for, e.g. `enroll`; the deliverer interprets it.
    pub kind: String,
    pub payload: serde_json::Value,
    /// Stable key the receiving side can deduplicate on; the same key is never enqueued twice.
    pub idempotency_key: String,
}

/// A stored message.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = OutboxMessage)]
pub struct Message {
    pub id: i64,
    pub destination: String,
    pub kind: String,
    pub payload: serde_json::Value,
    pub idempotency_key: String,
    pub status: String,
    pub attempts: i64,
    pub permanent_failures: i64,
    pub next_attempt_at: String,
    pub last_error: Option<String>,
    pub created_on: String,
    pub delivered_on: Option<String>,
}

const COLUMNS: &str = "id, destination, kind, payload, idempotency_key, status, attempts, \
    permanent_failures, next_attempt_at, last_error, created_on, delivered_on";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Message> {
    from_row!(
        r,
        Message {
            id,
            destination,
            kind,
            payload: (|payload: String| serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null)),
            idempotency_key,
            status,
            attempts,
            permanent_failures,
            next_attempt_at,
            last_error,
            created_on,
            delivered_on
        }
    )
}

/// Adds a message inside the caller's transaction. Enqueuing an idempotency key that already
/// exists is a no-op returning the existing message's id, so retried requests never duplicate
/// side effects.
pub fn enqueue(conn: &Connection, now: DateTime<Utc>, msg: &NewMessage) -> rusqlite::Result<i64> {
    let now = to_db(now);
    let inserted = conn
        .prepare_cached(
            "INSERT INTO outbox (destination, kind, payload, idempotency_key, next_attempt_at, created_on)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT (idempotency_key) DO NOTHING",
        )?
        .execute(params![
            msg.destination,
            msg.kind,
            msg.payload.to_string(),
            msg.idempotency_key,
            now
        ])?;
    if inserted == 1 {
        return Ok(conn.last_insert_rowid());
    }
    conn.prepare_cached("SELECT id FROM outbox WHERE idempotency_key = ?1")?
        .query_row([&msg.idempotency_key], |r| r.get(0))
}

/// Marks the pending messages of `destination` older than `newer`, of one of `kinds`, whose
/// payload has every top-level field of `same` with the same value, as delivered — superseded
/// by `newer`, which carries the whole state they were sending (e.g. an enrollment's latest
/// wish, matched by learner and run). Without this a retried older message could reach the
/// partner after a newer one and undo it. A superseded message in flight stays superseded:
/// failures only touch pending rows. Returns how many.
pub fn supersede(
    conn: &Connection,
    destination: &str,
    kinds: &[&str],
    same: &serde_json::Value,
    newer: i64,
    now: DateTime<Utc>,
) -> rusqlite::Result<usize> {
    let kinds = serde_json::to_string(kinds).unwrap_or_else(|_| "[]".into());
    conn.prepare_cached(
        "UPDATE outbox SET status = 'delivered', delivered_on = ?5, last_error = 'superseded by #' || ?2
         WHERE destination = ?1 AND status = 'pending' AND id < ?2
           AND kind IN (SELECT value FROM json_each(?3))
           AND NOT EXISTS (SELECT 1 FROM json_each(?4) f
                           WHERE json_extract(outbox.payload, '$.' || f.key) IS NOT f.value)",
    )?
    .execute(params![destination, newer, kinds, same.to_string(), to_db(now)])
}

/// Pending messages due at `now`, oldest first.
pub(super) fn due(conn: &Connection, now: DateTime<Utc>, limit: usize) -> rusqlite::Result<Vec<Message>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM outbox WHERE status = 'pending' AND next_attempt_at <= ?1
         ORDER BY next_attempt_at, id LIMIT ?2"
    ))?;
    let rows = stmt.query_map(params![to_db(now), limit as i64], from_row)?;
    rows.collect()
}

pub(super) fn mark_delivered(conn: &Connection, id: i64, now: DateTime<Utc>) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE outbox SET status = 'delivered', attempts = attempts + 1, delivered_on = ?2, last_error = NULL
         WHERE id = ?1 AND status = 'pending'",
        params![id, to_db(now)],
    )?;
    Ok(())
}

/// Records a failed attempt; the message is retried at `retry_at` or, when `dead`, parked.
pub(super) fn mark_failed(
    conn: &Connection,
    id: i64,
    error: &str,
    permanent: bool,
    retry_at: DateTime<Utc>,
    dead: bool,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE outbox SET attempts = attempts + 1,
             permanent_failures = permanent_failures + ?2,
             last_error = ?3, next_attempt_at = ?4,
             status = CASE WHEN ?5 THEN 'dead' ELSE status END
         WHERE id = ?1 AND status = 'pending'",
        params![id, i64::from(permanent), error, to_db(retry_at), dead],
    )?;
    Ok(())
}

/// Puts a dead letter back in the queue with a fresh attempt budget. Returns false when the
/// message does not exist or is not dead.
pub fn retry_dead(conn: &Connection, id: i64, now: DateTime<Utc>) -> rusqlite::Result<bool> {
    let n = conn.execute(
        "UPDATE outbox SET status = 'pending', attempts = 0, permanent_failures = 0, next_attempt_at = ?2
         WHERE id = ?1 AND status = 'dead'",
        params![id, to_db(now)],
    )?;
    Ok(n == 1)
}

/// Dead letters, newest first.
pub fn list_dead(conn: &Connection, limit: usize) -> rusqlite::Result<Vec<Message>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM outbox WHERE status = 'dead' ORDER BY id DESC LIMIT ?1"
    ))?;
    let rows = stmt.query_map([limit as i64], from_row)?;
    rows.collect()
}

/// The messages to `destination` about one user (payload `user_id`) not delivered yet —
/// pending or dead — oldest first (the staff learner page). Reads only the undelivered rows,
/// through the `outbox_status` index.
pub fn undelivered_for_user(
    conn: &Connection,
    destination: &str,
    user_id: i64,
) -> rusqlite::Result<Vec<Message>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM outbox WHERE status IN ('pending', 'dead') AND destination = ?1
           AND json_extract(payload, '$.user_id') = ?2 ORDER BY id"
    ))?;
    let rows = stmt.query_map(params![destination, user_id], from_row)?;
    rows.collect()
}

/// Backlog and dead-letter counts, overall and per destination.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OutboxCounts {
    pub pending: i64,
    pub dead: i64,
    /// Age in seconds of the oldest pending message (0 when none).
    pub oldest_pending_age_seconds: i64,
    pub by_destination: Vec<(String, i64, i64)>,
}

pub fn counts(conn: &Connection, now: DateTime<Utc>) -> rusqlite::Result<OutboxCounts> {
    let mut stmt = conn.prepare_cached(
        "SELECT destination, sum(status = 'pending'), sum(status = 'dead')
         FROM outbox WHERE status IN ('pending', 'dead') GROUP BY destination ORDER BY destination",
    )?;
    let by_destination: Vec<(String, i64, i64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let oldest: Option<String> = conn
        .query_row(
            "SELECT min(created_on) FROM outbox WHERE status = 'pending'",
            [],
            |r| r.get(0),
        )
        .optional()?
        .flatten();
    let age = oldest
        .and_then(|s| crate::clock::from_db(&s))
        .map(|t| (now - t).num_seconds().max(0))
        .unwrap_or(0);
    Ok(OutboxCounts {
        pending: by_destination.iter().map(|d| d.1).sum(),
        dead: by_destination.iter().map(|d| d.2).sum(),
        oldest_pending_age_seconds: age,
        by_destination,
    })
}

/// Deletes delivered messages older than `before`; returns how many.
pub(crate) fn purge_delivered(conn: &Connection, before: DateTime<Utc>) -> rusqlite::Result<usize> {
    conn.execute(
        "DELETE FROM outbox WHERE status = 'delivered' AND delivered_on < ?1",
        [to_db(before)],
    )
}

/// One destination's delivery figures (optionally only some kinds), for the data-flow map.
/// `attempts_24h`/`failed_attempts_24h` count the attempts of messages created since `since`
/// (every attempt but a delivered message's last one failed): the outbox keeps no attempt log.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FlowFigures {
    pub last_delivered: Option<String>,
    pub pending: i64,
    /// Pending messages that have failed at least once and wait for their retry.
    pub retrying: i64,
    pub dead: i64,
    pub oldest_pending: Option<String>,
    pub attempts_24h: i64,
    pub failed_attempts_24h: i64,
    pub last_error: Option<String>,
}

pub fn flow_figures(
    conn: &Connection,
    destination: &str,
    kinds: &[&str],
    since: DateTime<Utc>,
) -> rusqlite::Result<FlowFigures> {
    let kinds_json = serde_json::to_string(kinds).unwrap_or_else(|_| "[]".into());
    let filter =
        "destination = ?1 AND (json_array_length(?2) = 0 OR kind IN (SELECT value FROM json_each(?2)))";
    let mut f = conn.query_row(
        &format!(
            "SELECT max(delivered_on), coalesce(sum(status = 'pending'), 0),
                    coalesce(sum(status = 'pending' AND attempts > 0), 0), coalesce(sum(status = 'dead'), 0),
                    min(CASE WHEN status = 'pending' THEN created_on END),
                    coalesce(sum(CASE WHEN created_on >= ?3 THEN attempts END), 0),
                    coalesce(sum(CASE WHEN created_on >= ?3 THEN attempts - (status = 'delivered') END), 0)
             FROM outbox WHERE {filter}"
        ),
        params![destination, kinds_json, to_db(since)],
        |r| {
            from_row!(
                r,
                FlowFigures {
                    last_delivered,
                    pending,
                    retrying,
                    dead,
                    oldest_pending,
                    attempts_24h,
                    failed_attempts_24h;
                    last_error: None
                }
            )
        },
    )?;
    f.last_error = conn
        .query_row(
            &format!(
                "SELECT last_error FROM outbox WHERE {filter} AND status IN ('pending', 'dead')
                 AND last_error IS NOT NULL ORDER BY id DESC LIMIT 1"
            ),
            params![destination, kinds_json],
            |r| r.get(0),
        )
        .optional()?;
    Ok(f)
}
