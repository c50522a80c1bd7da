//! Public catalog pages (maud, no JavaScript needed): the catalog with course/program tabs,
//! department filter and pagination; course and program product pages; resource pages;
//! sitemap.xml and robots.txt.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maud::{Markup, PreEscaped, html};

use super::api::{Cache, Req};
use super::model::{Course, CourseRun, Program};
use super::service;
use super::shapes::public_runs;
use super::snapshot::Catalog;
use crate::cms::model::{PageContent, PageRow, PageType, PublishedPage};
use crate::http::layout::{Meta, page};
use crate::http::{AppError, PageCtx};
use crate::state::AppState;

#[path = "pages_learner.rs"]
mod learner;
#[path = "pages_product.rs"]
mod product;
pub use product::{add_to_cart, course_card, paragraphs};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/catalog/", get(catalog))
        .route("/catalog/{tab}/", get(catalog_tab))
        .route("/catalog/{tab}/{department}/", get(catalog_tab_department))
        .route("/courses/{readable_id}/", get(product::course_page))
        .route("/programs/{readable_id}/", get(product::program_page))
        .route("/sitemap.xml", get(sitemap))
        .route("/robots.txt", get(robots))
        .route("/{slug}/", get(resource_page))
}

#[derive(serde::Deserialize, Default)]
pub struct CatalogQuery {
    tab: Option<String>,
    department: Option<String>,
    page: Option<String>,
}

const PER_PAGE: usize = 12;

async fn catalog(
    state: State<AppState>,
    cache: Cache,
    ctx: PageCtx,
    Query(q): Query<CatalogQuery>,
) -> Result<Markup, AppError> {
    render_catalog(state, cache, ctx, q).await
}

async fn catalog_tab(
    state: State<AppState>,
    cache: Cache,
    ctx: PageCtx,
    Path(tab): Path<String>,
    Query(q): Query<CatalogQuery>,
) -> Result<Markup, AppError> {
    render_catalog(state, cache, ctx, CatalogQuery { tab: Some(tab), ..q }).await
}

async fn catalog_tab_department(
    state: State<AppState>,
    cache: Cache,
    ctx: PageCtx,
    Path((tab, department)): Path<(String, String)>,
    Query(q): Query<CatalogQuery>,
) -> Result<Markup, AppError> {
    render_catalog(
        state,
        cache,
        ctx,
        CatalogQuery {
            tab: Some(tab),
            department: Some(department),
            ..q
        },
    )
    .await
}

/// Courses the public catalog lists: live, with a published page, not B2B-only.
pub fn listed_courses<'a>(cat: &'a Catalog) -> impl Iterator<Item = &'a Course> + 'a {
    cat.courses
        .iter()
        .filter(|c| c.live && c.page.is_some() && !service::is_b2b_only(cat, c))
}

pub fn listed_programs<'a>(cat: &'a Catalog) -> impl Iterator<Item = &'a Program> + 'a {
    cat.programs
        .iter()
        .filter(|p| p.live && p.page.is_some() && !p.b2b_only)
}

