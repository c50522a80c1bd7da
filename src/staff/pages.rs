//! Server-rendered staff console pages.

use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};

use super::service;
use crate::db::DbError;
use crate::http::layout::private_page;
use crate::http::staff_page::StaffPage;
use crate::http::{AppError, PageCtx};
use crate::jobs::{self, Trigger};

/// Every staff console page: (path, title, what it is for). The staff home lists them all.
pub const CONSOLES: &[(&str, &str, &str)] = &[
    (
        "/staff/audit/",
        "Audit log",
        "Who changed what, with before and after; filter by actor, action, object and date.",
    ),
    (
        "/staff/check/",
        "Configuration check",
        "What is set up wrong in the catalog, pages and B2B, each with a link to fix it.",
    ),
    (
        "/staff/catalog/",
        "Catalog",
        "Departments, topics, courses, runs, products and prices; sync a run from Open edX or create it there.",
    ),
    (
        "/staff/orders/",
        "Orders",
        "Find an order by reference or email; see its history; refund it.",
    ),
    (
        "/staff/refunds/",
        "Refund requests",
        "Learners' refund requests: refund or deny.",
    ),
    (
        "/staff/flexible-pricing/",
        "Financial assistance",
        "Flexible-pricing requests: approve, deny, reset; thresholds, rates, forms.",
    ),
    (
        "/staff/catalog/programs/",
        "Programs",
        "Create and edit programs and their requirements in plain language.",
    ),
    (
        "/staff/catalog/collections/",
        "Program collections",
        "Collections of programs, their titles and the order of their programs.",
    ),
    (
        "/staff/b2b/",
        "B2B contracts",
        "Organizations, contracts, their programs, runs, codes and learners; import and export.",
    ),
    (
        "/staff/cms/",
        "Pages",
        "Create, edit, preview, publish and roll back CMS pages.",
    ),
    (
        "/staff/certificates/",
        "Certificates",
        "A learner's grades and certificates: override a grade, revoke or un-revoke.",
    ),
    ("/staff/users/", "Users", "Find users; superusers change roles."),
    (
        "/staff/jobs/",
        "Jobs",
        "Scheduled jobs, their last runs, run now.",
    ),
    (
        "/staff/flows/",
        "Data flows",
        "Every flow to and from partners, coloured by health: last success, lag, backlog, errors.",
    ),
    (
        "/staff/outbox/",
        "Outbox",
        "Deliveries to partner services, dead letters, retry.",
    ),
    (
        "/staff/enrollments/",
        "Enrollments",
        "A learner's enrollments; defer one to another run; bulk enroll / unenroll from CSV.",
    ),
    (
        "/staff/api-keys/",
        "API keys",
        "Keys for services such as MIT Learn's ETL.",
    ),
    (
        "/staff/access-tokens/",
        "Access tokens",
        "Bearer tokens for service users.",
    ),
    (
        "/staff/oauth2/",
        "OAuth2 applications",
        "Clients of our OAuth2 provider, such as Open edX.",
    ),
    (
        "/staff/mail/",
        "Mailbox",
        "Mail sent while no SMTP server is configured.",
    ),
    (
        "/staff/openedx/sandbox/",
        "Open edX sandbox",
        "The built-in Open edX: users, enrollments, grades.",
    ),
    (
        "/staff/sandbox/hubspot/",
        "HubSpot sandbox",
        "The built-in HubSpot CRM: contacts, deals, line items, products.",
    ),
    (
        "/staff/sandbox/sheets/",
        "Google Sheets sandbox",
        "The built-in Enrollment Change Request spreadsheet: refunds and deferrals.",
    ),
];

/// The staff navigation: the staff home and every console page.
pub fn staff_nav(ctx: &PageCtx) -> Markup {
    html! {
        nav aria-label="Staff" {
            ul class="nav-list" {
                li { a href=(ctx.prefix.url("/staff/")) { "Staff home" } }
                @for (path, name, _) in CONSOLES {
                    li { a href=(ctx.prefix.url(path)) { (name) } }
                }
            }
        }
    }
}

