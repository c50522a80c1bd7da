//! Retiring an account, as the original's `retire_users`: it is deactivated, its email is
//! replaced by `retired_email_<hash>@retired.<our host>` (the hash of the old address, so the
//! address is gone but the same address always gives the same retired one), its password made
//! unusable and its sessions ended; optionally the old address goes on a blocklist (its
//! SHA-256), after which sign-up, gateway and OIDC sign-in refuse to make an account for it.
//! Audited in the same transaction. Open edX's own retirement is not asked for (not built).
//!
//! Owns `email_blocklist`.

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::error::UserError;
use super::{sessions, store};
use crate::clock::to_db;
use crate::state::AppState;

const SALT: &str = "mitx-online-retired-email";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn email_hash(email: &str) -> String {
    hex(&Sha256::digest(email.trim().to_lowercase().as_bytes()))
}

/// The address a retired account gets instead of `email`.
pub fn retired_email(email: &str, host: &str) -> String {
    let digest = Sha256::digest(format!("{SALT}{}", email.trim().to_lowercase()).as_bytes());
    format!("retired_email_{}@retired.{host}", hex(&digest))
}

/// Whether `email` is on the blocklist (checked wherever an account would be made).
pub fn is_blocked(c: &Connection, email: &str) -> rusqlite::Result<bool> {
    Ok(c.query_row(
        "SELECT 1 FROM email_blocklist WHERE hashed_email = ?1",
        [email_hash(email)],
        |_| Ok(()),
    )
    .optional()?
    .is_some())
}

/// What retiring did.
#[derive(Debug, Clone)]
pub struct Retired {
    pub user_id: i64,
    pub old_email: String,
    pub new_email: String,
    /// The old address was put on the blocklist now (false when not asked or already there).
    pub blocked: bool,
}

/// Retires the account with this id or email. A retired (inactive) account, a superuser and
/// the actor's own account are refused, naming why; nothing is changed then.
pub async fn retire(
    state: &AppState,
    actor: String,
    actor_id: Option<i64>,
    who: String,
    block: bool,
) -> Result<Retired, UserError> {
    let now = state.clock.now();
    let host = state
        .config
        .public_url
        .host_str()
        .unwrap_or("localhost")
        .to_owned();
    state
        .db
        .write(move |c| -> Result<Retired, UserError> {
            let user = match who.parse::<i64>() {
                Ok(id) => store::find_by_id(c, id)?,
                Err(_) => store::find_by_email(c, &who)?,
            }
            .ok_or(UserError::NotFound)?;
            if !user.is_active {
                return Err(UserError::field("user", format!("{} is already deactivated.", user.email)));
            }
            if user.is_superuser {
                return Err(UserError::field("user", "A superuser cannot be retired: remove the role first."));
            }
            if actor_id == Some(user.id) {
                return Err(UserError::field("user", "You cannot retire your own account."));
            }
            let new_email = retired_email(&user.email, &host);
            c.execute(
                "UPDATE users SET is_active = 0, email = ?2, password_hash = NULL, updated_on = ?3 WHERE id = ?1",
                params![user.id, new_email, to_db(now)],
            )?;
            sessions::revoke_all(c, user.id, None, now)?;
            let blocked = block
                && c.execute(
                    "INSERT OR IGNORE INTO email_blocklist (hashed_email, created_on) VALUES (?1, ?2)",
                    params![email_hash(&user.email), to_db(now)],
                )? > 0;
            crate::audit::record(
                c,
                actor_id,
                &actor,
                "retire",
                "user",
                &user.id.to_string(),
                Some(&json!({"email": user.email, "is_active": true})),
                Some(&json!({"email": new_email, "is_active": false, "blocked": block})),
                now,
            )?;
            Ok(Retired {
                user_id: user.id,
                old_email: user.email,
                new_email,
                blocked,
            })
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_retired_address_depends_only_on_the_old_one_and_reveals_nothing() {
        let a = retired_email("Jane@Example.com", "mitxonline.mit.edu");
        assert_eq!(a, retired_email(" jane@example.com", "mitxonline.mit.edu"));
        assert!(a.starts_with("retired_email_") && a.ends_with("@retired.mitxonline.mit.edu"));
        assert!(!a.contains("jane"));
        assert_ne!(a, retired_email("john@example.com", "mitxonline.mit.edu"));
        assert_eq!(email_hash("A@B.c"), email_hash("a@b.c"));
    }
}
