//! The staff CMS editor (`/staff/cms/`): server-rendered forms to create pages, save drafts,
//! preview, publish, unpublish, roll back to an earlier revision, and upload images. Gated by
//! [`StaffAccess`]; every form carries the CSRF token.

use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde_json::Value;

use super::form::{FIELDS, FormError, Kind, applies, content_from_form, field_input, parse_type};
use super::model::{CeuOverride, PageContent, PageType, Section};
use super::queries;
use super::service::{self, CreatePage};
use crate::http::auth::StaffAccess;
use crate::http::layout::private_page;
use crate::http::staff_page::StaffPage;
use crate::http::{AppError, PageCtx};
use crate::state::AppState;

fn staff_page(ctx: &PageCtx, title: &str, body: Markup) -> Markup {
    private_page(
        ctx,
        title,
        html! { section class="container staff-cms" { (crate::staff::pages::staff_nav(ctx)) (body) } },
    )
}

/// `?product=<readable id>` on the CMS index (the catalog console's "Create its course page"
/// link): the new-page form comes filled in for that course.
#[derive(serde::Deserialize, Default)]
pub struct NewPageFor {
    product: Option<String>,
}

pub async fn index(r: StaffPage, Query(prefill): Query<NewPageFor>) -> Result<Markup, AppError> {
    let _ = r.access;
    let product = prefill.product.unwrap_or_default();
    let preselect = if product.is_empty() {
        None
    } else {
        Some(PageType::Course)
    };
    let (pages, media) = queries::pages_and_media(&r.state).await?;
    let p = &r.ctx.prefix;
    Ok(staff_page(
        &r.ctx,
        "CMS pages",
        html! {
            h1 { "CMS pages" }
            table class="data-table" {
                caption class="visually-hidden" { "All pages" }
                thead { tr { th scope="col" { "Title" } th scope="col" { "Type" } th scope="col" { "Slug" } th scope="col" { "Status" } } }
                tbody {
                    @for pg in &pages {
                        tr {
                            td { a href=(p.url(&format!("/staff/cms/pages/{}/", pg.id))) { (if pg.title.is_empty() { "(untitled)" } else { &pg.title }) } }
                            td { (PageType::parse(&pg.page_type).map_or("", |t| t.label())) }
                            td { code { (pg.slug) } }
                            td { (if pg.live { "Published" } else if pg.live_revision_id.is_some() { "Unpublished" } else { "Draft" }) }
                        }
                    }
                }
            }
            h2 id="new-page" { "New page" }
            form method="post" action=(p.url("/staff/cms/pages/")) {
                (r.ctx.csrf_field())
                div class="field" { label for="page_type" { "Type" } select id="page_type" name="page_type" { @for t in PageType::ALL { option value=(t.as_str()) selected[preselect == Some(t)] { (t.label()) } } } }
                div class="field" { label for="title" { "Title" } input type="text" id="title" name="title" required; }
                div class="field" { label for="slug" { "Slug" } input type="text" id="slug" name="slug" aria-describedby="slug-help"; p id="slug-help" class="muted" { "Optional for product, home, banner and certificate pages." } }
                div class="field" { label for="product" { "Course or program readable id (product pages)" } input type="text" id="product" name="product" value=(product); }
                div class="field" { label for="parent_id" { "Parent page id (certificate pages)" } input type="number" id="parent_id" name="parent_id"; }
                button type="submit" { "Create draft" }
            }
            h2 id="images" { "Images" }
            form method="post" action=(p.url("/staff/cms/media/")) enctype="multipart/form-data" {
                (r.ctx.csrf_field())
                div class="field" { label for="media-title" { "Title" } input type="text" id="media-title" name="title"; }
                div class="field" { label for="file" { "Image (PNG, JPEG, GIF or WebP, up to 5 MB)" } input type="file" id="file" name="file" accept="image/png,image/jpeg,image/gif,image/webp" required; }
                button type="submit" { "Upload" }
            }
            ul class="media-list" {
                @for m in &media {
                    li { img src=(p.url(&format!("/media/{}/", m.id))) alt=(m.title) width="120" loading="lazy"; " #" (m.id) " " (m.title) " (" (m.width) "×" (m.height) ")" }
                }
            }
        },
    ))
}

