//! Account use cases: gateway sign-in, local sign-up, email verification, login with
//! throttling, logout, password reset and change, email change. The only place that combines
//! the user stores, sessions, password hashing and mail.

use std::net::IpAddr;

use chrono::Duration;

use super::error::UserError;
use super::model::FieldErrors;
use super::rules;
use super::sessions::{self, Purpose, Source};
use super::store::{self, NewUser, User};
use super::{gateway::Userinfo, password, profiles};
use crate::db::DbError;
use crate::mail::{self, Email};
use crate::state::AppState;
use crate::throttle::{self, Limit};

pub use super::login::{LoginError, log_in};

pub async fn load_user(state: &AppState, id: i64) -> Result<Option<User>, UserError> {
    let u = state.db.read(move |c| store::find_by_id(c, id)).await?;
    Ok(u.filter(|u| u.is_active))
}

async fn hash_password(pw: String) -> Result<String, UserError> {
    tokio::task::spawn_blocking(move || password::hash(&pw))
        .await
        .map_err(|e| UserError::Internal(e.into()))?
        .map_err(UserError::Internal)
}

pub(super) async fn verify_password(pw: String, hash: Option<String>) -> bool {
    // Without a hash, still spend the same effort so timing does not reveal accounts.
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    tokio::task::spawn_blocking(move || {
        let dummy = DUMMY.get_or_init(|| password::hash("not a password").unwrap_or_default());
        let ok = password::verify(&pw, hash.as_deref().unwrap_or(dummy));
        ok && hash.is_some()
    })
    .await
    .unwrap_or(false)
}

fn link(state: &AppState, path: &str, token: &str) -> String {
    state.config.absolute_url(&format!("{path}?token={token}"))
}

/// The gateway vouches for `info`: find or create the user (as the original's backend does),
/// and keep a gateway session. Returns the user, the session id and a new cookie value if one
/// was created; `None` for inactive or unusable accounts.
pub async fn gateway_sign_in(
    state: &AppState,
    info: &Userinfo,
    session_token: Option<&str>,
) -> Result<Option<(User, i64, Option<String>)>, UserError> {
    provider_sign_in(state, info, session_token, Source::Gateway).await
}

/// Signs in a user vouched for by the identity provider (gateway header or OIDC ID token),
/// finding them by `sub` (= `global_id`) or creating them, and keeping a session of `source`.
pub async fn provider_sign_in(
    state: &AppState,
    info: &Userinfo,
    session_token: Option<&str>,
    source: Source,
) -> Result<Option<(User, i64, Option<String>)>, UserError> {
    let now = state.clock.now();
    let sub = info.sub.clone();
    let token = session_token.map(str::to_owned);
    // Fast path: known user, nothing changed, live gateway session for them.
    let (existing, session) = state
        .db
        .read(move |c| {
            let u = store::find_by_global_id(c, &sub)?;
            let s = match token {
                Some(t) => sessions::find(c, &t, now)?,
                None => None,
            };
            Ok::<_, DbError>((u, s))
        })
        .await?;
    if let Some(u) = &existing {
        if !u.is_active || u.is_service_account {
            return Ok(None);
        }
        let unchanged = info.preferred_username.as_deref().is_none_or(|n| n == u.username)
            && info
                .email
                .as_deref()
                .is_none_or(|e| e.eq_ignore_ascii_case(&u.email))
            && (info.name.is_none() || !u.name.is_empty());
        if unchanged
            && let Some(s) = &session
            && s.user_id == u.id
            && s.source == source
        {
            return Ok(Some((u.clone(), s.id, None)));
        }
    }
    let info = info.clone();
    let reuse = session.filter(|s| s.source == source).map(|s| (s.id, s.user_id));
    state
        .db
        .write(move |c| {
            let user = match store::find_by_global_id(c, &info.sub)? {
                Some(u) => u,
                None => {
                    let Some(email) = info.email.clone() else {
                        return Ok(None);
                    };
                    match store::find_by_email(c, &email)? {
                        // An account made before SSO (same email, not linked yet) is adopted,
                        // when the provider vouches for the email and it is a person's.
                        Some(u) if u.global_id.is_none() && info.email_verified && !u.is_service_account => u,
                        Some(u) => {
                            tracing::warn!(
                                user.id = u.id,
                                email_verified = info.email_verified,
                                "refused to adopt an account by email"
                            );
                            return Ok(None);
                        }
                        None if super::retirement::is_blocked(c, &email)? => {
                            tracing::warn!("refused to make an account for a blocked email");
                            return Ok(None);
                        }
                        None => {
                            let username = match info.preferred_username.as_deref() {
                                Some(p) if store::find_by_username(c, p)?.is_none() => p.to_owned(),
                                _ => store::free_username(c, &email)?,
                            };
                            let id = store::insert(
                                c,
                                &NewUser {
                                    email,
                                    username,
                                    ..NewUser::default()
                                },
                                now,
                            )?;
                            crate::integrations::hubspot::contact(c, now, id, "created")?;
                            store::find_by_id(c, id)?
                                .ok_or(DbError::from(rusqlite::Error::QueryReturnedNoRows))?
                        }
                    }
                }
            };
            if !user.is_active || user.is_service_account {
                return Ok(None);
            }
            store::apply_provider_fields(
                c,
                &user,
                &store::ProviderFields {
                    global_id: &info.sub,
                    username: info.preferred_username.as_deref(),
                    email: info.email.as_deref(),
                    name: info.name.as_deref(),
                },
                now,
            )?;
            profiles::ensure_rows(c, user.id)?;
            let (sid, token) = match reuse {
                Some((sid, uid)) if uid == user.id => (sid, None),
                _ => {
                    let t = sessions::create(c, user.id, source, now)?;
                    let sid = c.last_insert_rowid();
                    store::set_last_login(c, user.id, now)?;
                    (sid, Some(t))
                }
            };
            let user =
                store::find_by_id(c, user.id)?.ok_or(DbError::from(rusqlite::Error::QueryReturnedNoRows))?;
            Ok::<_, DbError>(Some((user, sid, token)))
        })
        .await
        .map_err(UserError::from)
}

