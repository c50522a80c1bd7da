//! Learner-facing pages: the product page's enroll form target (`POST /enrollments/`, with the
//! original's redirects and `user-message` cookie), the dashboard's routes (the page itself is
//! [`super::dashboard`]), its email toggle and unenroll with a confirmation step (refund
//! warning when paid). No JavaScript needed.

use std::collections::HashMap;

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use maud::{Markup, html};

use super::model::{Actor, EnrollError};
use super::openapi::{EnrollForm, EnrollFormAnswers};
use super::{queries, service};
use crate::http::error::AppError;
use crate::http::extract::PathId;
use crate::http::layout;
use crate::http::page::PageCtx;
use crate::http::page_req::SignedInPage;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/enrollments/", post(enroll_form))
        .route("/dashboard/", get(super::dashboard::dashboard))
        .route("/dashboard/enrollments/{id}/emails/", post(toggle_emails))
        .route(
            "/dashboard/enrollments/{id}/unenroll/",
            get(confirm_unenroll).post(unenroll),
        )
}

/// The original's 20-second `user-message` cookie (`{"type": …}`, URL-encoded JSON).
fn message_cookie(config: &crate::config::Config, kind: &str) -> HeaderValue {
    let json = serde_json::json!({ "type": kind }).to_string();
    let enc: String = url::form_urlencoded::byte_serialize(json.as_bytes()).collect();
    crate::http::cookies::Cookie::new(crate::http::notices::COOKIE, &enc, 20).header(config)
}

fn redirect_with(config: &crate::config::Config, to: &str, kind: Option<&str>) -> Response {
    let mut r = Redirect::to(to).into_response();
    *r.status_mut() = axum::http::StatusCode::FOUND;
    if let Some(k) = kind {
        r.headers_mut()
            .append(header::SET_COOKIE, message_cookie(config, k));
    }
    r
}

/// The Referer if it is a page of this site, else the home page.
fn back(state: &AppState, ctx: &PageCtx, headers: &HeaderMap) -> String {
    let ours = &state.config.public_url;
    headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| url::Url::parse(r).ok())
        .filter(|u| u.origin() == ours.origin())
        .map(|u| match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_owned(),
        })
        .unwrap_or_else(|| ctx.prefix.url("/"))
}

/// POST /enrollments/ `run=<id>`.
#[utoipa::path(post, path = "/enrollments/", tag = "enrollments", operation_id = "api_enrollments_create",
    description = "The product page's enroll form (signed in, with the CSRF token): enrolls in the \
        run and redirects; never answers JSON.",
    request_body(content = EnrollForm, content_type = "application/x-www-form-urlencoded"),
    responses(EnrollFormAnswers))]
pub async fn enroll_form(
    sip: SignedInPage,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let back = back(&sip.state, &sip.ctx, &headers);
    let Some(run_id) = f.get("run").and_then(|r| r.trim().parse::<i64>().ok()) else {
        return redirect_with(&sip.state.config, &back, None);
    };
    let user = sip.user.id;
    // Already paid for or verified: nothing to do, straight to the dashboard.
    let verified = queries::has_verified_seat(&sip.state, user, run_id).await;
    if matches!(verified, Ok(true)) {
        return redirect_with(
            &sip.state.config,
            &sip.ctx.prefix.url("/dashboard/"),
            Some("enroll-duplicated"),
        );
    }
    match queries::enroll_self(&sip.state, user, run_id).await {
        Ok(_) => redirect_with(
            &sip.state.config,
            &sip.ctx.prefix.url("/dashboard/"),
            Some("enrolled"),
        ),
        Err(EnrollError::RunNotFound) => redirect_with(&sip.state.config, &back, None),
        Err(EnrollError::BlockedCountry) => redirect_with(&sip.state.config, &back, Some("enroll-blocked")),
        Err(e) => {
            tracing::info!(error = %e, run_id, "enrollment form refused");
            redirect_with(&sip.state.config, &back, Some("enroll-failed"))
        }
    }
}

async fn own_enrollment(
    state: &AppState,
    user: i64,
    id: &str,
) -> Result<(super::Enrollment, bool), AppError> {
    let id = crate::http::extract::path_id(id)?;
    Ok(queries::own_enrollment(state, user, id).await?)
}

async fn confirm_unenroll(r: SignedInPage, Path(id): Path<String>) -> Result<Markup, AppError> {
    let (e, paid) = own_enrollment(&r.state, r.user.id, &id).await?;
    let content = html! {
        main {
            h1 { "Unenroll?" }
            @if paid {
                p class="warning" role="alert" { "You paid for this course. Unenrolling does not refund you automatically: contact support to ask for a refund before you unenroll." }
            }
            p { "You will lose access to the course materials." }
            form method="post" action=(r.ctx.prefix.url(&format!("/dashboard/enrollments/{}/unenroll/", e.id))) {
                (r.ctx.csrf_field())
                button type="submit" { "Yes, unenroll" }
                " "
                a href=(r.ctx.prefix.url("/dashboard/")) { "Cancel" }
            }
        }
    };
    Ok(layout::private_page(&r.ctx, "Unenroll", content))
}

async fn unenroll(r: SignedInPage, PathId(id): PathId) -> Result<Response, AppError> {
    queries::unenroll_own(&r.state, r.user.id, id).await?;
    Ok(redirect_with(
        &r.state.config,
        &r.ctx.prefix.url("/dashboard/"),
        Some("unenrolled"),
    ))
}

async fn toggle_emails(
    r: SignedInPage,
    Path(id): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let (e, _) = own_enrollment(&r.state, r.user.id, &id).await?;
    let subscribe = match f.get("receive_emails").map(String::as_str) {
        Some("true") => true,
        Some("false") => false,
        _ => return Err(AppError::field("receive_emails", "Must be true or false.")),
    };
    let user = r.user.id;
    r.state
        .write_at(move |c, now| {
            service::set_receive_emails(c, now, user, e.id, subscribe, &Actor::user(user))
        })
        .await?;
    r.state.outbox.wake();
    Ok(redirect_with(
        &r.state.config,
        &r.ctx.prefix.url("/dashboard/"),
        None,
    ))
}
