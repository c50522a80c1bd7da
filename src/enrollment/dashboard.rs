//! The learner dashboard (`/dashboard/`), server-rendered, no JavaScript needed: a card per
//! active enrollment (course title linked to its page, dates and pacing, mode and status
//! badges, grade, "Go to course", "Upgrade ($…)" with its deadline while upgradable, "View
//! certificate", "View receipt", and a `<details>` menu with the email setting and unenroll),
//! filters All / In progress / Completed (`?filter=`), a Programs tab (`?tab=programs`) with each
//! program's requirement progress and certificate, empty states that lead to the catalog, and
//! the `user-message` / `?payment=` notice as a dismissible banner.

use axum::Extension;
use axum::extract::Query;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::api::{Cache, Loaded};
use super::model::Mode;
use super::store::Listed;
use super::{queries, shapes};
use crate::catalog::model::{CourseRun, Time};
use crate::catalog::pages::day;
use crate::catalog::snapshot::Catalog;
use crate::http::error::AppError;
use crate::http::layout;
use crate::http::notices;
use crate::http::page::PageCtx;
use crate::http::page_req::SignedInPage;

#[derive(Deserialize, Default)]
pub struct DashQuery {
    tab: Option<String>,
    filter: Option<String>,
    payment: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tab {
    Courses,
    Programs,
}

/// The courses filter: all, not yet completed, completed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Filter {
    All,
    InProgress,
    Completed,
}

impl Filter {
    fn param(self) -> &'static str {
        match self {
            Filter::All => "all",
            Filter::InProgress => "in-progress",
            Filter::Completed => "completed",
        }
    }
    fn label(self) -> &'static str {
        match self {
            Filter::All => "All",
            Filter::InProgress => "In progress",
            Filter::Completed => "Completed",
        }
    }
}

/// Where a run is in time for the learner.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Status {
    Upcoming,
    InProgress,
    Ended,
}

impl Status {
    fn of(run: &CourseRun, now: Time) -> Status {
        if run.start_date.is_some_and(|s| s > now) {
            Status::Upcoming
        } else if run.is_past(now) {
            Status::Ended
        } else {
            Status::InProgress
        }
    }
    fn label(self) -> &'static str {
        match self {
            Status::Upcoming => "Upcoming",
            Status::InProgress => "In progress",
            Status::Ended => "Ended",
        }
    }
    fn class(self) -> &'static str {
        match self {
            Status::Upcoming => "badge status-upcoming",
            Status::InProgress => "badge status-in-progress",
            Status::Ended => "badge status-ended",
        }
    }
}

/// Completed: certified, passed, or the run has ended; everything else is in progress.
fn completed(e: &Listed, status: Status) -> bool {
    e.certificate.is_some() || e.grade.as_ref().is_some_and(|g| g.2) || status == Status::Ended
}

fn parse(q: &DashQuery) -> Result<(Tab, Filter), AppError> {
    let tab = match q.tab.as_deref() {
        None | Some("") | Some("courses") => Tab::Courses,
        Some("programs") => Tab::Programs,
        Some(_) => return Err(AppError::field("tab", "Must be courses or programs.")),
    };
    let filter = match q.filter.as_deref() {
        None | Some("") | Some("all") => Filter::All,
        Some("in-progress") => Filter::InProgress,
        Some("completed") => Filter::Completed,
        Some(_) => {
            return Err(AppError::field(
                "filter",
                "Must be all, in-progress or completed.",
            ));
        }
    };
    Ok((tab, filter))
}

fn money(d: rust_decimal::Decimal) -> String {
    format!("${:.2}", d.round_dp(2))
}

fn mode_badge(mode: Mode) -> Markup {
    match mode {
        Mode::Verified => html! { span class="badge mode-verified" { "Verified" } },
        Mode::Audit => html! { span class="badge mode-audit" { "Audit" } },
    }
}

fn self_url(ctx: &PageCtx, tab: Tab, filter: Filter) -> String {
    match (tab, filter) {
        (Tab::Programs, _) => ctx.prefix.url("/dashboard/?tab=programs"),
        (Tab::Courses, Filter::All) => ctx.prefix.url("/dashboard/"),
        (Tab::Courses, f) => ctx.prefix.url(&format!("/dashboard/?filter={}", f.param())),
    }
}

