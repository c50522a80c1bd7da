//! Reading the audit trail back: the newest entries matching a filter, a page at a time.

use rusqlite::{Connection, params};
use serde::Serialize;

/// What to look for; every field is optional.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// A part of the actor's label (email, `api-key:…`, `cli`, a job name), case-insensitive.
    pub actor: Option<String>,
    pub action: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    /// Inclusive bounds on `created_on` (RFC 3339 text, compared as stored).
    pub from: Option<String>,
    pub until: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub id: i64,
    pub actor: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub created_on: String,
}

/// `(total matching, this page)` newest first.
pub fn search(c: &Connection, f: &Filter, limit: i64, offset: i64) -> rusqlite::Result<(i64, Vec<Entry>)> {
    const WHERE: &str =
        "WHERE (?1 IS NULL OR a.actor_label LIKE ?1 ESCAPE '\\' OR u.email LIKE ?1 ESCAPE '\\')
          AND (?2 IS NULL OR a.action = ?2) AND (?3 IS NULL OR a.object_type = ?3)
          AND (?4 IS NULL OR a.object_id = ?4) AND (?5 IS NULL OR a.created_on >= ?5)
          AND (?6 IS NULL OR a.created_on <= ?6)";
    let actor = f.actor.as_deref().map(crate::db::contains_pattern);
    let args = params![actor, f.action, f.object_type, f.object_id, f.from, f.until];
    let total = c.query_row(
        &format!("SELECT count(*) FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id {WHERE}"),
        args,
        |r| r.get(0),
    )?;
    let rows = c
        .prepare(&format!(
            "SELECT a.id, coalesce(nullif(a.actor_label, ''), u.email, ''), a.action, a.object_type, a.object_id,
                    a.data_before, a.data_after, a.created_on
             FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id {WHERE}
             ORDER BY a.id DESC LIMIT ?7 OFFSET ?8"
        ))?
        .query_map(
            params![actor, f.action, f.object_type, f.object_id, f.from, f.until, limit, offset],
            |r| {
                Ok(Entry {
                    id: r.get(0)?,
                    actor: r.get(1)?,
                    action: r.get(2)?,
                    object_type: r.get(3)?,
                    object_id: r.get(4)?,
                    before: r.get(5)?,
                    after: r.get(6)?,
                    created_on: r.get(7)?,
                })
            },
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok((total, rows))
}
