//! Course and program product pages and the catalog cards.

use axum::extract::{Path, State};
use maud::{Markup, html};

use super::learner::{Viewer, page_runs, run_item};
use super::*;
use crate::catalog::shapes::Ctx;
use crate::cms::links::safe_link;
use crate::http::session::MaybeUser;

/// The POST form that puts a product in the cart (replacing what is there), as a button.
pub fn add_to_cart(ctx: &PageCtx, product_id: i64, class: &str, label: Markup) -> Markup {
    html! {
        form method="post" action=(ctx.prefix.url("/cart/add/")) class="inline" data-product-id=(product_id) {
            (ctx.csrf_field())
            input type="hidden" name="product_id" value=(product_id);
            button type="submit" class=[(!class.is_empty()).then_some(class)] { (label) }
        }
    }
}

/// Plain text rendered as paragraphs (blank lines separate them).
pub fn paragraphs(text: &str) -> Markup {
    html! {
        @for para in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
            p { (para) }
        }
    }
}

pub fn course_card(ctx: &PageCtx, cat: &Catalog, co: &Course, cx: &Ctx<'_>) -> Markup {
    let content = cat.page(co.page).map(|p| &p.content);
    // The next enrollable session, else the next one whose enrollment has not opened yet.
    let next = super::super::shapes::next_run(cat, co, cx.now)
        .and_then(|id| cat.run_by_id.get(&id))
        .map(|&i| &cat.runs[i])
        .or_else(|| {
            runs_for_page(cat, co, cx.now)
                .into_iter()
                .find(|r| r.enrollment_start.is_some_and(|s| s > cx.now))
        });
    html! {
        article class="card" {
            @if let Some(img) = content.and_then(|c| c.feature_image_id) {
                img src=(ctx.prefix.url(&format!("/media/{img}/"))) alt="" loading="lazy" width="400" height="210";
            }
            h3 { a href=(ctx.prefix.url(&format!("/courses/{}/", co.readable_id))) { (co.title) } }
            p class="muted" { (co.readable_id) }
            @if let Some(r) = next {
                p {
                    "Starts " (day(r.start_date)) @if r.is_self_paced { " · Self-paced" }
                    @if !r.is_enrollable(cx.now) { " · Enrollment opens " (day(r.enrollment_start)) }
                }
            } @else {
                p class="muted" { "No upcoming sessions" }
            }
        }
    }
}

pub fn program_card(ctx: &PageCtx, cat: &Catalog, pr: &Program) -> Markup {
    let content = cat.page(pr.page).map(|p| &p.content);
    html! {
        article class="card" {
            @if let Some(img) = content.and_then(|c| c.feature_image_id) {
                img src=(ctx.prefix.url(&format!("/media/{img}/"))) alt="" loading="lazy" width="400" height="210";
            }
            h3 { a href=(ctx.prefix.url(&format!("/programs/{}/", pr.readable_id))) { (pr.title) } }
            p class="muted" { (pr.program_type) " · " (pr.course_ids().len()) " courses" }
        }
    }
}

pub(super) async fn course_page(
    State(state): State<AppState>,
    axum::Extension(cache): Cache,
    ctx: PageCtx,
    MaybeUser(user): MaybeUser,
    Path(readable_id): Path<String>,
) -> Result<Markup, AppError> {
    let r = Req::load(&state, &cache).await?;
    let co = r
        .cat
        .course_by_readable_id(&readable_id)
        .filter(|c| c.live && !service::is_b2b_only(&r.cat, c))
        .ok_or_else(AppError::not_found)?;
    let pg = r.cat.page(co.page).ok_or_else(AppError::not_found)?;
    let canonical = state
        .config
        .absolute_url(&format!("/courses/{}/", co.readable_id));
    let products = super::super::shapes::public_runs(&r.cat, co)
        .iter()
        .filter_map(|run| run.product.as_ref().map(|p| p.id))
        .collect();
    let viewer = Viewer::for_course(&state, user.as_ref().map(|u| u.id), products).await?;
    Ok(render_course(
        &ctx,
        &r,
        co,
        &pg.content,
        Some(&canonical),
        &viewer,
    ))
}

