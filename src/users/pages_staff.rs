//! `/staff/api-keys/`: staff create, list and revoke the API keys service accounts use
//! (MIT Learn's ETL). A new key is shown once; every change is audited. Staff-scope keys are
//! created by signed-in superusers only.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use maud::{Markup, html};

use super::api_keys::{self, ApiKey, Scope};
use super::forms::{csrf_input, input};
use super::model::FieldErrors;
use crate::http::auth::{StaffAccess, require_superuser};
use crate::http::extract::PathId;
use crate::http::staff_page::StaffPage;
use crate::http::ui::{RevocableRow, revocable_table};
use crate::http::{AppError, PageCtx};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/api-keys/", get(list).post(create))
        .route("/staff/api-keys/{id}/revoke/", post(revoke))
}

fn view(ctx: &PageCtx, keys: &[ApiKey], created: Option<(&ApiKey, &str)>, errors: &FieldErrors) -> Markup {
    let p = &ctx.prefix;
    crate::staff::pages::staff_page(
        ctx,
        "API keys",
        html! {
                p { "Service accounts send " code { "Authorization: Api-Key <key>" } ". Only a hash of each key is stored." }
                @if let Some((k, secret)) = created {
                    div class="notice" role="status" {
                        p { "Key " strong { (k.name) } " created. Copy it now; it is not shown again:" }
                        p { code id="new-key" { (secret) } }
                    }
                }
                h2 { "Create a key" }
                form method="post" action=(p.url("/staff/api-keys/")) {
                    (csrf_input(&ctx.csrf_token))
                    (input("text", "name", "name", "Name", "", errors, "required"))
                    div class="field" {
                        label for="f-scope" { "Scope" }
                        select id="f-scope" name="scope" {
                            option value="catalog" { "catalog — read the catalog and internal course APIs" }
                            option value="staff" { "staff — operate the appliance (superusers only)" }
                        }
                    }
                    button class="button" type="submit" { "Create key" }
                }
                h2 { "Keys" }
                (revocable_table(ctx, &["Name", "Prefix", "Scope", "Created"], &keys.iter().map(|k| RevocableRow {
                    cells: html! { td { (k.name) } td { code { (k.prefix) } } td { (k.scope.as_str()) } td { (k.created_on) } },
                    revoked_on: k.revoked_on.as_deref(),
                    revoke_url: p.url(&format!("/staff/api-keys/{}/revoke/", k.id)),
                    button: html! { "Revoke " span class="visually-hidden" { (k.name) } },
                }).collect::<Vec<_>>()))
        },
    )
}

async fn all(state: &AppState) -> Result<Vec<ApiKey>, AppError> {
    Ok(api_keys::all(state).await?)
}

async fn list(_staff: StaffAccess, ctx: PageCtx, State(state): State<AppState>) -> Result<Markup, AppError> {
    Ok(view(&ctx, &all(&state).await?, None, &FieldErrors::new()))
}

async fn create(r: StaffPage, Form(f): Form<BTreeMap<String, String>>) -> Result<Response, AppError> {
    let name = f.get("name").map_or("", |s| s.trim()).to_owned();
    let scope = Scope::parse(f.get("scope").map_or("catalog", String::as_str));
    let mut errors = FieldErrors::new();
    if name.is_empty() || name.chars().count() > 100 {
        errors.insert("name".into(), vec!["Must have 1 to 100 characters.".into()]);
    }
    let Some(scope) = scope.filter(|_| errors.is_empty()) else {
        if errors.is_empty() {
            errors.insert(
                "scope".into(),
                vec!["Not a valid choice (catalog, staff).".into()],
            );
        }
        return Ok((
            StatusCode::BAD_REQUEST,
            view(&r.ctx, &all(&r.state).await?, None, &errors),
        )
            .into_response());
    };
    if scope == Scope::Staff {
        require_superuser(&r.id)?;
    }
    let (row, key) = api_keys::issue(&r.state, name, scope, r.access.actor).await?;
    Ok((
        StatusCode::CREATED,
        view(
            &r.ctx,
            &all(&r.state).await?,
            Some((&row, &key)),
            &FieldErrors::new(),
        ),
    )
        .into_response())
}

async fn revoke(r: StaffPage, PathId(id): PathId) -> Result<Response, AppError> {
    let done = api_keys::withdraw(&r.state, id, r.access.actor).await?;
    if !done {
        return Err(AppError::NotFound(format!("No active API key with id {id}.")));
    }
    Ok(Redirect::to(&r.ctx.prefix.url("/staff/api-keys/")).into_response())
}
