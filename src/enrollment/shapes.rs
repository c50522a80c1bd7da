//! The JSON shapes of the original's enrollment serializers (v1, v2, v3 course-run
//! enrollments; program enrollments), built from the catalog snapshot plus the listing rows.
//! Each is a typed struct (documented in our OpenAPI document, `super::openapi`) serialized to
//! a `Value`, whose keys serde_json keeps sorted (the v3 list's bytes rely on that order,
//! [`super::fragments`]).

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::model::ProgramEnrollment;
use super::store::Listed;
use crate::catalog::model::CourseRun;
use crate::catalog::shapes::{self, Ctx, RunShape, V1ProgramShape, V2ProgramShape, fmt_time};
use crate::catalog::snapshot::Catalog;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V1,
    V2,
    V3,
}

impl Version {
    /// The version numbered `n` in a route (1, 2, anything else is 3).
    pub const fn from_number(n: u8) -> Version {
        match n {
            1 => Version::V1,
            2 => Version::V2,
            _ => Version::V3,
        }
    }
}

/// `grade_percent`: round-half-even(grade × 100).
pub fn grade_percent(grade: Decimal) -> Decimal {
    (grade * Decimal::ONE_HUNDRED).round_dp_with_strategy(0, RoundingStrategy::MidpointNearestEven)
}

/// The learner's grade in the run (at most one).
#[derive(Serialize, ToSchema)]
pub struct EnrollmentGrade {
    /// 0 to 1.
    pub grade: Option<f64>,
    pub letter_grade: Option<String>,
    pub passed: bool,
    pub set_by_admin: bool,
    /// The grade × 100, rounded half to even.
    pub grade_percent: Option<f64>,
}

impl EnrollmentGrade {
    /// From a stored `(grade, letter_grade, passed, set_by_admin)`.
    pub fn of(grade: &(Decimal, Option<String>, bool, bool)) -> EnrollmentGrade {
        let (g, letter, passed, by_admin) = grade;
        EnrollmentGrade {
            grade: g.to_f64(),
            letter_grade: letter.clone(),
            passed: *passed,
            set_by_admin: *by_admin,
            grade_percent: grade_percent(*g).to_f64(),
        }
    }
}

fn grades(e: &Listed) -> Vec<EnrollmentGrade> {
    e.grade.iter().map(EnrollmentGrade::of).collect()
}

/// A certificate as an enrollment embeds it: its uuid and its public page.
#[derive(Serialize, ToSchema)]
pub struct EnrollmentCertificate {
    pub uuid: String,
    /// `/certificate/{uuid}/` (course runs) or `/certificate/program/{uuid}/` (programs).
    pub link: String,
}

/// A certificate as the enrollment shapes embed it (`{uuid, link}`), or null.
pub fn certificate(uuid: Option<&str>, program: bool) -> Option<EnrollmentCertificate> {
    uuid.map(|u| EnrollmentCertificate {
        uuid: u.to_owned(),
        link: if program {
            format!("/certificate/program/{u}/")
        } else {
            format!("/certificate/{u}/")
        },
    })
}

/// A course-run enrollment (v1): the run with its course, the mode, grade and certificate.
#[derive(Serialize, ToSchema)]
pub struct CourseRunEnrollmentV1<'a> {
    /// The run (with `course`, the course without its runs and programs).
    pub run: RunShape<'a>,
    pub id: i64,
    pub edx_emails_subscription: bool,
    pub certificate: Option<EnrollmentCertificate>,
    /// `audit` or `verified`.
    pub enrollment_mode: &'static str,
    pub approved_flexible_price_exists: bool,
    pub grades: Vec<EnrollmentGrade>,
}

/// A course-run enrollment (v2): v1's fields (the run with its `b2b_contract`) and the B2B
/// organization and contract it came through.
#[derive(Serialize, ToSchema)]
pub struct CourseRunEnrollmentV2<'a> {
    #[serde(flatten)]
    pub v1: CourseRunEnrollmentV1<'a>,
    pub b2b_organization_id: Option<i64>,
    pub b2b_contract_id: Option<i64>,
}

/// A course-run enrollment (v3): v2's fields around the lighter v3 run.
#[derive(Serialize, ToSchema)]
pub struct CourseRunEnrollmentV3<'a> {
    pub run: EnrollmentRunV3<'a>,
    pub id: i64,
    pub edx_emails_subscription: bool,
    pub certificate: Option<EnrollmentCertificate>,
    pub enrollment_mode: &'static str,
    pub approved_flexible_price_exists: bool,
    pub grades: Vec<EnrollmentGrade>,
    pub b2b_organization_id: Option<i64>,
    pub b2b_contract_id: Option<i64>,
}