fn instructors_section(ctx: &PageCtx, cat: &Catalog, c: &PageContent) -> Markup {
    let people: Vec<&PublishedPage> = c
        .instructor_ids
        .iter()
        .filter_map(|id| cat.page_by_id(*id))
        .collect();
    html! {
        @if !people.is_empty() {
            section aria-labelledby="instructors" {
                h2 id="instructors" { (if c.faculty_section_title.is_empty() { "Meet your instructors" } else { &c.faculty_section_title }) }
                ul class="people" {
                    @for p in people {
                        li {
                            @if let Some(img) = p.content.feature_image_id {
                                img src=(ctx.prefix.url(&format!("/media/{img}/"))) alt="" width="96" height="96" loading="lazy";
                            }
                            div {
                                h3 { (if p.content.name.is_empty() { &p.content.title } else { &p.content.name }) }
                                @if !p.content.title_1.is_empty() { p class="muted" { (p.content.title_1) } }
                                (paragraphs(&p.content.bio_short))
                            }
                        }
                    }
                }
            }
        }
    }
}

fn facts(c: &PageContent) -> Markup {
    html! {
        dl class="facts" {
            @if !c.length.is_empty() { dt { "Length" } dd { (c.length) } }
            @if !c.effort.is_empty() { dt { "Effort" } dd { (c.effort) } }
            @if !c.price_text.is_empty() {
                dt { "Price" }
                dd { @if let Some(link) = safe_link(&c.price_link) { a href=(link) { (c.price_text) } } @else { (c.price_text) } }
            }
        }
    }
}

pub fn render_course(
    ctx: &PageCtx,
    r: &Req,
    co: &Course,
    c: &PageContent,
    canonical: Option<&str>,
    viewer: &Viewer,
) -> Markup {
    let cat = &r.cat;
    let runs = page_runs(cat, co, r.now, viewer);
    let programs: Vec<&Program> = cat
        .programs_of_course
        .get(&co.id)
        .into_iter()
        .flatten()
        .filter_map(|id| cat.program(*id))
        .filter(|p| p.live && !p.b2b_only && p.page.is_some())
        .collect();
    let body = html! {
        section aria-labelledby="sessions" {
            h2 id="sessions" { "Course sessions" }
            @if runs.is_empty() {
                p { "There are no upcoming sessions. Check back soon." }
            } @else {
                ul class="runs" { @for run in &runs { (run_item(ctx, r, run, viewer)) } }
            }
        }
        @if !c.what_you_learn.is_empty() { section aria-labelledby="learn" { h2 id="learn" { "What you'll learn" } (paragraphs(&c.what_you_learn)) } }
        @if !c.about.is_empty() { section aria-labelledby="about" { h2 id="about" { "About this course" } (paragraphs(&c.about)) } }
        @if !c.prerequisites.is_empty() { section aria-labelledby="prereq" { h2 id="prereq" { "Prerequisites" } (paragraphs(&c.prerequisites)) } }
    };
    let after = html! {
        @if !programs.is_empty() {
            section aria-labelledby="in-programs" {
                h2 id="in-programs" { "Part of" }
                ul { @for p in programs { li { a href=(ctx.prefix.url(&format!("/programs/{}/", p.readable_id))) { (p.title) } } } }
            }
        }
    };
    product_page(
        ctx,
        r,
        c,
        &co.title,
        canonical,
        html! { (co.readable_id) },
        html! {},
        body,
        after,
    )
}

pub(super) async fn program_page(
    State(state): State<AppState>,
    axum::Extension(cache): Cache,
    ctx: PageCtx,
    MaybeUser(user): MaybeUser,
    Path(readable_id): Path<String>,
) -> Result<Markup, AppError> {
    let r = Req::load(&state, &cache).await?;
    let pr = r
        .cat
        .program_by_readable_id(&readable_id)
        .filter(|p| p.live && !p.b2b_only)
        .ok_or_else(AppError::not_found)?;
    let pg = r.cat.page(pr.page).ok_or_else(AppError::not_found)?;
    let canonical = state
        .config
        .absolute_url(&format!("/programs/{}/", pr.readable_id));
    let products = pr.product.iter().map(|p| p.id).collect();
    let viewer = Viewer::for_program(
        &state,
        r.cat.clone(),
        user.as_ref().map(|u| u.id),
        pr.id,
        products,
    )
    .await?;
    Ok(render_program(
        &ctx,
        &r,
        pr,
        &pg.content,
        Some(&canonical),
        &viewer,
    ))
}

