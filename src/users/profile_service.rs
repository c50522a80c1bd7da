//! Profile use cases shared by the JSON APIs and the HTML forms: the user as the original's
//! `UserSerializer` shows it, `PATCH /api/users/me`, onboarding details and extra details.
//! Input is JSON in the original's shapes; every field is validated before anything is written.

use chrono::Datelike as _;
use serde_json::Value;

use super::error::UserError;
use super::model::{self, Errors, FieldErrors, LegalAddress, UserProfile};
use super::store::{self, User};
use super::{profiles, rules};
use crate::db::DbError;
use crate::state::AppState;

/// A user with their address and profile.
#[derive(Debug, Clone)]
pub struct FullUser {
    pub user: User,
    pub address: Option<LegalAddress>,
    pub profile: Option<UserProfile>,
    pub completed_onboarding: bool,
}

pub async fn load(state: &AppState, user_id: i64) -> Result<Option<FullUser>, UserError> {
    Ok(state.db.read(move |c| load_with(c, user_id)).await?)
}

fn load_with(c: &rusqlite::Connection, user_id: i64) -> rusqlite::Result<Option<FullUser>> {
    let Some(user) = store::find_by_id(c, user_id)? else {
        return Ok(None);
    };
    let profile = profiles::profile(c, user_id)?;
    Ok(Some(FullUser {
        address: profiles::address(c, user_id)?,
        completed_onboarding: profile.as_ref().is_some_and(|p| p.1),
        profile: profile.map(|p| p.0),
        user,
    }))
}

fn current_year(state: &AppState) -> i64 {
    i64::from(state.clock.now().year())
}

fn object(body: &Value) -> Result<&serde_json::Map<String, Value>, UserError> {
    body.as_object()
        .ok_or_else(|| UserError::field("non_field_errors", "Invalid data. Expected a dictionary."))
}

fn check(errors: FieldErrors) -> Result<(), UserError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(UserError::Invalid(errors))
    }
}

/// Validated changes to one user, ready to write.
struct Changes {
    name: Option<String>,
    username: Option<String>,
    address: Option<LegalAddress>,
    profile: Option<UserProfile>,
}

async fn apply(state: &AppState, user_id: i64, ch: Changes) -> Result<FullUser, UserError> {
    state
        .write_at(move |c, now| {
            if let Some(u) = &ch.username {
                if store::find_by_username(c, u)?.is_some_and(|o| o.id != user_id) {
                    return Ok(Err(UserError::field(
                        "username",
                        "A user already exists with this username. Please try a different one.",
                    )));
                }
                store::set_username(c, user_id, u, now)?;
            }
            if let Some(n) = &ch.name {
                store::set_name(c, user_id, n, now)?;
            }
            if let Some(a) = &ch.address {
                profiles::save_address(c, user_id, a)?;
            }
            if let Some(p) = &ch.profile {
                profiles::save_profile(c, user_id, p)?;
            }
            c.execute(
                "UPDATE users SET updated_on = ?2 WHERE id = ?1",
                rusqlite::params![user_id, crate::clock::to_db(now)],
            )?;
            crate::integrations::hubspot::contact(c, now, user_id, "updated")?;
            Ok::<_, DbError>(load_with(c, user_id)?.ok_or(UserError::NotFound))
        })
        .await?
}

/// `PATCH /api/users/me`: name, legal address, profile. Email, username, password, roles and
/// `is_active` are not writable here (the original lets a PATCH change them unchecked).
/// The learner's profile with the `user_profile` object applied; problems go to `errors`.
fn edited_profile(state: &AppState, me: &FullUser, v: &Value, errors: &mut FieldErrors) -> UserProfile {
    let mut e = Errors {
        map: errors,
        prefix: "user_profile",
    };
    model::apply_profile(
        &me.profile.clone().unwrap_or_default(),
        v,
        current_year(state),
        &mut e,
    )
}

/// Which profile form a learner saved.
#[derive(Debug, Clone, Copy)]
pub enum Edit {
    /// `PATCH /api/users/me`: name, legal address, profile.
    Me,
    /// `POST /api/profile/details/`: the required onboarding details.
    Details,
    /// `POST /api/profile/extra/`: the optional extras.
    Extra,
}

/// Applies one profile edit to the learner.
pub async fn edit(state: &AppState, me: &FullUser, body: &Value, e: Edit) -> Result<FullUser, UserError> {
    match e {
        Edit::Me => update_me(state, me, body).await,
        Edit::Details => save_details(state, me, body).await,
        Edit::Extra => save_extra(state, me, body).await,
    }
}

