//! The JSON shapes of the original's course/program serializers (v1, v2 and internal), built
//! from the in-memory snapshot. Field order and value types follow the captured samples.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;

use super::model::*;
use super::snapshot::Catalog;
use crate::cms::model::PublishedPage;

pub use super::context::{Ctx, Learner};

pub fn fmt_time(t: Option<Time>) -> Option<String> {
    api_time(t)
}

fn money(d: Decimal) -> String {
    format!("{:.2}", d.round_dp(2))
}

fn float(d: Option<Decimal>) -> Option<f64> {
    d.and_then(|d| d.to_f64())
}

fn nonempty(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

/// The language's English name; a regional code (`es_419`, `pt_BR`, the original's language
/// choices) is named by its language.
pub fn language_label(code: &str) -> &'static str {
    match code.split(['_', '-']).next().unwrap_or_default() {
        "en" => "English",
        "es" => "Spanish",
        "fr" => "French",
        "de" => "German",
        "pt" => "Portuguese",
        "zh" => "Chinese",
        "ar" => "Arabic",
        "ja" => "Japanese",
        "ko" => "Korean",
        "hi" => "Hindi",
        "ru" => "Russian",
        "it" => "Italian",
        _ => "",
    }
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = CatalogName)]
pub struct Named<'a> {
    pub name: &'a str,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = EnrollmentModeShape)]
pub struct ModeShape<'a> {
    pub mode_slug: &'a str,
    pub mode_display_name: &'a str,
    pub requires_payment: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = CatalogProduct)]
pub struct ProductShape<'a> {
    pub id: i64,
    pub price: String,
    pub description: &'a str,
    pub is_active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_flexible_price: Option<Option<serde_json::Value>>,
}

/// A product; `v1` adds the caller's `product_flexible_price` (null for anyone without one).
fn product<'a>(p: &'a Product, v1: bool, cx: &Ctx<'_>) -> ProductShape<'a> {
    ProductShape {
        id: p.id,
        price: money(p.price),
        description: &p.description,
        is_active: p.is_active,
        product_flexible_price: v1.then(|| cx.learner.and_then(|l| l.product_discounts.get(&p.id).cloned())),
    }
}

/// BaseCourseRun plus products; `v2` adds `b2b_contract`.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = CourseRunShape)]
pub struct RunShape<'a> {
    pub title: &'a str,
    pub start_date: Option<&'a str>,
    pub end_date: Option<&'a str>,
    pub enrollment_start: Option<&'a str>,
    pub enrollment_end: Option<&'a str>,
    pub expiration_date: Option<&'a str>,
    pub courseware_url: Option<String>,
    pub courseware_id: &'a str,
    pub certificate_available_date: Option<&'a str>,
    pub upgrade_deadline: Option<&'a str>,
    pub is_upgradable: bool,
    pub is_enrollable: bool,
    pub is_archived: bool,
    pub is_self_paced: bool,
    pub run_tag: &'a str,
    pub id: i64,
    pub live: bool,
    pub course_number: &'a str,
    pub enrollment_modes: Vec<ModeShape<'a>>,
    pub language: &'a str,
    pub is_primary_language: bool,
    pub language_label: &'static str,
    pub variant_industry: &'a str,
    pub variant_length: &'a str,
    pub course_id: i64,
    pub products: Vec<ProductShape<'a>>,
    pub approved_flexible_price_exists: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub b2b_contract: Option<Option<i64>>,
    /// v1's runs name their course (whose runs do not: the schema stops there).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(no_recursion)]
    pub course: Option<V1CourseShape<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_enrolled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_verified: Option<bool>,
}

pub fn modes<'a>(cat: &'a Catalog, idx: &[usize]) -> Vec<ModeShape<'a>> {
    idx.iter()
        .map(|&m| {
            let m = &cat.modes[m];
            ModeShape {
                mode_slug: &m.mode_slug,
                mode_display_name: &m.mode_display_name,
                requires_payment: m.requires_payment,
            }
        })
        .collect()
}

