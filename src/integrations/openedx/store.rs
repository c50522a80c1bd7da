//! Plain SQL over `openedx_users` and `openedx_api_auth`.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::model::PLATFORM_EDX;
use crate::clock::{from_db, to_db};
use crate::db::from_row;

/// Our record of one learner's edX account.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct OpenEdxUser {
    pub id: i64,
    pub user_id: i64,
    pub platform: String,
    pub edx_username: Option<String>,
    pub desired_edx_username: Option<String>,
    pub has_been_synced: bool,
    pub has_sync_error: bool,
    pub sync_error_data: Option<serde_json::Value>,
}

const COLUMNS: &str = "id, user_id, platform, edx_username, desired_edx_username, has_been_synced, has_sync_error, sync_error_data";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OpenEdxUser> {
    from_row!(
        r,
        OpenEdxUser {
            id,
            user_id,
            platform,
            edx_username,
            desired_edx_username,
            has_been_synced,
            has_sync_error,
            sync_error_data: (|d: Option<String>| d.and_then(|d| serde_json::from_str(&d).ok()))
        }
    )
}

pub fn find_by_user(c: &Connection, user_id: i64) -> rusqlite::Result<Option<OpenEdxUser>> {
    c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM openedx_users WHERE user_id = ?1 AND platform = ?2"
    ))?
    .query_row(params![user_id, PLATFORM_EDX], from_row)
    .optional()
}

pub fn find_by_edx_username(c: &Connection, edx_username: &str) -> rusqlite::Result<Option<OpenEdxUser>> {
    c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM openedx_users WHERE edx_username = ?1"
    ))?
    .query_row([edx_username], from_row)
    .optional()
}

/// The row for a user, created empty when missing.
pub fn get_or_create(c: &Connection, user_id: i64, now: DateTime<Utc>) -> rusqlite::Result<OpenEdxUser> {
    c.execute(
        "INSERT INTO openedx_users (user_id, platform, created_on, updated_on) VALUES (?1, ?2, ?3, ?3)
         ON CONFLICT (user_id, platform) DO NOTHING",
        params![user_id, PLATFORM_EDX, to_db(now)],
    )?;
    find_by_user(c, user_id)?.ok_or(rusqlite::Error::QueryReturnedNoRows)
}

/// True when another account already holds this edX username.
pub fn username_taken_by_other(c: &Connection, edx_username: &str, user_id: i64) -> rusqlite::Result<bool> {
    c.prepare_cached("SELECT 1 FROM openedx_users WHERE edx_username = ?1 AND user_id <> ?2")?
        .query_row(params![edx_username, user_id], |_| Ok(()))
        .optional()
        .map(|o| o.is_some())
}

/// Sets the username to try next (and the desired one when given).
pub fn set_username(
    c: &Connection,
    user_id: i64,
    edx_username: &str,
    desired: Option<&str>,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    c.execute(
        "UPDATE openedx_users SET edx_username = ?2, desired_edx_username = coalesce(?3, desired_edx_username),
             updated_on = ?4 WHERE user_id = ?1 AND platform = 'edx'",
        params![user_id, edx_username, desired, to_db(now)],
    )?;
    Ok(())
}

pub fn mark_synced(c: &Connection, user_id: i64, now: DateTime<Utc>) -> rusqlite::Result<()> {
    c.execute(
        "UPDATE openedx_users SET has_been_synced = 1, has_sync_error = 0, sync_error_data = NULL, updated_on = ?2
         WHERE user_id = ?1 AND platform = 'edx'",
        params![user_id, to_db(now)],
    )?;
    Ok(())
}

pub fn set_sync_error(
    c: &Connection,
    user_id: i64,
    data: &serde_json::Value,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    c.execute(
        "UPDATE openedx_users SET has_sync_error = 1, sync_error_data = ?2, updated_on = ?3
         WHERE user_id = ?1 AND platform = 'edx'",
        params![user_id, data.to_string(), to_db(now)],
    )?;
    Ok(())
}

/// Tokens edX issued to us for one learner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiAuth {
    pub user_id: i64,
    pub refresh_token: Option<String>,
    pub access_token: Option<String>,
    pub access_token_expires_on: Option<DateTime<Utc>>,
}

pub fn find_auth(c: &Connection, user_id: i64) -> rusqlite::Result<Option<ApiAuth>> {
    c.prepare_cached(
        "SELECT user_id, refresh_token, access_token, access_token_expires_on FROM openedx_api_auth WHERE user_id = ?1",
    )?
    .query_row([user_id], |r| {
        from_row!(r, ApiAuth { user_id, refresh_token, access_token, access_token_expires_on: (|exp: Option<String>| exp.as_deref().and_then(from_db)) })
    })
    .optional()
}

