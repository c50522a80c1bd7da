//! The B2B staff console at `/staff/b2b/`: organizations and their contracts, forms to create
//! both, and contract import. Contract pages are in [`super::staff_contract`]. Every change
//! goes through [`super::admin`], which validates and audits it.

use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};

use super::admin::{self, NewContract, NewOrganization};
use super::admin_io;
use crate::http::auth::StaffAccess;
use crate::http::{AppError, PageCtx};
use crate::staff::pages::staff_page;
use crate::state::AppState;

/// Field errors spelled out on HTML pages (the error page shows only the message).
pub fn page_error(e: super::B2bError) -> AppError {
    match e {
        super::B2bError::Invalid { field, message } => AppError::BadRequest(format!("{field}: {message}")),
        e => e.into(),
    }
}

fn text_input(id: &str, label: &str, required: bool, hint: &str) -> Markup {
    html! {
        div class="field" {
            label for=(id) { (label) }
            @if required { input id=(id) name=(id) type="text" required; } @else { input id=(id) name=(id) type="text"; }
            @if !hint.is_empty() { span class="muted" { (hint) } }
        }
    }
}

pub fn contract_form(ctx: &PageCtx, org: i64) -> Markup {
    html! {
        form method="post" action=(ctx.prefix.url(&format!("/staff/b2b/organizations/{org}/contracts/"))) {
            (ctx.csrf_field())
            (text_input("name", "Name", true, ""))
            (text_input("slug", "Slug", false, "Default: from the name."))
            div class="field" {
                label for="membership_type" { "Membership" }
                select id="membership_type" name="membership_type" {
                    option value="code" { "code — learners join with an enrollment code" }
                    option value="managed" { "managed — Keycloak says who belongs" }
                    option value="auto" { "auto — every organization member" }
                }
            }
            (text_input("contract_start", "Start (YYYY-MM-DD)", false, ""))
            (text_input("contract_end", "End (YYYY-MM-DD)", false, ""))
            (text_input("max_learners", "Seats", false, "Empty or 0: unlimited."))
            (text_input("enrollment_fixed_price", "Price per seat", false, "Empty or 0: free."))
            (text_input("description", "Description", false, ""))
            (text_input("welcome_message", "Welcome message", false, ""))
            button type="submit" { "Create contract" }
        }
    }
}

/// GET `/staff/b2b/`: organizations, their contracts, and the create/import forms.
pub async fn home(State(state): State<AppState>, _s: StaffAccess, ctx: PageCtx) -> Result<Markup, AppError> {
    let orgs = admin_io::overview(&state).await?;
    Ok(staff_page(
        &ctx,
        "B2B contracts",
        html! {
            @if orgs.is_empty() { p { "No organizations yet." } }
            @for o in &orgs {
                section class="b2b-org" id=(format!("org-{}", o.org.id)) {
                    h2 { a href=(ctx.prefix.url(&format!("/staff/b2b/organizations/{}/", o.org.id))) { (o.org.name) } }
                    p class="muted" {
                        "Slug " code { (o.org.slug) } ", key " code { (o.org.org_key_prefix) (o.org.org_key) }
                        ", " (o.members) " members"
                        @if let Some(s) = &o.org.sso_organization_id { ", Keycloak " code { (s) } }
                    }
                    @if o.contracts.is_empty() { p { "No contracts." } }
                    @else {
                        ul {
                            @for (k, n) in &o.contracts {
                                li {
                                    a href=(ctx.prefix.url(&format!("/staff/b2b/contracts/{}/", k.id))) { (k.name) }
                                    " — " (k.membership_type.as_str()) ", " (n) " attached"
                                    @if let Some(m) = k.seat_limit() { " of " (m) }
                                }
                            }
                        }
                    }
                }
            }
            h2 { "New organization" }
            form method="post" action=(ctx.prefix.url("/staff/b2b/organizations/")) {
                (ctx.csrf_field())
                (text_input("name", "Name", true, ""))
                (text_input("slug", "Slug", false, "Default: from the name."))
                (text_input("org_key", "Key", false, "Used in edX course keys (≤ 30 characters). Default: the slug."))
                (text_input("sso_organization_id", "Keycloak organization id", false, "A UUID, if the organization is in Keycloak."))
                (text_input("description", "Description", false, ""))
                button type="submit" { "Create organization" }
            }
            h2 { "Import a contract" }
            form method="post" action=(ctx.prefix.url("/staff/b2b/contracts/import/")) {
                (ctx.csrf_field())
                div class="field" {
                    label for="json" { "Contract JSON (as exported)" }
                    textarea id="json" name="json" rows="8" required {}
                }
                button type="submit" { "Import" }
            }
        },
    ))
}

/// POST `/staff/b2b/organizations/`.
pub async fn create_organization(
    State(state): State<AppState>,
    s: StaffAccess,
    ctx: PageCtx,
    Form(f): Form<NewOrganization>,
) -> Result<Response, AppError> {
    let id = admin::create_organization(&state, f, s.actor)
        .await
        .map_err(page_error)?;
    Ok(Redirect::to(&ctx.prefix.url(&format!("/staff/b2b/organizations/{id}/"))).into_response())
}

/// GET `/staff/b2b/organizations/{id}/`: the organization's contracts and the contract form.
pub async fn organization(
    State(state): State<AppState>,
    _s: StaffAccess,
    ctx: PageCtx,
    Path(id): Path<i64>,
) -> Result<Markup, AppError> {
    let orgs = admin_io::overview(&state).await?;
    let o = orgs
        .into_iter()
        .find(|o| o.org.id == id)
        .ok_or_else(|| AppError::NotFound("No such organization.".into()))?;
    Ok(staff_page(
        &ctx,
        &o.org.name,
        html! {
            p { a href=(ctx.prefix.url("/staff/b2b/")) { "All organizations" } }
            h2 { "Contracts" }
            ul {
                @for (k, n) in &o.contracts {
                    li { a href=(ctx.prefix.url(&format!("/staff/b2b/contracts/{}/", k.id))) { (k.name) } " — " (n) " attached" }
                }
            }
            h2 { "New contract" }
            (contract_form(&ctx, id))
        },
    ))
}

/// POST `/staff/b2b/organizations/{id}/contracts/`.
pub async fn create_contract(
    State(state): State<AppState>,
    s: StaffAccess,
    ctx: PageCtx,
    Path(org): Path<i64>,
    Form(f): Form<NewContract>,
) -> Result<Response, AppError> {
    let id = admin::create_contract(&state, org, f, s.actor)
        .await
        .map_err(page_error)?;
    Ok(Redirect::to(&ctx.prefix.url(&format!("/staff/b2b/contracts/{id}/"))).into_response())
}

#[derive(serde::Deserialize)]
pub struct ImportForm {
    #[serde(default)]
    json: String,
}

/// POST `/staff/b2b/contracts/import/`.
pub async fn import(
    State(state): State<AppState>,
    s: StaffAccess,
    ctx: PageCtx,
    Form(f): Form<ImportForm>,
) -> Result<Response, AppError> {
    let id = admin_io::import(&state, &f.json, s.actor)
        .await
        .map_err(page_error)?;
    Ok(Redirect::to(&ctx.prefix.url(&format!("/staff/b2b/contracts/{id}/"))).into_response())
}
