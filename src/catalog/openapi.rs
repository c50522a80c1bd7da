//! The catalog's part of our OpenAPI document (see `crate::http::openapi`): the v1, v2 and
//! internal course, run, program, department and collection APIs, countries, edX's course
//! outline under `/api/v3/courses/`, and the run shape b2b's variant-run answers share
//! ([`BaseCourseRun`]).

use serde::Serialize;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;
use utoipa::{OpenApi, PartialSchema, ToSchema};

use super::shapes::RunShape;
use super::{api, api_groups, api_v1};
use crate::http::openapi::alias;

pub use params::*;

/// The query and path parameters of the catalog APIs (for the document only: the handlers
/// read the query with the original's rules, `catalog::service::Params`).
mod params {
    #![allow(
        dead_code,
        reason = "parameter types for the document only; never constructed"
    )]
    use serde::Deserialize;
    use utoipa::IntoParams;

    /// DRF's page-number pagination.
    #[derive(Deserialize, IntoParams)]
    #[into_params(parameter_in = Query)]
    pub struct Paging {
        /// A page number (from 1) or `last`; a page past the end is a 404 `Invalid page.`.
        pub page: Option<String>,
        /// Items per page: 12 unless given, at most 100.
        pub page_size: Option<u32>,
    }

    /// The v1 lists' pagination: a plain list unless `page` is given.
    #[derive(Deserialize, IntoParams)]
    #[into_params(parameter_in = Query)]
    pub struct V1Paging {
        /// With it the answer is a page (`{count, next, previous, results}`), without it a
        /// plain list of everything: a page number (from 1) or `last`.
        pub page: Option<String>,
        /// Items per page when paged: 12 unless given, at most 100.
        pub page_size: Option<u32>,
    }

    /// The course filters (django-filter booleans: `true`/`True`/`1`, `false`/`False`/`0`).
    #[derive(Deserialize, IntoParams)]
    #[into_params(parameter_in = Query)]
    pub struct CourseFilters {
        /// Course ids, comma-separated (repeatable).
        pub id: Option<String>,
        /// Only courses with (`true`) or without (`false`) a published page.
        #[serde(rename = "page__live")]
        pub page_live: Option<bool>,
        /// Only courses with an enrollable run (`true`), or a run that is not (`false`).
        pub courserun_is_enrollable: Option<bool>,
        /// The course with this readable id (`course-v1:ORG+NUMBER`).
        pub readable_id: Option<String>,
        /// Only courses with a run in this language.
        #[serde(rename = "courseruns__language")]
        pub courseruns_language: Option<String>,
        /// Only courses with a run of this variant length.
        #[serde(rename = "courseruns__variant_length")]
        pub courseruns_variant_length: Option<String>,
        /// Only courses with a run of this variant industry.
        #[serde(rename = "courseruns__variant_industry")]
        pub courseruns_variant_industry: Option<String>,
    }

    /// Live or not.
    #[derive(Deserialize, IntoParams)]
    #[into_params(parameter_in = Query)]
    pub struct LiveFilter {
        /// Only live (`true`) or not live (`false`) objects.
        pub live: Option<bool>,
    }

    /// An organization's or contract's view of the catalog (per caller: members of the
    /// organization, learners attached to the contract and superusers see its courses and runs;
    /// anyone else an empty list).
    #[derive(Deserialize, IntoParams)]
    #[into_params(parameter_in = Query)]
    pub struct B2bView {
        /// An organization's id.
        pub org_id: Option<i64>,
        /// A contract's id.
        pub contract_id: Option<i64>,
    }

    /// The program filters.
    #[derive(Deserialize, IntoParams)]
    #[into_params(parameter_in = Query)]
    pub struct ProgramFilters {
        /// Program ids, comma-separated (repeatable).
        pub id: Option<String>,
        /// Only live (`true`) or not live (`false`) programs.
        pub live: Option<bool>,
        /// Only programs with (`true`) or without (`false`) a published page.
        #[serde(rename = "page__live")]
        pub page_live: Option<bool>,
        /// The program with this readable id.
        pub readable_id: Option<String>,
    }

    /// The v1 run filters.
    #[derive(Deserialize, IntoParams)]
    #[into_params(parameter_in = Query)]
    pub struct RunFilters {
        /// A course (id or readable id) or program (readable id): its enrollable runs, each
        /// with `is_enrolled` and `is_verified` for the caller; `id` and `live` are then ignored.
        pub relevant_to: Option<String>,
        /// Run ids, comma-separated (repeatable).
        pub id: Option<String>,
        /// Live runs (`true`, the default) or the others (`false`).
        pub live: Option<bool>,
    }

    /// A course by id or readable id, in the path.
    #[derive(Deserialize, IntoParams)]
    #[into_params(parameter_in = Path)]
    pub struct CourseKey {
        /// The course's id or readable id.
        pub key: String,
    }

    /// A program by id or readable id, in the path.
    #[derive(Deserialize, IntoParams)]
    #[into_params(parameter_in = Path)]
    pub struct ProgramKey {
        /// The program's id or readable id.
        pub key: String,
    }

    /// An object's id, in the path.
    #[derive(Deserialize, IntoParams)]
    #[into_params(parameter_in = Path)]
    pub struct IdPath {
        /// Its id (anything else is a 404).
        pub id: String,
    }
}