fn invalid(errors: FieldErrors) -> UserError {
    UserError::Invalid(errors)
}

fn verification_email(to: String, base: &str, token: &str) -> Email {
    Email {
        to,
        subject: "Confirm your MITx Online email address".into(),
        body: format!(
            "Welcome to MITx Online.\n\nConfirm your email address to finish creating your account:\n{base}?token={token}\n\nThe link is valid for 24 hours. If you did not sign up, ignore this email.\n"
        ),
    }
}

/// Mails a new verification link to an unverified account.
pub(super) async fn queue_verification(state: &AppState, user: &User) -> Result<(), UserError> {
    let base = state.config.absolute_url("/verify-email/");
    let (uid, to) = (user.id, user.email.clone());
    state
        .write_queued(move |c, now| {
            let token = sessions::issue_token(c, uid, Purpose::Verify, None, now)?;
            mail::queue(c, now, &verification_email(to, &base, &token))
        })
        .await?;
    Ok(())
}

/// Mail floods: per address mailed, and per client, within an hour.
const MAILS_PER_ADDRESS: i64 = 3;
const MAILS_PER_CLIENT: i64 = 10;

/// The limits of a request that mails `address` for `purpose` (sign-up, reset, email change).
fn mail_limits(purpose: &'static str, address: &str, ip: Option<IpAddr>) -> Vec<Limit> {
    let hour = Duration::hours(1);
    vec![
        Limit::new(purpose, address.trim().to_lowercase(), MAILS_PER_ADDRESS, hour),
        Limit::per_client(purpose, ip, MAILS_PER_CLIENT, hour),
    ]
}

fn signup_attempt_email(to: String, login: &str, reset: &str) -> Email {
    Email {
        to,
        subject: "Someone tried to sign up with your MITx Online address".into(),
        body: format!(
            "Someone tried to create a new MITx Online account with this email address, which already has an account. No new account was created.\n\nIf it was you, sign in here:\n{login}\nForgot your password? Choose a new one here:\n{reset}\n\nIf it was not you, ignore this email; nothing changed.\n"
        ),
    }
}

