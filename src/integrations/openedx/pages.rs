//! Staff HTML view of the sandbox Open edX (`/staff/openedx/sandbox/`): its accounts,
//! enrollments and grades, server-rendered. Grades are set through the staff JSON API; a form
//! here waits for the identity module's CSRF protection for cookie-authenticated staff.

use axum::Router;
use axum::routing::get;
use maud::{Markup, html};
use serde_json::Value;

use super::sandbox::store as sandbox;
use crate::http::AppError;
use crate::http::layout::private_page;
use crate::http::staff_page::StaffPage;
use crate::integrations::sandbox_faults::staff as faults;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/staff/openedx/sandbox/", get(sandbox_page))
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
    let fault = faults::in_force(&r.state, "openedx").await?;
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
            (faults::section(&r.ctx, "openedx", "edX", fault.as_ref()))
            (table("Accounts", &list("users"), &[("username", "Username"), ("email", "Email"), ("name", "Name")]))
            (table("Enrollments", &list("enrollments"), &[("username", "Username"), ("course_id", "Course run"), ("mode", "Mode"), ("is_active", "Active")]))
            (table("Grades", &list("grades"), &[("username", "Username"), ("course_id", "Course run"), ("percent", "Grade"), ("passed", "Passed"), ("letter_grade", "Letter")]))
        }
    };
    Ok(private_page(&r.ctx, "Sandbox Open edX", content))
}
