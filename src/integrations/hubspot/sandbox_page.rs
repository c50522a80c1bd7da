//! Staff view of the sandbox HubSpot CRM (`/staff/sandbox/hubspot/`): the contacts, deals,
//! line items, products and certificate custom objects the sync sent, newest first, with their associations.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use maud::{Markup, html};
use serde_json::Value;

use super::{ObjectType, sandbox};
use crate::http::auth::StaffAccess;
use crate::http::{AppError, PageCtx};
use crate::staff::pages::staff_page;
use crate::state::AppState;

const SHOWN: i64 = 200;

pub fn routes() -> Router<AppState> {
    Router::new().route("/staff/sandbox/hubspot/", get(page))
}

fn section(title: &str, objects: &[Value]) -> Markup {
    html! {
        section {
            h2 { (title) " (" (objects.len()) ")" }
            @if objects.is_empty() {
                p { "Nothing yet." }
            }
            @for o in objects {
                details {
                    summary {
                        "#" (o["id"].as_str().unwrap_or_default()) " "
                        (o["properties"]["dealname"].as_str()
                            .or(o["properties"]["email"].as_str())
                            .or(o["properties"]["name"].as_str())
                            .or(o["properties"]["unique_app_id"].as_str())
                            .unwrap_or_default())
                    }
                    dl {
                        @if let Some(props) = o["properties"].as_object() {
                            @for (k, v) in props {
                                dt { code { (k) } }
                                dd { (v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string())) }
                            }
                        }
                        dt { "associated to" }
                        dd { (o["associations"].as_str().filter(|s| !s.is_empty()).unwrap_or("—")) }
                        dt { "updated" }
                        dd { (o["updatedAt"].as_str().unwrap_or_default()) }
                    }
                }
            }
        }
    }
}

async fn page(State(state): State<AppState>, _staff: StaffAccess, ctx: PageCtx) -> Result<Markup, AppError> {
    let h = &state.config.hubspot;
    if h.access_token.is_some() || !state.config.sandbox_allowed() {
        return Err(AppError::not_found());
    }
    let types = [
        (ObjectType::Contacts, "Contacts"),
        (ObjectType::Deals, "Deals"),
        (ObjectType::LineItems, "Line items"),
        (ObjectType::Products, "Products"),
        (ObjectType::CourseRunCertificates, "Course run certificates"),
        (ObjectType::ProgramCertificates, "Program certificates"),
    ];
    let lists = state
        .db
        .read(move |c| {
            types
                .iter()
                .map(|(t, title)| Ok((*title, sandbox::objects(c, *t, SHOWN)?)))
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .await?;
    let fault = crate::integrations::sandbox_faults::staff::in_force(&state, "hubspot").await?;
    let body = html! {
        @if !h.sync {
            p { strong { "The sync is off (MITXONLINE_HUBSPOT_SYNC=off): nothing new arrives here." } }
        }
        p {
            "HubSpot is not configured (MITXONLINE_HUBSPOT_ACCESS_TOKEN is unset), so the CRM sync writes to "
            "this built-in sandbox. Up to " (SHOWN) " of each kind, newest first."
        }
        (crate::integrations::sandbox_faults::staff::section(&ctx, "hubspot", "HubSpot", fault.as_ref()))
        @for (title, objects) in &lists {
            (section(title, objects))
        }
    };
    Ok(staff_page(&ctx, "Sandbox HubSpot", body))
}
