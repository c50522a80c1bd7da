//! Creating a learner's edX account: the first username, collisions answered with edX's
//! suggestions or generated names, the LTI duplicate-email fix, and adopting an account edX
//! already holds under the learner's email (a registration whose answer was lost). The same
//! rule as the rest of [`super::service`]: read, call edX, then write what edX answered.

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::client::EdxError;
use super::model::{EdxProfile, RegistrationForm};
use super::service::{CreateUserOutcome, MAX_REGISTRATION_ATTEMPTS, OpenEdx};
use super::{store, username};
use crate::users::store as users;

impl OpenEdx {
    /// Creates (or confirms) the learner's edX account. `desired` is a requested username;
    /// `profile` the demographic fields edX keeps.
    pub async fn create_edx_user(
        &self,
        user_id: i64,
        desired: Option<String>,
        profile: &EdxProfile,
    ) -> Result<CreateUserOutcome, EdxError> {
        let now = self.clock.now();
        let issuer = self.login_token.clone();
        let prepared = self
            .db
            .write(move |c| -> Result<_, EdxError> {
                let Some(user) = users::find_by_id(c, user_id)? else {
                    return Ok(None);
                };
                let row = store::get_or_create(c, user_id, now)?;
                if row.edx_username.is_none() {
                    reconcile_username(c, &user, desired.as_deref(), now)?;
                }
                let row = store::find_by_user(c, user_id)?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
                let token = issuer(c, user_id, now)?;
                Ok(Some((user, row, token)))
            })
            .await?;
        let Some((user, row, access_token)) = prepared else {
            return Err(EdxError::Decode(format!("user {user_id} does not exist")));
        };
        if row.has_been_synced {
            return Ok(CreateUserOutcome::Synced(row.edx_username.unwrap_or_default()));
        }
        let Some(mut current) = row.edx_username.clone() else {
            return Ok(CreateUserOutcome::NoUsername);
        };
        let base = row
            .desired_edx_username
            .clone()
            .unwrap_or_else(|| username::base_from_username(&user.username));
        let mut suggestions: Option<Vec<String>> = None;
        let mut tried_email_fix = false;
        let mut last = None;
        let mut attempt = 0;
        while attempt < MAX_REGISTRATION_ATTEMPTS {
            attempt += 1;
            // edX calls back /api/users/me during registration: the name must be saved first.
            let name = current.clone();
            let now = self.clock.now();
            let saved = self
                .db
                .write(move |c| -> Result<bool, EdxError> {
                    if store::username_taken_by_other(c, &name, user_id)? {
                        return Ok(false);
                    }
                    store::set_username(c, user_id, &name, None, now)?;
                    Ok(true)
                })
                .await?;
            if !saved {
                match self.next_free_candidate(user_id, &base, &mut Vec::new()).await? {
                    Some(n) => {
                        current = n;
                        continue;
                    }
                    None => return Ok(CreateUserOutcome::NoUsername),
                }
            }
            let form = RegistrationForm {
                username: current.clone(),
                email: user.email.clone(),
                name: user.name.clone(),
                profile: profile.clone(),
                access_token: access_token.clone(),
            };
            let reply = self.client.register(&form).await?;
            if reply.status == 200 {
                let now = self.clock.now();
                self.db
                    .write(move |c| store::mark_synced(c, user_id, now))
                    .await?;
                return Ok(CreateUserOutcome::Synced(current));
            }
            if reply.is_duplicate_email() && !tried_email_fix {
                tried_email_fix = true;
                let fixed = self.client.lti_user_fix(&user.email).await?;
                last = Some(reply);
                if fixed {
                    continue;
                }
                // The account may be ours: registered by an earlier delivery whose answer was
                // lost (a crash or the network between edX's commit and our acknowledgement).
                if let Some(name) = self.client.account_by_email(&user.email).await?
                    && self.adopt(user_id, &name).await?
                {
                    return Ok(CreateUserOutcome::Synced(name));
                }
                break;
            }
            if reply.is_duplicate_username() {
                let offered = suggestions.get_or_insert_with(|| reply.username_suggestions());
                if let Some(n) = self.next_free_candidate(user_id, &base, offered).await? {
                    current = n;
                    last = Some(reply);
                    continue;
                }
                last = Some(reply);
                break;
            }
            last = Some(reply);
            break;
        }
        // Attempts used up without an answer from edX (every name was taken here meanwhile).
        let Some(reply) = last else {
            return Ok(CreateUserOutcome::NoUsername);
        };
        if matches!(reply.status, 400 | 409) {
            let data = reply.body.clone();
            let now = self.clock.now();
            self.db
                .write(move |c| store::set_sync_error(c, user_id, &data, now))
                .await?;
            return Ok(CreateUserOutcome::Rejected(reply.body));
        }
        Err(EdxError::Status {
            status: reply.status,
            retry_after: None,
            body: reply.body.to_string(),
        })
    }

    /// Takes the edX account registered with the learner's email as theirs: stores its username
    /// and marks the learner synced. False (nothing changed) when another learner here already
    /// holds that username.
    async fn adopt(&self, user_id: i64, edx_username: &str) -> Result<bool, EdxError> {
        let name = edx_username.to_owned();
        let now = self.clock.now();
        self.db
            .write(move |c| -> Result<bool, EdxError> {
                if store::username_taken_by_other(c, &name, user_id)? {
                    return Ok(false);
                }
                store::set_username(c, user_id, &name, None, now)?;
                store::mark_synced(c, user_id, now)?;
                Ok(true)
            })
            .await
    }

    /// Next username to try: edX's suggestions not taken here, else a generated `<base>_<n>`.
    async fn next_free_candidate(
        &self,
        user_id: i64,
        base: &str,
        suggestions: &mut Vec<String>,
    ) -> Result<Option<String>, EdxError> {
        let offered = std::mem::take(suggestions);
        let generated = username::suffixed_candidates(base);
        let (picked, rest) = self
            .db
            .read(move |c| -> Result<(Option<String>, Vec<String>), EdxError> {
                let usable = |n: &String| -> Result<bool, EdxError> {
                    Ok(!n.is_empty()
                        && n.chars().count() <= super::model::USERNAME_MAX_LEN
                        && !store::username_taken_by_other(c, n, user_id)?)
                };
                let mut free = Vec::new();
                for n in offered {
                    if usable(&n)? {
                        free.push(n);
                    }
                }
                if !free.is_empty() {
                    let first = free.remove(0);
                    return Ok((Some(first), free));
                }
                for n in generated {
                    if usable(&n)? {
                        return Ok((Some(n), Vec::new()));
                    }
                }
                Ok((None, Vec::new()))
            })
            .await?;
        *suggestions = rest;
        Ok(picked)
    }
}

/// Picks and saves the first edX username for an account (inside a write closure).
fn reconcile_username(
    c: &Connection,
    user: &users::User,
    desired: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), EdxError> {
    let Some(first) = username::initial_username(desired, &user.username, &user.email, &user.name) else {
        tracing::error!(user.id = user.id, "could not derive an edX username");
        return Ok(());
    };
    let chosen = if store::username_taken_by_other(c, &first, user.id)? {
        username::suffixed_candidates(&first)
            .into_iter()
            .find(|n| !store::username_taken_by_other(c, n, user.id).unwrap_or(true))
    } else {
        Some(first)
    };
    match chosen {
        Some(n) => store::set_username(c, user.id, &n, Some(&n), now)?,
        None => tracing::error!(user.id = user.id, "could not find a free edX username"),
    }
    Ok(())
}