async fn render_catalog(
    State(state): State<AppState>,
    axum::Extension(cache): Cache,
    ctx: PageCtx,
    q: CatalogQuery,
) -> Result<Markup, AppError> {
    let programs_tab = match q.tab.as_deref().unwrap_or("courses") {
        "courses" | "" => false,
        "programs" => true,
        _ => return Err(AppError::not_found()),
    };
    let r = Req::load(&state, &cache).await?;
    let cat = &r.cat;
    let dept = match q.department.as_deref().filter(|d| !d.is_empty() && *d != "all") {
        None => None,
        Some(slug) => Some(
            cat.departments
                .iter()
                .position(|d| d.slug == slug)
                .ok_or_else(AppError::not_found)?,
        ),
    };
    let page_no = match q.page.as_deref() {
        None | Some("") => 1,
        Some(s) => s
            .parse::<usize>()
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| AppError::field("page", "Enter a page number."))?,
    };
    let courses: Vec<&Course> = listed_courses(cat)
        .filter(|c| dept.is_none_or(|d| c.departments.contains(&d)))
        .collect();
    let programs: Vec<&Program> = listed_programs(cat)
        .filter(|p| dept.is_none_or(|d| p.departments.contains(&d)))
        .collect();
    let total = if programs_tab {
        programs.len()
    } else {
        courses.len()
    };
    let pages = total.div_ceil(PER_PAGE).max(1);
    if page_no > pages {
        return Err(AppError::not_found());
    }
    let range = (page_no - 1) * PER_PAGE..(page_no * PER_PAGE).min(total);
    let p = &ctx.prefix;
    let tab_name = if programs_tab { "programs" } else { "courses" };
    let dept_slug = dept.map(|d| cat.departments[d].slug.as_str());
    let link = |tab: &str, dept: Option<&str>, page: usize| {
        let mut u = match dept {
            Some(d) => format!("/catalog/{tab}/{d}/"),
            None => format!("/catalog/{tab}/"),
        };
        if page > 1 {
            u.push_str(&format!("?page={page}"));
        }
        p.url(&u)
    };
    let heading = match dept {
        Some(d) => format!(
            "{} in {}",
            if programs_tab { "Programs" } else { "Courses" },
            cat.departments[d].name
        ),
        None => "Catalog".to_owned(),
    };
    let canonical = state.config.absolute_url(&format!("/catalog/{tab_name}/"));
    let cx = r.cx();
    Ok(page(
        &ctx,
        &Meta {
            title: &heading,
            description: Some("Browse MITx Online courses and programs by department."),
            canonical: Some(&canonical),
            ..Meta::default()
        },
        html! {
            section class="container catalog" {
                h1 { (heading) }
                nav class="tabs" aria-label="Catalog sections" {
                    a href=(link("courses", dept_slug, 1)) aria-current=[(!programs_tab).then_some("page")] { "Courses (" (courses.len()) ")" }
                    a href=(link("programs", dept_slug, 1)) aria-current=[programs_tab.then_some("page")] { "Programs (" (programs.len()) ")" }
                }
                div class="catalog-layout" {
                    nav class="departments" aria-label="Departments" {
                        h2 class="h-small" { "Departments" }
                        ul {
                            li { a href=(link(tab_name, None, 1)) aria-current=[dept.is_none().then_some("page")] { "All departments" } }
                            @for (i, d) in cat.departments.iter().enumerate() {
                                li { a href=(link(tab_name, Some(&d.slug), 1)) aria-current=[(dept == Some(i)).then_some("page")] { (d.name) } }
                            }
                        }
                    }
                    div class="results" {
                        p class="muted" role="status" { (total) " " (tab_name) }
                        ul class="cards" {
                            @if programs_tab {
                                @for pr in &programs[range.clone()] { li { (product::program_card(&ctx, cat, pr)) } }
                            } @else {
                                @for co in &courses[range.clone()] { li { (course_card(&ctx, cat, co, &cx)) } }
                            }
                        }
                        @if pages > 1 {
                            nav class="pagination" aria-label="Pages" {
                                @if page_no > 1 { a rel="prev" href=(link(tab_name, dept_slug, page_no - 1)) { "← Previous" } }
                                span { "Page " (page_no) " of " (pages) }
                                @if page_no < pages { a rel="next" href=(link(tab_name, dept_slug, page_no + 1)) { "Next →" } }
                            }
                        }
                    }
                }
            }
        },
    ))
}

async fn resource_page(
    State(state): State<AppState>,
    axum::Extension(cache): Cache,
    ctx: PageCtx,
    Path(slug): Path<String>,
) -> Result<Markup, AppError> {
    let r = Req::load(&state, &cache).await?;
    let pg = r
        .cat
        .pages
        .iter()
        .find(|p| p.page_type == PageType::Resource && p.slug == slug)
        .ok_or_else(AppError::not_found)?;
    let canonical = state.config.absolute_url(&format!("/{slug}/"));
    Ok(render_resource(&ctx, &r, pg, &pg.content, Some(&canonical)))
}

