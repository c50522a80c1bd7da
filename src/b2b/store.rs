//! Plain SQL over organizations, contracts, contract programs, memberships and attachments.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, Params, Row, params, params_from_iter};

use super::model::{Contract, MembershipType, Organization};
use crate::clock::to_db;
use crate::db::from_row;

/// The row a cached statement returns, if any.
pub(super) fn one<T>(
    c: &Connection,
    sql: &str,
    p: impl Params,
    row: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Option<T>> {
    c.prepare_cached(sql)?.query_row(p, row).optional()
}

/// Every row a cached statement returns.
pub(super) fn all<T>(
    c: &Connection,
    sql: &str,
    p: impl Params,
    row: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Vec<T>> {
    c.prepare_cached(sql)?.query_map(p, row)?.collect()
}

/// Whether a cached statement returns a row.
pub(super) fn exists(c: &Connection, sql: &str, p: impl Params) -> rusqlite::Result<bool> {
    one(c, sql, p, |_| Ok(())).map(|o| o.is_some())
}

const ORG_COLUMNS: &str = "id, name, slug, org_key, org_key_prefix, description, logo, sso_organization_id";

fn org_row(r: &Row<'_>) -> rusqlite::Result<Organization> {
    from_row!(
        r,
        Organization {
            id,
            name,
            slug,
            org_key,
            org_key_prefix,
            description,
            logo,
            sso_organization_id
        }
    )
}

const CONTRACT_COLUMNS: &str = "id, organization_id, name, slug, description, welcome_message, \
    welcome_message_extra, membership_type, contract_start, contract_end, active, max_learners, \
    enrollment_fixed_price, variant_options";

fn date(s: Option<String>) -> Option<NaiveDate> {
    s.and_then(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok())
}

fn contract_row(r: &Row<'_>) -> rusqlite::Result<Contract> {
    from_row!(
        r,
        Contract {
            id,
            organization_id,
            name,
            slug,
            description,
            welcome_message,
            welcome_message_extra,
            membership_type: (|kind: String| MembershipType::parse(&kind).unwrap_or(MembershipType::Code)),
            contract_start: date,
            contract_end: date,
            active,
            max_learners,
            enrollment_fixed_price: (|price: Option<String>| price.map(crate::money::from_db)),
            variant_options: (|variants: String| serde_json::from_str(&variants)
                .unwrap_or_else(|_| serde_json::json!([])))
        }
    )
}

pub fn organizations(c: &Connection) -> rusqlite::Result<Vec<Organization>> {
    all(
        c,
        &format!("SELECT {ORG_COLUMNS} FROM b2b_organizations ORDER BY name, id"),
        [],
        org_row,
    )
}

pub fn organization(c: &Connection, id: i64) -> rusqlite::Result<Option<Organization>> {
    one(
        c,
        &format!("SELECT {ORG_COLUMNS} FROM b2b_organizations WHERE id = ?1"),
        [id],
        org_row,
    )
}

pub fn organization_by_slug(c: &Connection, slug: &str) -> rusqlite::Result<Option<Organization>> {
    one(
        c,
        &format!("SELECT {ORG_COLUMNS} FROM b2b_organizations WHERE slug = ?1"),
        [slug],
        org_row,
    )
}

pub fn organization_by_sso(c: &Connection, sso: &str) -> rusqlite::Result<Option<Organization>> {
    one(
        c,
        &format!("SELECT {ORG_COLUMNS} FROM b2b_organizations WHERE sso_organization_id = ?1"),
        [sso],
        org_row,
    )
}

pub fn insert_organization(c: &Connection, o: &Organization, now: DateTime<Utc>) -> rusqlite::Result<i64> {
    c.prepare_cached(
        "INSERT INTO b2b_organizations (name, slug, org_key, org_key_prefix, description, logo,
            sso_organization_id, created_on, updated_on) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
    )?
    .execute(params![
        o.name,
        o.slug,
        o.org_key,
        o.org_key_prefix,
        o.description,
        o.logo,
        o.sso_organization_id,
        to_db(now)
    ])?;
    Ok(c.last_insert_rowid())
}

/// Name and description from Keycloak (the key and slug never change).
pub fn update_organization_text(
    c: &Connection,
    id: i64,
    name: &str,
    description: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<usize> {
    c.execute(
        "UPDATE b2b_organizations SET name = ?2, description = ?3, updated_on = ?4
         WHERE id = ?1 AND (name <> ?2 OR description <> ?3)",
        params![id, name, description, to_db(now)],
    )
}

pub fn contracts(c: &Connection, org: Option<i64>) -> rusqlite::Result<Vec<Contract>> {
    all(
        c,
        &format!(
            "SELECT {CONTRACT_COLUMNS} FROM b2b_contracts WHERE ?1 IS NULL OR organization_id = ?1 ORDER BY id"
        ),
        [org],
        contract_row,
    )
}

pub fn contract(c: &Connection, id: i64) -> rusqlite::Result<Option<Contract>> {
    one(
        c,
        &format!("SELECT {CONTRACT_COLUMNS} FROM b2b_contracts WHERE id = ?1"),
        [id],
        contract_row,
    )
}

pub fn contract_by_slug(c: &Connection, slug: &str) -> rusqlite::Result<Option<Contract>> {
    one(
        c,
        &format!("SELECT {CONTRACT_COLUMNS} FROM b2b_contracts WHERE slug = ?1"),
        [slug],
        contract_row,
    )
}

fn day(d: Option<NaiveDate>) -> Option<String> {
    d.map(|d| d.format("%Y-%m-%d").to_string())
}

/// A contract's terms: the columns [`terms`] gives values for, in order.
const TERMS: &str = "name, description, welcome_message, welcome_message_extra, membership_type, \
    contract_start, contract_end, active, max_learners, enrollment_fixed_price, variant_options";

fn terms(k: &Contract) -> [SqlValue; 11] {
    [
        k.name.clone().into(),
        k.description.clone().into(),
        k.welcome_message.clone().into(),
        k.welcome_message_extra.clone().into(),
        k.membership_type.as_str().to_owned().into(),
        day(k.contract_start).into(),
        day(k.contract_end).into(),
        k.active.into(),
        k.max_learners.into(),
        k.enrollment_fixed_price.map(|p| p.round_dp(2).to_string()).into(),
        k.variant_options.to_string().into(),
    ]
}

pub fn insert_contract(c: &Connection, k: &Contract, now: DateTime<Utc>) -> rusqlite::Result<i64> {
    let head: [SqlValue; 3] = [k.organization_id.into(), k.slug.clone().into(), to_db(now).into()];
    c.prepare_cached(&format!(
        "INSERT INTO b2b_contracts (organization_id, slug, created_on, updated_on, {TERMS})
         VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"
    ))?
    .execute(params_from_iter(head.into_iter().chain(terms(k))))?;
    Ok(c.last_insert_rowid())
}

/// Replaces a contract's terms (everything but its organization and slug).
pub fn update_contract(c: &Connection, k: &Contract, now: DateTime<Utc>) -> rusqlite::Result<usize> {
    let head: [SqlValue; 2] = [k.id.into(), to_db(now).into()];
    c.prepare_cached(&format!(
        "UPDATE b2b_contracts SET updated_on = ?2,
            ({TERMS}) = (?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         WHERE id = ?1"
    ))?
    .execute(params_from_iter(head.into_iter().chain(terms(k))))
}

/// The ordered program ids of a contract.
pub fn contract_programs(c: &Connection, contract: i64) -> rusqlite::Result<Vec<i64>> {
    c.prepare_cached(
        "SELECT program_id FROM b2b_contract_programs WHERE contract_id = ?1 ORDER BY sort_order, program_id",
    )?
    .query_map([contract], |r| r.get(0))?
    .collect()
}

/// Adds a program at the end of the contract's list; false when it was there already.
pub fn add_contract_program(c: &Connection, contract: i64, program: i64) -> rusqlite::Result<bool> {
    let n = c.execute(
        "INSERT INTO b2b_contract_programs (contract_id, program_id, sort_order)
         SELECT ?1, ?2, COALESCE(MAX(sort_order) + 1, 0) FROM b2b_contract_programs WHERE contract_id = ?1
         ON CONFLICT DO NOTHING",
        params![contract, program],
    )?;
    Ok(n > 0)
}

/// Learners attached to a contract (its taken seats).
pub fn attached_count(c: &Connection, contract: i64) -> rusqlite::Result<i64> {
    c.prepare_cached("SELECT COUNT(*) FROM b2b_attachments WHERE contract_id = ?1")?
        .query_row([contract], |r| r.get(0))
}

pub fn is_attached(c: &Connection, user: i64, contract: i64) -> rusqlite::Result<bool> {
    exists(
        c,
        "SELECT 1 FROM b2b_attachments WHERE user_id = ?1 AND contract_id = ?2",
        [user, contract],
    )
}

/// Attaches; false when the learner was attached already.
pub fn attach(c: &Connection, user: i64, contract: i64, now: DateTime<Utc>) -> rusqlite::Result<bool> {
    let n = c
        .prepare_cached(
            "INSERT INTO b2b_attachments (user_id, contract_id, created_on) VALUES (?1, ?2, ?3)
             ON CONFLICT DO NOTHING",
        )?
        .execute(params![user, contract, to_db(now)])?;
    Ok(n > 0)
}

pub fn detach(c: &Connection, user: i64, contract: i64) -> rusqlite::Result<bool> {
    Ok(c.execute(
        "DELETE FROM b2b_attachments WHERE user_id = ?1 AND contract_id = ?2",
        [user, contract],
    )? > 0)
}

/// The contract ids a user is attached to.
pub fn user_contracts(c: &Connection, user: i64) -> rusqlite::Result<Vec<i64>> {
    c.prepare_cached("SELECT contract_id FROM b2b_attachments WHERE user_id = ?1 ORDER BY contract_id")?
        .query_map([user], |r| r.get(0))?
        .collect()
}

/// Attached users of a contract: (user id, email, name, attached on).
pub fn attached_users(c: &Connection, contract: i64) -> rusqlite::Result<Vec<(i64, String, String, String)>> {
    c.prepare_cached(
        "SELECT u.id, u.email, u.name, a.created_on FROM b2b_attachments a JOIN users u ON u.id = a.user_id
         WHERE a.contract_id = ?1 ORDER BY a.created_on, u.id",
    )?
    .query_map([contract], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
    .collect()
}

/// A membership row: (organization id, keep_until_seen, is_manager).
pub fn memberships(c: &Connection, user: i64) -> rusqlite::Result<Vec<(i64, bool, bool)>> {
    c.prepare_cached(
        "SELECT organization_id, keep_until_seen, is_manager FROM b2b_memberships WHERE user_id = ?1
         ORDER BY organization_id",
    )?
    .query_map([user], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
    .collect()
}

/// Adds a membership; an existing one keeps its flags, except that `keep_until_seen` is set
/// when asked. Returns whether a row was created.
pub fn add_membership(
    c: &Connection,
    user: i64,
    org: i64,
    keep_until_seen: bool,
    now: DateTime<Utc>,
) -> rusqlite::Result<bool> {
    let n = c
        .prepare_cached(
            "INSERT INTO b2b_memberships (user_id, organization_id, keep_until_seen, created_on)
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
        )?
        .execute(params![user, org, keep_until_seen, to_db(now)])?;
    if n == 0 && keep_until_seen {
        c.execute(
            "UPDATE b2b_memberships SET keep_until_seen = 1 WHERE user_id = ?1 AND organization_id = ?2",
            [user, org],
        )?;
    }
    Ok(n > 0)
}

/// Keycloak listed the membership: it no longer needs keeping.
pub fn mark_seen(c: &Connection, user: i64, org: i64) -> rusqlite::Result<usize> {
    c.execute(
        "UPDATE b2b_memberships SET keep_until_seen = 0 WHERE user_id = ?1 AND organization_id = ?2 AND keep_until_seen = 1",
        [user, org],
    )
}

pub fn remove_membership(c: &Connection, user: i64, org: i64) -> rusqlite::Result<bool> {
    Ok(c.execute(
        "DELETE FROM b2b_memberships WHERE user_id = ?1 AND organization_id = ?2",
        [user, org],
    )? > 0)
}

pub fn set_manager(c: &Connection, user: i64, org: i64, on: bool) -> rusqlite::Result<usize> {
    c.execute(
        "UPDATE b2b_memberships SET is_manager = ?3 WHERE user_id = ?1 AND organization_id = ?2",
        params![user, org, on],
    )
}

pub fn is_manager(c: &Connection, user: i64, org: i64) -> rusqlite::Result<bool> {
    exists(
        c,
        "SELECT 1 FROM b2b_memberships WHERE user_id = ?1 AND organization_id = ?2 AND is_manager = 1",
        [user, org],
    )
}

/// When the user's header organizations were last reconciled.
pub fn last_sync(c: &Connection, user: i64) -> rusqlite::Result<Option<String>> {
    c.prepare_cached("SELECT synced_at FROM b2b_membership_sync WHERE user_id = ?1")?
        .query_row([user], |r| r.get(0))
        .optional()
}

pub fn set_synced(c: &Connection, user: i64, now: DateTime<Utc>) -> rusqlite::Result<()> {
    c.prepare_cached(
        "INSERT INTO b2b_membership_sync (user_id, synced_at) VALUES (?1, ?2)
         ON CONFLICT (user_id) DO UPDATE SET synced_at = excluded.synced_at",
    )?
    .execute(params![user, to_db(now)])?;
    Ok(())
}

pub fn member_count(c: &Connection, org: i64) -> rusqlite::Result<i64> {
    c.prepare_cached("SELECT count(*) FROM b2b_memberships WHERE organization_id = ?1")?
        .query_row([org], |r| r.get(0))
}