/// Local sign-up: creates an unverified account and mails the verification link. An address
/// that already has an account gets the same answer (no account probing) and its owner a note
/// instead. Limited per address and per client (429).
pub async fn sign_up(
    state: &AppState,
    email: &str,
    name: &str,
    pw: &str,
    ip: Option<IpAddr>,
) -> Result<(), UserError> {
    let mut errors = FieldErrors::new();
    let email = rules::validate_email(email)
        .map_err(|e| errors.insert("email".into(), vec![e]))
        .ok();
    let name = rules::validate_name(name, 2, 254)
        .map_err(|e| errors.insert("name".into(), vec![e]))
        .ok();
    if let Err(e) = rules::validate_password(pw) {
        errors.insert("password".into(), vec![e]);
    }
    let (Some(email), Some(name)) = (email, name) else {
        return Err(invalid(errors));
    };
    if !errors.is_empty() {
        return Err(invalid(errors));
    }
    throttle::check::<UserError>(state, mail_limits("mail:signup", &email, ip)).await?;
    let hash = hash_password(pw.to_owned()).await?;
    let now = state.clock.now();
    let base = state.config.absolute_url("/verify-email/");
    let (login, reset) = (
        state.config.absolute_url("/login/"),
        state.config.absolute_url("/password-reset/"),
    );
    state
        .db
        .write(move |c| {
            if let Some(known) = store::find_by_email(c, &email)? {
                mail::queue(c, now, &signup_attempt_email(known.email, &login, &reset))?;
                return Ok(());
            }
            if super::retirement::is_blocked(c, &email)? {
                return Err(UserError::field(
                    "email",
                    "This email address cannot be used to make an account.",
                ));
            }
            let username = store::free_username(c, &email)?;
            let id = store::insert_unverified(
                c,
                &NewUser {
                    email: email.clone(),
                    username,
                    name,
                    password_hash: Some(hash),
                    ..NewUser::default()
                },
                now,
            )?;
            profiles::ensure_rows(c, id)?;
            crate::integrations::hubspot::contact(c, now, id, "created")?;
            let token = sessions::issue_token(c, id, Purpose::Verify, None, now)?;
            mail::queue(c, now, &verification_email(email, &base, &token))?;
            Ok::<_, UserError>(())
        })
        .await?;
    state.outbox.wake();
    Ok(())
}

/// Confirms an email address from its link and signs the user in; returns the session cookie.
pub async fn verify_email(state: &AppState, token: &str) -> Result<Option<(User, String)>, UserError> {
    let token = token.to_owned();
    state
        .write_at(move |c, now| {
            let Some((uid, _)) = sessions::consume_token(c, &token, Purpose::Verify, now)? else {
                return Ok(None);
            };
            store::mark_verified(c, uid, now)?;
            let Some(user) = store::find_by_id(c, uid)?.filter(|u| u.is_active) else {
                return Ok(None);
            };
            let cookie = sessions::create(c, uid, Source::Local, now)?;
            store::set_last_login(c, uid, now)?;
            Ok::<_, DbError>(Some((user, cookie)))
        })
        .await
        .map_err(UserError::from)
}

pub async fn log_out(state: &AppState, session_id: i64) -> Result<(), UserError> {
    state
        .write_at(move |c, now| sessions::revoke(c, session_id, now))
        .await?;
    Ok(())
}

/// Mails a reset link if the account exists; says nothing either way (no account probing).
/// Service accounts get none (they never sign in as a person). Limited per address and per
/// client (429), whether the account exists or not.
pub async fn request_password_reset(
    state: &AppState,
    email: &str,
    ip: Option<IpAddr>,
) -> Result<(), UserError> {
    let email = email.trim().to_owned();
    if email.is_empty() {
        return Err(UserError::field("email", "Enter your email address."));
    }
    throttle::check::<UserError>(state, mail_limits("mail:reset", &email, ip)).await?;
    let base = state.config.absolute_url("/password-reset/confirm/");
    state.write_at(move |c, now| {
            if let Some(u) = store::find_by_email(c, &email)?.filter(|u| u.is_active && !u.is_service_account) {
                let token = sessions::issue_token(c, u.id, Purpose::Reset, None, now)?;
                mail::queue(c, now, &Email {
                    to: u.email,
                    subject: "Reset your MITx Online password".into(),
                    body: format!("Someone asked to reset the password of your MITx Online account.\n\nChoose a new password here (valid for one hour):\n{base}?token={token}\n\nIf it was not you, ignore this email; your password is unchanged.\n"),
                })?;
            }
            Ok::<_, DbError>(())
        })
        .await?;
    state.outbox.wake();
    Ok(())
}

/// Whether an emailed link is still usable (for showing its form).
pub async fn email_token_valid(state: &AppState, token: &str, purpose: Purpose) -> Result<bool, UserError> {
    let now = state.clock.now();
    let token = token.to_owned();
    Ok(state
        .db
        .read(move |c| sessions::peek_token(c, &token, purpose, now))
        .await?
        .is_some())
}

