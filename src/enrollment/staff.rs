//! `/staff/enrollments/`: a learner's course-run enrollments by email (run, mode, active,
//! change status, paid) and a "Defer" form posting to `/staff/enrollments/defer/`, which runs
//! [`super::deferral`] as the signed-in staff member and comes back to the learner's list with
//! what happened. A refused deferral is a 400 page naming the reason, and changes nothing.

use axum::extract::Query;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use maud::{Markup, html};
use serde::Deserialize;

use super::deferral::{self, DeferRequest};
use super::model::{Actor, Enrollment};
use super::store;
use crate::catalog::service as catalog;
use crate::http::AppError;
use crate::http::staff_page::StaffPage;
use crate::staff::pages::staff_page;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/enrollments/", get(page))
        .route("/staff/enrollments/defer/", post(defer))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Lookup {
    email: String,
    done: String,
}

/// One enrollment as listed: the row, its run's courseware id, whether it was paid for.
type Listed = (Enrollment, String, bool);

async fn load(state: &AppState, email: String) -> Result<Option<Vec<Listed>>, AppError> {
    let rows = state
        .db
        .read(move |c| {
            let Some(user) = crate::users::store::find_by_email(c, email.trim())? else {
                return Ok(None);
            };
            let mut out = Vec::new();
            for e in store::for_user(c, user.id)? {
                let key = catalog::run_facts(c, e.run_id)?
                    .map(|r| r.courseware_id)
                    .unwrap_or_default();
                let paid = store::is_paid_run(c, user.id, e.run_id)?;
                out.push((e, key, paid));
            }
            Ok::<_, rusqlite::Error>(Some(out))
        })
        .await?;
    Ok(rows)
}

async fn page(r: StaffPage, Query(q): Query<Lookup>) -> Result<Markup, AppError> {
    let email = q.email.trim().to_owned();
    let listed = if email.is_empty() {
        None
    } else {
        Some(load(&r.state, email.clone()).await?)
    };
    let p = &r.ctx.prefix;
    let body = html! {
        p { a href=(p.url("/staff/enrollments/import/")) { "Bulk enroll / unenroll from CSV" } }
        form method="get" action=(p.url("/staff/enrollments/")) {
            label for="email" { "Learner email" }
            input id="email" type="email" name="email" value=(email);
            button type="submit" { "Show enrollments" }
        }
        @if !q.done.is_empty() { p class="notice" role="status" { (q.done) } }
        @match &listed {
            None => {}
            Some(None) => p class="notice warn" { "No learner has this email." },
            Some(Some(rows)) => {
                @if rows.is_empty() { p { "No enrollments." } }
                @else {
                    div class="table-wrap" {
                        table {
                            thead { tr { th scope="col" { "Run" } th scope="col" { "Mode" } th scope="col" { "Active" } th scope="col" { "Change status" } th scope="col" { "Paid" } } }
                            tbody {
                                @for (e, key, paid) in rows {
                                    tr id=(format!("enrollment-{}", e.id)) {
                                        td { code { (key) } }
                                        td { (e.mode.as_str()) }
                                        td { @if e.active { "yes" } @else { "no" } }
                                        td { (e.change_status.map(|s| s.as_str()).unwrap_or("")) }
                                        td { @if *paid { "paid" } }
                                    }
                                }
                            }
                        }
                    }
                    h2 { "Defer" }
                    p class="muted" {
                        "Without a target run the enrollment is downgraded to audit and marked deferred. "
                        "With one, the learner is enrolled verified there (an audit enrollment there is dropped first), "
                        "this enrollment is downgraded to audit and marked deferred, and its payment moves along."
                    }
                    form method="post" action=(p.url("/staff/enrollments/defer/")) {
                        (r.ctx.csrf_field())
                        input type="hidden" name="email" value=(email);
                        label for="from" { "From run" }
                        select id="from" name="from" {
                            @for (_, key, _) in rows { option value=(key) { (key) } }
                        }
                        label for="to" { "To run (courseware id, optional)" }
                        input id="to" type="text" name="to";
                        label { input type="checkbox" name="force" value="on"; " Force (inactive source, closed target or another course)" }
                        button type="submit" { "Defer" }
                    }
                }
            }
        }
    };
    Ok(staff_page(&r.ctx, "Enrollments", body))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DeferForm {
    email: String,
    from: String,
    to: String,
    force: Option<String>,
}

async fn defer(r: StaffPage, Form(f): Form<DeferForm>) -> Result<Response, AppError> {
    for (field, value) in [("email", &f.email), ("from", &f.from)] {
        if value.trim().is_empty() {
            return Err(AppError::BadRequest(format!("{field}: This field is required.")));
        }
    }
    let to = Some(f.to.trim().to_owned()).filter(|t| !t.is_empty());
    let req = DeferRequest {
        email: f.email.trim().to_owned(),
        from: f.from.trim().to_owned(),
        to: to.clone(),
        force: f.force.is_some(),
    };
    let actor = Actor::staff(r.access.user_id, &r.access.actor);
    let done = deferral::defer(&r.state, req, actor).await?;
    let summary = done.summary(f.from.trim(), to.as_deref());
    let query = serde_urlencoded::to_string([("email", f.email.trim()), ("done", summary.as_str())])
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(Redirect::to(&r.ctx.prefix.url(&format!("/staff/enrollments/?{query}"))).into_response())
}
