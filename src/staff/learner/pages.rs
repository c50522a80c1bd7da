//! Rendering the learner page.

use axum::extract::{Path, Query};
use maud::{Markup, html};
use serde::Deserialize;

use super::load::{self, Learner};
use crate::catalog::api::Cache;
use crate::catalog::snapshot::Catalog;
use crate::http::AppError;
use crate::http::page::PageCtx;
use crate::http::staff_page::StaffPage;
use crate::staff::pages::staff_page;

#[derive(Deserialize, Default)]
pub struct Notice {
    #[serde(default)]
    done: String,
}

pub async fn page(
    r: StaffPage,
    cache: Cache,
    Path(id): Path<i64>,
    Query(q): Query<Notice>,
) -> Result<Markup, AppError> {
    let l = load::learner(&r.state, id).await?;
    let (cat, _) = cache.get(&r.state.db).await?;
    let title = format!("Learner {}", l.user.email);
    let body = html! {
        @if !q.done.is_empty() { p class="notice" role="status" { (q.done) } }
        nav aria-label="Sections" {
            ul class="inline" {
                @for (anchor, label) in [("profile", "Profile"), ("enrollments", "Enrollments"), ("programs", "Programs"),
                                         ("orders", "Orders"), ("edx", "Open edX"), ("sessions", "Sessions"), ("audit", "Audit trail")] {
                    li { a href=(format!("#{anchor}")) { (label) } }
                }
            }
        }
        (profile(&l))
        (enrollments(&r.ctx, &l))
        (programs(&l, &cat))
        (orders(&r.ctx, &l))
        (edx(&r.ctx, &l))
        (sessions(&r.ctx, &l))
        (audit(&r.ctx, &l))
    };
    Ok(staff_page(&r.ctx, &title, body))
}

