//! The Wagtail pages API subset the original exposes anonymously (`/api/v2/pages/?type=…` for
//! course, program and certificate pages; `fields=*`; `readable_id`), and image serving.

use axum::Extension;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::model::{PageContent, PageType, PublishedPage};
use crate::catalog::api::{Cache, Req, json as json_bytes};
use crate::catalog::service::Params;
use crate::catalog::shapes::{self, Ctx};
use crate::catalog::snapshot::Catalog;
use crate::http::AppError;
use crate::state::AppState;

fn wagtail_error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({ "message": message }))).into_response()
}

/// Which page types anonymous callers may list.
fn parse_type(s: &str) -> Option<PageType> {
    match s.to_ascii_lowercase().as_str() {
        "cms.coursepage" => Some(PageType::Course),
        "cms.programpage" => Some(PageType::Program),
        "cms.certificatepage" => Some(PageType::Certificate),
        _ => None,
    }
}

fn html_url(cat: &Catalog, cx: &Ctx<'_>, p: &PublishedPage) -> String {
    match p.page_type {
        PageType::Course => cat
            .course(p.course_id.unwrap_or_default())
            .map(|c| cx.abs(&format!("/courses/{}/", c.readable_id))),
        PageType::Program => cat
            .program(p.program_id.unwrap_or_default())
            .map(|c| cx.abs(&format!("/programs/{}/", c.readable_id))),
        PageType::Certificate => p
            .parent_id
            .and_then(|id| cat.page_by_id(id))
            .map(|parent| format!("{}{}/", html_url(cat, cx, parent), p.slug)),
        PageType::Resource => Some(cx.abs(&format!("/{}/", p.slug))),
        _ => None,
    }
    .unwrap_or_else(|| cx.abs("/"))
}

fn meta(cat: &Catalog, cx: &Ctx<'_>, p: &PublishedPage, all: bool) -> Value {
    let mut m = json!({
        "type": p.page_type.wagtail_type(),
        "detail_url": cx.abs(&format!("/api/v2/pages/{}/", p.id)),
        "html_url": html_url(cat, cx, p),
        "slug": p.slug,
        "first_published_at": p.first_published_at,
        "live": true,
        "last_published_at": p.last_published_at,
    });
    if all {
        m["show_in_menus"] = json!(false);
        m["seo_title"] = json!(p.content.seo_title);
        m["search_description"] = json!(p.content.search_description);
        m["alias_of"] = Value::Null;
        m["locale"] = json!("en");
    }
    m
}

fn money(d: Option<rust_decimal::Decimal>) -> Value {
    d.map_or(Value::Null, |d| json!(format!("{:.2}", d.round_dp(2))))
}

fn text(s: &str) -> Value {
    if s.is_empty() { Value::Null } else { json!(s) }
}

fn image(cat_media: Option<i64>, cx: &Ctx<'_>, title: &str) -> Value {
    cat_media.map_or(Value::Null, |id| {
        json!({ "title": title, "image_url": cx.media_url(id), "height": Value::Null, "width": Value::Null })
    })
}

/// A certificate page's CEU overrides as Wagtail stream blocks.
pub fn overrides(c: &PageContent) -> Value {
    c.ceu_overrides
        .iter()
        .enumerate()
        .map(|(i, o)| {
            json!({ "type": "course_run", "value": { "readable_id": o.readable_id, "CEUs": o.ceus },
                    "id": format!("override-{i}") })
        })
        .collect()
}

/// A certificate page in the pages API's shape (also embedded in certificate API answers).
pub fn certificate(cat: &Catalog, cx: &Ctx<'_>, p: &PublishedPage) -> Value {
    let mut m = meta(cat, cx, p, true);
    if let Some(o) = m.as_object_mut() {
        // Embedded certificate pages carry no live/last-published flags (as the original).
        o.remove("live");
        o.remove("last_published_at");
    }
    if let Some(parent) = p.parent_id.and_then(|id| cat.page_by_id(id)) {
        m["parent"] = json!({
            "id": parent.id,
            "meta": { "type": parent.page_type.wagtail_type(),
                      "detail_url": cx.abs(&format!("/api/v2/pages/{}/", parent.id)),
                      "html_url": html_url(cat, cx, parent) },
            "title": parent.content.title,
        });
    }
    let signatories: Vec<Value> = p
        .content
        .signatory_ids
        .iter()
        .filter_map(|id| cat.page_by_id(*id))
        .map(|s| {
            json!({ "name": s.content.name, "title_1": s.content.title_1, "title_2": s.content.title_2,
                    "title_3": s.content.title_3, "organization": s.content.organization,
                    "signature_image": image(s.content.signature_image_id, cx, "Signature") })
        })
        .collect();
    json!({
        "id": p.id,
        "meta": m,
        "title": p.content.title,
        "product_name": p.content.product_name,
        "CEUs": p.content.ceus,
        "overrides": overrides(&p.content),
        "signatory_items": signatories,
    })
}