pub fn run<'a>(cat: &'a Catalog, r: &'a CourseRun, cx: &Ctx<'_>, v2: bool) -> RunShape<'a> {
    RunShape {
        title: &r.title,
        start_date: r.text.start_date.as_deref(),
        end_date: r.text.end_date.as_deref(),
        enrollment_start: r.text.enrollment_start.as_deref(),
        enrollment_end: r.text.enrollment_end.as_deref(),
        expiration_date: r.text.expiration_date.as_deref(),
        courseware_url: r.courseware_url(cx.edx_base),
        courseware_id: &r.courseware_id,
        certificate_available_date: r.text.certificate_available_date.as_deref(),
        upgrade_deadline: r.text.upgrade_deadline.as_deref(),
        is_upgradable: r.is_upgradable(cx.now, cat.has_verified(r)),
        is_enrollable: r.is_enrollable(cx.now),
        is_archived: r.is_archived(cx.now),
        is_self_paced: r.is_self_paced,
        run_tag: &r.run_tag,
        id: r.id,
        live: r.live,
        course_number: &r.text.course_number,
        enrollment_modes: modes(cat, &r.modes),
        language: &r.language,
        is_primary_language: r.is_primary_language,
        language_label: language_label(&r.language),
        variant_industry: &r.variant_industry,
        variant_length: &r.variant_length,
        course_id: r.course_id,
        products: r.product.iter().map(|p| product(p, !v2, cx)).collect(),
        approved_flexible_price_exists: cx
            .learner
            .is_some_and(|l| l.approved_courses.contains(&r.course_id)),
        b2b_contract: v2.then_some(r.b2b_contract_id),
        course: None,
        is_enrolled: None,
        is_verified: None,
    }
}

/// The first unexpired run: earliest start among enrollable non-B2B runs, preferring runs
/// that have not ended and primary/English runs.
pub fn next_run(cat: &Catalog, co: &Course, now: Time) -> Option<i64> {
    cat.course_runs(co)
        .into_iter()
        .filter(|r| r.b2b_contract_id.is_none() && r.is_enrollable(now))
        .min_by_key(|r| {
            (
                r.is_past(now),
                !(r.is_primary_language || r.language == "en"),
                r.start_date,
                r.id,
            )
        })
        .map(|r| r.id)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct InstructorShape<'a> {
    pub name: &'a str,
    pub description: &'a str,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = CoursePageShape)]
pub struct V1PageShape<'a> {
    pub feature_image_src: Option<String>,
    pub page_url: String,
    pub description: &'a str,
    pub live: bool,
    pub length: &'a str,
    pub effort: Option<&'a str>,
    pub financial_assistance_form_url: &'a str,
    pub current_price: Option<f64>,
    pub instructors: Vec<InstructorShape<'a>>,
}

pub fn instructors<'a>(cat: &'a Catalog, page: &'a PublishedPage) -> Vec<InstructorShape<'a>> {
    page.content
        .instructor_ids
        .iter()
        .filter_map(|id| cat.page_by_id(*id))
        .map(|p| InstructorShape {
            name: if p.content.name.is_empty() {
                &p.content.title
            } else {
                &p.content.name
            },
            description: &p.content.bio_short,
        })
        .collect()
}

fn course_page<'a>(
    cat: &'a Catalog,
    co: &'a Course,
    cx: &Ctx<'_>,
    next: Option<i64>,
) -> Option<V1PageShape<'a>> {
    let page = cat.page(co.page)?;
    let c = &page.content;
    let current_price = next
        .and_then(|id| cat.run_by_id.get(&id))
        .and_then(|&i| cat.runs[i].product.as_ref())
        .filter(|p| p.is_active)
        .and_then(|p| p.price.to_f64());
    Some(V1PageShape {
        feature_image_src: c.feature_image_id.map(|id| cx.media_url(id)),
        page_url: cx.abs(&format!("/courses/{}/", co.readable_id)),
        description: &c.description,
        live: true,
        length: &c.length,
        effort: nonempty(&c.effort),
        financial_assistance_form_url: &c.financial_assistance_form_url,
        current_price,
        instructors: instructors(cat, page),
    })
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = CourseProgramRef)]
pub struct ProgramRef<'a> {
    pub title: &'a str,
    pub readable_id: &'a str,
    pub id: i64,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub display_mode: Option<&'a str>,
}

