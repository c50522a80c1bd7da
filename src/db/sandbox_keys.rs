//! The sandbox CyberSource's keys (see `integrations::cybersource::sandbox`), kept here, with the
//! database, so that [`crate::state::AppState::open`] can load them without depending on a
//! domain module: 32 random bytes each from a CSPRNG seeded by the operating system, generated the
//! first time a database runs the sandbox and kept in `cybersource_sandbox_keys`, so they
//! survive restarts (forms and results in flight stay valid) and nobody can compute them.

use std::path::Path;

use anyhow::Context as _;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use rand::RngCore as _;
use rusqlite::{Connection, OptionalExtension as _, TransactionBehavior, params};

use crate::clock::to_db;
use crate::config::{SandboxKeys, Secret, Synchronous};

fn random_bytes() -> [u8; 32] {
    let mut b = [0u8; 32];
    // ThreadRng: a CSPRNG seeded from the operating system.
    rand::rng().fill_bytes(&mut b);
    b
}

fn read(c: &Connection) -> rusqlite::Result<Option<SandboxKeys>> {
    c.query_row(
        "SELECT security_key, rest_secret FROM cybersource_sandbox_keys WHERE id = 1",
        [],
        |r| {
            Ok(SandboxKeys {
                security_key: Secret::new(r.get::<_, String>(0)?),
                rest_secret: Secret::new(r.get::<_, String>(1)?),
            })
        },
    )
    .optional()
}

/// The keys in this connection's database, created when absent (one immediate transaction, so
/// two processes starting together agree on one pair).
pub fn load_or_create_in(c: &mut Connection, now: DateTime<Utc>) -> rusqlite::Result<SandboxKeys> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if let Some(k) = read(&tx)? {
        return Ok(k);
    }
    tx.execute(
        "INSERT INTO cybersource_sandbox_keys (id, security_key, rest_secret, created_on) VALUES (1, ?1, ?2, ?3)",
        params![
            random_bytes().iter().map(|b| format!("{b:02x}")).collect::<String>(),
            STANDARD.encode(random_bytes()),
            to_db(now)
        ],
    )?;
    let keys = read(&tx)?.expect("just inserted");
    tx.commit()?;
    Ok(keys)
}

/// Opens the (already migrated) database at `path` on its own short-lived connection — this
/// runs once, while the application state is built, before anything else writes.
pub fn load_or_create(
    path: &Path,
    synchronous: Synchronous,
    now: DateTime<Utc>,
) -> anyhow::Result<SandboxKeys> {
    let mut c = Connection::open(path)
        .with_context(|| format!("cannot open the database {} for the sandbox keys", path.display()))?;
    super::apply_pragmas(&mut c, synchronous)?;
    // Its insert (first start only) must not checkpoint behind the backup replicator's back.
    c.execute_batch("PRAGMA wal_autocheckpoint = 0;")?;
    load_or_create_in(&mut c, now).context("reading or creating the sandbox CyberSource keys")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_random_per_database_and_kept() {
        let schema =
            "CREATE TABLE cybersource_sandbox_keys (id INTEGER PRIMARY KEY, security_key TEXT NOT NULL,
                      rest_secret TEXT NOT NULL, created_on TEXT NOT NULL)";
        let mut a = Connection::open_in_memory().unwrap();
        let mut b = Connection::open_in_memory().unwrap();
        a.execute_batch(schema).unwrap();
        b.execute_batch(schema).unwrap();
        let now = Utc::now();
        let ka = load_or_create_in(&mut a, now).unwrap();
        let kb = load_or_create_in(&mut b, now).unwrap();
        assert_ne!(ka.security_key, kb.security_key);
        assert_ne!(ka.rest_secret, kb.rest_secret);
        assert_eq!(ka.security_key.expose().len(), 64);
        assert_eq!(STANDARD.decode(ka.rest_secret.expose()).unwrap().len(), 32);
        let again = load_or_create_in(&mut a, now).unwrap();
        assert_eq!(again.security_key, ka.security_key, "generated once, then kept");
    }
}