fn full(cat: &Catalog, cx: &Ctx<'_>, p: &PublishedPage) -> Value {
    if p.page_type == PageType::Certificate {
        return certificate(cat, cx, p);
    }
    let c = &p.content;
    let faculty: Vec<Value> = c
        .instructor_ids
        .iter()
        .filter_map(|id| cat.page_by_id(*id))
        .map(|i| {
            json!({ "id": i.id, "instructor_name": i.content.name, "instructor_title": i.content.title_1,
                    "instructor_bio_short": i.content.bio_short, "instructor_bio_long": i.content.bio_long,
                    "feature_image_src": i.content.feature_image_id.map(|m| cx.media_url(m)) })
        })
        .collect();
    let cert = cat
        .pages
        .iter()
        .find(|x| x.parent_id == Some(p.id) && x.page_type == PageType::Certificate)
        .map_or(Value::Null, |x| certificate(cat, cx, x));
    let mut v = json!({
        "id": p.id,
        "meta": meta(cat, cx, p, true),
        "title": c.title,
        "description": c.description,
        "length": c.length,
        "effort": text(&c.effort),
        "min_weekly_hours": text(&c.min_weekly_hours),
        "max_weekly_hours": text(&c.max_weekly_hours),
        "min_weeks": c.min_weeks,
        "max_weeks": c.max_weeks,
        "price": if c.price_text.is_empty() { json!([]) } else {
            json!([{ "type": "price_details", "value": { "text": c.price_text, "link": c.price_link },
                     "id": block_id(p.id, "price") }]) },
        "min_price": money(c.min_price),
        "max_price": money(c.max_price),
        "prerequisites": text(&c.prerequisites),
        "faq_url": text(&c.faq_url),
        "about": text(&c.about),
        "what_you_learn": text(&c.what_you_learn),
        "feature_image": image(c.feature_image_id, cx, &c.title),
        "video_url": text(&c.video_url),
        "faculty_section_title": if c.faculty_section_title.is_empty() { "Meet your instructors" } else { &c.faculty_section_title },
        "faculty": faculty,
        "certificate_page": cert,
        "how_youll_learn": [],
        "include_in_learn_catalog": c.include_in_learn_catalog,
        "show_stay_updated": c.show_stay_updated,
    });
    if let Some(co) = p.course_id.and_then(|id| cat.course(id)) {
        let mut details = shapes::v2_course(cat, co, cx, false);
        details.courseruns = None;
        v["course_details"] = serde_json::to_value(details).unwrap_or(Value::Null);
        v["topic_list"] = co
            .topics
            .iter()
            .map(|&t| json!({ "name": cat.topics[t].name, "parent": cat.topics[t].parent }))
            .collect();
        v["ingest_content_files_for_ai"] = json!(c.ingest_content_files_for_ai);
    }
    if let Some(pr) = p.program_id.and_then(|id| cat.program(id)) {
        let mut details = serde_json::to_value(shapes::v2_program(cat, pr, cx)).unwrap_or(Value::Null);
        if let Some(o) = details.as_object_mut() {
            o.remove("products");
        }
        v["program_details"] = details;
        v["list_price"] = c.list_price.map_or(Value::Null, |d| json!(d.to_string()));
    }
    v
}

/// Anonymous callers see only pages included in Learn's catalog (programs also non-B2B).
fn visible(cat: &Catalog, p: &PublishedPage, ty: PageType) -> bool {
    if p.page_type != ty {
        return false;
    }
    match ty {
        PageType::Course => p.content.include_in_learn_catalog,
        PageType::Program => {
            p.content.include_in_learn_catalog
                && p.program_id
                    .and_then(|id| cat.program(id))
                    .is_some_and(|pr| !pr.b2b_only)
        }
        _ => true,
    }
}

