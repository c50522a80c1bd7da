//! The demo organization (`serve --demo`): "Demo University" with a code contract (5 seats,
//! free, over the demo program "Statistics and Data Science") whose first code is the fixed
//! [`DEMO_CODE`] printed in the README, and a free managed contract over the same program.
//! The program's courses get source runs (registered in the sandbox edX, so their Studio
//! re-runs succeed). Idempotent: nothing is added when the organization exists.

use chrono::{DateTime, Duration, Utc};
use rusqlite::Connection;

use super::admin::{self, NewContract, NewOrganization};
use super::error::B2bError;
use super::{store, store_codes};
use crate::catalog::store::NewRun;

/// The demo enrollment code (README: "Demo enrollment code").
pub const DEMO_CODE: &str = "DEMO-UNIVERSITY-2026";
const DEMO_PROGRAM: &str = "program-v1:MITx+DEMO.SDS";
const ACTOR: &str = "demo";

/// Loads the demo organization; returns how many contracts were created.
pub fn load(c: &Connection, now: DateTime<Utc>, sandbox_edx: bool) -> Result<usize, B2bError> {
    if store::organization_by_slug(c, "demo-university")?.is_some() {
        return Ok(0);
    }
    let Some((program, _)) = crate::catalog::service::program_by_readable(c, DEMO_PROGRAM)? else {
        return Ok(0);
    };
    let audit = crate::catalog::store::ensure_mode(c, "audit", false)?;
    for (course, readable, title) in crate::catalog::service::program_courses(c, program)? {
        let key = format!("{readable}+SOURCE");
        if crate::catalog::service::run_id_by_courseware(c, &key)?.is_some() {
            continue;
        }
        let run = crate::catalog::store::insert_run(
            c,
            &NewRun {
                course_id: course,
                title: &title,
                courseware_id: &key,
                run_tag: "SOURCE",
                live: true,
                is_primary_language: true,
                language: "en",
                modes: &[audit],
                ..NewRun::default()
            },
            now,
        )?;
        crate::catalog::store::mark_source_run(c, run)?;
        if sandbox_edx {
            let course = serde_json::json!({ "course_id": key, "name": title, "pacing": "self" });
            crate::integrations::openedx::sandbox::store::upsert_course(c, &course)?;
        }
    }
    let org = NewOrganization {
        name: "Demo University".into(),
        slug: "demo-university".into(),
        org_key: "DEMOU".into(),
        description: "A demo organization with a code contract and a managed contract.".into(),
        ..Default::default()
    }
    .parse()?;
    let org = admin::create_organization_in(c, &org, ACTOR, now)?;
    let today = now.date_naive();
    let (start, end) = (
        (today - Duration::days(7)).to_string(),
        (today + Duration::days(365)).to_string(),
    );
    let mut created = 0;
    for (name, slug, kind, seats) in [
        (
            "Demo University learners (code)",
            "demo-university-code",
            "code",
            "5",
        ),
        (
            "Demo University staff (managed)",
            "demo-university-managed",
            "managed",
            "",
        ),
    ] {
        let k = NewContract {
            name: name.into(),
            slug: slug.into(),
            membership_type: kind.into(),
            contract_start: start.clone(),
            contract_end: end.clone(),
            max_learners: seats.into(),
            welcome_message: "Welcome to Demo University's courses on MITx Online.".into(),
            ..Default::default()
        }
        .parse(org)?;
        let id = admin::create_contract_in(c, &k, ACTOR, now)?;
        admin::add_program_in(c, id, DEMO_PROGRAM, ACTOR, now)?;
        if kind == "code"
            && let Some(first) = store_codes::codes_of_contract(c, id)?.first()
        {
            crate::commerce::discounts::store::set_discount_code(c, first.discount_id, DEMO_CODE, now)?;
        }
        created += 1;
    }
    Ok(created)
}
