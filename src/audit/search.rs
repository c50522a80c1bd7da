//! Reading the audit trail back: the newest entries matching a filter, a page at a time.

use crate::db::from_row;
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

fn entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<Entry> {
    from_row!(
        r,
        Entry {
            id,
            actor,
            action,
            object_type,
            object_id,
            before,
            after,
            created_on
        }
    )
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
            entry,
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok((total, rows))
}

/// The newest `limit` entries about one learner: their own actions, changes to the account
/// (`user` rows) and to each object in `objects` (`(object_type, object_id)`: their
/// enrollments, orders). Each part reads an index; the union is ordered newest first.
pub fn about_user(
    c: &Connection,
    user_id: i64,
    objects: &[(&str, String)],
    limit: i64,
) -> rusqlite::Result<Vec<Entry>> {
    let objects = serde_json::to_string(objects).unwrap_or_else(|_| "[]".into());
    c.prepare_cached(
        "WITH hits(id) AS (
             SELECT id FROM audit_log WHERE actor_id = ?1
             UNION SELECT id FROM audit_log WHERE object_type = 'user' AND object_id = CAST(?1 AS TEXT)
             UNION SELECT a.id FROM json_each(?2) j
                   JOIN audit_log a ON a.object_type = j.value ->> 0 AND a.object_id = j.value ->> 1)
         SELECT a.id, coalesce(nullif(a.actor_label, ''), u.email, ''), a.action, a.object_type, a.object_id,
                a.data_before, a.data_after, a.created_on
         FROM hits h JOIN audit_log a ON a.id = h.id LEFT JOIN users u ON u.id = a.actor_id
         ORDER BY a.id DESC LIMIT ?3",
    )?
    .query_map(params![user_id, objects, limit], entry)?
    .collect()
}
