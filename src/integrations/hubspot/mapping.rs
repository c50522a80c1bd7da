//! The local mapping of the original's `HubspotObject`: which HubSpot id a local object has,
//! by content type (`user`, `order`, `line`, `product`, `cart`, `cart_line`) and local id,
//! unique both ways.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use crate::clock::to_db;

/// The HubSpot id of a local object, if it was synced.
pub fn get(c: &Connection, content_type: &str, object_id: i64) -> rusqlite::Result<Option<String>> {
    c.prepare_cached("SELECT hubspot_id FROM hubspot_objects WHERE content_type = ?1 AND object_id = ?2")?
        .query_row(params![content_type, object_id], |r| r.get(0))
        .optional()
}

/// Records that the local object is HubSpot's `hubspot_id`; a mapping either side had before
/// (a stale id, or the HubSpot object claimed by another local row) is replaced.
pub fn set(
    c: &Connection,
    content_type: &str,
    object_id: i64,
    hubspot_id: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    c.prepare_cached(
        "DELETE FROM hubspot_objects WHERE content_type = ?1 AND (object_id = ?2 OR hubspot_id = ?3)",
    )?
    .execute(params![content_type, object_id, hubspot_id])?;
    c.prepare_cached(
        "INSERT INTO hubspot_objects (content_type, object_id, hubspot_id, synced_on) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![content_type, object_id, hubspot_id, to_db(now)])?;
    Ok(())
}

/// Forgets a mapping HubSpot no longer knows (the object was deleted there).
pub fn forget(c: &Connection, content_type: &str, object_id: i64) -> rusqlite::Result<()> {
    c.prepare_cached("DELETE FROM hubspot_objects WHERE content_type = ?1 AND object_id = ?2")?
        .execute(params![content_type, object_id])?;
    Ok(())
}
