//! Our OAuth2/OIDC authorization server, so Open edX (and other clients) can log users in
//! through us, like the original's django-oauth-toolkit under `/oauth2/`: applications
//! registered by staff (`/staff/oauth2/`) or the CLI, the authorization-code flow with optional
//! PKCE (S256) and a consent page unless the application skips it, the token endpoint
//! (authorization code; refresh token with rotation), revocation, OIDC discovery, a JWKS and
//! RS256 ID tokens (claims include `is_staff`). Access tokens are identity's bearer tokens
//! (`access_tokens`, with scope and application), so `/api/users/me` and
//! `/api/v0/userinfo/` accept them. [`edx`] supplies the Open edX layer's login token and its
//! per-user authorization step against a real edX. Job `clear-expired-tokens` (Mon 09:00).
//!
//! Owns `oauth2_applications`, `oauth2_codes`, `oauth2_refresh_tokens` and `oauth2_keys`.
//! Reads from others: accounts through `users::store`; it issues and revokes rows of the users
//! module's `access_tokens` (identity's bearer tokens) with the users module's token hashing.

pub mod api;
pub mod apps;
pub mod cli;
pub mod edx;
pub mod keys;
mod pages;
pub mod service;
mod staff;
pub mod store;

use axum::Router;

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(api::routes())
        .merge(pages::routes())
        .merge(staff::routes())
}

/// The provider's housekeeping job (registered from `modules::register`).
pub fn register(state: &AppState) {
    state.jobs.add(crate::jobs::JobDef::new(
        "clear-expired-tokens",
        "0 0 9 * * 1",
        "Deletes expired authorization codes, expired or revoked OAuth2 access tokens and revoked refresh tokens.",
        |state| async move {
            let n = state
                .write_at(store::clear_expired)
                .await?;
            Ok(format!("deleted {n} rows"))
        },
    ));
}