pub async fn update_me(state: &AppState, me: &FullUser, body: &Value) -> Result<FullUser, UserError> {
    let obj = object(body)?;
    let mut errors = FieldErrors::new();
    let name = match obj.get("name") {
        None => None,
        Some(Value::String(n)) => rules::validate_name(n, 0, 255)
            .map_err(|e| errors.insert("name".into(), vec![e]))
            .ok(),
        Some(_) => {
            errors.insert("name".into(), vec!["Not a valid string.".into()]);
            None
        }
    };
    let address = match obj.get("legal_address") {
        None | Some(Value::Null) => None,
        Some(v) => Some(model::apply_legal_address(
            &me.address.clone().unwrap_or_default(),
            v,
            &mut Errors {
                map: &mut errors,
                prefix: "legal_address",
            },
        )),
    };
    let profile = match obj.get("user_profile") {
        None | Some(Value::Null) => None,
        Some(v) => Some(edited_profile(state, me, v, &mut errors)),
    };
    check(errors)?;
    apply(
        state,
        me.user.id,
        Changes {
            name,
            username: None,
            address,
            profile,
        },
    )
    .await
}

/// `POST /api/profile/details/` (onboarding): name (2–254), username, legal address and
/// profile, all required.
pub async fn save_details(state: &AppState, me: &FullUser, body: &Value) -> Result<FullUser, UserError> {
    let obj = object(body)?;
    let mut errors = FieldErrors::new();
    let mut required = |field: &str| -> Option<String> {
        match obj.get(field) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                errors.insert(field.into(), vec!["Not a valid string.".into()]);
                None
            }
            None => {
                errors.insert(field.into(), vec!["This field is required.".into()]);
                None
            }
        }
    };
    let name = required("name");
    let username = required("username");
    let name = name.and_then(|n| {
        rules::validate_name(&n, 2, 254)
            .map_err(|e| errors.insert("name".into(), vec![e]))
            .ok()
    });
    let username = username.and_then(|u| {
        rules::validate_username(&u)
            .map_err(|e| errors.insert("username".into(), vec![e]))
            .ok()
    });
    let address = match obj.get("legal_address") {
        None => {
            errors.insert("legal_address".into(), vec!["This field is required.".into()]);
            None
        }
        Some(v) => Some(model::apply_legal_address(
            &me.address.clone().unwrap_or_default(),
            v,
            &mut Errors {
                map: &mut errors,
                prefix: "legal_address",
            },
        )),
    };
    let profile = match obj.get("user_profile") {
        None => {
            errors.insert("user_profile".into(), vec!["This field is required.".into()]);
            None
        }
        Some(v) => Some(edited_profile(state, me, v, &mut errors)),
    };
    check(errors)?;
    apply(
        state,
        me.user.id,
        Changes {
            name,
            username,
            address,
            profile,
        },
    )
    .await
}

/// `POST /api/profile/extra/`: gender, birth year, company and job title are required; the
/// rest optional. (The original drops `birth_year` silently; it is saved here.)
pub async fn save_extra(state: &AppState, me: &FullUser, body: &Value) -> Result<FullUser, UserError> {
    let obj = object(body)?;
    let mut errors = FieldErrors::new();
    for field in ["gender", "birth_year", "company", "job_title"] {
        let blank = match obj.get(field) {
            None | Some(Value::Null) => true,
            Some(Value::String(s)) => s.trim().is_empty(),
            Some(_) => false,
        };
        if blank {
            let msg = if obj.contains_key(field) {
                "This field may not be blank."
            } else {
                "This field is required."
            };
            errors.insert(field.into(), vec![msg.into()]);
        }
    }
    let allowed = [
        "gender",
        "birth_year",
        "company",
        "job_title",
        "industry",
        "job_function",
        "years_experience",
        "company_size",
        "leadership_level",
        "highest_education",
    ];
    let filtered: serde_json::Map<String, Value> = obj
        .iter()
        .filter(|(k, _)| allowed.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let profile = model::apply_profile(
        &me.profile.clone().unwrap_or_default(),
        &Value::Object(filtered),
        current_year(state),
        &mut Errors {
            map: &mut errors,
            prefix: "",
        },
    );
    check(errors)?;
    apply(
        state,
        me.user.id,
        Changes {
            name: None,
            username: None,
            address: None,
            profile: Some(profile),
        },
    )
    .await
}

/// Marks onboarding done (first login) and returns whether it had been done before.
pub async fn complete_onboarding(state: &AppState, user_id: i64) -> Result<bool, UserError> {
    Ok(state
        .db
        .write(move |c| {
            let before = profiles::profile(c, user_id)?.is_some_and(|p| p.1);
            profiles::set_completed_onboarding(c, user_id)?;
            Ok::<_, DbError>(before)
        })
        .await?)
}