/// Sets a new password from a reset link; every session of the account ends.
pub async fn reset_password(state: &AppState, token: &str, pw: &str) -> Result<bool, UserError> {
    rules::validate_password(pw).map_err(|e| UserError::field("password", e))?;
    let hash = hash_password(pw.to_owned()).await?;
    let token = token.to_owned();
    state
        .write_at(move |c, now| {
            let Some((uid, _)) = sessions::consume_token(c, &token, Purpose::Reset, now)? else {
                return Ok(false);
            };
            store::set_password_hash(c, uid, &hash, now)?;
            store::mark_verified(c, uid, now)?;
            sessions::revoke_all(c, uid, None, now)?;
            Ok::<_, DbError>(true)
        })
        .await
        .map_err(UserError::from)
}

/// Changes the password after checking the current one; other sessions end.
pub async fn change_password(
    state: &AppState,
    user: &User,
    keep_session: Option<i64>,
    current: &str,
    new: &str,
) -> Result<(), UserError> {
    let uid = user.id;
    let stored = state.db.read(move |c| store::password_hash(c, uid)).await?;
    if !verify_password(current.to_owned(), stored).await {
        return Err(UserError::field(
            "current_password",
            "Your current password is not correct.",
        ));
    }
    rules::validate_password(new).map_err(|e| UserError::field("new_password", e))?;
    let hash = hash_password(new.to_owned()).await?;
    state
        .write_at(move |c, now| {
            store::set_password_hash(c, uid, &hash, now)?;
            sessions::revoke_all(c, uid, keep_session, now)
        })
        .await?;
    Ok(())
}

/// Starts an email change: after the password check, mails a confirmation link to the new
/// address (the change happens when it is followed). Limited per account, per new address and
/// per client (429).
pub async fn request_email_change(
    state: &AppState,
    user: &User,
    new_email: &str,
    pw: &str,
    ip: Option<IpAddr>,
) -> Result<(), UserError> {
    let new_email = rules::validate_email(new_email).map_err(|e| UserError::field("email", e))?;
    let mut limits = mail_limits("mail:change-email", &new_email, ip);
    limits.push(Limit::new(
        "mail:change-email:account",
        user.id.to_string(),
        MAILS_PER_ADDRESS,
        Duration::hours(1),
    ));
    throttle::check::<UserError>(state, limits).await?;
    if new_email.eq_ignore_ascii_case(&user.email) {
        return Err(UserError::field(
            "email",
            "Provided email address is same as your current one",
        ));
    }
    let uid = user.id;
    let stored = state.db.read(move |c| store::password_hash(c, uid)).await?;
    if !verify_password(pw.to_owned(), stored).await {
        return Err(UserError::field("password", "Invalid Password"));
    }
    let base = link(state, "/account/confirm-email", "");
    state.write_at(move |c, now| {
            if store::find_by_email(c, &new_email)?.is_some() {
                return Ok(Err(UserError::field("email", "Invalid email address")));
            }
            let token = sessions::issue_token(c, uid, Purpose::ChangeEmail, Some(&new_email), now)?;
            mail::queue(c, now, &Email {
                to: new_email,
                subject: "Confirm your new MITx Online email address".into(),
                body: format!("Confirm the change of your MITx Online email address to this one:\n{base}{token}\n\nThe link is valid for 24 hours.\n"),
            })?;
            Ok::<_, DbError>(Ok(()))
        })
        .await??;
    state.outbox.wake();
    Ok(())
}

/// Applies a confirmed email change; false if the link is invalid or the address got taken.
pub async fn confirm_email_change(state: &AppState, token: &str) -> Result<bool, UserError> {
    let token = token.to_owned();
    state
        .write_at(move |c, now| {
            let Some((uid, Some(email))) = sessions::consume_token(c, &token, Purpose::ChangeEmail, now)?
            else {
                return Ok(false);
            };
            if store::find_by_email(c, &email)?.is_some() {
                return Ok(false);
            }
            store::set_email(c, uid, &email, now)?;
            store::mark_verified(c, uid, now)?;
            crate::integrations::hubspot::contact(c, now, uid, "email")?;
            Ok::<_, DbError>(true)
        })
        .await
        .map_err(UserError::from)
}
