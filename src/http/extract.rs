//! The extractors handlers take to learn who is calling: [`CurrentUser`], [`MaybeUser`],
//! [`SignedIn`] and the whole [`Identity`] the session middleware resolved.

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};

use super::error::AppError;
use super::page::Prefix;
use super::session::Identity;
use crate::users::store::User;

/// A numeric id from the path; anything else is 404, as for an id that matches nothing.
pub fn path_id(raw: &str) -> Result<i64, AppError> {
    raw.parse().map_err(|_| AppError::not_found())
}

/// The path's numeric id, read as [`path_id`] reads it (404 unless a number).
pub struct PathId(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        path_id(&raw).map(PathId).map_err(IntoResponse::into_response)
    }
}

fn identity(parts: &Parts) -> Option<&Identity> {
    parts.extensions.get::<Identity>()
}

/// The signed-in user; 403 (as DRF's session authentication answers) when there is none.
pub struct CurrentUser(pub User);

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let id = identity(parts);
        if let Some(refusal) = id.and_then(Identity::app_token_refusal) {
            return Err(refusal);
        }
        id.and_then(|i| i.user.clone())
            .map(CurrentUser)
            .ok_or_else(|| AppError::Forbidden("Authentication credentials were not provided.".into()))
    }
}

/// The signed-in user, if any.
pub struct MaybeUser(pub Option<User>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeUser {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(MaybeUser(identity(parts).and_then(|i| i.user.clone())))
    }
}

/// For pages: the signed-in user, or a redirect to `/login/?next=<this page>`.
pub struct SignedIn(pub User);

impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if let Some(u) = identity(parts).and_then(|i| i.user.clone()) {
            return Ok(SignedIn(u));
        }
        if let Some(refusal) = identity(parts).and_then(Identity::app_token_refusal) {
            return Err(refusal.into_response());
        }
        let prefix = parts.extensions.get::<Prefix>().cloned().unwrap_or_default();
        let here = parts.uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        let next: String = url::form_urlencoded::byte_serialize(prefix.url(&here).as_bytes()).collect();
        Err(Redirect::to(&prefix.url(&format!("/login/?next={next}"))).into_response())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Identity {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        identity(parts)
            .cloned()
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("identity middleware is not installed")))
    }
}
