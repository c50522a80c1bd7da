//! Partner schools (the original's `PartnerSchool`): the schools a learner may send a program
//! record to. Staff add and remove them at `/staff/certificates/partner-schools/`, each change
//! audited; a removed school is deactivated (its past shares keep pointing at it) and is no
//! longer offered by `/api/v1/partnerschools/` or the record page.

use axum::extract::{Form, Query};
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::json;

use super::manage::Staff;
use super::model::CertificateError;
use super::staff::{back_to, staff};
use super::store;
use crate::audit;
use crate::http::staff_page::StaffPage;
use crate::http::{AppError, PageCtx};
use crate::staff::pages::staff_page;
use crate::state::AppState;

const PATH: &str = "/staff/certificates/partner-schools/";

fn invalid(field: &'static str, message: &str) -> CertificateError {
    CertificateError::Invalid {
        field,
        message: message.into(),
    }
}

/// Adds a partner school (name 1–255 characters, a valid email), audited. Returns its id.
pub async fn add(state: &AppState, name: &str, email: &str, by: Staff) -> Result<i64, CertificateError> {
    let name = name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 255 {
        return Err(invalid(
            "name",
            "Enter the name of the school (up to 255 characters).",
        ));
    }
    let email = crate::users::rules::validate_email(email).map_err(|m| invalid("email", &m))?;
    state
        .write_at(move |c, now| -> Result<i64, CertificateError> {
            let id = store::insert_partner_school(c, &name, &email)?;
            audit::record(
                c,
                by.user_id,
                &by.label,
                "partner_school.create",
                "partner_school",
                &id.to_string(),
                None,
                Some(&json!({ "name": name, "email": email, "is_active": true })),
                now,
            )?;
            Ok(id)
        })
        .await
}

/// Removes (deactivates) an active partner school, audited. Returns its name.
pub async fn remove(state: &AppState, id: i64, by: Staff) -> Result<String, CertificateError> {
    state
        .write_at(move |c, now| -> Result<String, CertificateError> {
            let (_, name, email) = store::partner_schools(c)?
                .into_iter()
                .find(|s| s.0 == id)
                .ok_or_else(|| invalid("id", "No such partner school."))?;
            store::deactivate_partner_school(c, id)?;
            let data = |active: bool| json!({ "name": name, "email": email, "is_active": active });
            audit::record(
                c,
                by.user_id,
                &by.label,
                "partner_school.remove",
                "partner_school",
                &id.to_string(),
                Some(&data(true)),
                Some(&data(false)),
                now,
            )?;
            Ok(name)
        })
        .await
}

#[derive(Deserialize, Default)]
pub struct Done {
    #[serde(default)]
    done: String,
}

/// GET `/staff/certificates/partner-schools/`: the active schools, each with a remove button,
/// and a form to add one.
pub async fn index(r: StaffPage, Query(q): Query<Done>) -> Result<Markup, AppError> {
    let ctx = &r.ctx;
    let schools = r
        .state
        .db
        .read(|c| store::partner_schools(c).map_err(CertificateError::from))
        .await?;
    Ok(staff_page(
        ctx,
        "Partner schools",
        html! {
            @if !q.done.is_empty() { p class="notice" role="status" { (q.done) } }
            p { "Learners can send their program records to these schools." }
            @if schools.is_empty() { p { "No partner schools." } }
            div class="table-wrap" { table {
                thead { tr { th scope="col" { "School" } th scope="col" { "Email" } th scope="col" { "Remove" } } }
                tbody { @for (id, name, email) in &schools { tr {
                    td { (name) }
                    td { (email) }
                    td { form method="post" class="inline" action=(ctx.prefix.url(&format!("{PATH}remove/"))) {
                        (ctx.csrf_field())
                        input type="hidden" name="id" value=(id);
                        button type="submit" class="secondary" aria-label=(format!("Remove {name}")) { "Remove" }
                    } }
                } } }
            } }
            h2 { "Add a partner school" }
            form method="post" action=(ctx.prefix.url(&format!("{PATH}add/"))) {
                (ctx.csrf_field())
                label for="school-name" { "Name" }
                input id="school-name" type="text" name="name" required maxlength="255";
                label for="school-email" { "Email" }
                input id="school-email" type="email" name="email" required;
                button type="submit" { "Add" }
            }
        },
    ))
}

fn back(ctx: &PageCtx, done: &str) -> Response {
    back_to(ctx, PATH, &[("done", done)])
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AddForm {
    name: String,
    email: String,
}

/// POST `/staff/certificates/partner-schools/add/`: `name`, `email`.
pub async fn add_form(r: StaffPage, Form(f): Form<AddForm>) -> Result<Response, AppError> {
    add(&r.state, &f.name, &f.email, staff(&r.access)).await?;
    Ok(back(&r.ctx, &format!("Added {}.", f.name.trim())))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RemoveForm {
    id: String,
}

/// POST `/staff/certificates/partner-schools/remove/`: `id`.
pub async fn remove_form(r: StaffPage, Form(f): Form<RemoveForm>) -> Result<Response, AppError> {
    let id =
        f.id.trim()
            .parse()
            .map_err(|_| AppError::field("id", "Choose a partner school."))?;
    let name = remove(&r.state, id, staff(&r.access)).await?;
    Ok(back(&r.ctx, &format!("Removed {name}.")))
}
