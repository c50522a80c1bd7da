//! `/staff/catalog/departments/`: departments (list, create, rename) and topics (list,
//! create under an optional parent).

use axum::extract::Path;
use axum::response::Response;
use maud::{Markup, html};

use super::form::{FormData, post_form, required_text, see, select, split, summary, text};
use super::queries::{self, Lists};
use super::service;
use crate::http::AppError;
use crate::http::staff_page::StaffPage;
use crate::staff::pages::staff_page;
use crate::users::model::FieldErrors;

const PATH: &str = "/staff/catalog/departments/";

fn body(page: &StaffPage, lists: &Lists, errors: &FieldErrors, form: &FormData) -> Markup {
    let ctx = &page.ctx;
    let parents: Vec<(String, String)> = lists
        .topics
        .iter()
        .map(|t| (t.name.clone(), t.name.clone()))
        .collect();
    html! {
        p { a href=(ctx.prefix.url("/staff/catalog/")) { "Courses" } }
        (summary(errors))
        h2 { "Departments" }
        @if lists.departments.is_empty() { p { "None yet." } } @else {
            div class="table-wrap" { table {
                thead { tr { th scope="col" { "Name" } th scope="col" { "Slug" } th scope="col" { "Courses" } th scope="col" { "Rename" } } }
                tbody {
                    @for d in &lists.departments {
                        tr {
                            td { (d.name) } td { code { (d.extra) } } td { (d.courses) }
                            td {
                                form method="post" action=(ctx.prefix.url(&format!("{PATH}{}/", d.id))) {
                                    (ctx.csrf_field())
                                    label class="visually-hidden" for=(format!("rename-{}", d.id)) { "New name for " (d.name) }
                                    input id=(format!("rename-{}", d.id)) name="name" type="text" value=(d.name) required;
                                    button type="submit" class="secondary" { "Rename" }
                                }
                            }
                        }
                    }
                }
            } }
        }
        h3 { "New department" }
        (post_form(ctx, PATH, required_text("name", "Name", &form.get("name"), errors), "Add department"))
        h2 { "Topics" }
        @if lists.topics.is_empty() { p { "None yet." } } @else {
            ul { @for t in &lists.topics { li { (t.name) @if !t.extra.is_empty() { " (under " (t.extra) ")" } " — " (t.courses) " courses" } } }
        }
        h3 { "New topic" }
        (post_form(ctx, "/staff/catalog/topics/", html! {
            (text("topic", "Name", &form.get("topic"), errors))
            (select("parent", "parent", "Parent topic (optional)", &form.get("parent"), &parents, errors))
        }, "Add topic"))
    }
}

async fn render(page: &StaffPage, errors: &FieldErrors, form: &FormData) -> Result<Markup, AppError> {
    let lists = queries::load_lists(&page.state).await?;
    Ok(staff_page(
        &page.ctx,
        "Departments and topics",
        body(page, &lists, errors, form),
    ))
}

/// GET `/staff/catalog/departments/`.
pub async fn list(page: StaffPage) -> Result<Markup, AppError> {
    render(&page, &FieldErrors::new(), &FormData::parse("")).await
}

async fn answer<T>(
    page: &StaffPage,
    r: Result<T, service::AdminError>,
    form: &FormData,
) -> Result<Response, AppError> {
    match split(r)? {
        Ok(_) => Ok(see(&page.ctx, PATH)),
        Err(shown) => {
            let again = render(page, &shown.errors, form).await?;
            Ok(shown.page(again))
        }
    }
}

/// POST `/staff/catalog/departments/` `name`.
pub async fn add(page: StaffPage, body: String) -> Result<Response, AppError> {
    let f = FormData::parse(&body);
    let r = service::add_department(&page.state, page.access.actor.clone(), f.get("name")).await;
    answer(&page, r, &f).await
}

/// POST `/staff/catalog/departments/{id}/` `name`.
pub async fn rename(page: StaffPage, Path(id): Path<i64>, body: String) -> Result<Response, AppError> {
    let f = FormData::parse(&body);
    let r = service::rename_department(&page.state, page.access.actor.clone(), id, f.get("name")).await;
    answer(&page, r, &f).await
}

/// POST `/staff/catalog/topics/` `topic`, `parent`.
pub async fn add_topic(page: StaffPage, body: String) -> Result<Response, AppError> {
    let f = FormData::parse(&body);
    let r = service::add_topic(
        &page.state,
        page.access.actor.clone(),
        f.get("topic"),
        Some(f.get("parent")),
    )
    .await
    .map_err(|e| match e {
        service::AdminError::Invalid {
            field: "name",
            message,
        } => service::invalid("topic", message),
        e => e,
    });
    answer(&page, r, &f).await
}