/// A page of the staff console: the staff navigation, a heading and `body`.
pub fn staff_page(ctx: &PageCtx, title: &str, body: Markup) -> Markup {
    private_page(
        ctx,
        title,
        html! {
            div class="container" {
                (staff_nav(ctx))
                h1 { (title) }
                (body)
            }
        },
    )
}

/// Like [`staff_page`], in a `section` (the sandbox mailbox, refund requests).
pub fn staff_section_page(ctx: &PageCtx, title: &str, body: Markup) -> Markup {
    private_page(
        ctx,
        title,
        html! {
            section class="container" {
                (staff_nav(ctx))
                h1 { (title) }
                (body)
            }
        },
    )
}

/// GET `/staff/`: what the staff console offers.
pub(super) async fn home(page: StaffPage) -> Result<Markup, AppError> {
    let (state, ctx) = (&page.state, &page.ctx);
    let problems = super::check::problems(state).await?.len();
    let dead = service::dead_letters(state).await?.len();
    let failing = service::jobs_overview(state)
        .await?
        .iter()
        .filter(|j| j.last_run.as_ref().is_some_and(|r| r.status == "failed"))
        .count();
    let refund_requests = crate::commerce::refunds::request_service::pending_count(state).await?;
    let in_review = crate::commerce::orders::service::in_review(state).await?;
    let mut assistance = 0;
    for status in [
        crate::pricing::model::Status::Created,
        crate::pricing::model::Status::PendingManualApproval,
    ] {
        let f = crate::pricing::store::RequestFilter {
            status: Some(status),
            ..Default::default()
        };
        assistance += crate::pricing::review::queue(state, f, 0, 0).await?.0;
    }
    Ok(private_page(
        ctx,
        "Staff",
        html! {
            div class="container" {
                h1 { "Staff" }
                h2 { "Needs attention" }
                ul class="attention" {
                    li { a href=(ctx.prefix.url("/staff/check/")) { "Configuration problems: " (problems) } }
                    li { a href=(ctx.prefix.url("/staff/outbox/")) { "Dead letters: " (dead) } }
                    li { a href=(ctx.prefix.url("/staff/jobs/")) { "Jobs whose last run failed: " (failing) } }
                    li { a href=(ctx.prefix.url("/staff/refunds/")) { "Refund requests waiting: " (refund_requests) } }
                    li { a href=(ctx.prefix.url("/staff/orders/")) { "Orders held for review: " (in_review) } }
                    li { a href=(ctx.prefix.url("/staff/flexible-pricing/")) { "Financial-assistance requests to decide: " (assistance) } }
                }
                h2 { "Consoles" }
                ul class="staff-consoles" {
                    @for (path, name, what) in CONSOLES {
                        li { a href=(ctx.prefix.url(path)) { (name) } " — " span class="muted" { (what) } }
                    }
                }
            }
        },
    ))
}