fn action(ctx: &PageCtx, l: &Learner, what: &str) -> String {
    ctx.prefix.url(&format!("{}{what}/", super::url(l.user.id)))
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn profile(l: &Learner) -> Markup {
    let u = &l.user;
    let roles: Vec<&str> = [
        (u.is_staff, "staff"),
        (u.is_superuser, "superuser"),
        (u.is_editor, "editor"),
        (u.is_service_account, "service account"),
        (u.is_etl, "ETL"),
    ]
    .into_iter()
    .filter_map(|(on, name)| on.then_some(name))
    .collect();
    html! {
        section id="profile" {
            h2 { "Profile" }
            dl {
                dt { "Name" } dd { (u.name) }
                dt { "Username" } dd { (u.username) }
                dt { "Email" } dd { (u.email) @if !u.email_verified { " (not verified)" } }
                dt { "Active" } dd { (yes(u.is_active)) }
                dt { "Roles" } dd { @if roles.is_empty() { "learner" } @else { (roles.join(", ")) } }
                dt { "Joined" } dd { (u.created_on) }
                @if let Some(a) = &l.address {
                    dt { "Legal address" }
                    dd { (a.first_name) " " (a.last_name) ", " (a.city) " " (a.state.as_deref().unwrap_or("")) " " (a.country) }
                }
            }
        }
    }
}

fn mode_select(id: &str) -> Markup {
    html! {
        select id=(id) name="mode" {
            option value="audit" { "audit" }
            option value="verified" { "verified" }
        }
    }
}

fn enrollments(ctx: &PageCtx, l: &Learner) -> Markup {
    html! {
        section id="enrollments" {
            h2 { "Enrollments" }
            @if l.enrollments.is_empty() { p { "No enrollments." } }
            @else {
                div class="table-wrap" {
                    table {
                        thead { tr {
                            th scope="col" { "Run" } th scope="col" { "Mode" } th scope="col" { "Status" }
                            th scope="col" { "Paid" } th scope="col" { "Grade" } th scope="col" { "Certificate" } th scope="col" { "Actions" }
                        } }
                        tbody {
                            @for row in &l.enrollments {
                                @let e = &row.enrollment;
                                @let key = row.courseware_id.as_str();
                                tr id=(format!("enrollment-{}", e.id)) {
                                    td { code { (key) } }
                                    td { (e.mode.as_str()) }
                                    td { @if e.active { "active" } @else { "inactive" }
                                         @if let Some(s) = e.change_status { " (" (s.as_str()) ")" } }
                                    td { @if row.paid { "paid" } }
                                    td { @if let Some((g, passed, by_staff)) = &row.grade {
                                        (g) @if *passed { " passed" } @if *by_staff { " (set by staff)" } } }
                                    td { @if let Some(uuid) = &row.certificate {
                                        a href=(ctx.prefix.url(&format!("/certificate/{uuid}/"))) { "View" } } }
                                    td { @if e.active { (row_actions(ctx, l, e.id, key)) } }
                                }
                            }
                        }
                    }
                }
            }
            h3 { "Enroll in a run" }
            form method="post" action=(action(ctx, l, "enroll")) {
                (ctx.csrf_field())
                label for="enroll-run" { "Run (courseware id)" }
                input id="enroll-run" type="text" name="run" required;
                label for="enroll-mode" { "Mode" }
                (mode_select("enroll-mode"))
                button type="submit" { "Enroll" }
            }
        }
    }
}

/// The forms of one active enrollment, folded in a `<details>` so the table stays readable.
fn row_actions(ctx: &PageCtx, l: &Learner, id: i64, key: &str) -> Markup {
    let field = |name: &str| format!("{name}-{id}");
    html! {
        details {
            summary { "Change" }
            form method="post" action=(action(ctx, l, "enrollments/mode")) {
                (ctx.csrf_field())
                input type="hidden" name="run" value=(key);
                label for=(field("mode")) { "Mode" }
                (mode_select(&field("mode")))
                button type="submit" { "Change mode" }
            }
            form method="post" action=(action(ctx, l, "enrollments/unenroll")) {
                (ctx.csrf_field())
                input type="hidden" name="run" value=(key);
                button type="submit" { "Unenroll" }
            }
            form method="post" action=(action(ctx, l, "enrollments/defer")) {
                (ctx.csrf_field())
                input type="hidden" name="from" value=(key);
                label for=(field("to")) { "Move to run" }
                input id=(field("to")) type="text" name="to" required;
                label { input type="checkbox" name="force" value="on"; " Force" }
                button type="submit" { "Move" }
            }
            form method="post" action=(action(ctx, l, "enrollments/transfer")) {
                (ctx.csrf_field())
                input type="hidden" name="run" value=(key);
                label for=(field("email")) { "Transfer to learner (email)" }
                input id=(field("email")) type="email" name="email" required;
                button type="submit" { "Transfer" }
            }
        }
    }
}

fn programs(l: &Learner, cat: &Catalog) -> Markup {
    html! {
        section id="programs" {
            h2 { "Program enrollments" }
            @if l.programs.is_empty() { p { "No program enrollments." } }
            @else {
                ul {
                    @for (p, paid, cert) in &l.programs {
                        li id=(format!("program-enrollment-{}", p.id)) {
                            (cat.program(p.program_id).map(|x| x.readable_id.as_str()).unwrap_or("(unknown program)"))
                            " — " (p.mode.as_str())
                            @if !p.active { " (inactive)" }
                            @if *paid { ", paid" }
                            @if cert.is_some() { ", certificate issued" }
                        }
                    }
                }
            }
        }
    }
}

fn orders(ctx: &PageCtx, l: &Learner) -> Markup {
    html! {
        section id="orders" {
            h2 { "Orders" }
            @if l.orders.is_empty() { p { "No orders." } }
            @else {
                div class="table-wrap" {
                    table {
                        thead { tr { th scope="col" { "Order" } th scope="col" { "State" } th scope="col" { "Total" } th scope="col" { "Placed" } th scope="col" { "Refunds" } } }
                        tbody {
                            @for (o, refunds) in &l.orders {
                                tr id=(format!("order-{}", o.id)) {
                                    td { a href=(ctx.prefix.url(&format!("/staff/orders/{}/", o.id))) { (o.reference) } }
                                    td { (o.state) }
                                    td { "$" (o.total) }
                                    td { (o.created_on) }
                                    td { @for (_, amount, _, status, _, _) in refunds { "$" (amount) " " (status) " " } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn edx(ctx: &PageCtx, l: &Learner) -> Markup {
    let s = &l.edx;
    html! {
        section id="edx" {
            h2 { "Open edX" }
            @match &s.account {
                None => p { "No edX account yet." },
                Some(a) => dl {
                    dt { "edX username" } dd { (a.edx_username.as_deref().unwrap_or("(none)")) }
                    dt { "Synced" } dd { (yes(a.has_been_synced)) }
                    @if a.has_sync_error {
                        dt { "Sync error" }
                        dd { code { (a.sync_error_data.as_ref().map(|v| v.to_string()).unwrap_or_default()) } }
                    }
                },
            }
            @if s.waiting.is_empty() { p { "Every edX message about this learner was delivered." } }
            @else {
                table {
                    thead { tr { th scope="col" { "Message" } th scope="col" { "Status" } th scope="col" { "Attempts" } th scope="col" { "Last error" } } }
                    tbody {
                        @for m in &s.waiting {
                            tr id=(format!("outbox-{}", m.id)) {
                                td { (m.kind) } td { (m.status) } td { (m.attempts) }
                                td { (m.last_error.as_deref().unwrap_or("")) }
                            }
                        }
                    }
                }
            }
            form method="post" action=(action(ctx, l, "edx/retry")) {
                (ctx.csrf_field())
                button type="submit" { "Retry edX sync" }
                " "
                span class="muted" { "(requeues " (s.dead()) " failed messages; queues the account creation if edX has none)" }
            }
        }
    }
}

fn sessions(ctx: &PageCtx, l: &Learner) -> Markup {
    html! {
        section id="sessions" {
            h2 { "Sessions" }
            @if l.sessions.is_empty() { p { "No live sessions." } }
            @else {
                ul {
                    @for s in &l.sessions {
                        li id=(format!("session-{}", s.id)) {
                            (s.source.as_str()) ", since " (s.created_on) ", until " (s.expires_on) " "
                            form method="post" action=(action(ctx, l, "sessions/revoke")) class="inline" {
                                (ctx.csrf_field())
                                input type="hidden" name="session" value=(s.id);
                                button type="submit" { "Sign out" }
                            }
                        }
                    }
                }
                form method="post" action=(action(ctx, l, "sessions/revoke")) {
                    (ctx.csrf_field())
                    button type="submit" { "Sign out everywhere" }
                }
            }
        }
    }
}

fn audit(ctx: &PageCtx, l: &Learner) -> Markup {
    html! {
        section id="audit" {
            h2 { "Audit trail" }
            p { a href=(ctx.prefix.url(&format!("/staff/audit/?actor={}", percent_encoding::utf8_percent_encode(&l.user.email, percent_encoding::NON_ALPHANUMERIC)))) { "Everything this learner did, in the audit viewer" } }
            @if l.audit.is_empty() { p { "Nothing recorded." } }
            @else {
                div class="table-wrap" {
                    table {
                        thead { tr { th scope="col" { "When" } th scope="col" { "Who" } th scope="col" { "Action" } th scope="col" { "Object" } } }
                        tbody {
                            @for e in &l.audit {
                                tr { td { (e.created_on) } td { (e.actor) } td { (e.action) } td { (e.object_type) " " (e.object_id) } }
                            }
                        }
                    }
                }
            }
        }
    }
}
