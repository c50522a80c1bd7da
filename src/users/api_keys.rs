//! API keys for service accounts (`Authorization: Api-Key <prefix>.<secret>`, as drf-api-key).
//! Only the SHA-256 of a key is stored; the key itself is shown once, at creation.

use chrono::{DateTime, Utc};
use rand::Rng as _;
use rand::distr::Alphanumeric;
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest as _, Sha256};

use crate::clock::to_db;
use crate::db::DbError;
use crate::db::from_row;
use crate::state::AppState;

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = ApiKeyScope)]
pub enum Scope {
    /// Read the catalog, including `/api/internal/` (MIT Learn's ETL).
    Catalog,
    /// Operate the appliance: run jobs, retry dead letters.
    Staff,
}

impl Scope {
    pub fn parse(s: &str) -> Option<Scope> {
        match s {
            "catalog" => Some(Scope::Catalog),
            "staff" => Some(Scope::Staff),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Catalog => "catalog",
            Scope::Staff => "staff",
        }
    }
}

/// A stored key, without its secret.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ApiKey {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub scope: Scope,
    pub created_on: String,
    pub revoked_on: Option<String>,
}

fn hash(key: &str) -> String {
    Sha256::digest(key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn random(n: usize) -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(n)
        .map(char::from)
        .collect()
}

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ApiKey> {
    from_row!(
        r,
        ApiKey {
            id,
            name,
            prefix,
            scope: (|scope: String| Scope::parse(&scope).unwrap_or(Scope::Catalog)),
            created_on,
            revoked_on
        }
    )
}

/// Creates a key; returns the stored row and the full key (shown once).
pub fn create(
    c: &Connection,
    name: &str,
    scope: Scope,
    now: DateTime<Utc>,
) -> rusqlite::Result<(ApiKey, String)> {
    let prefix = random(8);
    let key = format!("{prefix}.{}", random(32));
    c.execute(
        "INSERT INTO api_keys (name, prefix, key_hash, scope, created_on) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![name, prefix, hash(&key), scope.as_str(), to_db(now)],
    )?;
    let id = c.last_insert_rowid();
    let row = c.query_row(
        "SELECT id, name, prefix, scope, created_on, revoked_on FROM api_keys WHERE id = ?1",
        [id],
        from_row,
    )?;
    Ok((row, key))
}

pub fn list(c: &Connection) -> rusqlite::Result<Vec<ApiKey>> {
    let mut stmt =
        c.prepare("SELECT id, name, prefix, scope, created_on, revoked_on FROM api_keys ORDER BY id")?;
    let rows = stmt.query_map([], from_row)?;
    rows.collect()
}

/// Revokes a key; false when there is no such active key.
pub fn revoke(c: &Connection, id: i64, now: DateTime<Utc>) -> rusqlite::Result<bool> {
    let n = c.execute(
        "UPDATE api_keys SET revoked_on = ?2 WHERE id = ?1 AND revoked_on IS NULL",
        params![id, to_db(now)],
    )?;
    Ok(n == 1)
}

/// The active key matching `presented`, if any.
pub fn authenticate(c: &Connection, presented: &str) -> rusqlite::Result<Option<ApiKey>> {
    c.prepare_cached(
        "SELECT id, name, prefix, scope, created_on, revoked_on FROM api_keys
         WHERE key_hash = ?1 AND revoked_on IS NULL",
    )?
    .query_row([hash(presented)], from_row)
    .optional()
}

/// Creates a key and audits who did it (staff page and staff API); returns the row and the
/// key, shown once. Who may create which scope is the caller's check.
pub async fn issue(
    state: &AppState,
    name: String,
    scope: Scope,
    actor: String,
) -> Result<(ApiKey, String), DbError> {
    state
        .write_at(move |c, now| {
            let (row, key) = create(c, &name, scope, now)?;
            let after = serde_json::json!({ "name": row.name, "scope": scope.as_str() });
            let id = row.id.to_string();
            crate::audit::by_staff(c, &actor, "api_key.create", "api_key", &id, Some(&after), now)?;
            Ok((row, key))
        })
        .await
}

/// Every key, revoked ones included.
pub async fn all(state: &AppState) -> Result<Vec<ApiKey>, DbError> {
    state.db.read(|c| Ok(list(c)?)).await
}

/// Revokes a key and audits who did it; false (and nothing written) when no active key has `id`.
pub async fn withdraw(state: &AppState, id: i64, actor: String) -> Result<bool, DbError> {
    state
        .write_at(move |c, now| {
            let ok = revoke(c, id, now)?;
            if ok {
                crate::audit::by_staff(c, &actor, "api_key.revoke", "api_key", &id.to_string(), None, now)?;
            }
            Ok(ok)
        })
        .await
}

/// When a catalog-scope key (MIT Learn's ETL) was last used, with its name; `None` when never.
pub fn last_catalog_pull(c: &Connection) -> rusqlite::Result<Option<(String, String)>> {
    c.query_row(
        "SELECT name, last_used_on FROM api_keys WHERE scope = 'catalog' AND last_used_on IS NOT NULL
         ORDER BY last_used_on DESC LIMIT 1",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()
}

/// Records that the API key `presented` was used (at most once a minute per key, off the
/// request path; an unknown or revoked key changes nothing), so the staff data-flow map can
/// tell when MIT Learn last pulled the catalog, public endpoints included.
pub fn note_presented(state: &AppState, presented: &str) {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    use std::time::{Duration, Instant};
    static SEEN: OnceLock<Mutex<HashMap<String, Instant>>> = OnceLock::new();
    let key_hash = hash(presented);
    {
        let mut seen = SEEN
            .get_or_init(Default::default)
            .lock()
            .expect("api key use lock");
        if seen
            .get(&key_hash)
            .is_some_and(|t| t.elapsed() < Duration::from_secs(60))
        {
            return;
        }
        if seen.len() >= 10_000 {
            // Bounded: made-up keys cannot grow this without limit.
            seen.clear();
        }
        seen.insert(key_hash.clone(), Instant::now());
    }
    let (now, db) = (state.clock.now(), state.db.clone());
    tokio::spawn(async move {
        let r = db
            .write(move |c| {
                c.execute(
                    "UPDATE api_keys SET last_used_on = ?2 WHERE key_hash = ?1 AND revoked_on IS NULL",
                    params![key_hash, to_db(now)],
                )
            })
            .await;
        if let Err(e) = r {
            tracing::warn!(error = %e, "could not record an API key's use");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_stored_hashed_and_revocable() {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(
            "CREATE TABLE api_keys (id INTEGER PRIMARY KEY, name TEXT, prefix TEXT, key_hash TEXT UNIQUE,
             scope TEXT, created_on TEXT, revoked_on TEXT, last_used_on TEXT)",
        )
        .unwrap();
        let now = Utc::now();
        let (row, key) = create(&c, "learn", Scope::Catalog, now).unwrap();
        assert!(key.starts_with(&format!("{}.", row.prefix)));
        let stored: String = c
            .query_row("SELECT key_hash FROM api_keys", [], |r| r.get(0))
            .unwrap();
        assert!(!stored.contains(&key));
        assert_eq!(authenticate(&c, &key).unwrap().unwrap().id, row.id);
        assert!(authenticate(&c, "wrong.key").unwrap().is_none());
        assert!(revoke(&c, row.id, now).unwrap());
        assert!(authenticate(&c, &key).unwrap().is_none());
        assert!(!revoke(&c, row.id, now).unwrap());
    }
}
