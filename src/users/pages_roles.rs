//! `/staff/users/`: find accounts and set their roles — learner, staff, superuser, editor (the
//! original's "Editors" group, `is_editor`) — or deactivate them. Any staff may look; only a
//! superuser (or a staff-scope API key) may change roles. Changes are audited; deactivation and
//! role removal end the account's sessions.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use maud::{Markup, html};
use serde_json::json;

use super::forms::csrf_input;
use super::sessions;
use super::store::{self, Roles, User};
use crate::db::DbError;
use crate::http::auth::StaffAccess;
use crate::http::layout::{Meta, page};
use crate::http::session::MaybeUser;
use crate::http::{AppError, PageCtx};
use crate::state::AppState;

type Params = BTreeMap<String, String>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/users/", get(list))
        .route("/staff/users/{id}/roles/", post(set_roles))
}

fn view(ctx: &PageCtx, users: &[User], total: i64, term: &str, can_edit: bool) -> Markup {
    let p = &ctx.prefix;
    page(
        ctx,
        &Meta {
            title: "Users and roles",
            noindex: true,
            ..Meta::default()
        },
        html! {
            section class="container" {
                (crate::staff::pages::staff_nav(ctx))
                h1 { "Users and roles" }
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
                                    td { (u.email) } td { (u.name) }
                                    td {
                                        @if !u.is_active { "inactive " }
                                        @if u.is_superuser { "superuser " } @else if u.is_staff { "staff " }
                                        @if u.in_editors_group { "editor " }
                                        @if !u.is_staff && !u.is_superuser { "learner" }
                                    }
                                    @if can_edit {
                                        td {
                                            form method="post" action=(p.url(&format!("/staff/users/{}/roles/", u.id))) {
                                                (csrf_input(&ctx.csrf_token))
                                                @for (name, label, on) in [("is_staff", "Staff", u.is_staff), ("is_superuser", "Superuser", u.is_superuser), ("in_editors_group", "Editor", u.in_editors_group), ("is_active", "Active", u.is_active)] {
                                                    label { input type="checkbox" name=(name) value="on" checked[on]; " " (label) }
                                                }
                                                button type="submit" { "Save " span class="visually-hidden" { (u.email) } }
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

async fn list(
    _staff: StaffAccess,
    MaybeUser(me): MaybeUser,
    ctx: PageCtx,
    State(state): State<AppState>,
    Query(q): Query<Params>,
) -> Result<Markup, AppError> {
    let term = q.get("q").map_or("", |s| s.trim()).to_owned();
    let t2 = term.clone();
    let (users, total) = state.db.read(move |c| store::search(c, &t2, 50, 0)).await?;
    let can_edit = me.is_none_or(|u| u.is_superuser);
    Ok(view(&ctx, &users, total, &term, can_edit))
}

async fn set_roles(
    staff: StaffAccess,
    MaybeUser(me): MaybeUser,
    ctx: PageCtx,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Form(f): Form<Params>,
) -> Result<Response, AppError> {
    if me.as_ref().is_some_and(|u| !u.is_superuser) {
        return Err(AppError::Forbidden("Only superusers can change roles.".into()));
    }
    let id: i64 = id.parse().map_err(|_| AppError::not_found())?;
    if me.as_ref().is_some_and(|u| u.id == id) {
        return Err(AppError::field("roles", "You cannot change your own roles."));
    }
    let on = |k: &str| f.get(k).is_some_and(|v| v == "on" || v == "true");
    let superuser = on("is_superuser");
    let new = Roles {
        is_staff: on("is_staff") || superuser,
        is_superuser: superuser,
        in_editors_group: on("in_editors_group"),
        is_active: on("is_active"),
    };
    let now = state.clock.now();
    let actor = staff.actor;
    let actor_id = me.map(|u| u.id);
    let found = state
        .db
        .write(move |c| {
            let Some(before) = store::roles(c, id)? else {
                return Ok(false);
            };
            store::set_all_roles(c, id, new, now)?;
            let lost = (before.is_staff && !new.is_staff)
                || (before.is_superuser && !new.is_superuser)
                || !new.is_active;
            if lost {
                sessions::revoke_all(c, id, None, now)?;
            }
            crate::audit::record(
                c,
                actor_id,
                &actor,
                "user.roles",
                "user",
                &id.to_string(),
                Some(&json!(before)),
                Some(&json!(new)),
                now,
            )?;
            Ok::<_, DbError>(true)
        })
        .await?;
    if !found {
        return Err(AppError::not_found());
    }
    Ok(Redirect::to(&ctx.prefix.url("/staff/users/")).into_response())
}
