//! Signing in and out. Local mode: `/login/`, `/signup/`, `/verify-email/`, password reset and
//! email-change confirmation. Gateway mode: `/login/` and `/logout` behave as the original's
//! views behind APISIX (the gateway does the actual authentication).

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Json, Router};
use maud::{Markup, html};
use serde_json::json;

use super::UserError;
use super::forms::{csrf_input, input, other_errors, safe_next};
use super::model::FieldErrors;
use super::profile_service;
use super::service::{self, LoginError};
use crate::config::AuthMode;
use crate::http::layout::narrow_page;
use crate::http::page_req::PageReq;
use crate::http::session::{clear_session_cookie, session_cookie};
use crate::http::{AppError, PageCtx};
use crate::state::AppState;

type Params = BTreeMap<String, String>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/login",
            get(|ctx: PageCtx, Query(q): Query<Params>| async move {
                let qs = serde_urlencoded::to_string(&q).unwrap_or_default();
                Redirect::to(&ctx.prefix.url(&if qs.is_empty() {
                    "/login/".to_owned()
                } else {
                    format!("/login/?{qs}")
                }))
            }),
        )
        .route("/login/", get(login_page).post(login_submit))
        .route("/signup/", get(signup_page).post(signup_submit))
        .route("/verify-email/", get(verify_email_page).post(verify_email))
        .route("/logout", get(logout).post(logout))
        .route("/logout/", get(logout).post(logout))
        .route("/logout/oidc", get(logout_local))
        .route(
            "/logout/complete",
            get(|| async { Json(json!({"message": "Logout complete"})) }),
        )
        .route(
            "/password-reset/",
            get(reset_request_page).post(reset_request_submit),
        )
        .route(
            "/password-reset/confirm/",
            get(reset_confirm_page).post(reset_confirm_submit),
        )
        .route("/account/confirm-email", get(confirm_email))
}

fn simple(ctx: &PageCtx, title: &str, body: Markup) -> Markup {
    narrow_page(ctx, title, body)
}

fn with_status(status: StatusCode, m: Markup) -> Response {
    (status, m).into_response()
}

pub(super) fn local_only(state: &AppState) -> Result<(), AppError> {
    if state.config.auth_mode == AuthMode::Local {
        Ok(())
    } else {
        Err(AppError::not_found())
    }
}

/// After any sign-in: a first login goes through onboarding (as the original's
/// `GatewayLoginView`), unless `skip_onboarding=1`.
pub(super) async fn after_login(
    state: &AppState,
    ctx: &PageCtx,
    user_id: i64,
    next: Option<&str>,
    skip: bool,
) -> Result<String, AppError> {
    let target = safe_next(&state.config, &ctx.prefix, next);
    if skip {
        return Ok(target);
    }
    let onboarded = profile_service::complete_onboarding(state, user_id).await?;
    if onboarded {
        Ok(target)
    } else {
        let q: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("next", &target)
            .finish();
        Ok(ctx.prefix.url(&format!("/create-profile/?{q}")))
    }
}

fn login_form(ctx: &PageCtx, email: &str, next: &str, errors: &FieldErrors) -> Markup {
    let p = &ctx.prefix;
    simple(
        ctx,
        "Sign in",
        html! {
            (other_errors(errors, &["email", "password"]))
            form method="post" action=(p.url("/login/")) {
                (csrf_input(&ctx.csrf_token))
                input type="hidden" name="next" value=(next);
                (input("email", "email", "email", "Email", email, errors, "required autocomplete:username"))
                (input("password", "password", "password", "Password", "", errors, "required autocomplete:current-password"))
                button class="button" type="submit" { "Sign in" }
            }
            p { a href=(p.url("/password-reset/")) { "Forgot your password?" } }
            p { "New to MITx Online? " a href=(p.url("/signup/")) { "Create an account" } }
        },
    )
}

