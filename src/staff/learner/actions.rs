//! What staff do on the learner page. Each handler calls the owning module's service, then
//! comes back to the learner page with what happened; a refusal is a 400 page naming the
//! reason, and changes nothing.

use axum::Form;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::enrollment::bulk::{self, Outcome, Request};
use crate::enrollment::deferral::{self, DeferRequest};
use crate::enrollment::model::{Actor, Mode};
use crate::enrollment::transfer;
use crate::http::AppError;
use crate::http::staff_page::StaffPage;
use crate::users::staff_service as users;

fn actor(r: &StaffPage) -> Actor {
    Actor::staff(r.access.user_id, &r.access.actor)
}

/// Back to the learner page with `done` shown at the top.
fn back(r: &StaffPage, id: i64, done: &str) -> Result<Response, AppError> {
    let query = serde_urlencoded::to_string([("done", done)]).map_err(|e| AppError::Internal(e.into()))?;
    Ok(Redirect::to(&r.ctx.prefix.url(&format!("{}?{query}", super::url(id)))).into_response())
}

fn required<'a>(field: &str, value: &'a str) -> Result<&'a str, AppError> {
    match value.trim() {
        "" => Err(AppError::field(field, "This field is required.")),
        v => Ok(v),
    }
}

async fn email_of(r: &StaffPage, id: i64) -> Result<String, AppError> {
    Ok(users::with_address(&r.state, id).await?.0.email)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RunForm {
    run: String,
    mode: String,
}

/// One enrollment row through the bulk rules (the same checks and audit as an import row).
async fn one(r: StaffPage, id: i64, run: &str, request: Request) -> Result<Response, AppError> {
    let run = required("run", run)?.to_owned();
    let email = email_of(&r, id).await?;
    let outcome = bulk::one(&r.state, email, run.clone(), request, actor(&r)).await?;
    if let Outcome::Error(why) = &outcome {
        return Err(AppError::BadRequest(format!("{run}: {why}")));
    }
    back(&r, id, &format!("{run}: {}", outcome.describe(true)))
}

fn mode(raw: &str) -> Result<Mode, AppError> {
    raw.trim().parse().map_err(|_| {
        AppError::field(
            "mode",
            format!("`{}` is not a mode (audit or verified).", raw.trim()),
        )
    })
}

/// Enrolls in a run in a mode; also a mode change of an enrollment (that form is on active
/// rows; the same rule as an import row).
pub async fn enroll(r: StaffPage, Path(id): Path<i64>, Form(f): Form<RunForm>) -> Result<Response, AppError> {
    let m = mode(&f.mode)?;
    one(r, id, &f.run, Request::Enroll(m)).await
}

pub async fn unenroll(
    r: StaffPage,
    Path(id): Path<i64>,
    Form(f): Form<RunForm>,
) -> Result<Response, AppError> {
    one(r, id, &f.run, Request::Unenroll).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DeferForm {
    from: String,
    to: String,
    force: Option<String>,
}

/// Moves the enrollment to another run ([`deferral`]: the payment moves along).
pub async fn defer(
    r: StaffPage,
    Path(id): Path<i64>,
    Form(f): Form<DeferForm>,
) -> Result<Response, AppError> {
    let from = required("from", &f.from)?.to_owned();
    let to = required("to", &f.to)?.to_owned();
    let req = DeferRequest {
        email: email_of(&r, id).await?,
        from: from.clone(),
        to: Some(to.clone()),
        force: f.force.is_some(),
    };
    let done = deferral::defer(&r.state, req, actor(&r)).await?;
    back(&r, id, &done.summary(&from, Some(&to)))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TransferForm {
    run: String,
    email: String,
}

pub async fn transfer(
    r: StaffPage,
    Path(id): Path<i64>,
    Form(f): Form<TransferForm>,
) -> Result<Response, AppError> {
    let run = required("run", &f.run)?.to_owned();
    let to = required("email", &f.email)?.to_owned();
    transfer::transfer(&r.state, id, run.clone(), to.clone(), actor(&r)).await?;
    back(&r, id, &format!("{run}: transferred to {to}"))
}

#[derive(Deserialize)]
pub struct SessionForm {
    session: Option<String>,
}

/// Signs the learner out of one session (`session`) or everywhere.
pub async fn revoke_sessions(
    r: StaffPage,
    Path(id): Path<i64>,
    Form(f): Form<SessionForm>,
) -> Result<Response, AppError> {
    let which = match f.session.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(
            s.parse::<i64>()
                .map_err(|_| AppError::field("session", "Not a session id."))?,
        ),
    };
    let who = (r.access.user_id, r.access.actor.clone());
    let n = users::revoke_sessions(&r.state, who, id, which).await?;
    back(&r, id, &format!("{n} session(s) signed out"))
}

/// Requeues the learner's failed edX messages ([`transfer::retry_edx`]).
pub async fn retry_edx(r: StaffPage, Path(id): Path<i64>) -> Result<Response, AppError> {
    email_of(&r, id).await?;
    let n = transfer::retry_edx(&r.state, id, actor(&r)).await?;
    back(&r, id, &format!("{n} failed edX message(s) requeued"))
}