pub fn render_program(
    ctx: &PageCtx,
    r: &Req,
    pr: &Program,
    c: &PageContent,
    canonical: Option<&str>,
    viewer: &Viewer,
) -> Markup {
    let cat = &r.cat;
    let req = pr.requirements();
    let elective_count = pr
        .root
        .iter()
        .flat_map(|r| &r.children)
        .find(|n| n.operator.as_deref() == Some("min_number_of"))
        .and_then(|n| n.operator_value.clone());
    let course_list = |ids: &[i64]| {
        html! {
            ul class="requirements" {
                @for co in ids.iter().filter_map(|id| cat.course(*id)) {
                    li { @if co.page.is_some() && co.live { a href=(ctx.prefix.url(&format!("/courses/{}/", co.readable_id))) { (co.title) } } @else { (co.title) } }
                }
            }
        }
    };
    let program_list = |ids: &[i64]| {
        html! {
            ul class="requirements" {
                @for p in ids.iter().filter_map(|id| cat.program(*id)) {
                    li { a href=(ctx.prefix.url(&format!("/programs/{}/", p.readable_id))) { (p.title) } " (program)" }
                }
            }
        }
    };
    let body = html! {
        section aria-labelledby="reqs" {
            h2 id="reqs" { "Courses in this program" }
            @if !req.required_courses.is_empty() || !req.required_programs.is_empty() {
                h3 { "Required courses" }
                (course_list(&req.required_courses))
                (program_list(&req.required_programs))
            }
            @if !req.elective_courses.is_empty() || !req.elective_programs.is_empty() {
                h3 { "Elective courses" @if let Some(n) = &elective_count { " (complete " (n) ")" } }
                (course_list(&req.elective_courses))
                (program_list(&req.elective_programs))
            }
        }
        @if !c.what_you_learn.is_empty() { section aria-labelledby="learn" { h2 id="learn" { "What you'll learn" } (paragraphs(&c.what_you_learn)) } }
        @if !c.about.is_empty() { section aria-labelledby="about" { h2 id="about" { "About this program" } (paragraphs(&c.about)) } }
    };
    product_page(
        ctx,
        r,
        c,
        &pr.title,
        canonical,
        html! { (pr.program_type) " · " (pr.readable_id) },
        super::learner::program_state(ctx, pr, viewer),
        body,
        html! {},
    )
}

/// A course's or a program's page: the hero (`kicker` above the name, the description, the
/// facts, `state`, the financial-assistance link and the image), `body`, the instructors,
/// `after` and the FAQ link.
#[allow(clippy::too_many_arguments)]
fn product_page(
    ctx: &PageCtx,
    r: &Req,
    c: &PageContent,
    name: &str,
    canonical: Option<&str>,
    kicker: Markup,
    state: Markup,
    body: Markup,
    after: Markup,
) -> Markup {
    let image = c.feature_image_id.map(|id| r.cx().media_url(id));
    let title = if c.seo_title.is_empty() {
        name
    } else {
        &c.seo_title
    };
    let desc = if c.search_description.is_empty() {
        c.description.lines().next().unwrap_or("")
    } else {
        &c.search_description
    };
    page(
        ctx,
        &Meta {
            title,
            description: Some(desc),
            canonical,
            image: image.as_deref(),
            ..Meta::default()
        },
        html! {
            article class="container product" {
                header class="product-hero" {
                    div {
                        p class="muted" { (kicker) }
                        h1 { (name) }
                        (paragraphs(&c.description))
                        (facts(c))
                        (state)
                        @if let Some(link) = safe_link(&c.financial_assistance_form_url) {
                            p { a href=(link) { "Financial assistance is available" } }
                        }
                    }
                    @if let Some(src) = &image { img src=(src) alt="" width="480" height="252"; }
                }
                (body)
                (instructors_section(ctx, &r.cat, c))
                (after)
                @if let Some(link) = safe_link(&c.faq_url) { p { a href=(link) { "Frequently asked questions" } } }
            }
        },
    )
}
