//! Google Sheets refunds and deferrals (integrations.md §6.3; the original's `sheets/` app and
//! mitol-django-google-sheets-refunds/-deferrals): the "Enrollment Change Request" spreadsheet's
//! Refunds and Deferrals tabs, read every minute (hours 10–02 UTC) by the
//! `process-google-sheets-requests` job ([`jobs`]). Each request row is recorded once by form
//! response id ([`store`]), applied through the commerce refund path or the enrollment deferral
//! service ([`service`]) and its outcome written back to the sheet ([`model`] has the layout and
//! the once-only rule).
//!
//! [`client`] speaks Sheets API v4 with a service account (`MITXONLINE_SHEETS_*`); without
//! credentials, where sandboxes run, the same client talks to the built-in sandbox spreadsheet
//! ([`sandbox`]) on our own listener, which staff view and edit at `/staff/sandbox/sheets/`
//! ([`pages`]).
//!
//! [`b2b_codes`] writes each B2B code contract's enrollment codes to its own sheet hourly,
//! with what `b2b::sheets` lists.
//!
//! Owns `sheets_requests`, `sheets_sandbox_cells` and `sheets_sandbox_token`; changes orders
//! only through `commerce::refunds::gateway` and enrollments through `enrollment::deferral`.

pub mod b2b_codes;
pub mod client;
pub mod jobs;
pub mod model;
mod pages;
pub mod sandbox;
pub mod service;
pub mod store;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use sandbox::BASE;

use crate::state::AppState;

#[derive(Debug, thiserror::Error)]
pub enum SheetsError {
    #[error("Google Sheets did not answer: {0}")]
    Transport(String),
    #[error("Google Sheets answered HTTP {status}: {body}")]
    Status { status: u16, body: String },
    #[error("unexpected answer from Google Sheets: {0}")]
    Decode(String),
    #[error("the Google service-account key is unusable: {0}")]
    Credentials(String),
    #[error("the Sheets requests could not be recorded: {0}")]
    Local(String),
}

crate::db::error_from!(rusqlite::Error, crate::db::DbError => SheetsError::Local(crate::db::error_text));

/// The client this process uses: the service account against the configured API, or the
/// sandbox's token against our own listener; `None` when neither applies (no credentials
/// and sandboxes off).
pub async fn client_for(state: &AppState) -> Result<Option<Arc<client::Client>>, SheetsError> {
    let s = &state.config.sheets;
    let (base, auth) = match &s.credentials {
        Some(path) => (
            s.base_url.as_str().to_owned(),
            client::Auth::ServiceAccount(client::ServiceAccountKey::load(path)?),
        ),
        None if state.config.sheets_sandbox() => {
            let tabs = [
                (model::Kind::Refund, s.refunds_worksheet.clone()),
                (model::Kind::Deferral, s.deferrals_worksheet.clone()),
            ];
            let id = s.spreadsheet_id.clone();
            state
                .db
                .write(move |c| {
                    let tabs: Vec<(model::Kind, &str)> = tabs.iter().map(|(k, t)| (*k, t.as_str())).collect();
                    sandbox::ensure_tabs(c, &id, &tabs)
                })
                .await?;
            let base = format!(
                "{}{}",
                crate::integrations::loopback_origin(&state.config),
                sandbox::BASE
            );
            (base, client::Auth::Bearer(sandbox::token(&state.db).await?))
        }
        None => return Ok(None),
    };
    Ok(Some(Arc::new(client::Client::new(
        state.http_client.clone(),
        &base,
        &s.spreadsheet_id,
        auth,
    ))))
}

/// The client a job uses: `Ok(None)` when Sheets is not configured, `Err` when the configured
/// credentials are unusable (every run then fails saying why).
pub type JobClient = Result<Option<Arc<client::Client>>, String>;

/// Registers the jobs (called from `modules::register`).
pub async fn register(state: &AppState) -> anyhow::Result<()> {
    let client = client_for(state).await.map_err(|e| {
        tracing::error!(error = %e, "Google Sheets cannot be used");
        e.to_string()
    });
    state.jobs.add(jobs::process_requests(client.clone()));
    state.jobs.add(b2b_codes::update_code_sheets(client));
    Ok(())
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            &format!("{BASE}/v4/spreadsheets/{{id}}/values/{{range}}"),
            get(sandbox::get_values),
        )
        .route(
            &format!("{BASE}/v4/spreadsheets/{{id}}/values:batchUpdate"),
            post(sandbox::batch_update),
        )
        .merge(pages::routes())
}
