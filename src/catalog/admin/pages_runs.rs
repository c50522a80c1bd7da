//! `/staff/catalog/runs/…`: create and edit a course run (every field of the model), with its
//! product ([`super::pages_products`]) and the Open edX actions: "Sync from Open edX" and
//! "Create in Open edX".

use axum::extract::Path;
use axum::response::Response;
use maud::{Markup, html};

use super::form::{
    FormData, checkbox, checkboxes, input, post_form, required_text, see, select, split, summary, text,
};
use super::queries::{self, RunDetail};
use super::runs::{self, DATES, RunInput, date_value};
use super::service::{INDUSTRIES, LENGTHS};
use super::{edx, pages_products};
use crate::http::AppError;
use crate::http::staff_page::StaffPage;
use crate::staff::pages::staff_page;
use crate::users::model::FieldErrors;

pub fn run_path(id: i64) -> String {
    format!("/staff/catalog/runs/{id}/")
}

fn input_of(f: &FormData) -> RunInput {
    RunInput {
        course: f.get("course"),
        title: f.get("title"),
        courseware_id: f.get("courseware_id"),
        run_tag: f.get("run_tag"),
        has_courseware_url: f.flag("has_courseware_url"),
        start_date: f.get("start_date"),
        end_date: f.get("end_date"),
        certificate_available_date: f.get("certificate_available_date"),
        enrollment_start: f.get("enrollment_start"),
        enrollment_end: f.get("enrollment_end"),
        expiration_date: f.get("expiration_date"),
        upgrade_deadline: f.get("upgrade_deadline"),
        live: f.flag("live"),
        is_self_paced: f.flag("is_self_paced"),
        is_source_run: f.flag("is_source_run"),
        is_primary_language: f.flag("is_primary_language"),
        language: f.get("language"),
        variant_length: f.get("variant_length"),
        variant_industry: f.get("variant_industry"),
        b2b_contract_id: f.get("b2b_contract_id"),
        modes: f.all("modes"),
    }
}

fn fields(v: &RunInput, modes: &[String], errors: &FieldErrors) -> Markup {
    let modes: Vec<(String, String)> = modes.iter().map(|m| (m.clone(), m.clone())).collect();
    html! {
        (required_text("title", "Title", &v.title, errors))
        (required_text("courseware_id", "Courseware id (course-v1:ORG+NUMBER+RUN)", &v.courseware_id, errors))
        (text("run_tag", "Run tag (empty: the RUN part of the courseware id)", &v.run_tag, errors))
        fieldset {
            legend { "Dates (UTC)" }
            @for (name, label) in DATES { (input("datetime-local", name, name, label, date_value(v, name), errors, "")) }
        }
        (checkbox("live", "Live", v.live, errors))
        (checkbox("is_self_paced", "Self-paced", v.is_self_paced, errors))
        (checkbox("has_courseware_url", "Has a courseware URL (off for placeholder runs)", v.has_courseware_url, errors))
        (checkboxes("modes", "Enrollment modes", &modes, &v.modes, errors))
        (text("language", "Language (empty: en)", &v.language, errors))
        (checkbox("is_primary_language", "Primary-language run of its run tag", v.is_primary_language, errors))
        (select("variant_length", "variant_length", "Variant length", &v.variant_length, &super::form::plain_options(LENGTHS), errors))
        (select("variant_industry", "variant_industry", "Variant industry", &v.variant_industry, &super::form::plain_options(INDUSTRIES), errors))
        (checkbox("is_source_run", "Source run (B2B contract runs are re-run from it)", v.is_source_run, errors))
        (text("b2b_contract_id", "B2B contract id (empty: none)", &v.b2b_contract_id, errors))
    }
}

async fn new_page(
    page: &StaffPage,
    course: i64,
    v: &RunInput,
    errors: &FieldErrors,
) -> Result<Markup, AppError> {
    let modes = queries::modes(&page.state).await?;
    let d = queries::course(&page.state, course).await?;
    let ctx = &page.ctx;
    Ok(staff_page(
        ctx,
        &format!("New run of {}", d.input.readable_id),
        html! {
            p { a href=(ctx.prefix.url(&format!("/staff/catalog/courses/{course}/"))) { "Back to the course" } }
            (summary(errors))
            (post_form(ctx, "/staff/catalog/runs/", html! {
                input type="hidden" name="course" value=(course);
                (fields(v, &modes, errors))
            }, "Create run"))
        },
    ))
}

