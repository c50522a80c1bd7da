//! `/staff/audit/`: the audit-log viewer. Filters by actor, action, object type and id and a
//! date range (a GET form, so a filtered view is a link that can be shared), 50 entries a page,
//! newest first, with each change's before and after.

use axum::Router;
use axum::extract::Query;
use axum::routing::get;
use maud::{Markup, html};
use serde::Deserialize;

use super::search::{self, Filter};
use crate::http::AppError;
use crate::http::staff_page::StaffPage;
use crate::state::AppState;

const PAGE: i64 = 50;

pub fn routes() -> Router<AppState> {
    Router::new().route("/staff/audit/", get(page))
}

#[derive(Deserialize, Default)]
pub struct Params {
    actor: Option<String>,
    action: Option<String>,
    object_type: Option<String>,
    object_id: Option<String>,
    from: Option<String>,
    until: Option<String>,
    page: Option<String>,
}

fn given(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// A `YYYY-MM-DD` day as the start (or end) of that day in UTC.
fn day(field: &'static str, v: &Option<String>, end: bool) -> Result<Option<String>, AppError> {
    let Some(text) = given(v) else { return Ok(None) };
    let d = chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d")
        .map_err(|_| AppError::field(field, "Enter a date as YYYY-MM-DD."))?;
    let t = if end {
        d.and_hms_opt(23, 59, 59)
    } else {
        d.and_hms_opt(0, 0, 0)
    };
    Ok(t.map(|t| crate::clock::to_db(t.and_utc())))
}

async fn page(page: StaffPage, Query(q): Query<Params>) -> Result<Markup, AppError> {
    let filter = Filter {
        actor: given(&q.actor),
        action: given(&q.action),
        object_type: given(&q.object_type),
        object_id: given(&q.object_id),
        from: day("from", &q.from, false)?,
        until: day("until", &q.until, true)?,
    };
    let n: i64 = match given(&q.page) {
        None => 1,
        Some(p) => p
            .parse()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| AppError::field("page", "A page number (1 or more) is required."))?,
    };
    let f = filter.clone();
    let (total, entries) = page
        .state
        .db
        .read(move |c| search::search(c, &f, PAGE, (n - 1) * PAGE))
        .await?;
    let ctx = &page.ctx;
    let link = |to: i64| {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("actor", &q.actor),
            ("action", &q.action),
            ("object_type", &q.object_type),
            ("object_id", &q.object_id),
            ("from", &q.from),
            ("until", &q.until),
        ] {
            if let Some(v) = given(v) {
                s.append_pair(k, &v);
            }
        }
        s.append_pair("page", &to.to_string());
        ctx.prefix.url(&format!("/staff/audit/?{}", s.finish()))
    };
    let value = |v: &Option<String>| given(v).unwrap_or_default();
    let body = html! {
        form method="get" action=(ctx.prefix.url("/staff/audit/")) class="filters" {
            label { "Actor " input type="text" name="actor" value=(value(&q.actor)) placeholder="email, api-key:…, cli"; }
            label { "Action " input type="text" name="action" value=(value(&q.action)) placeholder="update"; }
            label { "Object type " input type="text" name="object_type" value=(value(&q.object_type)) placeholder="discount"; }
            label { "Object id " input type="text" name="object_id" value=(value(&q.object_id)); }
            label { "From " input type="date" name="from" value=(value(&q.from)); }
            label { "Until " input type="date" name="until" value=(value(&q.until)); }
            button type="submit" class="button" { "Filter" }
        }
        p role="status" { (total) " entr" @if total == 1 { "y" } @else { "ies" } }
        div class="table-wrap" {
            table {
                thead { tr { th scope="col" { "When" } th scope="col" { "Actor" } th scope="col" { "Action" } th scope="col" { "Object" } th scope="col" { "Change" } } }
                tbody {
                    @for e in &entries {
                        tr {
                            td { (e.created_on) }
                            td { (e.actor) }
                            td { (e.action) }
                            td { (e.object_type) " " (e.object_id) }
                            td {
                                @if let Some(b) = &e.before { details { summary { "before" } pre { (b) } } }
                                @if let Some(a) = &e.after { details { summary { "after" } pre { (a) } } }
                            }
                        }
                    }
                }
            }
        }
        nav aria-label="Pages" {
            @if n > 1 { a href=(link(n - 1)) { "Newer" } " " }
            @if n * PAGE < total { a href=(link(n + 1)) { "Older" } }
        }
    };
    Ok(crate::staff::pages::staff_page(ctx, "Audit log", body))
}
