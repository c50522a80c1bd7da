//! `/staff/catalog/` (courses, searchable) and `/staff/catalog/courses/…`: create and edit a
//! course — key, title, live, departments, topics, blocked countries, variants — and list its
//! runs.

use axum::extract::{Path, Query};
use axum::response::Response;
use maud::{Markup, html};

use super::courses::{self as service, CourseInput};
use super::form::{FormData, checkbox, checkboxes, post_form, required_text, see, split, summary, textarea};
use super::queries::{self, CourseDetail, Lists};
use crate::http::AppError;
use crate::http::staff_page::StaffPage;
use crate::staff::pages::staff_page;
use crate::users::model::FieldErrors;

#[derive(serde::Deserialize)]
pub struct Search {
    #[serde(default)]
    q: String,
}

/// GET `/staff/catalog/?q=`: courses whose key or title contains `q`.
pub async fn list(page: StaffPage, Query(s): Query<Search>) -> Result<Markup, AppError> {
    let rows = queries::courses(&page.state, s.q.clone()).await?;
    let ctx = &page.ctx;
    Ok(staff_page(
        ctx,
        "Catalog",
        html! {
            p {
                a href=(ctx.prefix.url("/staff/catalog/courses/new/")) { "New course" } " · "
                a href=(ctx.prefix.url("/staff/catalog/departments/")) { "Departments and topics" }
            }
            form method="get" action=(ctx.prefix.url("/staff/catalog/")) role="search" {
                label for="q" { "Search courses (key or title)" }
                input id="q" name="q" type="search" value=(s.q);
                button type="submit" { "Search" }
            }
            @if rows.is_empty() { p { "No courses." } } @else {
                div class="table-wrap" { table {
                    thead { tr { th scope="col" { "Course" } th scope="col" { "Title" } th scope="col" { "Live" } th scope="col" { "Runs" } } }
                    tbody {
                        @for c in &rows {
                            tr {
                                td { a href=(ctx.prefix.url(&format!("/staff/catalog/courses/{}/", c.id))) { code { (c.readable_id) } } }
                                td { (c.title) } td { @if c.live { "yes" } @else { "no" } } td { (c.runs) }
                            }
                        }
                    }
                } }
            }
        },
    ))
}

fn input_of(f: &FormData) -> CourseInput {
    CourseInput {
        readable_id: f.get("readable_id"),
        title: f.get("title"),
        live: f.flag("live"),
        departments: f.all("departments"),
        topics: f.all("topics"),
        blocked_countries: f.get("blocked_countries"),
        variants: f.get("variants"),
    }
}

fn fields(v: &CourseInput, lists: &Lists, errors: &FieldErrors) -> Markup {
    let opts = |l: &[queries::Named]| -> Vec<(String, String)> {
        l.iter().map(|n| (n.id.to_string(), n.name.clone())).collect()
    };
    html! {
        (required_text("readable_id", "Course key (course-v1:ORG+NUMBER)", &v.readable_id, errors))
        (required_text("title", "Title", &v.title, errors))
        (checkbox("live", "Live (listed in the catalog)", v.live, errors))
        (checkboxes("departments", "Departments", &opts(&lists.departments), &v.departments, errors))
        (checkboxes("topics", "Topics", &opts(&lists.topics), &v.topics, errors))
        (textarea("blocked_countries", "Blocked countries", &v.blocked_countries, "ISO codes separated by commas, like IR, KP.", errors))
        (textarea("variants", "Variants", &v.variants,
            "One a line: language, length (S), industry (E, F, HC), flags (b2b_only, inactive). The first is the default; empty means English only.", errors))
    }
}

async fn new_page(page: &StaffPage, v: &CourseInput, errors: &FieldErrors) -> Result<Markup, AppError> {
    let lists = queries::load_lists(&page.state).await?;
    Ok(staff_page(
        &page.ctx,
        "New course",
        html! {
            p { a href=(page.ctx.prefix.url("/staff/catalog/")) { "Courses" } }
            (summary(errors))
            (post_form(&page.ctx, "/staff/catalog/courses/", fields(v, &lists, errors), "Create course"))
        },
    ))
}

