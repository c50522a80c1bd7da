//! Bundled extractors for page handlers: [`PageReq`] (state, page context, identity) and
//! [`SignedInPage`] (state, page context, the signed-in user or a redirect to the login page).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use super::error::AppError;
use super::extract::SignedIn;
use super::page::PageCtx;
use super::session::Identity;
use crate::state::AppState;
use crate::users::store::User;

/// A page request: the app state, the [`PageCtx`] for rendering and the caller's [`Identity`].
pub struct PageReq {
    pub state: AppState,
    pub ctx: PageCtx,
    pub id: Identity,
}

impl FromRequestParts<AppState> for PageReq {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Ok(ctx) = PageCtx::from_request_parts(parts, state).await;
        let id = Identity::from_request_parts(parts, state).await?;
        Ok(PageReq {
            state: state.clone(),
            ctx,
            id,
        })
    }
}

/// A page only a signed-in user sees: a [`PageReq`] and the [`SignedIn`] user (anyone else is
/// redirected to `/login/?next=…`, as by [`SignedIn`]).
pub struct SignedInPage {
    pub state: AppState,
    pub ctx: PageCtx,
    pub id: Identity,
    pub user: User,
}

impl FromRequestParts<AppState> for SignedInPage {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let PageReq { state, ctx, id } = PageReq::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let SignedIn(user) = SignedIn::from_request_parts(parts, &state).await?;
        Ok(SignedInPage { state, ctx, id, user })
    }
}
