//! Plain SQL over `b2b_contract_runs`: the runs provisioning created for each contract, their
//! products and how far the Studio re-run got.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

use super::store::{all, exists, one};
use crate::clock::to_db;
use crate::db::from_row;

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ContractRun {
    pub contract_id: i64,
    pub program_id: i64,
    pub source_run_id: i64,
    pub run_id: i64,
    pub product_id: i64,
    pub status: String,
    pub courseware_id: String,
    pub title: String,
}

const RUN_SQL: &str = "SELECT k.contract_id, k.program_id, k.source_run_id, k.run_id, k.product_id, k.status,
        r.courseware_id, r.title
    FROM b2b_contract_runs k JOIN course_runs r ON r.id = k.run_id";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ContractRun> {
    from_row!(
        r,
        ContractRun {
            contract_id,
            program_id,
            source_run_id,
            run_id,
            product_id,
            status,
            courseware_id,
            title
        }
    )
}

pub fn runs_of_contract(c: &Connection, contract: i64) -> rusqlite::Result<Vec<ContractRun>> {
    all(
        c,
        &format!("{RUN_SQL} WHERE k.contract_id = ?1 ORDER BY k.run_id"),
        [contract],
        row,
    )
}

pub fn run_by_run_id(c: &Connection, run: i64) -> rusqlite::Result<Option<ContractRun>> {
    one(c, &format!("{RUN_SQL} WHERE k.run_id = ?1"), [run], row)
}

pub fn has_run_for_source(c: &Connection, contract: i64, source_run: i64) -> rusqlite::Result<bool> {
    exists(
        c,
        "SELECT 1 FROM b2b_contract_runs WHERE contract_id = ?1 AND source_run_id = ?2",
        [contract, source_run],
    )
}

/// How many contract runs of this contract already use a key starting with `course_key`
/// (the next run index is one more).
pub fn runs_with_key_prefix(c: &Connection, contract: i64, course_key: &str) -> rusqlite::Result<i64> {
    c.prepare_cached(
        "SELECT COUNT(*) FROM b2b_contract_runs k JOIN course_runs r ON r.id = k.run_id
         WHERE k.contract_id = ?1 AND substr(r.courseware_id, 1, length(?2)) = ?2",
    )?
    .query_row(params![contract, course_key], |r| r.get(0))
}

pub fn insert_run(
    c: &Connection,
    contract: i64,
    program: i64,
    source_run: i64,
    run: i64,
    product: i64,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    c.prepare_cached(
        "INSERT INTO b2b_contract_runs (contract_id, program_id, source_run_id, run_id, product_id, created_on)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![contract, program, source_run, run, product, to_db(now)])?;
    Ok(())
}

/// The products of a contract's runs.
pub fn contract_products(c: &Connection, contract: i64) -> rusqlite::Result<Vec<i64>> {
    c.prepare_cached("SELECT product_id FROM b2b_contract_runs WHERE contract_id = ?1 ORDER BY product_id")?
        .query_map([contract], |r| r.get(0))?
        .collect()
}

/// Mirrors the outbox's view of the re-run into the run's status: delivered → `cloned`, dead →
/// `failed`, otherwise `queued`.
pub fn refresh_status(c: &Connection, contract: i64) -> rusqlite::Result<usize> {
    c.execute(
        "UPDATE b2b_contract_runs SET status = COALESCE((
             SELECT CASE o.status WHEN 'delivered' THEN 'cloned' WHEN 'dead' THEN 'failed' ELSE 'queued' END
             FROM outbox o JOIN course_runs r ON o.idempotency_key = 'openedx:clone_course_run:' || r.courseware_id
             WHERE r.id = b2b_contract_runs.run_id), status)
         WHERE contract_id = ?1",
        [contract],
    )
}
