//! The snapshot holder shared by the catalog routes: it checks `catalog_version` on every
//! request (one statement), reloads the snapshot once after a change, and keeps serialized
//! responses that stay exact for a snapshot version until the next run-predicate boundary.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use rusqlite::Connection;

use super::model::Time;
use super::snapshot::{Catalog, LOAD_STATEMENTS, current_version};
use crate::db::{Db, DbError};

/// The shared, self-validating snapshot holder (one per router).
#[derive(Default)]
pub struct CatalogCache {
    current: RwLock<Option<Arc<Catalog>>>,
    /// One load at a time: requests arriving while the catalog reloads wait for that load
    /// instead of each starting their own.
    loading: tokio::sync::Mutex<()>,
    /// Serialized responses by path and query, exact for one catalog version until the next
    /// predicate boundary.
    responses: std::sync::Mutex<Responses>,
}

#[derive(Default)]
struct Responses {
    map: HashMap<String, CachedBody>,
    bytes: usize,
}

struct CachedBody {
    version: i64,
    valid_until: Option<Time>,
    body: Arc<[u8]>,
}

/// Most bytes kept; the cache is cleared when full (query strings are caller-chosen).
const MAX_CACHED_BYTES: usize = 32 * 1024 * 1024;

impl CatalogCache {
    /// A stored response for `key`, if it was computed from `cat` and is still exact at `now`.
    pub fn cached(&self, key: &str, cat: &Catalog, now: Time) -> Option<Arc<[u8]>> {
        let cache = self.responses.lock().expect("response cache lock");
        let hit = cache.map.get(key)?;
        (hit.version == cat.version && hit.valid_until.is_none_or(|u| now < u)).then(|| hit.body.clone())
    }

    /// Stores a response computed from `cat` at `now`.
    pub fn store(&self, key: &str, cat: &Catalog, now: Time, body: Arc<[u8]>) {
        let mut cache = self.responses.lock().expect("response cache lock");
        if cache.bytes + body.len() > MAX_CACHED_BYTES {
            cache.map.clear();
            cache.bytes = 0;
        }
        cache.bytes += body.len() + key.len();
        let old = cache.map.insert(
            key.to_owned(),
            CachedBody {
                version: cat.version,
                valid_until: cat.valid_until(now),
                body,
            },
        );
        if let Some(old) = old {
            cache.bytes = cache.bytes.saturating_sub(old.body.len() + key.len());
        }
    }

    fn snapshot(&self) -> Option<Arc<Catalog>> {
        self.current.read().expect("catalog lock").clone()
    }

    /// The current catalog: one version check (a single statement on a reader thread), and a
    /// reload only when the catalog changed since the last load. Also returns how many SQL
    /// statements this call ran (1, or 1 + [`LOAD_STATEMENTS`] for the request that reloads).
    pub async fn get(&self, db: &Db) -> Result<(Arc<Catalog>, u64), DbError> {
        let version = db.read(current_version).await?;
        self.for_version(db, version).await
    }

    /// Like [`CatalogCache::get`], running `f` in the same reader round trip as the version
    /// check (for callers that read something else as well).
    pub async fn get_with<T, F>(&self, db: &Db, f: F) -> Result<(Arc<Catalog>, u64, T), DbError>
    where
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let (version, value) = db
            .read(move |c| Ok::<_, rusqlite::Error>((current_version(c)?, f(c)?)))
            .await?;
        let (cat, statements) = self.for_version(db, version).await?;
        Ok((cat, statements, value))
    }

    async fn for_version(&self, db: &Db, version: i64) -> Result<(Arc<Catalog>, u64), DbError> {
        if let Some(cat) = self.snapshot().filter(|c| c.version == version) {
            return Ok((cat, 1));
        }
        let _one_at_a_time = self.loading.lock().await;
        if let Some(cat) = self.snapshot().filter(|c| c.version >= version) {
            return Ok((cat, 1));
        }
        let cat = db
            .read(|c| {
                // One read transaction, so the version and the data belong together even
                // when a write commits mid-load.
                c.execute_batch("BEGIN DEFERRED")?;
                let loaded = Catalog::load(c);
                c.execute_batch(if loaded.is_ok() { "COMMIT" } else { "ROLLBACK" })?;
                Ok::<_, DbError>(loaded?)
            })
            .await?;
        let cat = Arc::new(cat);
        *self.current.write().expect("catalog lock") = Some(cat.clone());
        Ok((cat, 1 + LOAD_STATEMENTS))
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};

    use super::*;

    #[test]
    fn a_response_holds_until_the_first_predicate_boundary_at_or_after_its_computation() {
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let cat = Catalog {
            boundaries: vec![t - Duration::days(1), t, t + Duration::hours(2)],
            ..Catalog::default()
        };
        // A boundary exactly at "now" may flip right after it: not reusable.
        assert_eq!(cat.valid_until(t), Some(t));
        assert_eq!(
            cat.valid_until(t + Duration::seconds(1)),
            Some(t + Duration::hours(2))
        );
        assert_eq!(cat.valid_until(t + Duration::hours(3)), None);
    }

    #[test]
    fn cached_bodies_are_dropped_by_a_new_version_or_a_passed_boundary() {
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let cache = CatalogCache::default();
        let cat = Catalog {
            version: 3,
            boundaries: vec![t + Duration::hours(1)],
            ..Catalog::default()
        };
        cache.store("/a", &cat, t, Arc::from(&b"x"[..]));
        assert!(cache.cached("/a", &cat, t + Duration::minutes(59)).is_some());
        assert!(cache.cached("/a", &cat, t + Duration::hours(1)).is_none());
        let newer = Catalog {
            version: 4,
            ..Catalog::default()
        };
        assert!(cache.cached("/a", &newer, t).is_none());
        assert!(cache.cached("/b", &cat, t).is_none());
    }
}
