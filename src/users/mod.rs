//! Users and how they get in (DESIGN decision 6). Accounts with their legal address and
//! profile; three ways in — the APISIX `X-Userinfo` header (gateway mode), OIDC, and local
//! accounts with email verification and password reset — all ending in one current user
//! (`crate::http::session`). Service credentials: API keys and bearer tokens.
//!
//! Owns `users`, `legal_addresses`, `user_profiles`, `sessions`, `email_tokens`,
//! `login_failures`, `oidc_logins`, `access_tokens` (staff-minted tokens here; the OAuth2
//! provider issues its own rows through `oauth2::store`, which also owns the refresh tokens)
//! and `api_keys`. Handlers reach them through `service`, `profile_service`, `scim_service`,
//! `staff_service` and `api_keys`; other modules through `store` lookups by id/email (read
//! only). Known exceptions, kept because each is one statement per request: commerce's
//! receipt and refund mails and the discount APIs join `users` for the purchaser's name and
//! email, and the Open edX store joins it for the learner's username.

pub mod api;
pub mod api_keys;
pub mod cli;
pub mod error;
pub mod forms;
pub mod gateway;
pub mod geo;
pub mod login;
pub mod model;
pub mod oidc;
pub mod openapi;
mod pages_account;
mod pages_auth;
mod pages_oidc;
mod pages_profile;
mod pages_roles;
mod pages_staff;
mod pages_tokens;
pub mod password;
pub mod profile_service;
pub mod profiles;
pub mod retirement;
pub mod rules;
pub mod scim;
mod scim_api;
pub mod scim_service;
pub mod service;
pub mod sessions;
pub mod shapes;
pub mod staff_service;
pub mod store;

pub use error::UserError;

use axum::Router;

use crate::state::AppState;

/// Every identity route: APIs, sign-in pages, profile pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(api::routes())
        .merge(pages_auth::routes())
        .merge(pages_oidc::routes())
        .merge(pages_profile::routes())
        .merge(pages_account::routes())
        .merge(pages_staff::routes())
        .merge(pages_roles::routes())
        .merge(pages_tokens::routes())
        .merge(scim_api::routes())
}

/// Identity's housekeeping job (registered from `modules::register`).
pub fn register(state: &AppState) {
    state.jobs.add(crate::jobs::JobDef::new(
        "prune-identity",
        "0 50 3 * * *",
        "Deletes expired or revoked sessions and tokens, used email links, old login failures.",
        |state| async move {
            let n = state.write_at(sessions::prune).await?;
            Ok(format!("deleted {n} rows"))
        },
    ));
}
