//! Local login and its throttle. Every attempt is first counted as a failure — checked against
//! the limits and recorded in one write — and only a right password takes it back, so parallel
//! guesses cannot pass the limit between a read and a write. The lockout is per (account, client
//! address): five bad tries from an attacker do not lock the owner out from their own address.
//! A slower per-account backstop bounds guessing spread over many addresses, and a per-address
//! limit bounds one address trying many accounts.

use std::net::IpAddr;
use std::time::Duration as StdDuration;

use chrono::Duration;

use super::UserError;
use super::service::{queue_verification, verify_password};
use super::sessions::{self, Source};
use super::store::{self, User};
use crate::db::DbError;
use crate::state::AppState;
use crate::throttle::{self, Limit};

/// Failed logins tolerated per (account, client address) within [`THROTTLE_WINDOW`].
pub const ACCOUNT_CLIENT_FAILURE_LIMIT: i64 = 5;
/// Failed logins tolerated per client address (any accounts) within [`THROTTLE_WINDOW`].
pub const IP_FAILURE_LIMIT: i64 = 20;
pub const THROTTLE_WINDOW: Duration = Duration::minutes(15);
/// The per-account backstop over every address: this many failures within [`BACKSTOP_WINDOW`].
pub const ACCOUNT_FAILURE_BACKSTOP: i64 = 40;
pub const BACKSTOP_WINDOW: Duration = Duration::hours(6);

const ACCOUNT_CLIENT: &str = "login:account-client";
const ACCOUNT: &str = "login:account";
const CLIENT: &str = "login:client";

/// Why a login failed.
#[derive(Debug)]
pub enum LoginError {
    /// A limit is reached; try again after this long.
    Throttled(StdDuration),
    BadCredentials,
    Unverified,
    Other(UserError),
}

crate::db::error_from!(DbError, rusqlite::Error => LoginError::Other);

fn limits(account: &str, ip: Option<IpAddr>) -> Vec<Limit> {
    let client = throttle::client_key(ip);
    vec![
        Limit::new(
            ACCOUNT_CLIENT,
            format!("{account} {client}"),
            ACCOUNT_CLIENT_FAILURE_LIMIT,
            THROTTLE_WINDOW,
        ),
        Limit::new(ACCOUNT, account, ACCOUNT_FAILURE_BACKSTOP, BACKSTOP_WINDOW),
        Limit::new(CLIENT, client, IP_FAILURE_LIMIT, THROTTLE_WINDOW),
    ]
}

/// Local login; returns the session cookie.
pub async fn log_in(
    state: &AppState,
    email: &str,
    pw: &str,
    ip: Option<IpAddr>,
) -> Result<(User, String), LoginError> {
    let now = state.clock.now();
    let account = email.trim().to_lowercase();
    let limits = limits(&account, ip);
    let (ak, lim) = (account.clone(), limits.clone());
    let (verdict, creds) = state
        .db
        .write(move |c| {
            let verdict = throttle::hit(c, &lim, now)?;
            let creds = match verdict {
                Ok(()) => store::credentials(c, &ak)?,
                Err(_) => None,
            };
            Ok::<_, DbError>((verdict, creds))
        })
        .await?;
    if let Err(l) = verdict {
        return Err(LoginError::Throttled(l.retry_after));
    }
    let hash = creds.as_ref().and_then(|(_, h)| h.clone());
    let ok = verify_password(pw.to_owned(), hash).await;
    // Service accounts never sign in as a person (they have no password anyway).
    let user = creds
        .map(|(u, _)| u)
        .filter(|u| ok && u.is_active && !u.is_service_account);
    let Some(user) = user else {
        // The attempt stays counted as a failure.
        return Err(LoginError::BadCredentials);
    };
    // The password was right: this attempt is not a failure, and this client's failures on
    // this account are forgiven (the backstop keeps counting the others).
    let pair = limits[0].key.clone();
    let client = limits[2].key.clone();
    let uid = user.id;
    let verified = user.email_verified;
    let cookie = state
        .db
        .write(move |c| {
            throttle::forget(c, ACCOUNT_CLIENT, &pair)?;
            throttle::uncount(c, ACCOUNT, &account, now)?;
            throttle::uncount(c, CLIENT, &client, now)?;
            if !verified {
                return Ok(None);
            }
            store::set_last_login(c, uid, now)?;
            sessions::create(c, uid, Source::Local, now)
                .map(Some)
                .map_err(DbError::from)
        })
        .await?;
    match cookie {
        Some(cookie) => Ok((user, cookie)),
        None => {
            // Send a fresh confirmation link (the first may be lost).
            queue_verification(state, &user)
                .await
                .map_err(LoginError::Other)?;
            Err(LoginError::Unverified)
        }
    }
}
