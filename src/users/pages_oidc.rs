//! OIDC mode's sign-in endpoints: `/login/oidc/` sends the browser to Keycloak,
//! `/login/oidc/callback/` finishes the code flow and signs the user in.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::html;

use super::oidc::{self, OidcError};
use super::pages_auth::after_login;
use super::service;
use super::sessions::Source;
use crate::config::AuthMode;
use crate::http::cookies::Cookie;
use crate::http::layout::private_page;
use crate::http::session::session_cookie;
use crate::http::{AppError, PageCtx};
use crate::state::AppState;

type Params = BTreeMap<String, String>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login/oidc/", get(begin))
        .route("/login/oidc/callback/", get(callback))
}

fn failure(ctx: &PageCtx, e: &OidcError) -> Response {
    tracing::warn!(error = %e, "OIDC sign-in failed");
    let (status, text) = match e {
        OidcError::Provider(_) | OidcError::NotConfigured | OidcError::Db(_) => (
            StatusCode::BAD_GATEWAY,
            "The sign-in service is not available right now. Please try again later.",
        ),
        OidcError::BadState | OidcError::OtherBrowser | OidcError::Token(_) => (
            StatusCode::BAD_REQUEST,
            "This sign-in attempt could not be verified. Please start again.",
        ),
    };
    let body = private_page(
        ctx,
        "Sign-in failed",
        html! {
            section class="container narrow" {
                h1 { "Sign-in failed" }
                p { (text) }
                p { a class="button" href=(ctx.prefix.url("/login/")) { "Sign in again" } }
            }
        },
    );
    (status, body).into_response()
}

async fn begin(
    State(state): State<AppState>,
    ctx: PageCtx,
    Query(q): Query<Params>,
) -> Result<Response, AppError> {
    if state.config.auth_mode != AuthMode::Oidc {
        return Err(AppError::not_found());
    }
    match oidc::start(&state, q.get("next").map_or("", String::as_str)).await {
        Ok(started) => {
            let mut resp = Redirect::to(&started.url).into_response();
            let cookie = Cookie::new(
                oidc::BROWSER_COOKIE,
                &started.browser_secret,
                oidc::browser_cookie_max_age(),
            )
            .http_only();
            resp.headers_mut()
                .append(header::SET_COOKIE, cookie.header(&state.config));
            Ok(resp)
        }
        Err(e) => Ok(failure(&ctx, &e)),
    }
}

async fn callback(
    State(state): State<AppState>,
    ctx: PageCtx,
    headers: HeaderMap,
    Query(q): Query<Params>,
) -> Result<Response, AppError> {
    if state.config.auth_mode != AuthMode::Oidc {
        return Err(AppError::not_found());
    }
    let mut resp = callback_inner(&state, &ctx, &headers, &q).await?;
    // The login cookie is single use, whatever the outcome.
    resp.headers_mut().append(
        header::SET_COOKIE,
        Cookie::removal(oidc::BROWSER_COOKIE)
            .http_only()
            .header(&state.config),
    );
    Ok(resp)
}

async fn callback_inner(
    state: &AppState,
    ctx: &PageCtx,
    headers: &HeaderMap,
    q: &Params,
) -> Result<Response, AppError> {
    let (state, ctx) = (state.clone(), ctx.clone());
    let (Some(st), Some(code)) = (q.get("state"), q.get("code")) else {
        return Ok(failure(&ctx, &OidcError::BadState));
    };
    let browser = crate::http::session::cookie(headers, oidc::BROWSER_COOKIE);
    let (info, next) = match oidc::finish(&state, st, code, browser).await {
        Ok(v) => v,
        Err(e) => return Ok(failure(&ctx, &e)),
    };
    let Some((user, _, token)) = service::provider_sign_in(&state, &info, None, Source::Oidc).await? else {
        return Ok(failure(
            &ctx,
            &OidcError::Token("account is inactive or unusable".into()),
        ));
    };
    let target = after_login(&state, &ctx, user.id, Some(&next), false).await?;
    let mut resp = Redirect::to(&target).into_response();
    if let Some(t) = token {
        resp.headers_mut()
            .append(header::SET_COOKIE, session_cookie(&state.config, &t));
    }
    Ok(resp)
}