pub(super) async fn jobs(page: StaffPage) -> Result<Markup, AppError> {
    let jobs = service::jobs_overview(&page.state).await?;
    Ok(staff_page(
        &page.ctx,
        "Jobs",
        html! {
            p class="muted" { "Schedules are cron expressions in UTC (seconds first). A job never overlaps itself." }
            div class="table-wrap" {
                table {
                    thead { tr { th scope="col" { "Job" } th scope="col" { "Schedule" } th scope="col" { "Last run" } th scope="col" { "" } } }
                    tbody {
                        @for j in &jobs {
                            tr {
                                td {
                                    a href=(page.ctx.prefix.url(&format!("/staff/jobs/{}/", j.name))) { (j.name) }
                                    br; span class="muted" { (j.description) }
                                }
                                td { code { (j.schedule) } }
                                td {
                                    @if j.running { span class="tag" { "running" } }
                                    @else if let Some(r) = &j.last_run {
                                        span class="tag" { (r.status) } " " (r.finished_on.as_deref().unwrap_or(&r.queued_on))
                                        @if !r.detail.is_empty() { br; span class="muted" { (r.detail) } }
                                    } @else { span class="muted" { "never" } }
                                }
                                td {
                                    form method="post" action=(page.ctx.prefix.url(&format!("/staff/jobs/{}/run", j.name))) {
                                        (page.ctx.csrf_field())
                                        button type="submit" class="secondary" aria-label=(format!("Run {} now", j.name)) { "Run now" }
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

pub(super) async fn job_runs(page: StaffPage, Path(name): Path<String>) -> Result<Markup, AppError> {
    let job = page.state.jobs.get(&name).ok_or_else(AppError::not_found)?;
    let runs = service::job_runs(&page.state, job.name).await?;
    Ok(staff_page(
        &page.ctx,
        &format!("Runs of {name}"),
        html! {
            div class="table-wrap" {
                table {
                    thead { tr { th scope="col" { "Run" } th scope="col" { "Trigger" } th scope="col" { "Status" } th scope="col" { "Queued" } th scope="col" { "Finished" } th scope="col" { "Detail" } } }
                    tbody {
                        @for r in &runs {
                            tr { td { (r.id) } td { (r.trigger) } td { (r.status) } td { (r.queued_on) } td { (r.finished_on.as_deref().unwrap_or("")) } td { (r.detail) } }
                        }
                    }
                }
            }
            @if runs.is_empty() { p { "This job has not run yet." } }
        },
    ))
}

pub(super) async fn run_job(r: StaffPage, Path(name): Path<String>) -> Result<Response, AppError> {
    let outcome = jobs::queue_run(&r.state, &name, Trigger::Staff).await?;
    tracing::info!(job.name = %name, job.run_id = outcome.run_id, actor = %r.access.actor, "job queued by staff");
    Ok(Redirect::to(&r.ctx.prefix.url(&format!("/staff/jobs/{name}/"))).into_response())
}

pub(super) async fn outbox(r: StaffPage) -> Result<Markup, AppError> {
    let now = r.state.clock.now();
    let (counts, dead) = r
        .state
        .db
        .read(move |c| Ok::<_, DbError>((crate::outbox::counts(c, now)?, crate::outbox::list_dead(c, 200)?)))
        .await?;
    Ok(staff_page(
        &r.ctx,
        "Outbox",
        html! {
            p { "Backlog: " strong { (counts.pending) } " · dead letters: " strong { (counts.dead) }
                " · oldest pending: " (counts.oldest_pending_age_seconds) " s" }
            @if !counts.by_destination.is_empty() {
                h2 { "By destination" }
                table {
                    thead { tr { th scope="col" { "Destination" } th scope="col" { "Pending" } th scope="col" { "Dead" } } }
                    tbody { @for (d, p, x) in &counts.by_destination { tr { td { (d) } td { (p) } td { (x) } } } }
                }
            }
            h2 { "Dead letters" }
            @if dead.is_empty() { p { "None." } } @else {
                div class="table-wrap" {
                    table {
                        thead { tr { th scope="col" { "Id" } th scope="col" { "Destination" } th scope="col" { "Kind" } th scope="col" { "Attempts" } th scope="col" { "Last error" } th scope="col" { "" } } }
                        tbody {
                            @for m in &dead {
                                tr {
                                    td { (m.id) } td { (m.destination) } td { (m.kind) } td { (m.attempts) }
                                    td { (m.last_error.as_deref().unwrap_or("")) }
                                    td {
                                        form method="post" action=(r.ctx.prefix.url(&format!("/staff/outbox/{}/retry", m.id))) {
                                            (r.ctx.csrf_field())
                                            button type="submit" class="secondary" aria-label=(format!("Retry message {}", m.id)) { "Retry" }
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

pub(super) async fn retry(r: StaffPage, Path(id): Path<i64>) -> Result<Response, AppError> {
    if !service::retry_dead_letter(&r.state, id, &r.access.actor).await? {
        return Err(AppError::NotFound(format!("No dead letter with id {id}.")));
    }
    Ok(Redirect::to(&r.ctx.prefix.url("/staff/outbox/")).into_response())
}
