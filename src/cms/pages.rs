//! The staff CMS editor (`/staff/cms/`): server-rendered forms to create pages, save drafts,
//! preview, publish, unpublish, roll back to an earlier revision, and upload images. Gated by
//! [`StaffAccess`]; every form carries the CSRF token.

use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde_json::{Map, Value};

use super::model::{PageContent, PageType, Section};
use super::service::{self, CmsError, CreatePage};
use super::store;
use crate::app::AppState;
use crate::db::DbError;
use crate::http::auth::StaffAccess;
use crate::http::error::ErrorInfo;
use crate::http::layout::{Meta, page};
use crate::http::{AppError, PageCtx};

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Text,
    Area,
    Int,
    Money,
    Bool,
    Ids,
    Image,
}

use Kind::*;
use PageType as T;

const PRODUCT: &[T] = &[T::Course, T::Program];

/// (field, label, kind, page types that use it; empty = all).
const FIELDS: &[(&str, &str, Kind, &[T])] = &[
    ("title", "Title", Text, &[]),
    ("hero_title", "Hero title", Text, &[T::Home]),
    ("hero_subtitle", "Hero subtitle", Area, &[T::Home]),
    (
        "product_section_title",
        "Featured section title",
        Text,
        &[T::Home],
    ),
    ("message", "Banner message", Area, &[T::Banner]),
    ("name", "Name", Text, &[T::Instructor, T::Signatory]),
    ("title_1", "Title line 1", Text, &[T::Instructor, T::Signatory]),
    ("title_2", "Title line 2", Text, &[T::Signatory]),
    ("title_3", "Title line 3", Text, &[T::Signatory]),
    ("organization", "Organization", Text, &[T::Signatory]),
    ("signature_image_id", "Signature image id", Image, &[T::Signatory]),
    ("bio_short", "Short bio", Area, &[T::Instructor]),
    ("bio_long", "Long bio", Area, &[T::Instructor]),
    ("product_name", "Product name", Text, &[T::Certificate]),
    ("ceus", "CEUs", Text, &[T::Certificate]),
    (
        "signatory_ids",
        "Signatory page ids (comma separated)",
        Ids,
        &[T::Certificate],
    ),
    ("description", "Description", Area, PRODUCT),
    ("what_you_learn", "What you'll learn", Area, PRODUCT),
    ("about", "About", Area, PRODUCT),
    ("prerequisites", "Prerequisites", Area, PRODUCT),
    ("length", "Length (e.g. 12 weeks)", Text, PRODUCT),
    ("effort", "Effort (e.g. 5–8 hours per week)", Text, PRODUCT),
    ("min_weekly_hours", "Minimum weekly hours", Text, PRODUCT),
    ("max_weekly_hours", "Maximum weekly hours", Text, PRODUCT),
    ("min_weeks", "Minimum weeks", Int, PRODUCT),
    ("max_weeks", "Maximum weeks", Int, PRODUCT),
    ("min_price", "Minimum price", Money, PRODUCT),
    ("max_price", "Maximum price", Money, PRODUCT),
    ("list_price", "List price", Money, &[T::Program]),
    ("price_text", "Price text", Text, PRODUCT),
    ("price_link", "Price link", Text, PRODUCT),
    ("faq_url", "FAQ URL", Text, PRODUCT),
    ("video_url", "Video URL", Text, PRODUCT),
    (
        "financial_assistance_form_url",
        "Financial assistance form URL",
        Text,
        PRODUCT,
    ),
    (
        "feature_image_id",
        "Feature image id",
        Image,
        &[T::Course, T::Program, T::Instructor, T::Home, T::Resource],
    ),
    ("faculty_section_title", "Faculty section title", Text, PRODUCT),
    (
        "instructor_ids",
        "Instructor page ids (comma separated)",
        Ids,
        PRODUCT,
    ),
    (
        "include_in_learn_catalog",
        "Include in MIT Learn's catalog",
        Bool,
        PRODUCT,
    ),
    (
        "ingest_content_files_for_ai",
        "Ingest content files for AI",
        Bool,
        &[T::Course],
    ),
    ("show_stay_updated", "Show \"stay updated\"", Bool, PRODUCT),
    ("seo_title", "SEO title", Text, &[]),
    ("search_description", "Search description", Area, &[]),
];

