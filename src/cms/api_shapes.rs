//! The pages API's JSON (Wagtail's shapes, as the original's serializers fill them), typed so
//! that our OpenAPI document describes exactly what [`super::api`] answers.

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::model::{PageType, PublishedPage};
use crate::catalog::shapes::{Ctx, V2CourseShape, V2ProgramShape};
use crate::catalog::snapshot::Catalog;

/// A page's `meta`: a listing has `type` to `last_published_at` without the `fields=*` ones
/// (`show_in_menus`, `seo_title`, `search_description`, `alias_of`, `locale`); a certificate
/// embedded in another page has `parent` and no `live` nor `last_published_at`.
#[derive(Serialize, ToSchema)]
#[schema(as = WagtailPageMeta)]
pub struct Meta<'a> {
    /// `cms.CoursePage`, `cms.ProgramPage`, `cms.CertificatePage`…
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub detail_url: String,
    pub html_url: String,
    pub slug: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub show_in_menus: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seo_title: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search_description: Option<&'a str>,
    pub first_published_at: Option<&'a str>,
    /// Always null (no page is an alias here).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias_of: Option<Option<i64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<ParentPage<'a>>,
    /// `en`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_published_at: Option<Option<&'a str>>,
}

/// A certificate page's parent (the course or program page).
#[derive(Serialize, ToSchema)]
#[schema(as = WagtailParentPage)]
pub struct ParentPage<'a> {
    pub id: i64,
    pub meta: ParentMeta,
    pub title: &'a str,
}

/// The parent page's `meta`.
#[derive(Serialize, ToSchema)]
#[schema(as = WagtailParentMeta)]
pub struct ParentMeta {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub detail_url: String,
    pub html_url: String,
}

/// An image: its title and URL (no sizes are stored: `height` and `width` are null).
#[derive(Serialize, ToSchema)]
#[schema(as = WagtailImage)]
pub struct Image<'a> {
    pub title: &'a str,
    pub image_url: String,
    pub height: Option<i64>,
    pub width: Option<i64>,
}

/// A certificate page's CEUs for one run or program (a Wagtail stream block).
#[derive(Serialize, ToSchema)]
#[schema(as = CeuOverrideBlock)]
pub struct OverrideBlock<'a> {
    /// `course_run`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub value: OverrideValue<'a>,
    pub id: String,
}

/// The readable id and its CEUs.
#[derive(Serialize, ToSchema)]
#[schema(as = CeuOverrideValue)]
pub struct OverrideValue<'a> {
    pub readable_id: &'a str,
    #[serde(rename = "CEUs")]
    pub ceus: &'a str,
}

/// A signatory of a certificate.
#[derive(Serialize, ToSchema)]
#[schema(as = CertificateSignatory)]
pub struct Signatory<'a> {
    pub name: &'a str,
    pub title_1: &'a str,
    pub title_2: &'a str,
    pub title_3: &'a str,
    pub organization: &'a str,
    pub signature_image: Option<Image<'a>>,
}

/// A certificate page (`cms.CertificatePage`), also embedded in its course or program page
/// and in certificate answers.
#[derive(Serialize, ToSchema)]
#[schema(as = CertificatePage)]
pub struct CertificatePage<'a> {
    pub id: i64,
    pub meta: Meta<'a>,
    pub title: &'a str,
    pub product_name: &'a str,
    #[serde(rename = "CEUs")]
    pub ceus: &'a str,
    pub overrides: Vec<OverrideBlock<'a>>,
    pub signatory_items: Vec<Signatory<'a>>,
}

/// An instructor of a product page.
#[derive(Serialize, ToSchema)]
#[schema(as = FacultyMember)]
pub struct Faculty<'a> {
    pub id: i64,
    pub instructor_name: &'a str,
    pub instructor_title: &'a str,
    pub instructor_bio_short: &'a str,
    pub instructor_bio_long: &'a str,
    pub feature_image_src: Option<String>,
}

/// The price text block of a product page.
#[derive(Serialize, ToSchema)]
#[schema(as = PriceBlock)]
pub struct PriceBlock<'a> {
    /// `price_details`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub value: PriceValue<'a>,
    pub id: String,
}

/// The price's text and link.
#[derive(Serialize, ToSchema)]
#[schema(as = PriceValue)]
pub struct PriceValue<'a> {
    pub text: &'a str,
    pub link: &'a str,
}