async fn login_page(
    r: PageReq,
    headers: axum::http::HeaderMap,
    Query(q): Query<Params>,
) -> Result<Response, AppError> {
    let next = q.get("next").map(String::as_str);
    match r.state.config.auth_mode {
        AuthMode::Gateway => {
            // APISIX forced authentication before this request reached us.
            let skip = q.get("skip_onboarding").is_some_and(|v| v != "0");
            let next = next.map(str::to_owned).or_else(|| {
                crate::http::session::cookie(&headers, "next").map(|v| {
                    percent_encoding::percent_decode_str(&v.replace('+', " "))
                        .decode_utf8_lossy()
                        .into_owned()
                })
            });
            let target = match &r.id.user {
                Some(u) => after_login(&r.state, &r.ctx, u.id, next.as_deref(), skip).await?,
                None => safe_next(&r.state.config, &r.ctx.prefix, next.as_deref()),
            };
            Ok(Redirect::to(&target).into_response())
        }
        AuthMode::Oidc => {
            let q: String = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("next", next.unwrap_or(""))
                .finish();
            Ok(Redirect::to(&r.ctx.prefix.url(&format!("/login/oidc/?{q}"))).into_response())
        }
        AuthMode::Local => {
            if r.id.user.is_some() {
                return Ok(Redirect::to(&safe_next(&r.state.config, &r.ctx.prefix, next)).into_response());
            }
            Ok(login_form(&r.ctx, "", next.unwrap_or(""), &FieldErrors::new()).into_response())
        }
    }
}

async fn login_submit(page: PageReq, Form(f): Form<Params>) -> Result<Response, AppError> {
    local_only(&page.state)?;
    page.id.require_csrf()?;
    let email = f.get("email").map_or("", |s| s.trim());
    let password = f.get("password").map_or("", String::as_str);
    let next = f.get("next").map_or("", String::as_str);
    let fail = |status: StatusCode, msg: &str| {
        let errors = FieldErrors::from([("__all__".to_owned(), vec![msg.to_owned()])]);
        Ok(with_status(status, login_form(&page.ctx, email, next, &errors)))
    };
    if email.is_empty() || password.is_empty() {
        return fail(StatusCode::BAD_REQUEST, "Enter your email and password.");
    }
    match service::log_in(&page.state, email, password, page.id.peer).await {
        Ok((user, cookie)) => {
            let target = after_login(&page.state, &page.ctx, user.id, Some(next), false).await?;
            let mut resp = Redirect::to(&target).into_response();
            resp.headers_mut()
                .append(header::SET_COOKIE, session_cookie(&page.state.config, &cookie));
            Ok(resp)
        }
        Err(LoginError::Throttled(wait)) => {
            let minutes = wait.as_secs().div_ceil(60).max(1);
            let mut r = fail(
                StatusCode::TOO_MANY_REQUESTS,
                &format!("Too many failed sign-in attempts. Please wait {minutes} minutes and try again."),
            )?;
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(wait.as_secs().max(1)));
            Ok(r)
        }
        Err(LoginError::BadCredentials) => {
            fail(StatusCode::BAD_REQUEST, "The email or password is not correct.")
        }
        Err(LoginError::Unverified) => fail(
            StatusCode::BAD_REQUEST,
            "Please confirm your email address first: we just emailed you a new link.",
        ),
        Err(LoginError::Other(e)) => Err(e.into()),
    }
}

fn signup_form(ctx: &PageCtx, f: &Params, errors: &FieldErrors) -> Markup {
    let p = &ctx.prefix;
    let v = |k: &str| f.get(k).cloned().unwrap_or_default();
    simple(
        ctx,
        "Create an account",
        html! {
            (other_errors(errors, &["email", "name", "password"]))
            form method="post" action=(p.url("/signup/")) {
                (csrf_input(&ctx.csrf_token))
                (input("email", "email", "email", "Email", &v("email"), errors, "required autocomplete:email"))
                (input("text", "name", "name", "Full name", &v("name"), errors, "required autocomplete:name"))
                (input("password", "password", "password", "Password (at least 8 characters)", "", errors, "required autocomplete:new-password"))
                button class="button" type="submit" { "Create account" }
            }
            p { "Already have an account? " a href=(p.url("/login/")) { "Sign in" } }
        },
    )
}

async fn signup_page(State(state): State<AppState>, ctx: PageCtx) -> Result<Markup, AppError> {
    local_only(&state)?;
    Ok(signup_form(&ctx, &Params::new(), &FieldErrors::new()))
}