fn applies(types: &[T], ty: T) -> bool {
    types.is_empty() || types.contains(&ty)
}

fn bad(field: &'static str, msg: &str) -> CmsError {
    CmsError::Invalid(field, msg.to_owned())
}

/// Builds page content from the submitted form, naming the field of any bad value.
fn content_from_form(ty: T, form: &[(String, String)]) -> Result<PageContent, CmsError> {
    let get = |k: &str| form.iter().rev().find(|(n, _)| n == k).map(|(_, v)| v.trim());
    let mut m = Map::new();
    for &(name, _, kind, types) in FIELDS {
        if !applies(types, ty) {
            continue;
        }
        let v = get(name).unwrap_or("");
        let value = match kind {
            Text | Area => Value::String(v.to_owned()),
            Bool => Value::Bool(matches!(v, "on" | "true" | "1")),
            Int | Image if v.is_empty() => Value::Null,
            Int | Image => Value::from(v.parse::<i64>().map_err(|_| bad(name, "Enter a whole number."))?),
            Money if v.is_empty() => Value::Null,
            Money => {
                let d: rust_decimal::Decimal = v.parse().map_err(|_| bad(name, "Enter a number."))?;
                Value::String(d.to_string())
            }
            Ids => Value::Array(
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| {
                        s.parse::<i64>()
                            .map(Value::from)
                            .map_err(|_| bad(name, "Enter page ids separated by commas."))
                    })
                    .collect::<Result<_, _>>()?,
            ),
        };
        m.insert(name.to_owned(), value);
    }
    let mut content: PageContent =
        serde_json::from_value(Value::Object(m)).map_err(|e| CmsError::Invalid("form", e.to_string()))?;
    if ty == T::Resource {
        let mut i = 0;
        while let Some(h) = get(&format!("section_heading_{i}")) {
            let d = get(&format!("section_detail_{i}")).unwrap_or("");
            if !h.is_empty() || !d.is_empty() {
                content.sections.push(Section {
                    heading: h.to_owned(),
                    detail: d.to_owned(),
                });
            }
            i += 1;
        }
    }
    Ok(content)
}

/// A staff form error: like [`AppError`], but an HTML page names the refused field and why
/// (JSON callers get the DRF-style field map as usual).
pub struct FormError(AppError);

impl<E: Into<AppError>> From<E> for FormError {
    fn from(e: E) -> Self {
        FormError(e.into())
    }
}

impl IntoResponse for FormError {
    fn into_response(self) -> Response {
        let named = match &self.0 {
            AppError::Invalid(fields) => fields.iter().next().map(|(field, msgs)| {
                let label = FIELDS
                    .iter()
                    .find(|f| f.0 == field)
                    .map_or(field.as_str(), |f| f.1);
                format!("{label}: {}", msgs.join(" "))
            }),
            _ => None,
        };
        let mut resp = self.0.into_response();
        if let Some(message) = named {
            resp.extensions_mut().insert(ErrorInfo { message });
        }
        resp
    }
}

fn csrf(ctx: &PageCtx) -> Markup {
    html! { @if let Some(t) = &ctx.csrf_token { input type="hidden" name="csrfmiddlewaretoken" value=(t); } }
}

fn staff_page(ctx: &PageCtx, title: &str, body: Markup) -> Markup {
    page(
        ctx,
        &Meta {
            title,
            noindex: true,
            ..Meta::default()
        },
        html! { section class="container staff-cms" { (body) } },
    )
}