fn program_refs<'a>(cat: &'a Catalog, co: &Course) -> Vec<ProgramRef<'a>> {
    cat.programs_of_course
        .get(&co.id)
        .into_iter()
        .flatten()
        .filter_map(|id| cat.program(*id))
        .filter(|p| p.live && !p.b2b_only)
        .map(|p| ProgramRef {
            title: &p.title,
            readable_id: &p.readable_id,
            id: p.id,
            kind: "program",
            display_mode: p.display_mode.as_deref(),
        })
        .collect()
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = CourseV1)]
pub struct V1CourseShape<'a> {
    pub id: i64,
    pub title: &'a str,
    pub readable_id: &'a str,
    pub next_run_id: Option<i64>,
    pub departments: Vec<Named<'a>>,
    pub page: Option<V1PageShape<'a>>,
    pub programs: Option<Vec<ProgramRef<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub courseruns: Option<Vec<RunShape<'a>>>,
    /// The v1 program serializer repeats the page's fields at the course's top level.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = flat_page_schema)]
    pub flat_page: Option<FlatPage<'a>>,
}

/// [`FlatPage`]'s fields, none of them required: only the v1 program's courses have them.
fn flat_page_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::{RefOr, schema::Schema};
    let mut s = <FlatPage as utoipa::PartialSchema>::schema();
    if let RefOr::T(Schema::Object(o)) = &mut s {
        o.required.clear();
    }
    s
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = CoursePageFlat)]
pub struct FlatPage<'a> {
    pub feature_image_src: Option<String>,
    pub page_url: Option<String>,
    pub description: Option<&'a str>,
    pub live: Option<bool>,
    pub length: Option<&'a str>,
    pub effort: Option<&'a str>,
    pub financial_assistance_form_url: Option<&'a str>,
    pub current_price: Option<f64>,
    pub instructors: Vec<InstructorShape<'a>>,
}

pub fn departments<'a>(cat: &'a Catalog, idx: &[usize]) -> Vec<Named<'a>> {
    idx.iter()
        .map(|&d| Named {
            name: &cat.departments[d].name,
        })
        .collect()
}

/// Runs shown on the public APIs: non-B2B.
pub fn public_runs<'a>(cat: &'a Catalog, co: &Course) -> Vec<&'a CourseRun> {
    co.runs
        .iter()
        .map(|&i| &cat.runs[i])
        .filter(|r| r.b2b_contract_id.is_none())
        .collect()
}

pub fn v1_course<'a>(
    cat: &'a Catalog,
    co: &'a Course,
    cx: &Ctx<'_>,
    with_programs: bool,
    with_runs: bool,
    flat: bool,
) -> V1CourseShape<'a> {
    let next = next_run(cat, co, cx.now);
    let flat_page = flat.then(|| match course_page(cat, co, cx, next) {
        Some(p) => FlatPage {
            feature_image_src: p.feature_image_src,
            page_url: Some(p.page_url),
            description: Some(p.description),
            live: Some(p.live),
            length: Some(p.length),
            effort: p.effort,
            financial_assistance_form_url: Some(p.financial_assistance_form_url),
            current_price: p.current_price,
            instructors: p.instructors,
        },
        None => FlatPage {
            feature_image_src: None,
            page_url: None,
            description: None,
            live: None,
            length: None,
            effort: None,
            financial_assistance_form_url: None,
            current_price: None,
            instructors: vec![],
        },
    });
    V1CourseShape {
        id: co.id,
        title: &co.title,
        readable_id: &co.readable_id,
        next_run_id: next,
        departments: departments(cat, &co.departments),
        page: course_page(cat, co, cx, next),
        programs: with_programs.then(|| program_refs(cat, co)),
        courseruns: with_runs.then(|| {
            public_runs(cat, co)
                .into_iter()
                .map(|r| run(cat, r, cx, false))
                .collect()
        }),
        flat_page,
    }
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = CourseVariantShape)]
pub struct VariantShape<'a> {
    pub language: &'a str,
    pub variant_length: &'a str,
    pub variant_industry: &'a str,
    pub active: bool,
    pub b2b_only: bool,
    pub default_variant: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = CourseV2)]
