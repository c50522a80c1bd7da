//! `/staff/catalog/programs/`: the program list with search, the new-program form, and a
//! program's edit page (every field, its requirements in plain language, its collections).

use axum::extract::{Form, Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::forms::{self, Fields};
use super::service::{self, Actor, ProgramAdminError};
use super::store::ProgramFields;
use crate::catalog::api::Cache;
use crate::catalog::snapshot::Catalog;
use crate::http::error::AppError;
use crate::http::staff_page::StaffPage;
use crate::staff::pages::staff_page;

pub fn actor(r: &StaffPage) -> Actor {
    Actor {
        user_id: r.access.user_id,
        label: r.access.actor.clone(),
    }
}

pub async fn snapshot(r: &StaffPage, cache: &Cache) -> Result<std::sync::Arc<Catalog>, AppError> {
    Ok(cache.get(&r.state.db).await?.0)
}

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
}

/// GET `/staff/catalog/programs/`: every program (B2B-only ones too), filtered by title or
/// readable id.
pub async fn list(r: StaffPage, cache: Cache, Query(q): Query<ListQuery>) -> Result<Markup, AppError> {
    let cat = snapshot(&r, &cache).await?;
    let needle = q.q.as_deref().unwrap_or("").trim().to_lowercase();
    let rows: Vec<_> = cat
        .programs
        .iter()
        .filter(|p| {
            needle.is_empty()
                || p.title.to_lowercase().contains(&needle)
                || p.readable_id.to_lowercase().contains(&needle)
        })
        .collect();
    let url = |p: &str| r.ctx.prefix.url(p);
    Ok(staff_page(
        &r.ctx,
        "Programs",
        html! {
            p { a class="button" href=(url("/staff/catalog/programs/new/")) { "New program" } " " a href=(url("/staff/catalog/collections/")) { "Program collections" } }
            form method="get" role="search" {
                label { "Title or readable id contains " input type="search" name="q" value=[q.q.as_deref()]; }
                " " button type="submit" { "Search" }
            }
            p { (rows.len()) " programs" }
            table {
                thead { tr { th { "Readable id" } th { "Title" } th { "Type" } th { "Live" } th { "Courses" } } }
                tbody {
                    @for p in &rows {
                        tr {
                            td { a href=(url(&format!("/staff/catalog/programs/{}/", p.id))) { (p.readable_id) } }
                            td { (p.title) }
                            td { (p.program_type) }
                            td { @if p.live { "yes" } @else { "no" } @if p.b2b_only { " (B2B only)" } }
                            td { (p.course_ids().len()) }
                        }
                    }
                }
            }
        },
    ))
}

fn new_page(r: &StaffPage, cat: &Catalog, f: &ProgramFields, errors: &[String]) -> Markup {
    staff_page(
        &r.ctx,
        "New program",
        html! {
            (forms::error_box(errors))
            p { "The program starts with no requirements; add them on its requirements page after creating it." }
            (forms::program_form(&r.ctx, cat, "/staff/catalog/programs/", f, "Create the program"))
        },
    )
}

/// GET `/staff/catalog/programs/new/`.
pub async fn new(r: StaffPage, cache: Cache) -> Result<Markup, AppError> {
    let cat = snapshot(&r, &cache).await?;
    let f = ProgramFields {
        program_type: "Series".into(),
        availability: "anytime".into(),
        ..ProgramFields::default()
    };
    Ok(new_page(&r, &cat, &f, &[]))
}

/// A refused form shown again with its message (400), or the error itself.
pub fn refused(e: ProgramAdminError, page: impl FnOnce(&[String]) -> Markup) -> Result<Response, AppError> {
    match e {
        ProgramAdminError::Invalid { .. } | ProgramAdminError::Tree(_) => {
            Ok((StatusCode::BAD_REQUEST, page(&[e.to_string()])).into_response())
        }
        other => Err(other.into()),
    }
}

/// POST `/staff/catalog/programs/`: creates the program, then opens it.
pub async fn create(r: StaffPage, cache: Cache, Form(form): Form<Fields>) -> Result<Response, AppError> {
    let cat = snapshot(&r, &cache).await?;
    let f = match forms::program_fields(&form) {
        Ok(f) => f,
        Err(e) => return refused(e, |m| new_page(&r, &cat, &ProgramFields::default(), m)),
    };
    match service::create_program(&r.state, actor(&r), f.clone()).await {
        Ok(id) => {
            Ok(Redirect::to(&r.ctx.prefix.url(&format!("/staff/catalog/programs/{id}/"))).into_response())
        }
        Err(e) => refused(e, |m| new_page(&r, &cat, &f, m)),
    }
}

fn edit_page(
    r: &StaffPage,
    cat: &Catalog,
    id: i64,
    f: &ProgramFields,
    tree: &super::tree::Tree,
    errors: &[String],
) -> Markup {
    let url = |p: &str| r.ctx.prefix.url(p);
    let collections: Vec<_> = cat
        .collections
        .iter()
        .filter(|c| c.program_ids.contains(&id))
        .collect();
    staff_page(
        &r.ctx,
        &format!("Program {}", f.readable_id),
        html! {
            (forms::error_box(errors))
            p {
                a href=(url("/staff/catalog/programs/")) { "All programs" }
                @if f.live && !f.b2b_only { " · " a href=(url(&format!("/programs/{}/", f.readable_id))) { "Public page" } }
                " · " a href=(url(&format!("/api/v2/programs/{id}/"))) { "API" }
            }
            section aria-labelledby="reqs" {
                h2 id="reqs" { "Requirements" }
                (super::pages_requirements::summary(cat, tree))
                p { a class="button" href=(url(&format!("/staff/catalog/programs/{id}/requirements/"))) { "Edit the requirements" } }
            }
            section aria-labelledby="fields" {
                h2 id="fields" { "Fields" }
                (forms::program_form(&r.ctx, cat, &format!("/staff/catalog/programs/{id}/"), f, "Save"))
            }
            section aria-labelledby="colls" {
                h2 id="colls" { "Collections" }
                @if collections.is_empty() { p { "In no collection." } }
                ul { @for c in &collections { li { a href=(url(&format!("/staff/catalog/collections/{}/", c.id))) { (c.title) } } } }
            }
        },
    )
}

/// GET `/staff/catalog/programs/{id}/`.
pub async fn edit(r: StaffPage, cache: Cache, Path(id): Path<i64>) -> Result<Markup, AppError> {
    let cat = snapshot(&r, &cache).await?;
    let (f, tree) = service::program(&r.state, id).await?;
    Ok(edit_page(&r, &cat, id, &f, &tree, &[]))
}

/// POST `/staff/catalog/programs/{id}/`: saves every field.
pub async fn update(
    r: StaffPage,
    cache: Cache,
    Path(id): Path<i64>,
    Form(form): Form<Fields>,
) -> Result<Response, AppError> {
    let (current, tree) = service::program(&r.state, id).await?;
    let cat = snapshot(&r, &cache).await?;
    let f = match forms::program_fields(&form) {
        Ok(f) => f,
        Err(e) => return refused(e, |m| edit_page(&r, &cat, id, &current, &tree, m)),
    };
    match service::update_program(&r.state, actor(&r), id, f.clone()).await {
        Ok(()) => {
            Ok(Redirect::to(&r.ctx.prefix.url(&format!("/staff/catalog/programs/{id}/"))).into_response())
        }
        Err(e) => refused(e, |m| edit_page(&r, &cat, id, &f, &tree, m)),
    }
}
