//! The configuration check (`/staff/check/`, `mitxonline check`): what is set up wrong, found
//! by each owning module ([`crate::catalog::check`], [`crate::cms::check`], [`crate::b2b::check`])
//! in one read, each problem with a link to where it is fixed. The staff home shows the count.

use maud::{Markup, html};
use serde::Serialize;

use crate::db::DbError;
use crate::http::PageCtx;
use crate::http::staff_page::StaffPage;
use crate::state::AppState;

/// One thing set up wrong.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Problem {
    /// The module that found it: `catalog`, `cms`, `b2b`.
    pub area: &'static str,
    pub message: String,
    /// A site-relative path where it can be fixed or seen.
    pub link: String,
}

impl Problem {
    pub fn new(area: &'static str, message: String, link: String) -> Problem {
        Problem { area, message, link }
    }
}

/// Every problem, in area order.
pub async fn problems(state: &AppState) -> Result<Vec<Problem>, DbError> {
    state
        .db
        .read(|c| {
            let mut all = crate::catalog::check::problems(c)?;
            all.extend(crate::cms::check::problems(c)?);
            all.extend(crate::b2b::check::problems(c)?);
            Ok::<_, DbError>(all)
        })
        .await
}

/// GET `/staff/check/`.
pub async fn page(page: StaffPage) -> Result<Markup, crate::http::AppError> {
    let found = problems(&page.state).await?;
    Ok(crate::staff::pages::staff_page(
        &page.ctx,
        "Configuration check",
        body(&page.ctx, &found),
    ))
}

fn body(ctx: &PageCtx, found: &[Problem]) -> Markup {
    html! {
        @if found.is_empty() {
            p class="notice" role="status" { "No configuration problems found." }
        } @else {
            p role="status" { (found.len()) " problem" @if found.len() != 1 { "s" } " found. Each links to where it is fixed." }
            div class="table-wrap" {
                table {
                    thead { tr { th scope="col" { "Area" } th scope="col" { "Problem" } th scope="col" { "Fix" } } }
                    tbody {
                        @for p in found {
                            tr {
                                td { (p.area) }
                                td { (p.message) }
                                td { a href=(ctx.prefix.url(&p.link)) { "Open" } }
                            }
                        }
                    }
                }
            }
        }
        p class="muted" { "The same list: " code { "mitxonline check" } " (exits 1 when something is wrong)." }
    }
}