fn render_resource(
    ctx: &PageCtx,
    r: &Req,
    _pg: &PublishedPage,
    c: &PageContent,
    canonical: Option<&str>,
) -> Markup {
    let image = c.feature_image_id.map(|id| r.cx().media_url(id));
    let title = if c.seo_title.is_empty() {
        &c.title
    } else {
        &c.seo_title
    };
    page(
        ctx,
        &Meta {
            title,
            description: Some(&c.search_description)
                .filter(|s| !s.is_empty())
                .map(String::as_str),
            canonical,
            image: image.as_deref(),
            ..Meta::default()
        },
        html! {
            article class="container resource" {
                h1 { (c.title) }
                @for s in &c.sections {
                    section {
                        @if !s.heading.is_empty() { h2 { (s.heading) } }
                        (paragraphs(&s.detail))
                    }
                }
            }
        },
    )
}

/// Staff preview of any page's revision with the public templates.
pub fn preview(ctx: &PageCtx, r: &Req, row: &PageRow, content: &PageContent) -> Result<Markup, AppError> {
    let ty = PageType::parse(&row.page_type).ok_or_else(AppError::not_found)?;
    let pg = PublishedPage {
        id: row.id,
        page_type: ty,
        slug: row.slug.clone(),
        course_id: row.course_id,
        program_id: row.program_id,
        parent_id: row.parent_id,
        first_published_at: None,
        last_published_at: None,
        content: content.clone(),
    };
    let body = match ty {
        PageType::Course => {
            let co = row
                .course_id
                .and_then(|id| r.cat.course(id))
                .ok_or_else(AppError::not_found)?;
            product::render_course(ctx, r, co, content, None, &learner::Viewer::default())
        }
        PageType::Program => {
            let pr = row
                .program_id
                .and_then(|id| r.cat.program(id))
                .ok_or_else(AppError::not_found)?;
            product::render_program(ctx, r, pr, content, None, &learner::Viewer::default())
        }
        // A preview shows the soonest sessions rather than the job's draw.
        PageType::Home => crate::http::home::render(ctx, r, Some(content), &[]),
        _ => render_resource(ctx, r, &pg, content, None),
    };
    let _ = pg;
    Ok(html! {
        (PreEscaped("<!-- preview -->"))
        (body)
    })
}

async fn robots(State(state): State<AppState>) -> Response {
    let body = format!(
        "User-agent: *\nDisallow: /api/\nDisallow: /staff/\nDisallow: /cart/\nDisallow: /checkout/\nDisallow: /dashboard/\n\nSitemap: {}\n",
        state.config.absolute_url("/sitemap.xml")
    );
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

async fn sitemap(State(state): State<AppState>, axum::Extension(cache): Cache) -> Result<Response, AppError> {
    let r = Req::load(&state, &cache).await?;
    let cat = &r.cat;
    let mut urls = vec![
        state.config.absolute_url("/"),
        state.config.absolute_url("/catalog/courses/"),
        state.config.absolute_url("/catalog/programs/"),
    ];
    urls.extend(
        listed_courses(cat).map(|c| state.config.absolute_url(&format!("/courses/{}/", c.readable_id))),
    );
    urls.extend(listed_programs(cat).map(|p| {
        state
            .config
            .absolute_url(&format!("/programs/{}/", p.readable_id))
    }));
    urls.extend(
        cat.pages
            .iter()
            .filter(|p| p.page_type == PageType::Resource)
            .map(|p| state.config.absolute_url(&format!("/{}/", p.slug))),
    );
    let mut body = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for u in urls {
        body.push_str(&format!("  <url><loc>{}</loc></url>\n", xml_escape(&u)));
    }
    body.push_str("</urlset>\n");
    Ok(([(header::CONTENT_TYPE, "application/xml; charset=utf-8")], body).into_response())
}

/// Human dates for run listings.
pub fn day(t: Option<super::model::Time>) -> String {
    t.map_or_else(
        || "To be announced".to_owned(),
        |t| t.format("%B %-d, %Y").to_string(),
    )
}

pub fn runs_for_page<'a>(cat: &'a Catalog, co: &Course, now: super::model::Time) -> Vec<&'a CourseRun> {
    let mut runs: Vec<&CourseRun> = public_runs(cat, co)
        .into_iter()
        .filter(|r| r.live && (r.is_enrollable(now) || !r.is_past(now)))
        .collect();
    runs.sort_by_key(|r| (r.start_date, r.id));
    runs
}
