//! Who is calling. The foundation knows service API keys; the identity module adds users
//! (sessions, the gateway header, OIDC) by putting a [`crate::http::page::Viewer`]-compatible
//! principal in the request and extending [`StaffAccess`].

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use super::error::AppError;
use super::session::{Identity, Via};
use crate::state::AppState;
use crate::users::api_keys::{self, ApiKey, Scope};
use crate::users::store::User;

/// A valid `Authorization: Api-Key …` header, if one was sent.
pub struct ServiceKey(pub Option<ApiKey>);

fn presented_key(parts: &Parts) -> Option<String> {
    presented_key_of(&parts.headers)
}

/// The key of an `Authorization: Api-Key …` header.
pub(super) fn presented_key_of(headers: &axum::http::HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, key) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("Api-Key")
        .then(|| key.trim().to_owned())
}

impl FromRequestParts<AppState> for ServiceKey {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(key) = presented_key(parts) else {
            return Ok(ServiceKey(None));
        };
        let found = state.db.read(move |c| api_keys::authenticate(c, &key)).await?;
        match found {
            Some(k) => Ok(ServiceKey(Some(k))),
            None => Err(AppError::Unauthorized("Invalid or revoked API key.".into())),
        }
    }
}

/// Proof that the caller may operate the appliance (run jobs, retry dead letters): a staff-scope
/// API key, or (with the identity module) a signed-in staff user.
pub struct StaffAccess {
    pub actor: String,
    /// The signed-in staff user, if it is one (API keys have none).
    pub user_id: Option<i64>,
}

fn identity(parts: &Parts) -> Option<&Identity> {
    parts.extensions.get::<Identity>()
}

impl FromRequestParts<AppState> for StaffAccess {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(refusal) = identity(parts).and_then(Identity::app_token_refusal) {
            return Err(refusal);
        }
        if let Some(v) = parts.extensions.get::<super::page::Viewer>() {
            if v.is_staff {
                return Ok(StaffAccess {
                    actor: v.name.clone(),
                    user_id: identity(parts).and_then(|i| i.user.as_ref()).map(|u| u.id),
                });
            }
            return Err(AppError::Forbidden(
                "You do not have permission to perform this action.".into(),
            ));
        }
        match ServiceKey::from_request_parts(parts, state).await? {
            ServiceKey(Some(k)) if k.scope == Scope::Staff => Ok(StaffAccess {
                actor: format!("api-key:{}", k.name),
                user_id: None,
            }),
            ServiceKey(Some(_)) => Err(AppError::Forbidden(
                "This API key does not have the staff scope.".into(),
            )),
            ServiceKey(None) => Err(AppError::Unauthorized(
                "Authentication credentials were not provided.".into(),
            )),
        }
    }
}

/// Proof that a signed-in superuser (a person, by session or gateway) is asking: minting bearer
/// tokens, creating staff-scope API keys, changing roles. API keys, bearer tokens and
/// application tokens never qualify, whatever their scope.
pub struct SuperuserAccess {
    pub actor: String,
    pub user: User,
}

/// The signed-in superuser behind `id`, or a 403: only a person signed in by session or
/// gateway counts (see [`SuperuserAccess`]).
pub fn require_superuser(id: &Identity) -> Result<&User, AppError> {
    match (&id.user, id.via) {
        (Some(u), Via::Session { .. } | Via::Gateway { .. }) if u.is_superuser => Ok(u),
        _ => Err(AppError::Forbidden(
            "Only a signed-in superuser can do this.".into(),
        )),
    }
}

impl FromRequestParts<AppState> for SuperuserAccess {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let staff = StaffAccess::from_request_parts(parts, state).await?;
        let id = identity(parts)
            .ok_or_else(|| AppError::Forbidden("Only a signed-in superuser can do this.".into()))?;
        let user = require_superuser(id)?.clone();
        Ok(SuperuserAccess {
            actor: staff.actor,
            user,
        })
    }
}