/// Stores fresh tokens.
pub fn save_tokens(
    c: &Connection,
    user_id: i64,
    access_token: &str,
    refresh_token: &str,
    expires_on: DateTime<Utc>,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    c.execute(
        "INSERT INTO openedx_api_auth (user_id, refresh_token, access_token, access_token_expires_on, updated_on)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (user_id) DO UPDATE SET refresh_token = excluded.refresh_token,
             access_token = excluded.access_token, access_token_expires_on = excluded.access_token_expires_on,
             updated_on = excluded.updated_on",
        params![user_id, refresh_token, access_token, to_db(expires_on), to_db(now)],
    )?;
    Ok(())
}

/// Forgets a dead token pair (after `invalid_grant`).
pub fn clear_tokens(c: &Connection, user_id: i64, now: DateTime<Utc>) -> rusqlite::Result<()> {
    c.execute(
        "UPDATE openedx_api_auth SET refresh_token = NULL, access_token = NULL, access_token_expires_on = NULL,
             updated_on = ?2 WHERE user_id = ?1",
        params![user_id, to_db(now)],
    )?;
    Ok(())
}

/// Active users who logged in, were created more than 5 minutes ago and lack a synced edX
/// account or edX tokens; users with a recorded sync error are left for staff.
/// With `include_missing_tokens` false only unsynced accounts count (tokens cannot be created
/// yet). Returns `(user id, has_been_synced)`.
///
/// A batch job's one statement: it joins the users module's `users` (active, has logged in)
/// rather than asking that module user by user.
pub fn faulty_user_ids(
    c: &Connection,
    now: DateTime<Utc>,
    include_missing_tokens: bool,
    limit: usize,
) -> rusqlite::Result<Vec<(i64, bool)>> {
    let cutoff = to_db(now - chrono::Duration::minutes(5));
    let mut stmt = c.prepare_cached(
        "SELECT u.id, coalesce(o.has_been_synced, 0)
         FROM users u
         LEFT JOIN openedx_users o ON o.user_id = u.id AND o.platform = 'edx'
         LEFT JOIN openedx_api_auth a ON a.user_id = u.id
         WHERE u.is_active = 1 AND u.last_login IS NOT NULL AND u.created_on < ?1
           AND coalesce(o.has_sync_error, 0) = 0
           AND (o.id IS NULL OR o.has_been_synced = 0
                OR (?3 AND (a.user_id IS NULL OR a.refresh_token IS NULL)))
         ORDER BY u.id LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![cutoff, limit as i64, include_missing_tokens], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })?;
    rows.collect()
}

/// edX username → our user id, for a batch of usernames (grade pulls).
pub fn user_ids_by_edx_username(c: &Connection, names: &[String]) -> rusqlite::Result<Vec<(String, i64)>> {
    let mut stmt = c.prepare_cached("SELECT user_id FROM openedx_users WHERE edx_username = ?1")?;
    let mut out = Vec::new();
    for n in names {
        if let Some(id) = stmt.query_row([n], |r| r.get::<_, i64>(0)).optional()? {
            out.push((n.clone(), id));
        }
    }
    Ok(out)
}

/// Records what edX confirmed about an enrollment.
pub fn record_enrollment(
    c: &Connection,
    user_id: i64,
    course_id: &str,
    mode: Option<&str>,
    is_active: bool,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    c.execute(
        "INSERT INTO openedx_enrollment_sync (user_id, course_id, mode, is_active, confirmed_on)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (user_id, course_id) DO UPDATE SET mode = coalesce(excluded.mode, mode),
             is_active = excluded.is_active, confirmed_on = excluded.confirmed_on",
        params![user_id, course_id, mode, is_active, to_db(now)],
    )?;
    Ok(())
}

/// What edX last confirmed: `(mode, is_active)`.
pub fn confirmed_enrollment(
    c: &Connection,
    user_id: i64,
    course_id: &str,
) -> rusqlite::Result<Option<(Option<String>, bool)>> {
    c.prepare_cached(
        "SELECT mode, is_active FROM openedx_enrollment_sync WHERE user_id = ?1 AND course_id = ?2",
    )?
    .query_row(params![user_id, course_id], |r| Ok((r.get(0)?, r.get(1)?)))
    .optional()
}
