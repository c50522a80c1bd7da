//! Plain SQL over `sheets_requests`: one row per sheet request, keyed by kind and form
//! response id.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

use super::model::{Kind, Recorded, RequestRow, Status};
use crate::clock::to_db;
use crate::db::from_row;

pub fn find(c: &Connection, kind: Kind, form_response_id: i64) -> rusqlite::Result<Option<Recorded>> {
    c.prepare_cached(
        "SELECT id, raw_data, status, message, written_back FROM sheets_requests
         WHERE kind = ?1 AND form_response_id = ?2",
    )?
    .query_row(params![kind.as_str(), form_response_id], |r| {
        from_row!(
            r,
            Recorded {
                id,
                raw: (|raw: String| serde_json::from_str(&raw).unwrap_or(Value::Null)),
                status: (|v: String| Status::parse(&v)),
                message,
                written_back
            }
        )
    })
    .optional()
}

/// Records that the row is being applied now (new or again), with its current form data.
pub fn begin(c: &Connection, row: &RequestRow, now: DateTime<Utc>) -> rusqlite::Result<i64> {
    c.prepare_cached(
        "INSERT INTO sheets_requests (kind, form_response_id, row_number, raw_data, status, message,
                                      written_back, attempts, created_on, updated_on)
         VALUES (?1, ?2, ?3, ?4, 'processing', '', 0, 1, ?5, ?5)
         ON CONFLICT (kind, form_response_id) DO UPDATE SET
             row_number = excluded.row_number, raw_data = excluded.raw_data, status = 'processing',
             message = '', written_back = 0, attempts = attempts + 1, updated_on = excluded.updated_on
         RETURNING id",
    )?
    .query_row(
        params![
            row.kind.as_str(),
            row.form_response_id,
            row.row_number as i64,
            row.raw.to_string(),
            to_db(now)
        ],
        |r| r.get(0),
    )
}

/// The outcome of applying a request.
pub fn finish(
    c: &Connection,
    id: i64,
    status: Status,
    message: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    c.prepare_cached(
        "UPDATE sheets_requests SET status = ?2, message = ?3, updated_on = ?4,
             processed_on = CASE WHEN ?2 = 'processed' THEN ?4 ELSE processed_on END
         WHERE id = ?1",
    )?
    .execute(params![id, status.as_str(), message, to_db(now)])?;
    Ok(())
}

/// The outcome is now in the sheet.
pub fn mark_written_back(c: &Connection, ids: &[i64], now: DateTime<Utc>) -> rusqlite::Result<()> {
    let mut stmt =
        c.prepare_cached("UPDATE sheets_requests SET written_back = 1, updated_on = ?2 WHERE id = ?1")?;
    for id in ids {
        stmt.execute(params![id, to_db(now)])?;
    }
    Ok(())
}

/// `(kind, form response id, row, status, message, written back, attempts, updated)`, newest
/// first (the staff view).
pub type Listed = (String, i64, i64, String, String, bool, i64, String);

pub fn recent(c: &Connection, limit: i64) -> rusqlite::Result<Vec<Listed>> {
    c.prepare_cached(
        "SELECT kind, form_response_id, row_number, status, message, written_back, attempts, updated_on
         FROM sheets_requests ORDER BY updated_on DESC, id DESC LIMIT ?1",
    )?
    .query_map([limit], |r| r.try_into())?
    .collect()
}