pub async fn create(r: StaffPage, Form(form): Form<Vec<(String, String)>>) -> Result<Response, FormError> {
    let ty = parse_type(&form)?;
    let get = |k: &str| {
        form.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let parent_id = match get("parent_id").as_str() {
        "" => None,
        v => Some(
            v.parse::<i64>()
                .map_err(|_| AppError::field("parent_id", "Enter a whole number."))?,
        ),
    };
    let content = PageContent {
        title: get("title"),
        ..PageContent::default()
    };
    let product = Some(get("product")).filter(|s| !s.is_empty());
    let id = service::create(
        &r.state,
        &r.access.actor,
        CreatePage {
            page_type: ty,
            slug: get("slug"),
            product,
            parent_id,
            content,
        },
    )
    .await?;
    Ok(back_to_page(&r.ctx, id))
}

pub async fn edit(page: StaffPage, Path(id): Path<i64>) -> Result<Markup, AppError> {
    let _ = page.access;
    let (row, revs, images) = queries::page_for_edit(&page.state, id).await?;
    let ty = PageType::parse(&row.page_type).ok_or_else(AppError::not_found)?;
    let draft = revs.first().map(|r| r.content.clone()).unwrap_or_default();
    let values = serde_json::to_value(&draft).unwrap_or(Value::Null);
    let p = &page.ctx.prefix;
    let base = format!("/staff/cms/pages/{id}");
    Ok(staff_page(
        &page.ctx,
        &format!("Edit {}", row.title),
        html! {
            p { a href=(p.url("/staff/cms/")) { "← All pages" } }
            h1 { "Edit " (ty.label().to_lowercase()) ": " (row.title) }
            p class="muted" {
                @if row.live { "Published (revision " (row.live_revision_id.unwrap_or_default()) ")." } @else { "Not published." }
                " " a href=(p.url(&format!("{base}/preview"))) { "Preview the draft" }
            }
            form method="post" action=(p.url(&format!("{base}/"))) {
                (page.ctx.csrf_field())
                @for &(name, label, kind, types) in FIELDS {
                    @if applies(types, ty) { (field_input(name, label, kind, &values[name], &images)) }
                }
                @if ty == PageType::Certificate {
                    fieldset {
                        legend { "CEU overrides (for one run's courseware id or a program's readable id)" }
                        @for (i, o) in draft.ceu_overrides.iter().chain(std::iter::once(&CeuOverride::default())).enumerate() {
                            (field_input(&format!("ceu_override_readable_id_{i}"), &format!("Override {} readable id", i + 1), Kind::Text, &Value::String(o.readable_id.clone()), &[]))
                            (field_input(&format!("ceu_override_ceus_{i}"), &format!("Override {} CEUs", i + 1), Kind::Text, &Value::String(o.ceus.clone()), &[]))
                        }
                    }
                    p { a href=(p.url(&format!("/staff/certificates/preview/{}/", row.id))) { "Preview as a certificate (sample learner)" } }
                }
                @if ty == PageType::Resource {
                    fieldset {
                        legend { "Sections" }
                        @for (i, s) in draft.sections.iter().chain(std::iter::once(&Section::default())).enumerate() {
                            (field_input(&format!("section_heading_{i}"), &format!("Section {} heading", i + 1), Kind::Text, &Value::String(s.heading.clone()), &[]))
                            (field_input(&format!("section_detail_{i}"), &format!("Section {} text", i + 1), Kind::Area, &Value::String(s.detail.clone()), &[]))
                        }
                    }
                }
                div class="actions" {
                    button type="submit" name="action" value="save" class="secondary" { "Save draft" }
                    " "
                    button type="submit" name="action" value="publish" { "Save and publish" }
                }
            }
            @if row.live {
                form method="post" action=(p.url(&format!("{base}/unpublish"))) { (page.ctx.csrf_field()) button type="submit" class="secondary" { "Unpublish" } }
            } @else {
                form method="post" action=(p.url(&format!("{base}/publish"))) { (page.ctx.csrf_field()) button type="submit" { "Publish latest revision" } }
            }
            h2 { "Revisions" }
            ol class="revisions" reversed {
                @for r in &revs {
                    li {
                        "Revision " (r.id) " by " (r.created_by) " at " (r.created_on)
                        @if Some(r.id) == row.live_revision_id { strong { " (live)" } }
                        form method="post" action=(p.url(&format!("{base}/rollback"))) class="inline" {
                            (page.ctx.csrf_field())
                            input type="hidden" name="revision_id" value=(r.id);
                            button type="submit" class="secondary" aria-label=(format!("Roll back to revision {}", r.id)) { "Roll back to this" }
                        }
                    }
                }
            }
        },
    ))
}

pub async fn save(
    r: StaffPage,
    Path(id): Path<i64>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, FormError> {
    let row = queries::page(&r.state, id).await?;
    let ty = PageType::parse(&row.page_type).ok_or_else(AppError::not_found)?;
    let content = content_from_form(ty, &form)?;
    let publish = form.iter().any(|(k, v)| k == "action" && v == "publish");
    service::save(&r.state, &r.access.actor, id, content, publish).await?;
    Ok(back_to_page(&r.ctx, id))
}

/// Publishes the latest revision (`LIVE`) or takes the page offline.
pub async fn set_live<const LIVE: bool>(
    State(state): State<AppState>,
    staff: StaffAccess,
    ctx: PageCtx,
    Path(id): Path<i64>,
) -> Result<Response, FormError> {
    if LIVE {
        service::publish(&state, &staff.actor, id).await?;
    } else {
        service::unpublish(&state, &staff.actor, id).await?;
    }
    Ok(back_to_page(&ctx, id))
}

pub async fn rollback(
    r: StaffPage,
    Path(id): Path<i64>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, FormError> {
    let rev = form
        .iter()
        .find(|(k, _)| k == "revision_id")
        .and_then(|(_, v)| v.parse::<i64>().ok())
        .ok_or_else(|| AppError::field("revision_id", "Choose a revision."))?;
    service::rollback(&r.state, &r.access.actor, id, rev).await?;
    Ok(back_to_page(&r.ctx, id))
}

#[derive(serde::Deserialize)]
pub struct PreviewQuery {
    revision: Option<i64>,
}

/// Renders the draft (or a given revision) with the public templates, marked noindex.
pub async fn preview(
    page: StaffPage,
    axum::Extension(cache): crate::catalog::api::Cache,
    Path(id): Path<i64>,
    Query(q): Query<PreviewQuery>,
) -> Result<Markup, AppError> {
    let _ = page.access;
    let (row, rev) = queries::preview(&page.state, id, q.revision).await?;
    let r = crate::catalog::api::Req::load(&page.state, &cache).await?;
    crate::catalog::pages::preview(&page.ctx, &r, &row, &rev.content)
}

pub async fn upload(r: StaffPage, mut mp: Multipart) -> Result<Response, FormError> {
    let mut title = String::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|e| AppError::BadRequest(format!("Invalid upload: {e}")))?
    {
        match field.name().unwrap_or("") {
            "title" => {
                title = field
                    .text()
                    .await
                    .map_err(|e| AppError::field("title", e.to_string()))?
            }
            "file" => {
                let name = field.file_name().unwrap_or("image").to_owned();
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| AppError::field("file", format!("The upload failed: {e}")))?;
                file = Some((name, bytes.to_vec()));
            }
            _ => {}
        }
    }
    let (name, bytes) = file.ok_or_else(|| AppError::field("file", "Choose an image to upload."))?;
    service::upload(&r.state, &r.access.actor, title, name, bytes).await?;
    Ok(Redirect::to(&r.ctx.prefix.url("/staff/cms/#images")).into_response())
}

/// Back to the page's editor.
fn back_to_page(ctx: &PageCtx, id: i64) -> Response {
    Redirect::to(&ctx.prefix.url(&format!("/staff/cms/pages/{id}/"))).into_response()
}