async fn signup_submit(r: PageReq, Form(f): Form<Params>) -> Result<Response, AppError> {
    local_only(&r.state)?;
    r.id.require_csrf()?;
    let get = |k: &str| f.get(k).map_or("", String::as_str);
    match service::sign_up(&r.state, get("email"), get("name"), get("password"), r.id.peer).await {
        Ok(_) => Ok(simple(&r.ctx, "Check your email", html! {
            p class="notice" role="status" { "We sent a link to " strong { (get("email").trim()) } ". Follow it to confirm your address and finish creating your account." }
        })
        .into_response()),
        Err(UserError::Invalid(errors)) => Ok(with_status(StatusCode::BAD_REQUEST, signup_form(&r.ctx, &f, &errors))),
        Err(e) => Err(e.into()),
    }
}

/// A 400 page for an emailed link that is invalid, used or expired.
fn link_no_longer_valid(ctx: &PageCtx, body: Markup) -> Response {
    with_status(
        StatusCode::BAD_REQUEST,
        simple(ctx, "This link is no longer valid", body),
    )
}

fn verify_invalid(ctx: &PageCtx) -> Response {
    link_no_longer_valid(
        ctx,
        html! {
            p { "The confirmation link is invalid, already used or expired. " a href=(ctx.prefix.url("/login/")) { "Sign in" } " or sign up again." }
        },
    )
}

/// The emailed link shows a confirm button: following a link (mail scanners prefetch them)
/// changes nothing; the POST confirms and signs in.
async fn verify_email_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Query(q): Query<Params>,
) -> Result<Response, AppError> {
    let token = q.get("token").map_or("", String::as_str);
    if !service::email_token_valid(&state, token, super::sessions::Purpose::Verify).await? {
        return Ok(verify_invalid(&ctx));
    }
    Ok(simple(
        &ctx,
        "Confirm your email address",
        html! {
            form method="post" action=(ctx.prefix.url("/verify-email/")) {
                (csrf_input(&ctx.csrf_token))
                input type="hidden" name="token" value=(token);
                button class="button" type="submit" { "Confirm and sign in" }
            }
        },
    )
    .into_response())
}

async fn verify_email(r: PageReq, Form(f): Form<Params>) -> Result<Response, AppError> {
    r.id.require_csrf()?;
    let token = f.get("token").map_or("", String::as_str);
    match service::verify_email(&r.state, token).await? {
        Some((user, cookie)) => {
            let target = after_login(&r.state, &r.ctx, user.id, None, false).await?;
            let mut resp = Redirect::to(&target).into_response();
            resp.headers_mut()
                .append(header::SET_COOKIE, session_cookie(&r.state.config, &cookie));
            Ok(resp)
        }
        None => Ok(verify_invalid(&r.ctx)),
    }
}

/// Ends the session here (local and OIDC modes, and `/logout/oidc` if it reaches us).
async fn logout_local(r: PageReq) -> Result<Response, AppError> {
    if let Some(sid) = r.id.session_id() {
        service::log_out(&r.state, sid).await?;
    }
    let target = match r.state.config.auth_mode {
        AuthMode::Oidc => super::oidc::logout_url(&r.state).await,
        _ => None,
    };
    let mut resp = Redirect::to(&target.unwrap_or_else(|| r.ctx.prefix.url("/"))).into_response();
    resp.headers_mut()
        .append(header::SET_COOKIE, clear_session_cookie(&r.state.config));
    Ok(resp)
}

/// `/logout`: in gateway mode as the original (`OpenedxAndApiGatewayLogoutView`): first to
/// Open edX's logout, whose page calls back with `no_redirect=1`, then to the gateway's
/// `/logout/oidc`. Elsewhere a plain local logout.
async fn logout(r: PageReq, Query(q): Query<Params>) -> Result<Response, AppError> {
    if r.state.config.auth_mode != AuthMode::Gateway {
        return logout_local(r).await;
    }
    let site = r.state.config.absolute_url("/");
    let no_redirect = q.get("no_redirect").is_some_and(|v| v.starts_with('1'));
    let target = match (&r.state.config.openedx, no_redirect) {
        (Some(edx), false) => {
            let qs: String = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("redirect_url", &site)
                .finish();
            format!("{}/logout?{qs}", edx.api_base_url.as_str().trim_end_matches('/'))
        }
        _ if r.id.user.is_some() => r.state.config.absolute_url("/logout/oidc"),
        _ => site,
    };
    Ok(Redirect::to(&target).into_response())
}