pub struct V2CourseShape<'a> {
    pub id: i64,
    pub title: &'a str,
    pub readable_id: &'a str,
    pub next_run_id: Option<i64>,
    pub departments: Vec<Named<'a>>,
    pub page: Option<V1PageShape<'a>>,
    pub programs: Vec<ProgramRef<'a>>,
    pub topics: Vec<Named<'a>>,
    pub certificate_type: &'static str,
    pub certificate_available: bool,
    pub required_prerequisites: bool,
    pub duration: Option<&'a str>,
    pub min_weeks: Option<i64>,
    pub max_weeks: Option<i64>,
    pub min_price: Option<f64>,
    pub max_price: Option<f64>,
    pub time_commitment: Option<&'a str>,
    pub availability: &'static str,
    pub min_weekly_hours: Option<&'a str>,
    pub max_weekly_hours: Option<&'a str>,
    pub include_in_learn_catalog: bool,
    pub ingest_content_files_for_ai: bool,
    pub possible_variant_sets: Vec<VariantShape<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub courseruns: Option<Vec<RunShape<'a>>>,
}

fn certificate_type(cat: &Catalog, program_ids: &[i64]) -> &'static str {
    let first = program_ids.first().and_then(|id| cat.program(*id));
    if first.is_some_and(|p| p.program_type.contains("MicroMasters")) {
        "MicroMasters Credential"
    } else {
        "Certificate of Completion"
    }
}

/// `all_runs`: the internal (ETL) variant, every run of the course ordered by id.
pub fn v2_course<'a>(cat: &'a Catalog, co: &'a Course, cx: &Ctx<'_>, all_runs: bool) -> V2CourseShape<'a> {
    let page = cat.page(co.page);
    let content = page.map(|p| &p.content);
    let next = next_run(cat, co, cx.now);
    let progs = cat.programs_of_course.get(&co.id).cloned().unwrap_or_default();
    let runs: Vec<&CourseRun> = if all_runs {
        cat.course_runs(co)
    } else {
        let public = public_runs(cat, co);
        canonical_runs(&public).into_iter().map(|i| public[i]).collect()
    };
    let dated = cat
        .course_runs(co)
        .iter()
        .any(|r| r.b2b_contract_id.is_none() && r.is_enrollable(cx.now) && !r.is_self_paced);
    V2CourseShape {
        id: co.id,
        title: &co.title,
        readable_id: &co.readable_id,
        next_run_id: next,
        departments: departments(cat, &co.departments),
        page: course_page(cat, co, cx, next),
        programs: program_refs(cat, co),
        topics: co
            .topics
            .iter()
            .map(|&t| Named {
                name: &cat.topics[t].name,
            })
            .collect(),
        certificate_type: certificate_type(cat, &progs),
        // As the original: a next run exists and some run offers the verified mode.
        certificate_available: next.is_some() && cat.course_runs(co).iter().any(|r| cat.has_verified(r)),
        required_prerequisites: content.is_some_and(|c| !c.prerequisites.trim().is_empty()),
        duration: content.and_then(|c| nonempty(&c.length)),
        min_weeks: content.and_then(|c| c.min_weeks),
        max_weeks: content.and_then(|c| c.max_weeks),
        min_price: content.and_then(|c| float(c.min_price)),
        max_price: content.and_then(|c| float(c.max_price)),
        time_commitment: content.and_then(|c| nonempty(&c.effort)),
        availability: if dated { "dated" } else { "anytime" },
        min_weekly_hours: content.and_then(|c| nonempty(&c.min_weekly_hours)),
        max_weekly_hours: content.and_then(|c| nonempty(&c.max_weekly_hours)),
        include_in_learn_catalog: content.is_some_and(|c| c.include_in_learn_catalog),
        ingest_content_files_for_ai: content.is_some_and(|c| c.ingest_content_files_for_ai),
        possible_variant_sets: co
            .variants
            .iter()
            .filter(|v| !v.b2b_only)
            .map(|v| VariantShape {
                language: &v.language,
                variant_length: &v.variant_length,
                variant_industry: &v.variant_industry,
                active: v.active,
                b2b_only: v.b2b_only,
                default_variant: v.default_variant,
            })
            .collect(),
        courseruns: Some(runs.into_iter().map(|r| run(cat, r, cx, true)).collect()),
    }
}

#[path = "shapes_program.rs"]
mod program;
pub use program::*;
