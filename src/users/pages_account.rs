//! `/account-settings/`: for local accounts, change of email (confirmed from the new address)
//! and of password (other sessions end); behind the gateway or with OIDC, links to Keycloak's
//! account actions (`/account/action/start/{update-email,update-password}/`), as the original.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use maud::{Markup, html};

use super::UserError;
use super::forms::{csrf_input, input, other_errors, safe_next};
use super::model::FieldErrors;
use super::pages_profile::shell;
use super::service;
use crate::config::AuthMode;
use crate::http::page_req::SignedInPage;
use crate::http::session::SignedIn;
use crate::http::{AppError, PageCtx};
use crate::state::AppState;

type Params = BTreeMap<String, String>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/account-settings/", get(settings_page))
        .route("/account-settings/email/", post(change_email))
        .route("/account-settings/password/", post(change_password))
        .route("/account/action/start/{action}/", get(account_action))
        .route("/account/action/complete", get(account_action_complete))
}

/// A heading and a POST form under it: CSRF token, `fields`, then a submit `button`.
fn titled_form(ctx: &PageCtx, title: &str, action: &str, button: &str, fields: Markup) -> Markup {
    html! {
        h2 { (title) }
        form method="post" action=(action) {
            (csrf_input(&ctx.csrf_token))
            (fields)
            button class="button" type="submit" { (button) }
        }
    }
}

fn settings(
    ctx: &PageCtx,
    state: &AppState,
    u: &crate::users::store::User,
    errors: &FieldErrors,
    notice: Option<&str>,
) -> Markup {
    let p = &ctx.prefix;
    shell(
        ctx,
        "Account settings",
        html! {
            @if let Some(n) = notice { p class="notice" role="status" { (n) } }
            (other_errors(errors, &["email", "password", "current_password", "new_password"]))
            p { "Email: " strong { (u.email) } }
            @if state.config.auth_mode == AuthMode::Local {
                (titled_form(ctx, "Change email", &p.url("/account-settings/email/"), "Send confirmation link", html! {
                    (input("email", "email", "email", "New email", "", errors, "required autocomplete:email"))
                    (input("password", "password", "password", "Current password", "", errors, "required autocomplete:current-password"))
                }))
                (titled_form(ctx, "Change password", &p.url("/account-settings/password/"), "Change password", html! {
                    (input("password", "current_password", "current_password", "Current password", "", errors, "required autocomplete:current-password"))
                    (input("password", "new_password", "new_password", "New password", "", errors, "required autocomplete:new-password"))
                }))
            } @else {
                p { "Your email and password are managed by your MIT Learn account." }
                ul {
                    li { a href=(p.url("/account/action/start/update-email/")) { "Change email" } }
                    li { a href=(p.url("/account/action/start/update-password/")) { "Change password" } }
                }
            }
        },
    )
}

async fn settings_page(State(state): State<AppState>, ctx: PageCtx, SignedIn(u): SignedIn) -> Markup {
    settings(&ctx, &state, &u, &FieldErrors::new(), None)
}

async fn change_email(r: SignedInPage, Form(f): Form<Params>) -> Result<Response, AppError> {
    super::pages_auth::local_only(&r.state)?;
    let get = |k: &str| f.get(k).map_or("", String::as_str);
    let done =
        service::request_email_change(&r.state, &r.user, get("email"), get("password"), r.id.peer).await;
    settings_after(
        &r.ctx,
        &r.state,
        &r.user,
        done,
        "We sent a confirmation link to your new address; your email changes when you follow it.",
    )
}

/// The settings page after a change: with `notice` when it was made, with the field errors
/// (400) when it was refused.
fn settings_after(
    ctx: &PageCtx,
    state: &AppState,
    u: &crate::users::store::User,
    done: Result<(), UserError>,
    notice: &str,
) -> Result<Response, AppError> {
    match done {
        Ok(()) => Ok(settings(ctx, state, u, &FieldErrors::new(), Some(notice)).into_response()),
        Err(UserError::Invalid(e)) => {
            Ok((StatusCode::BAD_REQUEST, settings(ctx, state, u, &e, None)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

async fn change_password(r: SignedInPage, Form(f): Form<Params>) -> Result<Response, AppError> {
    super::pages_auth::local_only(&r.state)?;
    let get = |k: &str| f.get(k).map_or("", String::as_str);
    let done = service::change_password(
        &r.state,
        &r.user,
        r.id.session_id(),
        get("current_password"),
        get("new_password"),
    )
    .await;
    settings_after(
        &r.ctx,
        &r.state,
        &r.user,
        done,
        "Your password was changed; other sessions were signed out.",
    )
}

/// The Keycloak realm base (`…/realms/<realm>`) from the OIDC discovery URL.
fn realm_base(state: &AppState) -> Option<(String, String)> {
    let oidc = state.config.oidc.as_ref()?;
    let url = oidc.discovery_url.as_str();
    let base = url
        .split("/.well-known/")
        .next()?
        .trim_end_matches('/')
        .to_owned();
    Some((base, oidc.client_id.clone()))
}

/// `/account/action/start/{update-email,update-password}/` → Keycloak with `kc_action`.
async fn account_action(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(action): Path<String>,
    Query(q): Query<Params>,
) -> Result<Response, AppError> {
    let kc_action = match action.as_str() {
        "update-email" => "UPDATE_EMAIL",
        "update-password" => "UPDATE_PASSWORD",
        _ => return Ok(Redirect::to(&ctx.prefix.url("/account-settings/")).into_response()),
    };
    let Some((base, client_id)) = realm_base(&state) else {
        return Err(AppError::NotFound(
            "Account actions need MITXONLINE_OIDC_DISCOVERY_URL and _CLIENT_ID.".into(),
        ));
    };
    let next = safe_next(
        &state.config,
        &ctx.prefix,
        q.get("next").map(String::as_str).or(Some("/account-settings/")),
    );
    let complete = state.config.absolute_url(&format!(
        "/account/action/complete?{}",
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("next", &next)
            .finish()
    ));
    let qs = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", &client_id)
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", &complete)
        .append_pair("scope", "openid")
        .append_pair("kc_action", kc_action)
        .finish();
    Ok(Redirect::to(&format!("{base}/protocol/openid-connect/auth?{qs}")).into_response())
}

async fn account_action_complete(
    State(state): State<AppState>,
    ctx: PageCtx,
    Query(q): Query<Params>,
) -> Redirect {
    Redirect::to(&safe_next(
        &state.config,
        &ctx.prefix,
        q.get("next").map(String::as_str),
    ))
}
