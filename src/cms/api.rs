//! The Wagtail pages API subset the original exposes anonymously (`/api/v2/pages/?type=…` for
//! course, program and certificate pages; `fields=*`; `readable_id`), and image serving.

use axum::Extension;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::api_shapes::*;
use super::model::{PageContent, PageType, PublishedPage};
use crate::catalog::api::{Cache, Req, json as json_bytes};
use crate::catalog::service::Params;
use crate::catalog::shapes::{self, Ctx};
use crate::catalog::snapshot::Catalog;
use crate::http::AppError;
use crate::state::AppState;

fn wagtail_error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(WagtailError { message })).into_response()
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

fn money(d: Option<rust_decimal::Decimal>) -> Option<String> {
    d.map(|d| format!("{:.2}", d.round_dp(2)))
}

fn text(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

fn image<'a>(media: Option<i64>, cx: &Ctx<'_>, title: &'a str) -> Option<Image<'a>> {
    media.map(|id| Image {
        title,
        image_url: cx.media_url(id),
        height: None,
        width: None,
    })
}

/// A certificate page's CEU overrides as Wagtail stream blocks.
fn overrides(c: &PageContent) -> Vec<OverrideBlock<'_>> {
    c.ceu_overrides
        .iter()
        .enumerate()
        .map(|(i, o)| OverrideBlock {
            kind: "course_run",
            value: OverrideValue {
                readable_id: &o.readable_id,
                ceus: &o.ceus,
            },
            id: format!("override-{i}"),
        })
        .collect()
}

/// A certificate page in the pages API's shape.
pub fn certificate_page<'a>(cat: &'a Catalog, cx: &Ctx<'_>, p: &'a PublishedPage) -> CertificatePage<'a> {
    let mut m = meta(cat, cx, p, true);
    // Embedded certificate pages carry no live/last-published flags (as the original).
    m.live = None;
    m.last_published_at = None;
    m.parent = p
        .parent_id
        .and_then(|id| cat.page_by_id(id))
        .map(|parent| ParentPage {
            id: parent.id,
            meta: ParentMeta {
                kind: parent.page_type.wagtail_type(),
                detail_url: cx.abs(&format!("/api/v2/pages/{}/", parent.id)),
                html_url: html_url(cat, cx, parent),
            },
            title: &parent.content.title,
        });
    let signatories = p
        .content
        .signatory_ids
        .iter()
        .filter_map(|id| cat.page_by_id(*id))
        .map(|s| Signatory {
            name: &s.content.name,
            title_1: &s.content.title_1,
            title_2: &s.content.title_2,
            title_3: &s.content.title_3,
            organization: &s.content.organization,
            signature_image: image(s.content.signature_image_id, cx, "Signature"),
        })
        .collect();
    CertificatePage {
        id: p.id,
        meta: m,
        title: &p.content.title,
        product_name: &p.content.product_name,
        ceus: &p.content.ceus,
        overrides: overrides(&p.content),
        signatory_items: signatories,
    }
}

/// [`certificate_page`] as JSON (embedded in certificate API answers).
pub fn certificate(cat: &Catalog, cx: &Ctx<'_>, p: &PublishedPage) -> Value {
    serde_json::to_value(certificate_page(cat, cx, p)).unwrap_or(Value::Null)
}

