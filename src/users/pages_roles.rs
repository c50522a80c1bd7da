//! `/staff/users/`: find accounts and set their roles — learner, staff, superuser, editor (the
//! original's "Editors" group, `is_editor`) — deactivate them, or mark an account as a service
//! account (one bearer tokens may be issued for; never a person's account). Any staff may look;
//! only a signed-in superuser may change roles — never an API key or token, never their own.
//! Changes are audited; deactivation and role removal end the account's sessions. Superusers
//! can also retire an account ([`super::retirement`]).

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use maud::{Markup, html};

use super::forms::csrf_input;
use super::staff_service::{self, RoleChange};
use super::store::{Roles, User};
use crate::http::auth::{SuperuserAccess, require_superuser};
use crate::http::staff_page::StaffPage;
use crate::http::{AppError, PageCtx};
use crate::state::AppState;

type Params = BTreeMap<String, String>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/users/", get(list))
        .route("/staff/users/{id}/roles/", post(set_roles))
        .route("/staff/users/{id}/retire/", post(retire))
}

fn view(ctx: &PageCtx, users: &[User], total: i64, term: &str, can_edit: bool) -> Markup {
    let p = &ctx.prefix;
    crate::staff::pages::staff_page(
        ctx,
        "Users and roles",
        html! {
                form method="get" action=(p.url("/staff/users/")) {
                    label for="q" { "Search by name, username or email" }
                    input id="q" type="text" name="q" value=(term);
                    button type="submit" { "Search" }
                }
                p { (total) " matching accounts" @if total > 50 { " (first 50 shown)" } }
                @if !can_edit { p class="notice warn" { "Only superusers can change roles." } }
                div class="table-wrap" {
                    table {
                        thead { tr { th { "Email" } th { "Name" } th { "Roles" } @if can_edit { th { "Change" } } } }
                        tbody {
                            @for u in users {
                                tr id=(format!("user-{}", u.id)) {
                                    td {
                                        a href=(p.url(&format!("/staff/users/{}/", u.id))) { (u.email) } br;
                                        a href=(p.url(&format!("/staff/enrollments/?email={}", percent_encoding::utf8_percent_encode(&u.email, percent_encoding::NON_ALPHANUMERIC)))) {
                                            "Enrollments" span class="visually-hidden" { " of " (u.email) }
                                        }
                                    }
                                    td { (u.name) }
                                    td {
                                        @if !u.is_active { "inactive " }
                                        @if u.is_superuser { "superuser " } @else if u.is_staff { "staff " }
                                        @if u.in_editors_group { "editor " }
                                        @if u.is_service_account { "service account " }
                                        @if !u.is_staff && !u.is_superuser && !u.is_service_account { "learner" }
                                    }
                                    @if can_edit {
                                        td {
                                            form method="post" action=(p.url(&format!("/staff/users/{}/roles/", u.id))) {
                                                (csrf_input(&ctx.csrf_token))
                                                @for (name, label, on) in [("is_staff", "Staff", u.is_staff), ("is_superuser", "Superuser", u.is_superuser), ("in_editors_group", "Editor", u.in_editors_group), ("is_active", "Active", u.is_active), ("is_service_account", "Service account", u.is_service_account)] {
                                                    label { input type="checkbox" name=(name) value="on" checked[on]; " " (label) }
                                                }
                                                button type="submit" { "Save " span class="visually-hidden" { (u.email) } }
                                            }
                                            @if u.is_active && !u.is_superuser {
                                                details {
                                                    summary { "Retire" span class="visually-hidden" { " " (u.email) } }
                                                    form method="post" action=(p.url(&format!("/staff/users/{}/retire/", u.id))) {
                                                        (csrf_input(&ctx.csrf_token))
                                                        p class="muted" { "Deactivates the account, replaces its email, makes its password unusable and ends its sessions. This cannot be undone here." }
                                                        label { input type="checkbox" name="block" value="on"; " Block this email from making a new account" }
                                                        button type="submit" class="danger" { "Retire " (u.email) }
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
        },
    )
}

async fn list(r: StaffPage, Query(q): Query<Params>) -> Result<Markup, AppError> {
    let term = q.get("q").map_or("", |s| s.trim()).to_owned();
    let (users, total) = staff_service::search(&r.state, term.clone(), 50, 0).await?;
    let can_edit = require_superuser(&r.id).is_ok();
    Ok(view(&r.ctx, &users, total, &term, can_edit))
}

/// POST `/staff/users/{id}/retire/` (superusers): retires the account ([`super::retirement`]).
async fn retire(
    staff: SuperuserAccess,
    ctx: PageCtx,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Form(f): Form<Params>,
) -> Result<Response, AppError> {
    let id = crate::http::extract::path_id(&id)?;
    let block = f.get("block").is_some_and(|v| v == "on" || v == "true");
    super::retirement::retire(&state, staff.actor, Some(staff.user.id), id.to_string(), block).await?;
    Ok(Redirect::to(&ctx.prefix.url("/staff/users/")).into_response())
}

async fn set_roles(
    staff: SuperuserAccess,
    ctx: PageCtx,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Form(f): Form<Params>,
) -> Result<Response, AppError> {
    let id = crate::http::extract::path_id(&id)?;
    let on = |k: &str| f.get(k).is_some_and(|v| v == "on" || v == "true");
    let superuser = on("is_superuser");
    let change = RoleChange {
        roles: Roles {
            is_staff: on("is_staff") || superuser,
            is_superuser: superuser,
            in_editors_group: on("in_editors_group"),
            is_active: on("is_active"),
        },
        service_account: on("is_service_account"),
    };
    staff_service::set_roles(&state, staff.actor, staff.user.id, id, change).await?;
    Ok(Redirect::to(&ctx.prefix.url("/staff/users/")).into_response())
}
