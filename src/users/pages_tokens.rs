//! `/staff/access-tokens/`: bearer tokens for service accounts (Keycloak's SCIM pushes, Open edX
//! webhooks). A signed-in superuser issues one for an existing service account (never a
//! person's account) with a lifetime; it is shown once, only its hash is kept, and any staff
//! member can revoke it. Every change is audited.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use maud::{Markup, html};

use super::error::UserError;
use super::forms::{csrf_input, input, other_errors};
use super::model::FieldErrors;
use super::sessions::AccessTokenRow;
use super::staff_service;
use crate::http::auth::{SuperuserAccess, require_superuser};
use crate::http::extract::PathId;
use crate::http::staff_page::StaffPage;
use crate::http::ui::{RevocableRow, revocable_table};
use crate::http::{AppError, PageCtx};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/access-tokens/", get(list).post(create))
        .route("/staff/access-tokens/{id}/revoke/", post(revoke))
}

fn view(
    ctx: &PageCtx,
    rows: &[AccessTokenRow],
    created: Option<&str>,
    form: &BTreeMap<String, String>,
    errors: &FieldErrors,
    can_mint: bool,
) -> Markup {
    let p = &ctx.prefix;
    let v = |k: &str, d: &str| form.get(k).cloned().unwrap_or_else(|| d.to_owned());
    crate::staff::pages::staff_page(
        ctx,
        "Service bearer tokens",
        html! {
                p { "Services send " code { "Authorization: Bearer <token>" } " and act as the service account the token belongs to (a staff service account for SCIM). Tokens are issued for service accounts only, by superusers." }
                @if let Some(t) = created {
                    div class="notice" role="status" {
                        p { "Token created. Copy it now; it is not shown again:" }
                        p { code id="new-token" { (t) } }
                    }
                }
                (other_errors(errors, &["email", "name", "days"]))
                @if can_mint {
                    h2 { "Issue a token" }
                    form method="post" action=(p.url("/staff/access-tokens/")) {
                        (csrf_input(&ctx.csrf_token))
                        (input("email", "email", "email", "Service account email", &v("email", ""), errors, "required"))
                        (input("text", "name", "name", "What it is for", &v("name", ""), errors, "required"))
                        (input("number", "days", "days", "Valid for (days, 1–730)", &v("days", "365"), errors, "required"))
                        button class="button" type="submit" { "Issue token" }
                    }
                } @else {
                    p class="notice warn" { "Only superusers can issue tokens." }
                }
                h2 { "Tokens" }
                (revocable_table(ctx, &["Account", "Purpose", "Created", "Expires"], &rows.iter().map(|t| RevocableRow {
                    cells: html! { td { (t.user_email) } td { (t.name) } td { (t.created_on) } td { (t.expires_on) } },
                    revoked_on: t.revoked_on.as_deref(),
                    revoke_url: p.url(&format!("/staff/access-tokens/{}/revoke/", t.id)),
                    button: html! { "Revoke" },
                }).collect::<Vec<_>>()))
        },
    )
}

async fn rows(state: &AppState) -> Result<Vec<AccessTokenRow>, AppError> {
    Ok(staff_service::tokens(state).await?)
}

async fn list(r: StaffPage) -> Result<Markup, AppError> {
    Ok(view(
        &r.ctx,
        &rows(&r.state).await?,
        None,
        &BTreeMap::new(),
        &FieldErrors::new(),
        require_superuser(&r.id).is_ok(),
    ))
}

async fn create(
    staff: SuperuserAccess,
    ctx: PageCtx,
    State(state): State<AppState>,
    Form(f): Form<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    let email = f.get("email").map_or("", |s| s.trim()).to_owned();
    let name = f.get("name").map_or("", |s| s.trim()).to_owned();
    let mut errors = FieldErrors::new();
    if name.is_empty() || name.chars().count() > 100 {
        errors.insert("name".into(), vec!["Must have 1 to 100 characters.".into()]);
    }
    let days = f
        .get("days")
        .and_then(|d| d.trim().parse::<i64>().ok())
        .filter(|d| (1..=730).contains(d));
    if days.is_none() {
        errors.insert(
            "days".into(),
            vec!["Enter a whole number of days from 1 to 730.".into()],
        );
    }
    let result = match days.filter(|_| errors.is_empty()) {
        Some(days) => staff_service::issue_token(&state, staff.actor, email, name, days).await,
        None => Err(UserError::Invalid(FieldErrors::new())),
    };
    match result {
        Ok(token) => Ok((
            StatusCode::CREATED,
            view(
                &ctx,
                &rows(&state).await?,
                Some(&token),
                &BTreeMap::new(),
                &FieldErrors::new(),
                true,
            ),
        )
            .into_response()),
        Err(UserError::Invalid(why)) => {
            errors.extend(why);
            Ok((
                StatusCode::BAD_REQUEST,
                view(&ctx, &rows(&state).await?, None, &f, &errors, true),
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

async fn revoke(r: StaffPage, PathId(id): PathId) -> Result<Response, AppError> {
    let done = staff_service::revoke_token(&r.state, r.access.actor, id).await?;
    if !done {
        return Err(AppError::NotFound(format!("No active token with id {id}.")));
    }
    Ok(Redirect::to(&r.ctx.prefix.url("/staff/access-tokens/")).into_response())
}
