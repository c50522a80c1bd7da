//! The staff faces of the users module: the user directory (search, one user with the legal
//! address), role changes and service-account tokens. Every change is audited in the same
//! transaction; who may call each is the handler's check.

use serde_json::json;

use super::error::UserError;
use super::model::LegalAddress;
use super::profiles;
use super::sessions::{self, AccessTokenRow};
use super::store::{self, Roles, User};
use crate::state::AppState;

/// Users matching `term` (name, username or email), one page, and the total count.
pub async fn search(
    state: &AppState,
    term: String,
    limit: i64,
    offset: i64,
) -> Result<(Vec<User>, i64), UserError> {
    state
        .db
        .read(move |c| Ok(store::search(c, term.trim(), limit, offset)?))
        .await
}

/// [`search`] with each user's legal address (the original's user search API).
pub async fn search_with_addresses(
    state: &AppState,
    term: String,
    limit: i64,
    offset: i64,
) -> Result<(Vec<(User, Option<LegalAddress>)>, i64), UserError> {
    state
        .db
        .read(move |c| -> Result<_, UserError> {
            let (users, count) = store::search(c, term.trim(), limit, offset)?;
            let mut rows = Vec::with_capacity(users.len());
            for u in users {
                let a = profiles::address(c, u.id)?;
                rows.push((u, a));
            }
            Ok((rows, count))
        })
        .await
}

/// One user with their legal address.
pub async fn with_address(state: &AppState, id: i64) -> Result<(User, Option<LegalAddress>), UserError> {
    state
        .db
        .read(move |c| -> Result<_, UserError> {
            let u = store::find_by_id(c, id)?.ok_or(UserError::NotFound)?;
            Ok((u, profiles::address(c, id)?))
        })
        .await
}

/// What a superuser sets on an account.
pub struct RoleChange {
    pub roles: Roles,
    pub service_account: bool,
}

fn with_service(mut roles: serde_json::Value, on: bool) -> serde_json::Value {
    roles["is_service_account"] = json!(on);
    roles
}

/// Sets an account's roles and service-account flag. Losing a role (or the account being
/// deactivated) signs it out everywhere; leaving service accounts revokes its tokens.
pub async fn set_roles(
    state: &AppState,
    actor: String,
    actor_id: i64,
    id: i64,
    change: RoleChange,
) -> Result<(), UserError> {
    let RoleChange {
        roles: new,
        service_account,
    } = change;
    if actor_id == id {
        return Err(UserError::field("roles", "You cannot change your own roles."));
    }
    if service_account && new.is_superuser {
        return Err(UserError::field(
            "is_service_account",
            "A superuser cannot be a service account.",
        ));
    }
    state
        .write_at(move |c, now| {
            let before = store::roles(c, id)?.ok_or(UserError::NotFound)?;
            let was_service = store::find_by_id(c, id)?.is_some_and(|u| u.is_service_account);
            if service_account
                && !was_service
                && let Some(why) = store::service_account_obstacle(c, id)?
            {
                return Err(UserError::field("is_service_account", why));
            }
            store::set_all_roles(c, id, new, now)?;
            store::set_service_account(c, id, service_account, now)?;
            let lost = (before.is_staff && !new.is_staff)
                || (before.is_superuser && !new.is_superuser)
                || !new.is_active
                || (was_service && !service_account);
            if lost {
                sessions::revoke_all(c, id, None, now)?;
            }
            let (b, a) = (
                with_service(json!(before), was_service),
                with_service(json!(new), service_account),
            );
            crate::audit::record(
                c,
                Some(actor_id),
                &actor,
                "user.roles",
                "user",
                &id.to_string(),
                Some(&b),
                Some(&a),
                now,
            )?;
            if was_service && !service_account {
                sessions::revoke_service_tokens(c, id, now)?;
            }
            Ok(())
        })
        .await
}

/// Every staff-minted token.
pub async fn tokens(state: &AppState) -> Result<Vec<AccessTokenRow>, UserError> {
    state.db.read(|c| Ok(sessions::list_access_tokens(c)?)).await
}

/// Mints a bearer token for the active service account with `email`, valid `days`; the token,
/// shown once. `email` names the refusal when the account is not an active service account.
pub async fn issue_token(
    state: &AppState,
    actor: String,
    email: String,
    name: String,
    days: i64,
) -> Result<String, UserError> {
    state.write_at(move |c, now| {
            let u = store::find_by_email(c, &email)?
                .filter(|u| u.is_active)
                .ok_or_else(|| UserError::field("email", "No active account has this email."))?;
            if !u.is_service_account || u.is_superuser {
                return Err(UserError::field(
                    "email",
                    "This is not a service account. Tokens are issued only for service accounts (a superuser marks one at /staff/users/).",
                ));
            }
            let token = sessions::issue_access_token(c, u.id, &name, chrono::Duration::days(days), now)?;
            let after = json!({"user": u.email, "name": name, "days": days});
            let row = c.last_insert_rowid().to_string();
            crate::audit::by_staff(c, &actor, "access_token.create", "access_token", &row, Some(&after), now)?;
            Ok(token)
        })
        .await
}

/// Revokes a staff-minted token; false when no active token has `id`.
pub async fn revoke_token(state: &AppState, actor: String, id: i64) -> Result<bool, UserError> {
    state
        .write_at(move |c, now| {
            let ok = sessions::revoke_access_token(c, id, now)?;
            if ok {
                crate::audit::by_staff(
                    c,
                    &actor,
                    "access_token.revoke",
                    "access_token",
                    &id.to_string(),
                    None,
                    now,
                )?;
            }
            Ok(ok)
        })
        .await
}

/// The learner's live sessions (the staff learner page).
pub async fn live_sessions(state: &AppState, user: i64) -> Result<Vec<sessions::SessionRow>, UserError> {
    let now = state.clock.now();
    Ok(state
        .db
        .read(move |c| sessions::live_for_user(c, user, now))
        .await?)
}

/// Signs the learner out: one session (`Some(id)`) or all of them. Audited on the account;
/// returns how many sessions ended. An id that is not one of theirs is `NotFound`.
pub async fn revoke_sessions(
    state: &AppState,
    actor: (Option<i64>, String),
    user: i64,
    which: Option<i64>,
) -> Result<usize, UserError> {
    state
        .write_at(move |c, now| {
            store::find_by_id(c, user)?.ok_or(UserError::NotFound)?;
            let n = match which {
                Some(id) if sessions::revoke_of_user(c, user, id, now)? => 1,
                Some(_) => return Err(UserError::NotFound),
                None => sessions::revoke_all(c, user, None, now)?,
            };
            let after = json!({ "session": which, "revoked": n });
            crate::audit::on_user(c, (actor.0, &actor.1), "user.sessions_revoked", user, &after, now)?;
            Ok(n)
        })
        .await
}
