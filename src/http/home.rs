//! The home page: the CMS home page's hero (or a default), the site banner, and featured
//! courses — the list the `refresh-featured-homepage-items` job drew ([`crate::cms::featured`]),
//! checked against the catalog snapshot.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use maud::{Markup, html};

use super::layout::{Meta, page};
use super::page::PageCtx;
use crate::catalog::api::{Cache, Req};
use crate::catalog::pages::{course_card, paragraphs};
use crate::cms::featured;
use crate::cms::model::{PageContent, PageType};
use crate::db::DbError;
use crate::http::AppError;
use crate::state::AppState;

/// Routes owned here; the home page reads the shared catalog snapshot cache.
pub fn routes(cache: std::sync::Arc<crate::catalog::CatalogCache>) -> Router<AppState> {
    Router::new().route("/", get(home)).layer(axum::Extension(cache))
}

const FEATURED: usize = 6;

async fn home(
    State(state): State<AppState>,
    axum::Extension(cache): Cache,
    ctx: PageCtx,
) -> Result<Markup, AppError> {
    let r = Req::load(&state, &cache).await?;
    let stored = state
        .db
        .read(|c| featured::load(c).map_err(DbError::from))
        .await?;
    Ok(render(&ctx, &r, None, &stored))
}

/// Renders the home page; `draft` is a staff preview of unpublished home content, `stored`
/// the featured course ids the job drew (empty: the soonest enrollable sessions).
pub fn render(ctx: &PageCtx, r: &Req, draft: Option<&PageContent>, stored: &[i64]) -> Markup {
    let cat = &r.cat;
    let home = draft.or_else(|| cat.singleton(PageType::Home).map(|p| &p.content));
    let banner = cat
        .singleton(PageType::Banner)
        .map(|p| &p.content.message)
        .filter(|m| !m.is_empty());
    let hero_title = home
        .map(|h| h.hero_title.as_str())
        .filter(|t| !t.is_empty())
        .unwrap_or("Learn with MIT, online");
    let hero_sub = home
        .map(|h| h.hero_subtitle.as_str())
        .filter(|t| !t.is_empty())
        .unwrap_or("Courses and programs from MIT faculty, open to learners everywhere.");
    let section_title = home
        .map(|h| h.product_section_title.as_str())
        .filter(|t| !t.is_empty())
        .unwrap_or("Featured courses");
    let cx = r.cx();
    let featured = featured::for_home(cat, stored, r.now);
    let image = home.and_then(|h| h.feature_image_id).map(|id| cx.media_url(id));
    let canonical = cx.abs("/");
    page(
        ctx,
        &Meta {
            title: "",
            description: Some(hero_sub),
            canonical: Some(&canonical),
            image: image.as_deref(),
            ..Meta::default()
        },
        html! {
            @if let Some(msg) = banner {
                div class="container" { div class="notice" role="note" { (msg) } }
            }
            section class="container hero" {
                div {
                    h1 { (hero_title) }
                    div class="lead" { (paragraphs(hero_sub)) }
                    p { a class="button" href=(ctx.prefix.url("/catalog/")) { "Browse the catalog" } }
                }
                @if let Some(src) = &image { img src=(src) alt="" width="560" height="294"; }
            }
            section class="container" aria-labelledby="featured" {
                h2 id="featured" { (section_title) }
                @if featured.is_empty() {
                    p { "New courses are coming soon." }
                } @else {
                    ul class="cards" {
                        @for co in featured.iter().take(FEATURED) { li { (course_card(ctx, cat, co, &cx)) } }
                    }
                }
            }
        },
    )
}
