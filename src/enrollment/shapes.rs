//! The JSON shapes of the original's enrollment serializers (v1, v2, v3 course-run
//! enrollments; program enrollments), built from the catalog snapshot plus the listing rows.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Value, json};

use super::model::ProgramEnrollment;
use super::store::Listed;
use crate::catalog::model::CourseRun;
use crate::catalog::shapes::{self, Ctx, fmt_time};
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

fn grades(e: &Listed) -> Value {
    match &e.grade {
        None => json!([]),
        Some((g, letter, passed, by_admin)) => json!([{
            "grade": g.to_f64(),
            "letter_grade": letter,
            "passed": passed,
            "set_by_admin": by_admin,
            "grade_percent": grade_percent(*g).to_f64(),
        }]),
    }
}

/// A certificate as the enrollment shapes embed it (`{uuid, link}`), or null.
pub fn certificate(uuid: Option<&str>, program: bool) -> Value {
    match uuid {
        None => Value::Null,
        Some(u) if program => json!({ "uuid": u, "link": format!("/certificate/program/{u}/") }),
        Some(u) => json!({ "uuid": u, "link": format!("/certificate/{u}/") }),
    }
}

/// One enrollment in the shape of `v`; `None` when its run is no longer in the catalog.
pub fn enrollment(cat: &Catalog, e: &Listed, cx: &Ctx<'_>, v: Version) -> Option<Value> {
    let run = cat.runs.get(*cat.run_by_id.get(&e.run_id)?)?;
    let run_json = match v {
        Version::V1 | Version::V2 => {
            let course = cat.course(run.course_id)?;
            let mut shape = shapes::run(cat, run, cx, v == Version::V2);
            shape.approved_flexible_price_exists = e.approved_flexible_price;
            shape.course = Some(shapes::v1_course(cat, course, cx, false, false, false));
            serde_json::to_value(shape).ok()?
        }
        Version::V3 => v3_run(cat, run, cx)?,
    };
    let mut out = json!({
        "run": run_json,
        "id": e.id,
        "edx_emails_subscription": e.edx_emails_subscription,
        "certificate": certificate(e.certificate.as_deref(), false),
        "enrollment_mode": e.mode.as_str(),
        "approved_flexible_price_exists": e.approved_flexible_price,
        "grades": grades(e),
    });
    if v != Version::V1 {
        out["b2b_organization_id"] = json!(e.b2b_organization_id);
        out["b2b_contract_id"] = json!(run.b2b_contract_id);
    }
    Some(out)
}

/// The `run` object of a v3 enrollment (the run with its course); `None` when the run's
/// course is no longer in the catalog. Depends on the time only through the run predicates.
pub fn v3_run(cat: &Catalog, run: &CourseRun, cx: &Ctx<'_>) -> Option<Value> {
    let course = cat.course(run.course_id)?;
    let upgradable = run.is_upgradable(cx.now, cat.has_verified(run));
    let product = run.product.as_ref().filter(|p| upgradable && p.is_active);
    let page = cat.page(course.page);
    Some(json!({
        "title": run.title,
        "start_date": fmt_time(run.start_date),
        "end_date": fmt_time(run.end_date),
        "enrollment_start": fmt_time(run.enrollment_start),
        "enrollment_end": fmt_time(run.enrollment_end),
        "expiration_date": fmt_time(run.expiration_date),
        "courseware_url": run.courseware_url(cx.edx_base),
        "courseware_id": run.courseware_id,
        "certificate_available_date": fmt_time(run.certificate_available_date),
        "upgrade_deadline": fmt_time(run.upgrade_deadline),
        "is_upgradable": upgradable,
        "is_enrollable": run.is_enrollable(cx.now),
        "is_archived": run.is_archived(cx.now),
        "is_self_paced": run.is_self_paced,
        "run_tag": run.run_tag,
        "id": run.id,
        "live": run.live,
        "course_number": run.course_number(),
        "upgrade_product_id": product.map(|p| p.id),
        "upgrade_product_price": product.map(|p| format!("{:.2}", p.price)),
        "upgrade_product_is_active": product.map(|p| p.is_active),
        "course": {
            "id": course.id,
            "title": course.title,
            "readable_id": course.readable_id,
            "type": "course",
            "include_in_learn_catalog": page.is_some_and(|p| p.content.include_in_learn_catalog),
        },
    }))
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
    let program = match v {
        Version::V2 => serde_json::to_value(shapes::v2_program(cat, p, cx)).ok()?,
        _ => serde_json::to_value(shapes::v1_program(cat, p, cx)).ok()?,
    };
    Some(json!({ "program": program, "enrollments": in_program, "certificate": certificate(pe_cert, true) }))
}

/// v3 program enrollment.
pub fn program_enrollment_v3(cat: &Catalog, pe: &ProgramEnrollment, pe_cert: Option<&str>) -> Option<Value> {
    let p = cat.program(pe.program_id)?;
    Some(json!({
        "program": {
            "title": p.title,
            "readable_id": p.readable_id,
            "id": p.id,
            "program_type": p.program_type,
            "live": p.live,
            "display_mode": p.display_mode,
        },
        "certificate": certificate(pe_cert, true),
        "enrollment_mode": pe.mode.as_str(),
    }))
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
