//! `/staff/oauth2/`: staff list and register client applications. The secret is shown once;
//! only its hash is kept. Every creation is audited.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Form, Router};
use maud::{Markup, html};

use super::apps;
use super::store::Application;
use crate::http::auth::{StaffAccess, require_superuser};
use crate::http::staff_page::StaffPage;
use crate::http::{AppError, PageCtx};
use crate::state::AppState;

type Errors = BTreeMap<String, Vec<String>>;

fn view(
    ctx: &PageCtx,
    apps: &[Application],
    created: Option<(&Application, &str)>,
    form: &BTreeMap<String, String>,
    errors: &Errors,
) -> Markup {
    let v = |k: &str| form.get(k).cloned().unwrap_or_default();
    let err = |k: &str| errors.get(k).map(|m| m.join(" ")).unwrap_or_default();
    crate::staff::pages::staff_page(
        ctx,
        "OAuth2 applications",
        html! {
                p { "Clients of our OAuth2/OIDC provider (Open edX logs learners in through it). Discovery: "
                    code { "/.well-known/openid-configuration" } }
                @if let Some((app, secret)) = created {
                    div class="notice" role="status" {
                        p { "Application " (app.name) " created. Copy the secret now; it is not shown again." }
                        p { "client_id: " code id="new-client-id" { (app.client_id) } }
                        p { "client_secret: " code id="new-client-secret" { (secret) } }
                    }
                }
                h2 { "Register an application" }
                form method="post" action=(ctx.prefix.url("/staff/oauth2/")) {
                    input type="hidden" name="csrfmiddlewaretoken" value=[ctx.csrf_token.as_deref()];
                    label for="name" { "Name" }
                    input id="name" name="name" type="text" required value=(v("name"));
                    @let e = err("name"); @if !e.is_empty() { p class="field-error" { (e) } }
                    label for="redirect_uris" { "Redirect URIs (space or line separated, exact match)" }
                    textarea id="redirect_uris" name="redirect_uris" required { (v("redirect_uris")) }
                    @let e = err("redirect_uris"); @if !e.is_empty() { p class="field-error" { (e) } }
                    label { input type="checkbox" name="skip_authorization" value="on" checked[form.contains_key("skip_authorization")]; " Skip the consent page (trusted first-party client; superusers only)" }
                    button class="button" type="submit" { "Register" }
                }
                h2 { "Applications" }
                div class="table-wrap" {
                    table {
                        thead { tr { th { "Name" } th { "client_id" } th { "Redirect URIs" } th { "Consent" } th { "Created" } } }
                        tbody {
                            @for a in apps {
                                tr {
                                    td { (a.name) } td { code { (a.client_id) } }
                                    td { @for u in &a.redirect_uris { code { (u) } br; } }
                                    td { @if a.skip_authorization { "skipped" } @else { "asked" } }
                                    td { (a.created_on) }
                                }
                            }
                        }
                    }
                }
        },
    )
}

async fn apps(state: &AppState) -> Result<Vec<Application>, AppError> {
    Ok(apps::list(state).await?)
}

async fn list(_staff: StaffAccess, ctx: PageCtx, State(state): State<AppState>) -> Result<Markup, AppError> {
    Ok(view(
        &ctx,
        &apps(&state).await?,
        None,
        &BTreeMap::new(),
        &Errors::new(),
    ))
}

async fn create(r: StaffPage, Form(f): Form<BTreeMap<String, String>>) -> Result<Response, AppError> {
    let name = f.get("name").cloned().unwrap_or_default();
    let uris = vec![f.get("redirect_uris").cloned().unwrap_or_default()];
    let (name, uris) = match apps::validate_new_app(&name, &uris) {
        Ok(ok) => ok,
        Err(errors) => {
            return Ok((
                StatusCode::BAD_REQUEST,
                view(&r.ctx, &apps(&r.state).await?, None, &f, &errors),
            )
                .into_response());
        }
    };
    let skip = f.contains_key("skip_authorization");
    if skip {
        // An application that skips consent gets tokens for anyone who visits it signed in.
        require_superuser(&r.id)?;
    }
    let created = apps::create(&r.state, r.access.actor, name, uris, skip).await?;
    match created {
        Some((app, secret)) => Ok((
            StatusCode::CREATED,
            view(
                &r.ctx,
                &apps(&r.state).await?,
                Some((&app, &secret)),
                &BTreeMap::new(),
                &Errors::new(),
            ),
        )
            .into_response()),
        None => {
            let errors = Errors::from([(
                "name".to_owned(),
                vec!["An application with this name exists.".to_owned()],
            )]);
            Ok((
                StatusCode::BAD_REQUEST,
                view(&r.ctx, &apps(&r.state).await?, None, &f, &errors),
            )
                .into_response())
        }
    }
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/staff/oauth2/", axum::routing::get(list).post(create))
}
