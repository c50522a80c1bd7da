//! Staff HTML view of the sandbox Open edX (`/staff/openedx/sandbox/`): its accounts,
//! enrollments and grades, server-rendered. Grades are set through the staff JSON API; a form
//! here waits for the identity module's CSRF protection for cookie-authenticated staff.

use axum::Form;
use axum::Router;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use serde_json::Value;

use super::sandbox::store as sandbox;
use crate::http::AppError;
use crate::http::layout::private_page;
use crate::http::staff_page::StaffPage;
use crate::integrations::sandbox_faults::{self, Fault};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/openedx/sandbox/", get(sandbox_page))
        .route("/staff/openedx/sandbox/fault/", post(set_fault))
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => "—".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn table(caption: &str, rows: &[Value], cols: &[(&str, &str)]) -> Markup {
    html! {
        div class="table-wrap" {
            table {
                caption { (caption) " (" (rows.len()) ")" }
                thead { tr { @for (_, label) in cols { th scope="col" { (label) } } } }
                tbody {
                    @for r in rows {
                        tr { @for (key, _) in cols { td { (cell(&r[*key])) } } }
                    }
                    @if rows.is_empty() {
                        tr { td colspan=(cols.len()) { "Nothing yet." } }
                    }
                }
            }
        }
    }
}

async fn sandbox_page(r: StaffPage) -> Result<Markup, AppError> {
    if !r.state.config.openedx_sandbox() {
        return Err(AppError::not_found());
    }
    let snap = r.state.db.read(sandbox::snapshot).await?;
    let now = r.state.clock.now();
    let fault = r
        .state
        .db
        .read(move |c| sandbox_faults::active(c, "openedx", now))
        .await?;
    let list = |k: &str| snap[k].as_array().cloned().unwrap_or_default();
    let content = html! {
        section class="container" {
            (crate::staff::pages::staff_nav(&r.ctx))
            h1 { "Sandbox Open edX" }
            p {
                "Open edX is not configured (MITXONLINE_OPENEDX_API_BASE_URL is unset), so learners' edX accounts, "
                "enrollments and grades live in this built-in sandbox. Set a grade with "
                code { "POST /api/v0/staff/openedx/sandbox/grades/" } "."
            }
            h2 { "Simulate an outage" }
            @match &fault {
                Some((f, until)) => p class="notice" role="status" { "In force until " (until) ": " (f.label()) "." },
                None => p { "Healthy: calls are answered as edX would." },
            }
            form method="post" action=(r.ctx.prefix.url("/staff/openedx/sandbox/fault/")) {
                (r.ctx.csrf_field())
                div class="field" {
                    label for="fault-kind" { "What edX does" }
                    select id="fault-kind" name="kind" {
                        option value="none" { "Healthy again (end the outage)" }
                        @for f in Fault::ALL { option value=(f.as_str()) { (f.label()) } }
                    }
                }
                div class="field" {
                    label for="fault-seconds" { "For how many seconds (1–3600)" }
                    input id="fault-seconds" type="number" name="seconds" min="1" max="3600" value="60";
                }
                button type="submit" { "Apply" }
            }
            (table("Accounts", &list("users"), &[("username", "Username"), ("email", "Email"), ("name", "Name")]))
            (table("Enrollments", &list("enrollments"), &[("username", "Username"), ("course_id", "Course run"), ("mode", "Mode"), ("is_active", "Active")]))
            (table("Grades", &list("grades"), &[("username", "Username"), ("course_id", "Course run"), ("percent", "Grade"), ("passed", "Passed"), ("letter_grade", "Letter")]))
        }
    };
    Ok(private_page(&r.ctx, "Sandbox Open edX", content))
}

/// POST `/staff/openedx/sandbox/fault/`: switches an outage on (or off), then back to the page.
async fn set_fault(r: StaffPage, Form(form): Form<Vec<(String, String)>>) -> Result<Response, AppError> {
    if !r.state.config.openedx_sandbox() {
        return Err(AppError::not_found());
    }
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let (fault, seconds) = sandbox_faults::parse_request(get("kind").unwrap_or(""), get("seconds"))
        .map_err(|(f, m)| AppError::field(f, m))?;
    sandbox_faults::set(&r.state, r.access.actor.clone(), "openedx", fault, seconds).await?;
    Ok(Redirect::to(&r.ctx.prefix.url("/staff/openedx/sandbox/")).into_response())
}