/// One enrollment in the shape of `v`; `None` when its run is no longer in the catalog.
pub fn enrollment(cat: &Catalog, e: &Listed, cx: &Ctx<'_>, v: Version) -> Option<Value> {
    let run = cat.runs.get(*cat.run_by_id.get(&e.run_id)?)?;
    let b2b_contract_id = run.b2b_contract_id;
    if v == Version::V3 {
        return serde_json::to_value(CourseRunEnrollmentV3 {
            run: v3_run_shape(cat, run, cx)?,
            id: e.id,
            edx_emails_subscription: e.edx_emails_subscription,
            certificate: certificate(e.certificate.as_deref(), false),
            enrollment_mode: e.mode.as_str(),
            approved_flexible_price_exists: e.approved_flexible_price,
            grades: grades(e),
            b2b_organization_id: e.b2b_organization_id,
            b2b_contract_id,
        })
        .ok();
    }
    let course = cat.course(run.course_id)?;
    let mut shape = shapes::run(cat, run, cx, v == Version::V2);
    shape.approved_flexible_price_exists = e.approved_flexible_price;
    shape.course = Some(shapes::v1_course(cat, course, cx, false, false, false));
    let v1 = CourseRunEnrollmentV1 {
        run: shape,
        id: e.id,
        edx_emails_subscription: e.edx_emails_subscription,
        certificate: certificate(e.certificate.as_deref(), false),
        enrollment_mode: e.mode.as_str(),
        approved_flexible_price_exists: e.approved_flexible_price,
        grades: grades(e),
    };
    match v {
        Version::V1 => serde_json::to_value(v1).ok(),
        _ => serde_json::to_value(CourseRunEnrollmentV2 {
            v1,
            b2b_organization_id: e.b2b_organization_id,
            b2b_contract_id,
        })
        .ok(),
    }
}

/// The run of a v3 enrollment, with its upgrade product (while the run is upgradable and the
/// product active) and a short course.
#[derive(Serialize, ToSchema)]
pub struct EnrollmentRunV3<'a> {
    pub title: &'a str,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub enrollment_start: Option<String>,
    pub enrollment_end: Option<String>,
    pub expiration_date: Option<String>,
    pub courseware_url: Option<String>,
    pub courseware_id: &'a str,
    pub certificate_available_date: Option<String>,
    pub upgrade_deadline: Option<String>,
    pub is_upgradable: bool,
    pub is_enrollable: bool,
    pub is_archived: bool,
    pub is_self_paced: bool,
    pub run_tag: &'a str,
    pub id: i64,
    pub live: bool,
    pub course_number: String,
    pub upgrade_product_id: Option<i64>,
    /// The price with two decimals.
    pub upgrade_product_price: Option<String>,
    pub upgrade_product_is_active: Option<bool>,
    pub course: EnrollmentCourseV3<'a>,
}

/// The course of a v3 enrollment's run.
#[derive(Serialize, ToSchema)]
pub struct EnrollmentCourseV3<'a> {
    pub id: i64,
    pub title: &'a str,
    pub readable_id: &'a str,
    /// Always `course`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub include_in_learn_catalog: bool,
}

/// The `run` object of a v3 enrollment (the run with its course); `None` when the run's
/// course is no longer in the catalog. Depends on the time only through the run predicates.
pub fn v3_run(cat: &Catalog, run: &CourseRun, cx: &Ctx<'_>) -> Option<Value> {
    serde_json::to_value(v3_run_shape(cat, run, cx)?).ok()
}

fn v3_run_shape<'a>(cat: &'a Catalog, run: &'a CourseRun, cx: &Ctx<'_>) -> Option<EnrollmentRunV3<'a>> {
    let course = cat.course(run.course_id)?;
    let upgradable = run.is_upgradable(cx.now, cat.has_verified(run));
    let product = run.product.as_ref().filter(|p| upgradable && p.is_active);
    let page = cat.page(course.page);
    Some(EnrollmentRunV3 {
        title: &run.title,
        start_date: fmt_time(run.start_date),
        end_date: fmt_time(run.end_date),
        enrollment_start: fmt_time(run.enrollment_start),
        enrollment_end: fmt_time(run.enrollment_end),
        expiration_date: fmt_time(run.expiration_date),
        courseware_url: run.courseware_url(cx.edx_base),
        courseware_id: &run.courseware_id,
        certificate_available_date: fmt_time(run.certificate_available_date),
        upgrade_deadline: fmt_time(run.upgrade_deadline),
        is_upgradable: upgradable,
        is_enrollable: run.is_enrollable(cx.now),
        is_archived: run.is_archived(cx.now),
        is_self_paced: run.is_self_paced,
        run_tag: &run.run_tag,
        id: run.id,
        live: run.live,
        course_number: run.course_number(),
        upgrade_product_id: product.map(|p| p.id),
        upgrade_product_price: product.map(|p| format!("{:.2}", p.price)),
        upgrade_product_is_active: product.map(|p| p.is_active),
        course: EnrollmentCourseV3 {
            id: course.id,
            title: &course.title,
            readable_id: &course.readable_id,
            kind: "course",
            include_in_learn_catalog: page.is_some_and(|p| p.content.include_in_learn_catalog),
        },
    })
}

