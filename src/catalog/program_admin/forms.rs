//! The program form: reading its fields from a posted form and rendering it (every field of
//! the model), plus the small helpers the console's forms share.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use maud::{Markup, html};

use super::service::{ProgramAdminError, invalid};
use super::store::ProgramFields;
use crate::catalog::snapshot::Catalog;
use crate::http::page::PageCtx;

/// A posted form, in order (repeated names kept).
pub type Fields = Vec<(String, String)>;

pub fn get<'a>(f: &'a Fields, k: &str) -> Option<&'a str> {
    f.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
}

fn text(f: &Fields, k: &str) -> String {
    get(f, k).unwrap_or("").trim().to_owned()
}

fn ids(f: &Fields, k: &'static str) -> Result<Vec<i64>, ProgramAdminError> {
    f.iter()
        .filter(|(n, _)| n == k)
        .map(|(_, v)| {
            v.trim()
                .parse()
                .map_err(|_| invalid(k, format!("{v} is not an id.")))
        })
        .collect()
}

/// `YYYY-MM-DDTHH:MM` (a `datetime-local` input, read as UTC) or `YYYY-MM-DD`; empty is none.
fn datetime(f: &Fields, k: &'static str) -> Result<Option<DateTime<Utc>>, ProgramAdminError> {
    let v = text(f, k);
    if v.is_empty() {
        return Ok(None);
    }
    NaiveDateTime::parse_from_str(&v, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(&v, "%Y-%m-%dT%H:%M:%S"))
        .or_else(|_| NaiveDate::parse_from_str(&v, "%Y-%m-%d").map(|d| d.and_time(Default::default())))
        .map(|t| Some(t.and_utc()))
        .map_err(|_| invalid(k, "Enter a date and time as YYYY-MM-DDTHH:MM (UTC)."))
}

/// The program's fields from the posted form (checkboxes absent mean off).
pub fn program_fields(f: &Fields) -> Result<ProgramFields, ProgramAdminError> {
    let on = |k: &str| get(f, k).is_some_and(|v| v == "on");
    Ok(ProgramFields {
        title: text(f, "title"),
        readable_id: text(f, "readable_id"),
        live: on("live"),
        program_type: text(f, "program_type"),
        availability: match text(f, "availability") {
            a if a.is_empty() => "anytime".into(),
            a => a,
        },
        enrollment_start: datetime(f, "enrollment_start")?,
        enrollment_end: datetime(f, "enrollment_end")?,
        start_date: datetime(f, "start_date")?,
        end_date: datetime(f, "end_date")?,
        display_mode: Some(text(f, "display_mode")).filter(|m| !m.is_empty()),
        b2b_only: on("b2b_only"),
        departments: ids(f, "departments")?,
        modes: ids(f, "modes")?,
    })
}

/// A box listing what was refused (nothing was saved).
pub fn error_box(errors: &[String]) -> Markup {
    html! {
        @if !errors.is_empty() {
            div class="notice error" role="alert" {
                p { "Nothing was saved:" }
                ul { @for e in errors { li { (e) } } }
            }
        }
    }
}

fn local(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%dT%H:%M").to_string())
        .unwrap_or_default()
}

/// Every field of a program, filled from `p`, posting to `action`.
pub fn program_form(ctx: &PageCtx, cat: &Catalog, action: &str, p: &ProgramFields, submit: &str) -> Markup {
    let date = |name: &str, label: &str, v: Option<DateTime<Utc>>| {
        html! {
            label for=(name) { (label) " (UTC)" }
            input id=(name) type="datetime-local" name=(name) value=(local(v));
        }
    };
    html! {
        form method="post" action=(ctx.prefix.url(action)) class="stack" {
            (ctx.csrf_field())
            label for="title" { "Title" }
            input id="title" name="title" required maxlength="255" value=(p.title);
            label for="readable_id" { "Readable id" }
            input id="readable_id" name="readable_id" required maxlength="255" placeholder="program-v1:MITx+NAME" value=(p.readable_id);
            label for="program_type" { "Program type" }
            input id="program_type" name="program_type" list="program-types" value=(p.program_type);
            datalist id="program-types" {
                @for t in ["Series", "MicroMasters®", "Professional Certificate", "Certificate"] { option value=(t) {} }
            }
            label { input type="checkbox" name="live" value="on" checked[p.live]; " Live (shown in the catalog)" }
            label { input type="checkbox" name="b2b_only" value="on" checked[p.b2b_only]; " B2B only (offered through contracts, hidden from the public catalog)" }
            label for="availability" { "Availability" }
            select id="availability" name="availability" {
                @for a in ["anytime", "dated"] { option value=(a) selected[p.availability == a] { (a) } }
            }
            label for="display_mode" { "Display mode" }
            select id="display_mode" name="display_mode" {
                option value="" selected[p.display_mode.is_none()] { "program" }
                option value="course" selected[p.display_mode.as_deref() == Some("course")] { "course" }
            }
            (date("start_date", "Start", p.start_date))
            (date("end_date", "End", p.end_date))
            (date("enrollment_start", "Enrollment opens", p.enrollment_start))
            (date("enrollment_end", "Enrollment closes", p.enrollment_end))
            fieldset {
                legend { "Departments" }
                @if cat.departments.is_empty() { p class="muted" { "No departments yet." } }
                @for d in &cat.departments {
                    label { input type="checkbox" name="departments" value=(d.id) checked[p.departments.contains(&d.id)]; " " (d.name) }
                }
            }
            fieldset {
                legend { "Enrollment modes" }
                @if cat.modes.is_empty() { p class="muted" { "No enrollment modes yet." } }
                @for m in &cat.modes {
                    label { input type="checkbox" name="modes" value=(m.id) checked[p.modes.contains(&m.id)]; " " (m.mode_display_name) " (" (m.mode_slug) ")" }
                }
            }
            button type="submit" class="button" { (submit) }
        }
    }
}
