//! `/staff/flows/`: the map and a table of every flow's figures with links and run-now forms.

use maud::{Markup, html};

use super::model::FlowStatus;
use super::{service, svg};
use crate::http::AppError;
use crate::http::staff_page::StaffPage;
use crate::staff::pages::staff_page;

fn first_link(r: &StaffPage, f: &FlowStatus) -> String {
    match (f.destinations.first(), f.jobs.first()) {
        (Some(_), _) => r.ctx.prefix.url("/staff/outbox/"),
        (None, Some(job)) => r.ctx.prefix.url(&format!("/staff/jobs/{job}/")),
        (None, None) => r.ctx.prefix.url("/health/full/"),
    }
}

pub async fn page(r: StaffPage) -> Result<Markup, AppError> {
    let flows = service::flows(&r.state).await?;
    Ok(staff_page(
        &r.ctx,
        "Data flows",
        html! {
            p { "Every flow between this appliance and its partners, now. Red: failing or dead letters waiting; amber: errors in the last 24 hours; green: working; grey: nothing yet." }
            (svg::map(&flows, |f| first_link(&r, f)))
            div class="table-wrap" {
                table {
                    thead { tr {
                        th scope="col" { "Flow" } th scope="col" { "Health" } th scope="col" { "Last success" }
                        th scope="col" { "Lag (s)" } th scope="col" { "Backlog" } th scope="col" { "Dead letters" }
                        th scope="col" { "Errors / attempts (24 h)" } th scope="col" { "Detail" } th scope="col" { "Act" }
                    } }
                    tbody {
                        @for f in &flows {
                            tr id=(format!("flow-{}", f.id)) {
                                td { (f.partner) ": " (f.label) }
                                td { span style=(format!("color:{}", svg::colour(f.health))) { (f.health.as_str()) } }
                                td { (f.figures.last_success.as_deref().unwrap_or("never")) }
                                td { (f.figures.lag_seconds) }
                                td { (f.figures.backlog) }
                                td { (f.figures.dead_letters) }
                                td { (f.figures.errors_24h) " / " (f.figures.attempts_24h) }
                                td { (f.figures.detail.as_deref().unwrap_or("")) }
                                td {
                                    @if !f.destinations.is_empty() {
                                        a href=(r.ctx.prefix.url("/staff/outbox/")) { "Outbox and retry" }
                                    }
                                    @for job in &f.jobs {
                                        form method="post" action=(r.ctx.prefix.url(&format!("/staff/jobs/{job}/run"))) {
                                            (r.ctx.csrf_field())
                                            button type="submit" class="secondary" aria-label=(format!("Run {job} now")) { "Run " (job) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
    ))
}