pub async fn index(
    State(state): State<AppState>,
    staff: StaffAccess,
    ctx: PageCtx,
) -> Result<Markup, AppError> {
    let _ = staff;
    let (pages, media) = state
        .db
        .read(|c| Ok::<_, DbError>((store::list_pages(c)?, store::media_list(c)?)))
        .await?;
    let p = &ctx.prefix;
    Ok(staff_page(
        &ctx,
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
                (csrf(&ctx))
                div class="field" { label for="page_type" { "Type" } select id="page_type" name="page_type" { @for t in PageType::ALL { option value=(t.as_str()) { (t.label()) } } } }
                div class="field" { label for="title" { "Title" } input type="text" id="title" name="title" required; }
                div class="field" { label for="slug" { "Slug" } input type="text" id="slug" name="slug" aria-describedby="slug-help"; p id="slug-help" class="muted" { "Optional for product, home, banner and certificate pages." } }
                div class="field" { label for="product" { "Course or program readable id (product pages)" } input type="text" id="product" name="product"; }
                div class="field" { label for="parent_id" { "Parent page id (certificate pages)" } input type="number" id="parent_id" name="parent_id"; }
                button type="submit" { "Create draft" }
            }
            h2 id="images" { "Images" }
            form method="post" action=(p.url("/staff/cms/media/")) enctype="multipart/form-data" {
                (csrf(&ctx))
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

fn parse_type(form: &[(String, String)]) -> Result<PageType, CmsError> {
    let v = form
        .iter()
        .find(|(k, _)| k == "page_type")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    PageType::parse(v).ok_or_else(|| bad("page_type", "Choose a valid page type."))
}

pub async fn create(
    State(state): State<AppState>,
    staff: StaffAccess,
    ctx: PageCtx,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, FormError> {
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
        &state,
        &staff.actor,
        CreatePage {
            page_type: ty,
            slug: get("slug"),
            product,
            parent_id,
            content,
        },
    )
    .await?;
    Ok(Redirect::to(&ctx.prefix.url(&format!("/staff/cms/pages/{id}/"))).into_response())
}

fn field_input(name: &str, label: &str, kind: Kind, value: &Value) -> Markup {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Array(a) => a.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(", "),
        _ => String::new(),
    };
    html! {
        div class="field" {
            @match kind {
                Bool => { label { input type="checkbox" name=(name) checked[value.as_bool() == Some(true)]; " " (label) } }
                Area => { label for=(name) { (label) } textarea id=(name) name=(name) { (text) } }
                Int | Image => { label for=(name) { (label) } input type="number" id=(name) name=(name) value=(text) min="0"; }
                Money => { label for=(name) { (label) } input type="text" inputmode="decimal" id=(name) name=(name) value=(text); }
                _ => { label for=(name) { (label) } input type="text" id=(name) name=(name) value=(text) required[name == "title"]; }
            }
        }
    }
}

pub async fn edit(
    State(state): State<AppState>,
    staff: StaffAccess,
    ctx: PageCtx,
    Path(id): Path<i64>,
) -> Result<Markup, AppError> {
    let _ = staff;
    let (row, revs) = state
        .db
        .read(move |c| Ok::<_, DbError>((store::find_page(c, id)?, store::revisions(c, id)?)))
        .await?;
    let row = row.ok_or_else(AppError::not_found)?;
    let ty = PageType::parse(&row.page_type).ok_or_else(AppError::not_found)?;
    let draft = revs.first().map(|r| r.content.clone()).unwrap_or_default();
    let values = serde_json::to_value(&draft).unwrap_or(Value::Null);
    let p = &ctx.prefix;
    let base = format!("/staff/cms/pages/{id}");
    Ok(staff_page(
        &ctx,
        &format!("Edit {}", row.title),
        html! {
            p { a href=(p.url("/staff/cms/")) { "← All pages" } }
            h1 { "Edit " (ty.label().to_lowercase()) ": " (row.title) }
            p class="muted" {
                @if row.live { "Published (revision " (row.live_revision_id.unwrap_or_default()) ")." } @else { "Not published." }
                " " a href=(p.url(&format!("{base}/preview"))) { "Preview the draft" }
            }
            form method="post" action=(p.url(&format!("{base}/"))) {
                (csrf(&ctx))
                @for &(name, label, kind, types) in FIELDS {
                    @if applies(types, ty) { (field_input(name, label, kind, &values[name])) }
                }
                @if ty == T::Resource {
                    fieldset {
                        legend { "Sections" }
                        @for (i, s) in draft.sections.iter().chain(std::iter::once(&Section::default())).enumerate() {
                            (field_input(&format!("section_heading_{i}"), &format!("Section {} heading", i + 1), Text, &Value::String(s.heading.clone())))
                            (field_input(&format!("section_detail_{i}"), &format!("Section {} text", i + 1), Area, &Value::String(s.detail.clone())))
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
                form method="post" action=(p.url(&format!("{base}/unpublish"))) { (csrf(&ctx)) button type="submit" class="secondary" { "Unpublish" } }
            } @else {
                form method="post" action=(p.url(&format!("{base}/publish"))) { (csrf(&ctx)) button type="submit" { "Publish latest revision" } }
            }
            h2 { "Revisions" }
            ol class="revisions" reversed {
                @for r in &revs {
                    li {
                        "Revision " (r.id) " by " (r.created_by) " at " (r.created_on)
                        @if Some(r.id) == row.live_revision_id { strong { " (live)" } }
                        form method="post" action=(p.url(&format!("{base}/rollback"))) class="inline" {
                            (csrf(&ctx))
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
    State(state): State<AppState>,
    staff: StaffAccess,
    ctx: PageCtx,
    Path(id): Path<i64>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, FormError> {
    let row = state
        .db
        .read(move |c| store::find_page(c, id).map_err(DbError::from))
        .await?
        .ok_or_else(AppError::not_found)?;
    let ty = PageType::parse(&row.page_type).ok_or_else(AppError::not_found)?;
    let content = content_from_form(ty, &form)?;
    let publish = form.iter().any(|(k, v)| k == "action" && v == "publish");
    service::save(&state, &staff.actor, id, content, publish).await?;
    Ok(Redirect::to(&ctx.prefix.url(&format!("/staff/cms/pages/{id}/"))).into_response())
}

pub async fn publish(
    State(state): State<AppState>,
    staff: StaffAccess,
    ctx: PageCtx,
    Path(id): Path<i64>,
) -> Result<Response, FormError> {
    service::publish(&state, &staff.actor, id).await?;
    Ok(Redirect::to(&ctx.prefix.url(&format!("/staff/cms/pages/{id}/"))).into_response())
}

pub async fn unpublish(
    State(state): State<AppState>,
    staff: StaffAccess,
    ctx: PageCtx,
    Path(id): Path<i64>,
) -> Result<Response, FormError> {
    service::unpublish(&state, &staff.actor, id).await?;
    Ok(Redirect::to(&ctx.prefix.url(&format!("/staff/cms/pages/{id}/"))).into_response())
}

pub async fn rollback(
    State(state): State<AppState>,
    staff: StaffAccess,
    ctx: PageCtx,
    Path(id): Path<i64>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, FormError> {
    let rev = form
        .iter()
        .find(|(k, _)| k == "revision_id")
        .and_then(|(_, v)| v.parse::<i64>().ok())
        .ok_or_else(|| AppError::field("revision_id", "Choose a revision."))?;
    service::rollback(&state, &staff.actor, id, rev).await?;
    Ok(Redirect::to(&ctx.prefix.url(&format!("/staff/cms/pages/{id}/"))).into_response())
}

#[derive(serde::Deserialize)]
pub struct PreviewQuery {
    revision: Option<i64>,
}

/// Renders the draft (or a given revision) with the public templates, marked noindex.
pub async fn preview(
    State(state): State<AppState>,
    staff: StaffAccess,
    ctx: PageCtx,
    axum::Extension(cache): crate::catalog::api::Cache,
    Path(id): Path<i64>,
    Query(q): Query<PreviewQuery>,
) -> Result<Markup, AppError> {
    let _ = staff;
    let (row, rev) = state
        .db
        .read(move |c| {
            let rev = match q.revision {
                Some(r) => store::revision(c, r)?.filter(|r| r.page_id == id),
                None => store::latest_revision(c, id)?,
            };
            Ok::<_, DbError>((store::find_page(c, id)?, rev))
        })
        .await?;
    let (row, rev) = row.zip(rev).ok_or_else(AppError::not_found)?;
    let r = crate::catalog::api::Req::load(&state, &cache).await?;
    crate::catalog::pages::preview(&ctx, &r, &row, &rev.content)
}

pub async fn upload(
    State(state): State<AppState>,
    staff: StaffAccess,
    ctx: PageCtx,
    mut mp: Multipart,
) -> Result<Response, FormError> {
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
    service::upload(&state, &staff.actor, title, name, bytes).await?;
    Ok(Redirect::to(&ctx.prefix.url("/staff/cms/#images")).into_response())
}
