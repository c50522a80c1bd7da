//! `/staff/catalog/collections/`: program collections (the v2 API's `program-collections`):
//! the list with a create form, and a collection's page where its title, description and
//! ordered programs are edited (add, remove, up, down); every button saves.

use axum::extract::{Form, Path};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};

use super::forms::{Fields, error_box, get};
use super::pages_programs::{actor, refused, snapshot};
use super::service;
use super::store::CollectionFields;
use super::tree::move_in;
use crate::catalog::api::Cache;
use crate::catalog::snapshot::Catalog;
use crate::http::error::AppError;
use crate::http::staff_page::StaffPage;
use crate::staff::pages::staff_page;

fn fields_form(r: &StaffPage, f: &CollectionFields, action: &str, submit: &str) -> Markup {
    html! {
        label for="title" { "Title" }
        input id="title" name="title" required value=(f.title);
        label for="description" { "Description" }
        textarea id="description" name="description" rows="3" { (f.description) }
        button type="submit" class="button" name="op" value="save" formaction=(r.ctx.prefix.url(action)) { (submit) }
    }
}

fn list_page(r: &StaffPage, cat: &Catalog, f: &CollectionFields, errors: &[String]) -> Markup {
    let url = |p: &str| r.ctx.prefix.url(p);
    staff_page(
        &r.ctx,
        "Program collections",
        html! {
            p { a href=(url("/staff/catalog/programs/")) { "Programs" } }
            table {
                thead { tr { th { "Title" } th { "Programs" } } }
                tbody {
                    @for c in &cat.collections {
                        tr {
                            td { a href=(url(&format!("/staff/catalog/collections/{}/", c.id))) { (c.title) } }
                            td { (c.program_ids.len()) }
                        }
                    }
                }
            }
            h2 { "New collection" }
            (error_box(errors))
            form method="post" action=(url("/staff/catalog/collections/")) class="stack" {
                (r.ctx.csrf_field())
                (fields_form(r, f, "/staff/catalog/collections/", "Create the collection"))
            }
        },
    )
}

/// GET `/staff/catalog/collections/`.
pub async fn list(r: StaffPage, cache: Cache) -> Result<Markup, AppError> {
    let cat = snapshot(&r, &cache).await?;
    Ok(list_page(&r, &cat, &CollectionFields::default(), &[]))
}

fn read(form: &Fields) -> CollectionFields {
    CollectionFields {
        title: get(form, "title").unwrap_or("").to_owned(),
        description: get(form, "description").unwrap_or("").to_owned(),
        programs: form
            .iter()
            .filter(|(k, _)| k == "program")
            .map(|(_, v)| v.trim().to_owned())
            .collect(),
    }
}

/// POST `/staff/catalog/collections/`: creates it, then opens it.
pub async fn create(r: StaffPage, cache: Cache, Form(form): Form<Fields>) -> Result<Response, AppError> {
    let f = CollectionFields {
        programs: vec![],
        ..read(&form)
    };
    match service::save_collection(&r.state, actor(&r), None, f.clone()).await {
        Ok(id) => {
            Ok(Redirect::to(&r.ctx.prefix.url(&format!("/staff/catalog/collections/{id}/"))).into_response())
        }
        Err(e) => {
            let cat = snapshot(&r, &cache).await?;
            refused(e, |m| list_page(&r, &cat, &f, m))
        }
    }
}

fn edit_page(r: &StaffPage, cat: &Catalog, id: i64, f: &CollectionFields, errors: &[String]) -> Markup {
    let url = |p: &str| r.ctx.prefix.url(p);
    let action = format!("/staff/catalog/collections/{id}/");
    let title_of = |rid: &str| {
        cat.program_by_readable.get(rid).map_or_else(
            || "(no such program)".to_owned(),
            |&i| cat.programs[i].title.clone(),
        )
    };
    let button = |op: String, text: &str, label: String| html! { button type="submit" name="op" value=(op) aria-label=(label) { (text) } };
    staff_page(
        &r.ctx,
        &format!("Collection {}", f.title),
        html! {
            p { a href=(url("/staff/catalog/collections/")) { "All collections" } " · " a href=(url(&format!("/api/v2/program-collections/{id}/"))) { "API" } }
            (error_box(errors))
            form method="post" action=(url(&action)) class="stack" {
                (r.ctx.csrf_field())
                (fields_form(r, f, &action, "Save"))
                h2 { "Programs, in order" }
                @if f.programs.is_empty() { p { "No programs yet." } }
                ol {
                    @for (i, p) in f.programs.iter().enumerate() {
                        li {
                            input type="hidden" name="program" value=(p);
                            (title_of(p)) " (" (p) ") "
                            (button(format!("up:{i}"), "Up", format!("Move {p} up"))) " "
                            (button(format!("down:{i}"), "Down", format!("Move {p} down"))) " "
                            (button(format!("remove:{i}"), "Remove", format!("Remove {p}")))
                        }
                    }
                }
                label for="add" { "Add a program (readable id)" }
                input id="add" name="add" list="all-programs";
                datalist id="all-programs" { @for p in &cat.programs { option value=(p.readable_id) { (p.title) } } }
                (button("add".into(), "Add program", "Add program to the collection".into()))
            }
        },
    )
}

/// GET `/staff/catalog/collections/{id}/`.
pub async fn edit(r: StaffPage, cache: Cache, Path(id): Path<i64>) -> Result<Markup, AppError> {
    let f = service::collection(&r.state, id).await?;
    let cat = snapshot(&r, &cache).await?;
    Ok(edit_page(&r, &cat, id, &f, &[]))
}

/// POST `/staff/catalog/collections/{id}/`: applies the button (add, remove, up, down) to the
/// posted list and saves the title, description and list.
pub async fn change(
    r: StaffPage,
    cache: Cache,
    Path(id): Path<i64>,
    Form(form): Form<Fields>,
) -> Result<Response, AppError> {
    service::collection(&r.state, id).await?;
    let mut f = read(&form);
    if let Some(add) = get(&form, "add").map(str::trim).filter(|a| !a.is_empty()) {
        f.programs.push(add.to_owned());
    }
    let op = get(&form, "op").unwrap_or("save");
    let (name, at) = op.split_once(':').unwrap_or((op, ""));
    let at: Option<usize> = at.parse().ok();
    match (name, at) {
        ("save" | "add", _) => {}
        ("up", Some(i)) => {
            move_in(&mut f.programs, i, true);
        }
        ("down", Some(i)) => {
            move_in(&mut f.programs, i, false);
        }
        ("remove", Some(i)) if i < f.programs.len() => {
            f.programs.remove(i);
        }
        _ => return Err(AppError::BadRequest(format!("op: {op} is not an operation."))),
    }
    match service::save_collection(&r.state, actor(&r), Some(id), f.clone()).await {
        Ok(_) => {
            Ok(Redirect::to(&r.ctx.prefix.url(&format!("/staff/catalog/collections/{id}/"))).into_response())
        }
        Err(e) => {
            let cat = snapshot(&r, &cache).await?;
            refused(e, |m| edit_page(&r, &cat, id, &f, m))
        }
    }
}
