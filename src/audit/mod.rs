//! The audit trail: who changed what, before and after. Written in the same transaction as the
//! change it describes.
//!
//! Owns `audit_log`; every module writes it through [`record`]. It is read back by [`search`]
//! for the staff viewer ([`pages`], `/staff/audit/`), which also shows actors' emails (a join on
//! the users module's `users`).

pub mod pages;
pub mod search;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

use crate::clock::to_db;

/// [`record`] for an action with no "before" state by an actor known by label only (staff,
/// the CLI, a job).
pub fn by_staff(
    c: &Connection,
    actor_label: &str,
    action: &str,
    object_type: &str,
    object_id: &str,
    after: Option<&serde_json::Value>,
    now: DateTime<Utc>,
) -> rusqlite::Result<i64> {
    record(
        c,
        None,
        actor_label,
        action,
        object_type,
        object_id,
        None,
        after,
        now,
    )
}

/// [`record`] of an action on a user account (`object_type` `user`) with no "before" state.
pub fn on_user(
    c: &Connection,
    actor: (Option<i64>, &str),
    action: &str,
    user_id: i64,
    after: &serde_json::Value,
    now: DateTime<Utc>,
) -> rusqlite::Result<i64> {
    let id = user_id.to_string();
    record(c, actor.0, actor.1, action, "user", &id, None, Some(after), now)
}

#[expect(clippy::too_many_arguments, reason = "mirrors the audit_log columns")]
pub fn record(
    c: &Connection,
    actor_id: Option<i64>,
    actor_label: &str,
    action: &str,
    object_type: &str,
    object_id: &str,
    before: Option<&serde_json::Value>,
    after: Option<&serde_json::Value>,
    now: DateTime<Utc>,
) -> rusqlite::Result<i64> {
    c.prepare_cached(
        "INSERT INTO audit_log (actor_id, actor_label, action, object_type, object_id, data_before, data_after, created_on)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        actor_id,
        actor_label,
        action,
        object_type,
        object_id,
        before.map(ToString::to_string),
        after.map(ToString::to_string),
        to_db(now)
    ])?;
    Ok(c.last_insert_rowid())
}
