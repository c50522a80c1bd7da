//! Who is calling. The foundation knows service API keys; the identity module adds users
//! (sessions, the gateway header, OIDC) by putting a [`crate::http::page::Viewer`]-compatible
//! principal in the request and extending [`StaffAccess`].

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use super::error::AppError;
use crate::state::AppState;
use crate::users::api_keys::{self, ApiKey, Scope};

/// A valid `Authorization: Api-Key …` header, if one was sent.
pub struct ServiceKey(pub Option<ApiKey>);

fn presented_key(parts: &Parts) -> Option<String> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
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
}

impl FromRequestParts<AppState> for StaffAccess {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(v) = parts.extensions.get::<super::page::Viewer>() {
            if v.is_staff {
                return Ok(StaffAccess {
                    actor: v.name.clone(),
                });
            }
            return Err(AppError::Forbidden(
                "You do not have permission to perform this action.".into(),
            ));
        }
        match ServiceKey::from_request_parts(parts, state).await? {
            ServiceKey(Some(k)) if k.scope == Scope::Staff => Ok(StaffAccess {
                actor: format!("api-key:{}", k.name),
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
