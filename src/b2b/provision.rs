//! Contract runs (surface §5.2, the original's `create_contract_run`): adding a program to a
//! contract creates, for every course of the program with a source run, one run per source
//! language/variant — dated from the contract (start or now, end), self-paced, live, audit and
//! verified modes — and its product at the contract's price (or 0), then queues the Studio
//! re-run of the source into the new key through the outbox and brings the enrollment codes
//! up to date. Everything happens in the caller's transaction; a second call for the same
//! program creates nothing.

use chrono::{DateTime, Datelike, NaiveTime, Utc};
use rusqlite::Connection;

use super::model::{Contract, Organization, contract_run_key, course_number};
use super::{codes, store, store_runs};
use crate::catalog;
use crate::catalog::store::{NewRun, ProductTarget};
use crate::clock::to_db;
use crate::integrations::openedx::client::RunFix;
use crate::integrations::openedx::messages::{self, CloneCourseRun};

/// What one provisioning call did.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Provisioned {
    /// Courseware ids of the runs created.
    pub created: Vec<String>,
    /// Source runs that already had a contract run.
    pub existing: usize,
    pub codes: codes::CodeChanges,
}

fn product_description(org: &Organization, contract: &Contract, src: &catalog::service::SourceRun) -> String {
    let tags: String = [&src.language, &src.variant_industry, &src.variant_length]
        .iter()
        .filter(|t| !t.is_empty())
        .map(|t| format!("_{t}"))
        .collect();
    let suffix = if src.language.is_empty() {
        String::new()
    } else {
        format!(" [{tags}]")
    };
    format!(
        "{} #{} - {} {}{suffix}",
        org.name, contract.id, src.course_title, src.course_readable_id
    )
}

/// Creates the missing contract runs of `program` in `contract`.
pub fn provision_program(
    c: &Connection,
    org: &Organization,
    contract: &Contract,
    program: i64,
    now: DateTime<Utc>,
) -> rusqlite::Result<Provisioned> {
    let mut out = Provisioned::default();
    let start = contract
        .contract_start
        .map_or(now, |d| d.and_time(NaiveTime::MIN).and_utc());
    let end = contract
        .contract_end
        .and_then(|d| d.and_hms_opt(23, 59, 59))
        .map(|t| t.and_utc());
    let audit = catalog::store::ensure_mode(c, "audit", false)?;
    let verified = catalog::store::ensure_mode(c, "verified", true)?;
    for src in catalog::service::program_source_runs(c, program)? {
        if store_runs::has_run_for_source(c, contract.id, src.id)? {
            out.existing += 1;
            continue;
        }
        let number = course_number(&src.course_readable_id);
        let course_key = format!("course-v1:{}{}+{number}+", org.org_key_prefix, org.org_key);
        let idx =
            usize::try_from(store_runs::runs_with_key_prefix(c, contract.id, &course_key)?).unwrap_or(0) + 1;
        let variant = (
            src.language.as_str(),
            src.variant_industry.as_str(),
            src.variant_length.as_str(),
        );
        let mut key = contract_run_key(
            &org.org_key_prefix,
            &org.org_key,
            number,
            idx,
            contract.id,
            now.year(),
            variant,
        );
        // Another contract's run may hold the key (same org, same year): take the next index.
        let mut bump = idx;
        while catalog::service::run_id_by_courseware(c, &key)?.is_some() {
            bump += 1;
            key = contract_run_key(
                &org.org_key_prefix,
                &org.org_key,
                number,
                bump,
                contract.id,
                now.year(),
                variant,
            );
        }
        let run_tag = format!("{bump}T{}C{}", contract.id, now.year());
        let run = catalog::store::insert_run(
            c,
            &NewRun {
                course_id: src.course_id,
                title: &src.title,
                courseware_id: &key,
                run_tag: &run_tag,
                start_date: Some(start),
                end_date: end,
                certificate_available_date: Some(start),
                enrollment_start: Some(start),
                enrollment_end: end,
                live: true,
                is_self_paced: true,
                b2b_contract_id: Some(contract.id),
                is_primary_language: src.is_primary_language,
                language: &src.language,
                modes: &[audit, verified],
                ..Default::default()
            },
            now,
        )?;
        catalog::store::set_run_variant(c, run, &src.variant_length, &src.variant_industry)?;
        let product = catalog::store::insert_product(
            c,
            ProductTarget::CourseRun(run),
            contract.price(),
            &product_description(org, contract, &src),
            now,
        )?;
        store_runs::insert_run(c, contract.id, program, src.id, run, product, now)?;
        messages::enqueue_clone_course_run(
            c,
            now,
            &CloneCourseRun {
                source_course_id: src.courseware_id.clone(),
                course_id: key.clone(),
                fix: RunFix {
                    title: src.title.clone(),
                    self_paced: true,
                    start: Some(to_db(start)),
                    end: end.map(to_db),
                    enrollment_start: Some(to_db(start)),
                    enrollment_end: end.map(to_db),
                },
            },
        )?;
        out.created.push(key);
    }
    out.codes = codes::ensure_codes(c, contract, now)?;
    Ok(out)
}

/// Adds `program` to the contract (at the end of its list) and provisions its runs.
pub fn add_program(
    c: &Connection,
    contract: &Contract,
    program: i64,
    now: DateTime<Utc>,
) -> rusqlite::Result<(bool, Provisioned)> {
    let added = store::add_contract_program(c, contract.id, program)?;
    let org =
        store::organization(c, contract.organization_id)?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
    let done = provision_program(c, &org, contract, program, now)?;
    Ok((added, done))
}
