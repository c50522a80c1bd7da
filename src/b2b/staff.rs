//! The B2B staff console at `/staff/b2b/`: organizations and their contracts, forms to create
//! both, and contract import. Contract pages are in [`super::staff_contract`]. Every change
//! goes through [`super::admin`], which validates and audits it.

use axum::extract::{Form, FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};

use super::admin::{self, NewContract, NewOrganization};
use super::admin_io;
use super::model::Contract;
use crate::http::auth::StaffAccess;
use crate::http::staff_page::StaffPage;
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

/// A staff form post: the state, who acts, and the page context to send them on with.
pub struct StaffWrite {
    pub state: AppState,
    pub actor: String,
    ctx: PageCtx,
}

impl FromRequestParts<AppState> for StaffWrite {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let s = StaffAccess::from_request_parts(parts, state).await?;
        let Ok(ctx) = PageCtx::from_request_parts(parts, state).await;
        Ok(StaffWrite {
            state: state.clone(),
            actor: s.actor,
            ctx,
        })
    }
}

impl StaffWrite {
    /// The change's error spelled out (a field error names the field), or a redirect to the
    /// page `path` makes of its result.
    pub fn then<T>(
        &self,
        r: Result<T, super::B2bError>,
        path: impl FnOnce(T) -> String,
    ) -> Result<Response, AppError> {
        let v = r.map_err(page_error)?;
        Ok(Redirect::to(&self.ctx.prefix.url(&path(v))).into_response())
    }
}

fn text_input(id: &str, label: &str, required: bool, hint: &str) -> Markup {
    valued_input(id, label, "", required, hint)
}

fn valued_input(id: &str, label: &str, value: &str, required: bool, hint: &str) -> Markup {
    html! {
        div class="field" {
            label for=(id) { (label) }
            input id=(id) name=(id) type="text" value=(value) required[required];
            @if !hint.is_empty() { span class="muted" { (hint) } }
        }
    }
}

fn day(d: Option<chrono::NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

/// The terms a contract is created with, empty or (when editing) showing `k`'s.
pub fn contract_fields(k: Option<&Contract>) -> Markup {
    let text = |f: fn(&Contract) -> String| k.map(f).unwrap_or_default();
    let kind = k.map(|k| k.membership_type.as_str()).unwrap_or("code");
    html! {
        (valued_input("name", "Name", &text(|k| k.name.clone()), true, ""))
        @if k.is_none() { (text_input("slug", "Slug", false, "Default: from the name.")) }
        div class="field" {
            label for="membership_type" { "Membership" }
            select id="membership_type" name="membership_type" {
                @for (v, label) in [
                    ("code", "code — learners join with an enrollment code"),
                    ("managed", "managed — Keycloak says who belongs"),
                    ("auto", "auto — every organization member"),
                ] {
                    option value=(v) selected[v == kind] { (label) }
                }
            }
        }
        (valued_input("contract_start", "Start (YYYY-MM-DD)", &text(|k| day(k.contract_start)), false, ""))
        (valued_input("contract_end", "End (YYYY-MM-DD)", &text(|k| day(k.contract_end)), false, ""))
        (valued_input("max_learners", "Seats", &text(|k| k.max_learners.map(|m| m.to_string()).unwrap_or_default()), false, "Empty or 0: unlimited."))
        (valued_input("enrollment_fixed_price", "Price per seat", &text(|k| k.enrollment_fixed_price.map(|p| p.to_string()).unwrap_or_default()), false, "Empty or 0: free."))
        (valued_input("description", "Description", &text(|k| k.description.clone()), false, ""))
        (valued_input("welcome_message", "Welcome message", &text(|k| k.welcome_message.clone()), false, ""))
        (valued_input("welcome_message_extra", "Welcome message (more)", &text(|k| k.welcome_message_extra.clone()), false, ""))
    }
}

pub fn contract_form(ctx: &PageCtx, org: i64) -> Markup {
    html! {
        form method="post" action=(ctx.prefix.url(&format!("/staff/b2b/organizations/{org}/contracts/"))) {
            (ctx.csrf_field())
            (contract_fields(None))
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
    w: StaffWrite,
    Form(f): Form<NewOrganization>,
) -> Result<Response, AppError> {
    let r = admin::create_organization(&w.state, f, w.actor.clone()).await;
    w.then(r, |id| format!("/staff/b2b/organizations/{id}/"))
}

/// GET `/staff/b2b/organizations/{id}/`: the organization's contracts and the contract form.
pub async fn organization(r: StaffPage, Path(id): Path<i64>) -> Result<Markup, AppError> {
    let orgs = admin_io::overview(&r.state).await?;
    let o = orgs
        .into_iter()
        .find(|o| o.org.id == id)
        .ok_or_else(|| AppError::NotFound("No such organization.".into()))?;
    Ok(staff_page(
        &r.ctx,
        &o.org.name,
        html! {
            p { a href=(r.ctx.prefix.url("/staff/b2b/")) { "All organizations" } }
            h2 { "Contracts" }
            ul {
                @for (k, n) in &o.contracts {
                    li { a href=(r.ctx.prefix.url(&format!("/staff/b2b/contracts/{}/", k.id))) { (k.name) } " — " (n) " attached" }
                }
            }
            h2 { "New contract" }
            (contract_form(&r.ctx, id))
        },
    ))
}

/// POST `/staff/b2b/organizations/{id}/contracts/`.
pub async fn create_contract(
    w: StaffWrite,
    Path(org): Path<i64>,
    Form(f): Form<NewContract>,
) -> Result<Response, AppError> {
    let r = admin::create_contract(&w.state, org, f, w.actor.clone()).await;
    w.then(r, contract_page)
}

/// The staff page of contract `id`.
pub fn contract_page(id: i64) -> String {
    format!("/staff/b2b/contracts/{id}/")
}

#[derive(serde::Deserialize)]
pub struct ImportForm {
    #[serde(default)]
    json: String,
}

/// POST `/staff/b2b/contracts/import/`.
pub async fn import(w: StaffWrite, Form(f): Form<ImportForm>) -> Result<Response, AppError> {
    let r = admin_io::import(&w.state, &f.json, w.actor.clone()).await;
    w.then(r, contract_page)
}