/// GET `/dashboard/`.
pub async fn dashboard(
    Extension(cache): Cache,
    r: SignedInPage,
    headers: HeaderMap,
    Query(q): Query<DashQuery>,
) -> Result<Response, AppError> {
    let (tab, filter) = parse(&q)?;
    let l = Loaded::for_user(&r.state, &cache, r.user.id).await?;
    let notice = notices::current(&headers, q.payment.as_deref());
    let tabs = html! {
        nav class="tabs" aria-label="Dashboard sections" {
            a href=(self_url(&r.ctx, Tab::Courses, Filter::All)) aria-current=[(tab == Tab::Courses).then_some("page")] { "My courses" }
            a href=(self_url(&r.ctx, Tab::Programs, Filter::All)) aria-current=[(tab == Tab::Programs).then_some("page")] { "My programs" }
        }
    };
    let body = match tab {
        Tab::Courses => courses(&r.ctx, &l, filter),
        Tab::Programs => programs(&r, &l).await?,
    };
    let content = html! {
        section class="container dashboard" {
            div class="receipt-head" {
                h1 { "My dashboard" }
                a href=(r.ctx.prefix.url("/orders/history/")) { "Order history" }
            }
            @if let Some(n) = &notice { (notices::banner(n, &self_url(&r.ctx, tab, filter))) }
            (tabs)
            (body)
        }
    };
    let mut resp = layout::private_page(&r.ctx, "Dashboard", content).into_response();
    if let Some(c) = notices::consumed(&r.state.config, notice.as_ref()) {
        resp.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(resp)
}

fn courses(ctx: &PageCtx, l: &Loaded, filter: Filter) -> Markup {
    let cat = &l.cat;
    let rows: Vec<(&Listed, &CourseRun, Status)> = l
        .rows
        .iter()
        .filter_map(|e| {
            let run = cat.run_by_id.get(&e.run_id).map(|&i| &cat.runs[i])?;
            Some((e, run, Status::of(run, l.now)))
        })
        .collect();
    let shown: Vec<_> = rows
        .iter()
        .filter(|(e, _, s)| match filter {
            Filter::All => true,
            Filter::InProgress => !completed(e, *s),
            Filter::Completed => completed(e, *s),
        })
        .collect();
    html! {
        h2 { "My courses" }
        nav class="filters" aria-label="Filter courses" {
            @for f in [Filter::All, Filter::InProgress, Filter::Completed] {
                a class="filter" href=(self_url(ctx, Tab::Courses, f)) aria-current=[(f == filter).then_some("page")] { (f.label()) }
            }
        }
        @if rows.is_empty() {
            div class="empty-state" {
                p { "You are not enrolled in any courses yet." }
                a class="button" href=(ctx.prefix.url("/catalog/")) { "Browse the catalog" }
            }
        } @else if shown.is_empty() {
            div class="empty-state" {
                p { "No " (filter.label().to_lowercase()) " courses." }
                a href=(self_url(ctx, Tab::Courses, Filter::All)) { "Show all courses" }
            }
        } @else {
            ul class="dash-cards" {
                @for (e, run, status) in shown { (course_card(ctx, cat, l, e, run, *status)) }
            }
        }
    }
}

fn course_card(
    ctx: &PageCtx,
    cat: &Catalog,
    l: &Loaded,
    e: &Listed,
    run: &CourseRun,
    status: Status,
) -> Markup {
    let course = cat.course(run.course_id);
    let title = course.map_or(run.title.as_str(), |c| c.title.as_str());
    let page = course
        .filter(|c| c.live && c.page.is_some())
        .map(|c| ctx.prefix.url(&format!("/courses/{}/", c.readable_id)));
    let upgradable = e.mode == Mode::Audit && run.is_upgradable(l.now, cat.has_verified(run));
    let heading_id = format!("enrollment-{}", e.id);
    html! {
        li class="dash-card enrollment" data-status=(status.label()) data-run=(run.courseware_id) aria-labelledby=(heading_id) {
            div class="dash-card-main" {
                h3 id=(heading_id) {
                    @if let Some(href) = &page { a href=(href) { (title) } } @else { (title) }
                }
                p class="badges" { (mode_badge(e.mode)) " " span class=(status.class()) { (status.label()) } }
                p class="muted run-meta" {
                    (day(run.start_date)) " – " (day(run.end_date))
                    " · " (if run.is_self_paced { "Self-paced" } else { "Instructor-paced" })
                    " · " span class="courseware-id" { (run.courseware_id) }
                }
                @if !e.edx_enrolled { p class="muted" { "Your place in the course is being set up." } }
                @if let Some((g, letter, passed, _)) = &e.grade {
                    p class="grade" { "Grade: " (shapes::grade_percent(*g)) "%" @if let Some(x) = letter { " (" (x) ")" } @if *passed { " · passed" } }
                }
            }
            div class="dash-card-actions" {
                @if let Some(url) = run.courseware_url(&l.edx) {
                    a class="button" href=(url) { "Go to course" span class="visually-hidden" { ": " (title) } }
                }
                @if let Some(uuid) = &e.certificate {
                    a class="button secondary certificate-link" href=(ctx.prefix.url(&format!("/certificate/{uuid}/"))) { "View certificate" }
                }
                @if upgradable {
                    @if let Some(p) = &run.product {
                        div class="upgrade" {
                            (crate::catalog::pages::add_to_cart(ctx, p.id, "secondary upgrade-button", html! { "Upgrade (" (money(p.price)) ")" }))
                            p class="muted deadline" {
                                @if let Some(d) = run.upgrade_deadline { "Upgrade by " (day(Some(d))) } @else { "Get a certificate: upgrade any time" }
                            }
                        }
                    }
                }
                details class="menu" {
                    summary { "Options" span class="visually-hidden" { " for " (title) } }
                    div class="menu-body" {
                        form method="post" action=(ctx.prefix.url(&format!("/dashboard/enrollments/{}/emails/", e.id))) {
                            (ctx.csrf_field())
                            input type="hidden" name="receive_emails" value=(if e.edx_emails_subscription { "false" } else { "true" });
                            p class="muted" { "Course emails are " (if e.edx_emails_subscription { "on" } else { "off" }) "." }
                            button type="submit" class="secondary" { (if e.edx_emails_subscription { "Stop course emails" } else { "Receive course emails" }) }
                        }
                        a href=(ctx.prefix.url(&format!("/dashboard/enrollments/{}/unenroll/", e.id))) { "Unenroll" }
                        @if e.paid {
                            a class="receipt" href=(ctx.prefix.url(&format!("/orders/receipt/by-run/{}/", e.run_id))) { "View receipt" }
                        }
                    }
                }
            }
        }
    }
}

async fn programs(r: &SignedInPage, l: &Loaded) -> Result<Markup, AppError> {
    let user = r.user.id;
    let rows: Vec<_> = queries::programs_with_payment(&r.state, user)
        .await?
        .into_iter()
        .filter(|(pe, _, _)| pe.active)
        .collect();
    let ids = rows.iter().map(|(pe, _, _)| pe.program_id).collect();
    let progress = crate::certificates::progress::for_learner(&r.state.db, l.cat.clone(), user, ids).await?;
    let cat = &l.cat;
    let ctx = &r.ctx;
    Ok(html! {
        h2 { "My programs" }
        @if rows.is_empty() {
            div class="empty-state" {
                p { "You are not enrolled in any programs yet." }
                a class="button" href=(ctx.prefix.url("/catalog/programs/")) { "Browse programs" }
            }
        } @else {
            ul class="dash-cards" {
                @for (pe, paid, cert) in &rows {
                    @if let Some(p) = cat.program(pe.program_id) {
                        @let heading_id = format!("program-{}", p.id);
                        @let pr = progress.get(&p.id).cloned().unwrap_or_default();
                        li class="dash-card program" aria-labelledby=(heading_id) {
                            div class="dash-card-main" {
                                h3 id=(heading_id) {
                                    @if p.live && p.page.is_some() { a href=(ctx.prefix.url(&format!("/programs/{}/", p.readable_id))) { (p.title) } } @else { (p.title) }
                                }
                                p class="badges" { (mode_badge(pe.mode)) " " span class="badge" { (p.program_type) } }
                                p class="progress-line" {
                                    strong { (pr.done) " of " (pr.needed) " courses" } " completed"
                                }
                                progress max=(pr.needed.max(1)) value=(pr.done) aria-label=(format!("{}: {} of {} courses completed", p.title, pr.done, pr.needed)) {}
                                @let left: Vec<_> = pr.remaining().collect();
                                @if left.is_empty() && pr.needed > 0 {
                                    p class="muted" { "Every requirement is met." }
                                } @else if !left.is_empty() {
                                    p class="muted" { "Still to complete:" }
                                    ul class="remaining" {
                                        @for g in left { li { (g.title) ": " (g.needed - g.done) " more of " (g.needed) } }
                                    }
                                }
                            }
                            div class="dash-card-actions" {
                                @if let Some(c) = cert {
                                    a class="button certificate-link" href=(ctx.prefix.url(&c.link())) { "View certificate" }
                                }
                                a class="button secondary" href=(ctx.prefix.url(&format!("/records/{}/", pe.program_id))) { "Program record" }
                                @if *paid {
                                    a class="receipt" href=(ctx.prefix.url(&format!("/orders/receipt/by-program/{}/", pe.program_id))) { "View receipt" }
                                }
                            }
                        }
                    }
                }
            }
        }
    })
}