async fn reset_request_page(State(state): State<AppState>, ctx: PageCtx) -> Result<Markup, AppError> {
    local_only(&state)?;
    Ok(simple(
        &ctx,
        "Reset your password",
        html! {
            form method="post" action=(ctx.prefix.url("/password-reset/")) {
                (csrf_input(&ctx.csrf_token))
                (input("email", "email", "email", "Email", "", &FieldErrors::new(), "required autocomplete:email"))
                button class="button" type="submit" { "Email me a reset link" }
            }
        },
    ))
}

async fn reset_request_submit(r: PageReq, Form(f): Form<Params>) -> Result<Markup, AppError> {
    local_only(&r.state)?;
    r.id.require_csrf()?;
    service::request_password_reset(&r.state, f.get("email").map_or("", String::as_str), r.id.peer).await?;
    Ok(simple(
        &r.ctx,
        "Check your email",
        html! {
            p class="notice" role="status" { "If an account uses that address, we sent it a link to choose a new password." }
        },
    ))
}

fn reset_form(ctx: &PageCtx, token: &str, errors: &FieldErrors) -> Markup {
    simple(
        ctx,
        "Choose a new password",
        html! {
            (other_errors(errors, &["password"]))
            form method="post" action=(ctx.prefix.url("/password-reset/confirm/")) {
                (csrf_input(&ctx.csrf_token))
                input type="hidden" name="token" value=(token);
                (input("password", "password", "password", "New password", "", errors, "required autocomplete:new-password"))
                button class="button" type="submit" { "Set password" }
            }
        },
    )
}

fn invalid_link(ctx: &PageCtx) -> Response {
    link_no_longer_valid(
        ctx,
        html! {
            p { "The link is invalid, already used or expired. " a href=(ctx.prefix.url("/password-reset/")) { "Ask for a new one." } }
        },
    )
}

async fn reset_confirm_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Query(q): Query<Params>,
) -> Result<Response, AppError> {
    local_only(&state)?;
    let token = q.get("token").map_or("", String::as_str);
    if !service::email_token_valid(&state, token, super::sessions::Purpose::Reset).await? {
        return Ok(invalid_link(&ctx));
    }
    Ok(reset_form(&ctx, token, &FieldErrors::new()).into_response())
}

async fn reset_confirm_submit(r: PageReq, Form(f): Form<Params>) -> Result<Response, AppError> {
    local_only(&r.state)?;
    r.id.require_csrf()?;
    let token = f.get("token").map_or("", String::as_str);
    match service::reset_password(&r.state, token, f.get("password").map_or("", String::as_str)).await {
        Ok(true) => {
            let mut resp = simple(&r.ctx, "Password changed", html! {
                p class="notice" role="status" { "Your password was changed and you were signed out everywhere. " a href=(r.ctx.prefix.url("/login/")) { "Sign in" } }
            })
            .into_response();
            resp.headers_mut()
                .append(header::SET_COOKIE, clear_session_cookie(&r.state.config));
            Ok(resp)
        }
        Ok(false) => Ok(invalid_link(&r.ctx)),
        Err(UserError::Invalid(errors)) => Ok(with_status(
            StatusCode::BAD_REQUEST,
            reset_form(&r.ctx, token, &errors),
        )),
        Err(e) => Err(e.into()),
    }
}

async fn confirm_email(
    State(state): State<AppState>,
    ctx: PageCtx,
    Query(q): Query<Params>,
) -> Result<Response, AppError> {
    let token = q.get("token").map_or("", String::as_str);
    if service::confirm_email_change(&state, token).await? {
        Ok(simple(&ctx, "Email address changed", html! {
            p class="notice" role="status" { "Your email address was changed. " a href=(ctx.prefix.url("/account-settings/")) { "Back to account settings" } }
        })
        .into_response())
    } else {
        Ok(with_status(
            StatusCode::BAD_REQUEST,
            simple(
                &ctx,
                "This link is no longer valid",
                html! {
                    p { "The confirmation link is invalid, already used or expired, or the address is now taken." }
                },
            ),
        ))
    }
}
