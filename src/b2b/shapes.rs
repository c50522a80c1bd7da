//! The original's B2B JSON shapes: `ContractPageSerializer`, `OrganizationPageSerializer`,
//! the manager's `ManagerCourseRun`.

use rusqlite::Connection;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::model::{Contract, Organization};
use super::store;
use crate::catalog::model::CourseRun;

fn day(d: Option<chrono::NaiveDate>) -> Option<String> {
    d.map(|d| d.format("%Y-%m-%d").to_string())
}

/// A contract (`ContractPageSerializer`).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = B2bContract)]
pub struct ContractShape {
    pub id: i64,
    pub name: String,
    pub description: String,
    /// `managed`, `code` or `auto`.
    pub membership_type: String,
    pub organization: i64,
    pub contract_start: Option<String>,
    pub contract_end: Option<String>,
    pub slug: String,
    pub welcome_message: String,
    pub welcome_message_extra: String,
    pub programs: Vec<i64>,
    pub variant_options: Vec<VariantOption>,
}

/// A variant set a contract offers (`SupportedVariantSerializer`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VariantOption {
    pub language: String,
    pub variant_length: String,
    pub variant_industry: String,
    pub active: bool,
    pub b2b_only: bool,
    pub default_variant: bool,
}

/// An organization with contracts (`OrganizationPageSerializer`).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = B2bOrganization)]
pub struct OrganizationShape {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub logo: Option<String>,
    pub slug: String,
    pub sso_organization_id: Option<String>,
    pub contracts: Vec<ContractShape>,
}

/// A contract run as managers see it (`ManagerCourseRun`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ManagerRun {
    pub readable_id: String,
    pub title: String,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub enrollment_start: Option<String>,
    pub enrollment_end: Option<String>,
    pub certificate_available_date: Option<String>,
    pub live: bool,
}

/// `ContractPageSerializer`: the base fields, welcome messages, ordered program ids, variants.
pub fn contract(c: &Connection, k: &Contract) -> rusqlite::Result<ContractShape> {
    Ok(ContractShape {
        id: k.id,
        name: k.name.clone(),
        description: k.description.clone(),
        membership_type: k.membership_type.as_str().to_owned(),
        organization: k.organization_id,
        contract_start: day(k.contract_start),
        contract_end: day(k.contract_end),
        slug: k.slug.clone(),
        welcome_message: k.welcome_message.clone(),
        welcome_message_extra: k.welcome_message_extra.clone(),
        programs: store::contract_programs(c, k.id)?,
        variant_options: variant_options(&k.variant_options),
    })
}

/// `SupportedVariantSerializer` for each stored variant set: the three options, `active`
/// (stored sets are offered: true unless stored false), `b2b_only` (false unless stored true)
/// and `default_variant`.
fn variant_options(stored: &Value) -> Vec<VariantOption> {
    let flag = |o: &Value, k: &str, default: bool| o.get(k).and_then(Value::as_bool).unwrap_or(default);
    let text = |o: &Value, k: &str| o.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let list = stored.as_array().map(Vec::as_slice).unwrap_or_default();
    list.iter()
        .map(|o| VariantOption {
            language: text(o, "language"),
            variant_length: text(o, "variant_length"),
            variant_industry: text(o, "variant_industry"),
            active: flag(o, "active", true),
            b2b_only: flag(o, "b2b_only", false),
            default_variant: flag(o, "default_variant", false),
        })
        .collect()
}

/// `OrganizationPageSerializer` with the given contracts.
pub fn organization(
    c: &Connection,
    o: &Organization,
    contracts: &[Contract],
) -> rusqlite::Result<OrganizationShape> {
    Ok(OrganizationShape {
        id: o.id,
        name: o.name.clone(),
        description: o.description.clone(),
        logo: (!o.logo.is_empty()).then(|| o.logo.clone()),
        slug: o.slug.clone(),
        sso_organization_id: o.sso_organization_id.clone(),
        contracts: contracts
            .iter()
            .map(|k| contract(c, k))
            .collect::<rusqlite::Result<_>>()?,
    })
}

/// `ManagerCourseRun`: the run's key, title, dates (as the catalog formats them) and `live`.
pub fn manager_run(r: &CourseRun) -> ManagerRun {
    ManagerRun {
        readable_id: r.courseware_id.clone(),
        title: r.title.clone(),
        start_date: r.text.start_date.clone(),
        end_date: r.text.end_date.clone(),
        enrollment_start: r.text.enrollment_start.clone(),
        enrollment_end: r.text.enrollment_end.clone(),
        certificate_available_date: r.text.certificate_available_date.clone(),
        live: r.live,
    }
}