fn full<'a>(cat: &'a Catalog, cx: &Ctx<'_>, p: &'a PublishedPage) -> PageDetail<'a> {
    if p.page_type == PageType::Certificate {
        return PageDetail::Certificate(Box::new(certificate_page(cat, cx, p)));
    }
    let c = &p.content;
    let faculty = c
        .instructor_ids
        .iter()
        .filter_map(|id| cat.page_by_id(*id))
        .map(|i| Faculty {
            id: i.id,
            instructor_name: &i.content.name,
            instructor_title: &i.content.title_1,
            instructor_bio_short: &i.content.bio_short,
            instructor_bio_long: &i.content.bio_long,
            feature_image_src: i.content.feature_image_id.map(|m| cx.media_url(m)),
        })
        .collect();
    let cert = cat
        .pages
        .iter()
        .find(|x| x.parent_id == Some(p.id) && x.page_type == PageType::Certificate)
        .map(|x| certificate_page(cat, cx, x));
    let price = if c.price_text.is_empty() {
        vec![]
    } else {
        vec![PriceBlock {
            kind: "price_details",
            value: PriceValue {
                text: &c.price_text,
                link: &c.price_link,
            },
            id: block_id(p.id, "price"),
        }]
    };
    let mut page = ProductPage {
        id: p.id,
        meta: meta(cat, cx, p, true),
        title: &c.title,
        description: &c.description,
        length: &c.length,
        effort: text(&c.effort),
        min_weekly_hours: text(&c.min_weekly_hours),
        max_weekly_hours: text(&c.max_weekly_hours),
        min_weeks: c.min_weeks,
        max_weeks: c.max_weeks,
        price,
        min_price: money(c.min_price),
        max_price: money(c.max_price),
        prerequisites: text(&c.prerequisites),
        faq_url: text(&c.faq_url),
        about: text(&c.about),
        what_you_learn: text(&c.what_you_learn),
        feature_image: image(c.feature_image_id, cx, &c.title),
        video_url: text(&c.video_url),
        faculty_section_title: if c.faculty_section_title.is_empty() {
            "Meet your instructors"
        } else {
            &c.faculty_section_title
        },
        faculty,
        certificate_page: cert,
        how_youll_learn: vec![],
        include_in_learn_catalog: c.include_in_learn_catalog,
        show_stay_updated: c.show_stay_updated,
        course_details: None,
        topic_list: None,
        ingest_content_files_for_ai: None,
        program_details: None,
        list_price: None,
    };
    if let Some(co) = p.course_id.and_then(|id| cat.course(id)) {
        let mut details = shapes::v2_course(cat, co, cx, false);
        details.courseruns = None;
        page.course_details = Some(details);
        page.topic_list = Some(
            co.topics
                .iter()
                .map(|&t| Topic {
                    name: &cat.topics[t].name,
                    parent: cat.topics[t].parent.as_deref(),
                })
                .collect(),
        );
        page.ingest_content_files_for_ai = Some(c.ingest_content_files_for_ai);
    }
    if let Some(pr) = p.program_id.and_then(|id| cat.program(id)) {
        let mut details = shapes::v2_program(cat, pr, cx);
        details.products = None;
        page.program_details = Some(details);
        page.list_price = Some(c.list_price.map(|d| d.to_string()));
    }
    PageDetail::Product(Box::new(page))
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

/// The query of the pages listing.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code, reason = "parameters for the document only; never constructed")]
pub struct PagesQuery {
    /// `cms.coursepage`, `cms.programpage` or `cms.certificatepage` (required: anything else
    /// is a 400).
    #[serde(rename = "type")]
    kind: String,
    /// `*` for every field of each page.
    fields: Option<String>,
    /// How many pages (20 unless given, at most 100).
    limit: Option<u32>,
    /// How many to skip.
    offset: Option<u32>,
    /// The page of the course or program with this readable id.
    readable_id: Option<String>,
}

/// Course, program or certificate pages (Wagtail's pages API; course and program pages only
/// when included in Learn's catalog, program pages only of non-B2B programs).
#[utoipa::path(
    get,
    path = "/api/v2/pages/",
    tag = "cms",
    operation_id = "pages_list",
    params(PagesQuery),
    responses(
        (status = 200, description = "The matching pages", body = PageListing),
        (status = 400, description = "No valid `type`, `limit` or `offset`", body = WagtailError)
    )
)]
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
    let items = matching
        .iter()
        .skip(offset)
        .take(limit)
        .map(|p| {
            if all {
                PageItem::Full(full(&r.cat, &cx, p))
            } else {
                PageItem::Summary(Box::new(PageSummary {
                    id: p.id,
                    meta: meta(&r.cat, &cx, p, false),
                    title: &p.content.title,
                }))
            }
        })
        .collect();
    Ok(json_bytes(&PageListing {
        meta: ListingMeta {
            total_count: matching.len(),
        },
        items,
    }))
}

/// One course, program or certificate page with every field (as the listing shows them).
#[utoipa::path(
    get,
    path = "/api/v2/pages/{id}/",
    tag = "cms",
    operation_id = "pages_retrieve",
    params(("id" = String, Path, description = "The page's id")),
    responses(
        (status = 200, description = "The page", body = PageDetail),
        (status = 404, description = "No such page shown", body = WagtailError)
    )
)]
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