/// A topic of a course page, with its parent's name.
#[derive(Serialize, ToSchema)]
#[schema(as = PageTopic)]
pub struct Topic<'a> {
    pub name: &'a str,
    pub parent: Option<&'a str>,
}

/// A course or program page with every field (`fields=*`, or the detail): a course page adds
/// `course_details`, `topic_list` and `ingest_content_files_for_ai`; a program page
/// `program_details` (without `products`) and `list_price`.
#[derive(Serialize, ToSchema)]
#[schema(as = ProductPage)]
pub struct ProductPage<'a> {
    pub id: i64,
    pub meta: Meta<'a>,
    pub title: &'a str,
    pub description: &'a str,
    pub length: &'a str,
    pub effort: Option<&'a str>,
    pub min_weekly_hours: Option<&'a str>,
    pub max_weekly_hours: Option<&'a str>,
    pub min_weeks: Option<i64>,
    pub max_weeks: Option<i64>,
    pub price: Vec<PriceBlock<'a>>,
    /// A decimal with two places.
    pub min_price: Option<String>,
    /// A decimal with two places.
    pub max_price: Option<String>,
    pub prerequisites: Option<&'a str>,
    pub faq_url: Option<&'a str>,
    pub about: Option<&'a str>,
    pub what_you_learn: Option<&'a str>,
    pub feature_image: Option<Image<'a>>,
    pub video_url: Option<&'a str>,
    pub faculty_section_title: &'a str,
    pub faculty: Vec<Faculty<'a>>,
    pub certificate_page: Option<CertificatePage<'a>>,
    /// Always empty.
    pub how_youll_learn: Vec<Value>,
    pub include_in_learn_catalog: bool,
    pub show_stay_updated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub course_details: Option<V2CourseShape<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic_list: Option<Vec<Topic<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ingest_content_files_for_ai: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub program_details: Option<V2ProgramShape<'a>>,
    /// A decimal, or null.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub list_price: Option<Option<String>>,
}

/// A page with every field: a course or program page, or a certificate page.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[schema(as = PageDetail)]
pub enum PageDetail<'a> {
    Product(Box<ProductPage<'a>>),
    Certificate(Box<CertificatePage<'a>>),
}

/// A page of a listing without `fields=*`.
#[derive(Serialize, ToSchema)]
#[schema(as = PageSummary)]
pub struct PageSummary<'a> {
    pub id: i64,
    pub meta: Meta<'a>,
    pub title: &'a str,
}

/// An item of a listing: the summary, or with `fields=*` every field.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[schema(as = PageListItem)]
pub enum PageItem<'a> {
    Summary(Box<PageSummary<'a>>),
    Full(PageDetail<'a>),
}

/// Wagtail's listing: `{meta: {total_count}, items}`.
#[derive(Serialize, ToSchema)]
#[schema(as = PageListing)]
pub struct PageListing<'a> {
    pub meta: ListingMeta,
    pub items: Vec<PageItem<'a>>,
}

/// How many pages match (before `limit` and `offset`).
#[derive(Serialize, ToSchema)]
#[schema(as = PageListingMeta)]
pub struct ListingMeta {
    pub total_count: usize,
}

/// Wagtail's error body: `{"message": "…"}`.
#[derive(Serialize, ToSchema)]
#[schema(as = WagtailError)]
pub struct WagtailError<'a> {
    pub message: &'a str,
}

/// Where a page is seen on the site.
pub fn html_url(cat: &Catalog, cx: &Ctx<'_>, p: &PublishedPage) -> String {
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

/// A page's `meta`; `all`: with the `fields=*` ones.
pub fn meta<'a>(cat: &Catalog, cx: &Ctx<'_>, p: &'a PublishedPage, all: bool) -> Meta<'a> {
    Meta {
        kind: p.page_type.wagtail_type(),
        detail_url: cx.abs(&format!("/api/v2/pages/{}/", p.id)),
        html_url: html_url(cat, cx, p),
        slug: &p.slug,
        show_in_menus: all.then_some(false),
        seo_title: all.then_some(p.content.seo_title.as_str()),
        search_description: all.then_some(p.content.search_description.as_str()),
        first_published_at: p.first_published_at.as_deref(),
        alias_of: all.then_some(None),
        parent: None,
        locale: all.then_some("en"),
        live: Some(true),
        last_published_at: Some(p.last_published_at.as_deref()),
    }
}