/// A program enrollment (v1): the program, the learner's enrollments in its courses, the
/// program certificate.
#[derive(Serialize, ToSchema)]
pub struct ProgramEnrollmentV1<'a> {
    pub program: V1ProgramShape<'a>,
    #[schema(value_type = Vec<CourseRunEnrollmentV1>)]
    pub enrollments: Vec<Value>,
    pub certificate: Option<EnrollmentCertificate>,
}

/// A program enrollment (v2): as v1 with the v2 program and v2 enrollments.
#[derive(Serialize, ToSchema)]
pub struct ProgramEnrollmentV2<'a> {
    pub program: V2ProgramShape<'a>,
    #[schema(value_type = Vec<CourseRunEnrollmentV2>)]
    pub enrollments: Vec<Value>,
    pub certificate: Option<EnrollmentCertificate>,
}

/// v1/v2 program enrollment: the program, the learner's enrollments in its courses, certificate.
pub fn program_enrollment(
    cat: &Catalog,
    pe: &ProgramEnrollment,
    pe_cert: Option<&str>,
    enrollments: &[Listed],
    cx: &Ctx<'_>,
    v: Version,
) -> Option<Value> {
    let p = cat.program(pe.program_id)?;
    let course_ids = p.course_ids();
    let in_program: Vec<Value> = enrollments
        .iter()
        .filter(|e| {
            cat.run_by_id
                .get(&e.run_id)
                .is_some_and(|&i| course_ids.contains(&cat.runs[i].course_id))
        })
        .filter_map(|e| enrollment(cat, e, cx, v))
        .collect();
    let certificate = certificate(pe_cert, true);
    match v {
        Version::V2 => serde_json::to_value(ProgramEnrollmentV2 {
            program: shapes::v2_program(cat, p, cx),
            enrollments: in_program,
            certificate,
        }),
        _ => serde_json::to_value(ProgramEnrollmentV1 {
            program: shapes::v1_program(cat, p, cx),
            enrollments: in_program,
            certificate,
        }),
    }
    .ok()
}

/// A program enrollment (v3): a short program, the certificate and the mode.
#[derive(Serialize, ToSchema)]
pub struct ProgramEnrollmentV3<'a> {
    pub program: EnrollmentProgramV3<'a>,
    pub certificate: Option<EnrollmentCertificate>,
    pub enrollment_mode: &'static str,
}

/// The program of a v3 program enrollment.
#[derive(Serialize, ToSchema)]
pub struct EnrollmentProgramV3<'a> {
    pub title: &'a str,
    pub readable_id: &'a str,
    pub id: i64,
    pub program_type: &'a str,
    pub live: bool,
    pub display_mode: Option<&'a str>,
}

/// v3 program enrollment.
pub fn program_enrollment_v3(cat: &Catalog, pe: &ProgramEnrollment, pe_cert: Option<&str>) -> Option<Value> {
    let p = cat.program(pe.program_id)?;
    serde_json::to_value(ProgramEnrollmentV3 {
        program: EnrollmentProgramV3 {
            title: &p.title,
            readable_id: &p.readable_id,
            id: p.id,
            program_type: &p.program_type,
            live: p.live,
            display_mode: p.display_mode.as_deref(),
        },
        certificate: certificate(pe_cert, true),
        enrollment_mode: pe.mode.as_str(),
    })
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grade_percent_rounds_half_to_even() {
        assert_eq!(grade_percent("0.845".parse().unwrap()), Decimal::from(84));
        assert_eq!(grade_percent("0.855".parse().unwrap()), Decimal::from(86));
        assert_eq!(grade_percent("0.8551".parse().unwrap()), Decimal::from(86));
        assert_eq!(grade_percent(Decimal::ONE), Decimal::from(100));
    }
}