/// A v1 list: every item, or DRF's page of them when `page` is given.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum PlainOrPage<T> {
    Plain(Vec<T>),
    Page(api::Envelope<T>),
}

/// The catalog's v2 run without what the original's `BaseCourseRun` does not have (`products`,
/// `approved_flexible_price_exists`, `b2b_contract`, and v1's `course`, `is_enrolled`,
/// `is_verified`): what b2b's variant-run endpoints answer.
pub struct BaseCourseRun;

/// What [`BaseCourseRun`] leaves out of [`RunShape`].
const NOT_BASE: [&str; 6] = [
    "products",
    "approved_flexible_price_exists",
    "b2b_contract",
    "course",
    "is_enrolled",
    "is_verified",
];

impl PartialSchema for BaseCourseRun {
    fn schema() -> RefOr<Schema> {
        let mut s = RunShape::schema();
        if let RefOr::T(Schema::Object(o)) = &mut s {
            for k in NOT_BASE {
                o.properties.shift_remove(k);
                o.required.retain(|r| r != k);
            }
            o.description = Some(
                "A course run without its products and contract (the original's `BaseCourseRun`).".into(),
            );
        }
        s
    }
}

impl ToSchema for BaseCourseRun {
    fn name() -> std::borrow::Cow<'static, str> {
        "BaseCourseRun".into()
    }

    fn schemas(out: &mut Vec<(String, RefOr<Schema>)>) {
        // What the remaining fields refer to (enrollment modes).
        RunShape::schemas(out);
    }
}

/// edX's course outline plugin's answer, passed through as it is (free-form).
#[derive(Serialize, ToSchema)]
#[schema(as = OpenedxCourseOutline)]
pub struct CourseOutline(crate::http::openapi::Object);

#[derive(OpenApi)]
#[openapi(
    paths(
        api::v2_courses,
        api::v2_course,
        api::v2_programs,
        api::v2_program,
        api_groups::v2_departments,
        api_groups::v2_department,
        api_groups::v2_program_collections,
        api_groups::v2_program_collection,
        api::internal_courses,
        api::internal_course,
        api_v1::courses,
        api_v1::course,
        api_v1::course_runs,
        api_v1::course_run,
        api_v1::programs,
        api_v1::program,
        api_v1::departments,
        api_v1::department,
        api_groups::countries,
        crate::integrations::openedx::api::course_outline,
    ),
    tags((name = "catalog", description = "Courses, runs, programs, departments and collections"))
)]
pub struct Doc;

/// [`Doc`] with the paths that serve the same handlers.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = Doc::openapi();
    alias(&mut doc, "/api/countries/", &["/api/v0/countries/"]);
    doc
}