fn readable_of(cat: &Catalog, p: &PublishedPage) -> Option<String> {
    p.course_id
        .and_then(|id| cat.course(id))
        .map(|c| c.readable_id.clone())
        .or_else(|| {
            p.program_id
                .and_then(|id| cat.program(id))
                .map(|c| c.readable_id.clone())
        })
}

pub async fn pages(
    State(state): State<AppState>,
    Extension(cache): Cache,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let params = Params::parse(q.as_deref());
    let Some(ty) = params.text("type").and_then(parse_type) else {
        return Ok(wagtail_error(
            StatusCode::BAD_REQUEST,
            "type: choose one of cms.coursepage, cms.programpage, cms.certificatepage",
        ));
    };
    let limit = match params.text("limit").map(str::parse::<usize>) {
        None => 20,
        Some(Ok(n)) if n <= 100 => n,
        _ => {
            return Ok(wagtail_error(
                StatusCode::BAD_REQUEST,
                "limit must be a positive integer up to 100",
            ));
        }
    };
    let offset = match params.text("offset").map(str::parse::<usize>) {
        None => 0,
        Some(Ok(n)) => n,
        _ => {
            return Ok(wagtail_error(
                StatusCode::BAD_REQUEST,
                "offset must be a positive integer",
            ));
        }
    };
    let all = params
        .get("fields")
        .is_some_and(|f| f.split(',').any(|x| x == "*"));
    let r = Req::load(&state, &cache).await?;
    let cx = r.cx();
    let readable = params.text("readable_id");
    let matching: Vec<&PublishedPage> = r
        .cat
        .pages
        .iter()
        .filter(|p| visible(&r.cat, p, ty))
        .filter(|p| readable.is_none_or(|rid| readable_of(&r.cat, p).as_deref() == Some(rid)))
        .collect();
    let items: Vec<Value> = matching
        .iter()
        .skip(offset)
        .take(limit)
        .map(|p| {
            if all {
                full(&r.cat, &cx, p)
            } else {
                json!({ "id": p.id, "meta": meta(&r.cat, &cx, p, false), "title": p.content.title })
            }
        })
        .collect();
    Ok(json_bytes(
        &json!({ "meta": { "total_count": matching.len() }, "items": items }),
    ))
}

pub async fn page_detail(
    State(state): State<AppState>,
    Extension(cache): Cache,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let r = Req::load(&state, &cache).await?;
    let Some(p) = id.parse::<i64>().ok().and_then(|id| r.cat.page_by_id(id)) else {
        return Ok(wagtail_error(
            StatusCode::NOT_FOUND,
            "No Page matches the given query.",
        ));
    };
    let allowed = [PageType::Course, PageType::Program, PageType::Certificate]
        .into_iter()
        .any(|ty| visible(&r.cat, p, ty));
    if !allowed {
        return Ok(wagtail_error(
            StatusCode::NOT_FOUND,
            "No Page matches the given query.",
        ));
    }
    Ok(json_bytes(&full(&r.cat, &r.cx(), p)))
}

/// `/media/{id}/`: an uploaded image, cacheable and revalidated by its content hash.
pub async fn media(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let id = crate::http::extract::path_id(&id)?;
    let (ty, sha, bytes) = super::queries::media_bytes(&state, id).await?;
    let etag = format!("\"{}\"", &sha[..16.min(sha.len())]);
    let cache = (header::CACHE_CONTROL, "public, max-age=86400");
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return Ok((StatusCode::NOT_MODIFIED, [cache, (header::ETAG, etag.as_str())]).into_response());
    }
    Ok((
        [
            (header::CONTENT_TYPE, ty.as_str()),
            cache,
            (header::ETAG, etag.as_str()),
            (header::CONTENT_SECURITY_POLICY, "default-src 'none'; sandbox"),
        ],
        bytes,
    )
        .into_response())
}

/// A stable id for a page's one block of a kind (Wagtail gives every StreamField block a UUID;
/// ours are derived from the page and the block, so an answer never changes between requests).
fn block_id(page: i64, block: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("cms-block:{page}:{block}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid().to_string()
}