/// GET `/staff/catalog/courses/{id}/runs/new/`.
pub async fn new(page: StaffPage, Path(course): Path<i64>) -> Result<Markup, AppError> {
    let v = RunInput {
        has_courseware_url: true,
        is_primary_language: true,
        modes: vec!["audit".into(), "verified".into()],
        ..RunInput::default()
    };
    new_page(&page, course, &v, &FieldErrors::new()).await
}

/// POST `/staff/catalog/runs/` (`course` names the course).
pub async fn create(page: StaffPage, body: String) -> Result<Response, AppError> {
    let v = input_of(&FormData::parse(&body));
    let r = runs::add_run(&page.state, page.access.actor.clone(), v.clone()).await;
    match split(r)? {
        Ok(id) => Ok(see(&page.ctx, &run_path(id))),
        Err(shown) => {
            let course = v.course.trim().parse().unwrap_or_default();
            match new_page(&page, course, &v, &shown.errors).await {
                Ok(again) => Ok(shown.page(again)),
                // No course to show the form for: the error as JSON.
                Err(_) => Err(AppError::Invalid(shown.errors)),
            }
        }
    }
}

fn run_body(page: &StaffPage, d: &RunDetail, v: &RunInput, errors: &FieldErrors) -> Markup {
    let ctx = &page.ctx;
    let base = run_path(d.id);
    html! {
        p {
            a href=(ctx.prefix.url(&format!("/staff/catalog/courses/{}/", d.course_id))) { "Course " (d.course_readable_id) } " · "
            a href=(ctx.prefix.url(&format!("/courses/{}/", d.course_readable_id))) { "Course page" }
        }
        (summary(errors))
        h2 { "Product" }
        (pages_products::section(ctx, d, errors))
        h2 { "Open edX" }
        p class="muted" { "Sync pulls the title, dates, pacing and modes Open edX has now. Create queues a Studio re-run of a source run into this run's key (retried through the outbox while Open edX is down)." }
        (post_form(ctx, &format!("{base}sync/"), html! {}, "Sync from Open edX"))
        (post_form(ctx, &format!("{base}create-in-edx/"),
            text("source", "Source run to re-run (id or courseware id; empty: the course's source run)", "", errors), "Create in Open edX"))
        h2 { "Edit the run" }
        (post_form(ctx, &base, fields(v, &d.modes, errors), "Save run"))
    }
}

/// The run's page, with `errors` shown (the answer to a failed post on it).
pub async fn show(
    page: &StaffPage,
    id: i64,
    v: Option<RunInput>,
    errors: &FieldErrors,
) -> Result<Markup, AppError> {
    let d = queries::run(&page.state, id).await?;
    let v = v.unwrap_or_else(|| d.input.clone());
    Ok(staff_page(
        &page.ctx,
        &format!("Run {}", d.input.courseware_id),
        run_body(page, &d, &v, errors),
    ))
}

/// GET `/staff/catalog/runs/{id}/`.
pub async fn edit(page: StaffPage, Path(id): Path<i64>) -> Result<Markup, AppError> {
    show(&page, id, None, &FieldErrors::new()).await
}

/// The answer to a post on run `id`'s page: back to it, or the page with the error.
pub async fn answer<T>(
    page: &StaffPage,
    id: i64,
    r: Result<T, super::service::AdminError>,
    v: Option<RunInput>,
) -> Result<Response, AppError> {
    match split(r)? {
        Ok(_) => Ok(see(&page.ctx, &run_path(id))),
        Err(shown) => {
            let again = show(page, id, v, &shown.errors).await?;
            Ok(shown.page(again))
        }
    }
}

/// POST `/staff/catalog/runs/{id}/`.
pub async fn update(page: StaffPage, Path(id): Path<i64>, body: String) -> Result<Response, AppError> {
    let v = input_of(&FormData::parse(&body));
    let r = runs::update_run(&page.state, page.access.actor.clone(), id, v.clone()).await;
    answer(&page, id, r, Some(v)).await
}

/// POST `/staff/catalog/runs/{id}/sync/`.
pub async fn sync(page: StaffPage, Path(id): Path<i64>) -> Result<Response, AppError> {
    let r = edx::sync_from_edx(&page.state, page.access.actor.clone(), id).await;
    answer(&page, id, r, None).await
}

/// POST `/staff/catalog/runs/{id}/create-in-edx/` `source`.
pub async fn create_in_edx(page: StaffPage, Path(id): Path<i64>, body: String) -> Result<Response, AppError> {
    let f = FormData::parse(&body);
    let r = edx::create_in_edx(&page.state, page.access.actor.clone(), id, f.get("source")).await;
    answer(&page, id, r, None).await
}