/// GET `/staff/catalog/courses/new/`.
pub async fn new(page: StaffPage) -> Result<Markup, AppError> {
    new_page(&page, &CourseInput::default(), &FieldErrors::new()).await
}

/// POST `/staff/catalog/courses/`.
pub async fn create(page: StaffPage, body: String) -> Result<Response, AppError> {
    let v = input_of(&FormData::parse(&body));
    let r = service::add_course(&page.state, page.access.actor.clone(), v.clone()).await;
    match split(r)? {
        Ok(id) => Ok(see(&page.ctx, &format!("/staff/catalog/courses/{id}/"))),
        Err(shown) => {
            let again = new_page(&page, &v, &shown.errors).await?;
            Ok(shown.page(again))
        }
    }
}

async fn edit_page(
    page: &StaffPage,
    d: &CourseDetail,
    v: &CourseInput,
    errors: &FieldErrors,
) -> Result<Markup, AppError> {
    let lists = queries::load_lists(&page.state).await?;
    let cms_page = crate::cms::queries::course_page(&page.state, d.id).await?;
    let ctx = &page.ctx;
    let base = format!("/staff/catalog/courses/{}/", d.id);
    let new_cms_page = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("product", &d.input.readable_id)
        .finish();
    Ok(staff_page(
        ctx,
        &format!("Course {}", d.input.readable_id),
        html! {
            p {
                a href=(ctx.prefix.url("/staff/catalog/")) { "Courses" } " · "
                a href=(ctx.prefix.url(&format!("/courses/{}/", d.input.readable_id))) { "Course page" } " · "
                @match &cms_page {
                    Some(pg) => a href=(ctx.prefix.url(&format!("/staff/cms/pages/{}/", pg.id))) {
                        "Edit its CMS page (" (if pg.live { "published" } else { "not published" }) ")"
                    },
                    None => a href=(ctx.prefix.url(&format!("/staff/cms/?{new_cms_page}#new-page"))) { "Create its CMS page" },
                }
            }
            (summary(errors))
            h2 { "Runs" }
            @if d.runs.is_empty() { p { "No runs yet." } } @else {
                div class="table-wrap" { table {
                    thead { tr { th scope="col" { "Run" } th scope="col" { "Title" } th scope="col" { "Live" } th scope="col" { "Start" } th scope="col" { "Price" } } }
                    tbody {
                        @for r in &d.runs {
                            tr {
                                td { a href=(ctx.prefix.url(&format!("/staff/catalog/runs/{}/", r.id))) { code { (r.courseware_id) } } }
                                td { (r.title) } td { @if r.live { "yes" } @else { "no" } } td { (r.start_date) }
                                td { @if let Some(p) = &r.price { "$" (p) } @else { span class="muted" { "no product" } } }
                            }
                        }
                    }
                } }
            }
            p { a href=(ctx.prefix.url(&format!("{base}runs/new/"))) { "New run" } }
            h2 { "Edit the course" }
            (post_form(ctx, &base, fields(v, &lists, errors), "Save course"))
        },
    ))
}

/// GET `/staff/catalog/courses/{id}/`.
pub async fn edit(page: StaffPage, Path(id): Path<i64>) -> Result<Markup, AppError> {
    let d = queries::course(&page.state, id).await?;
    edit_page(&page, &d, &d.input, &FieldErrors::new()).await
}

/// POST `/staff/catalog/courses/{id}/`.
pub async fn update(page: StaffPage, Path(id): Path<i64>, body: String) -> Result<Response, AppError> {
    let v = input_of(&FormData::parse(&body));
    let r = service::update_course(&page.state, page.access.actor.clone(), id, v.clone()).await;
    match split(r)? {
        Ok(()) => Ok(see(&page.ctx, &format!("/staff/catalog/courses/{id}/"))),
        Err(shown) => {
            let d = queries::course(&page.state, id).await?;
            let again = edit_page(&page, &d, &v, &shown.errors).await?;
            Ok(shown.page(again))
        }
    }
}
