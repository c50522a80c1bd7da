//! The original's B2B JSON shapes: `ContractPageSerializer`, `OrganizationPageSerializer`,
//! the manager's `ManagerCourseRun`.

use rusqlite::Connection;
use serde_json::{Value, json};

use super::model::{Contract, Organization};
use super::store;
use crate::catalog::model::CourseRun;

fn day(d: Option<chrono::NaiveDate>) -> Value {
    d.map_or(Value::Null, |d| json!(d.format("%Y-%m-%d").to_string()))
}

/// `ContractPageSerializer`: the base fields, welcome messages, ordered program ids, variants.
pub fn contract(c: &Connection, k: &Contract) -> rusqlite::Result<Value> {
    Ok(json!({
        "id": k.id,
        "name": k.name,
        "description": k.description,
        "membership_type": k.membership_type.as_str(),
        "organization": k.organization_id,
        "contract_start": day(k.contract_start),
        "contract_end": day(k.contract_end),
        "slug": k.slug,
        "welcome_message": k.welcome_message,
        "welcome_message_extra": k.welcome_message_extra,
        "programs": store::contract_programs(c, k.id)?,
        "variant_options": variant_options(&k.variant_options),
    }))
}

/// `SupportedVariantSerializer` for each stored variant set: the three options, `active`
/// (stored sets are offered: true unless stored false), `b2b_only` (false unless stored true)
/// and `default_variant`.
fn variant_options(stored: &Value) -> Value {
    let flag = |o: &Value, k: &str, default: bool| o.get(k).and_then(Value::as_bool).unwrap_or(default);
    let text = |o: &Value, k: &str| o.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let list = stored.as_array().map(Vec::as_slice).unwrap_or_default();
    Value::Array(
        list.iter()
            .map(|o| {
                json!({
                    "language": text(o, "language"),
                    "variant_length": text(o, "variant_length"),
                    "variant_industry": text(o, "variant_industry"),
                    "active": flag(o, "active", true),
                    "b2b_only": flag(o, "b2b_only", false),
                    "default_variant": flag(o, "default_variant", false),
                })
            })
            .collect(),
    )
}

/// `OrganizationPageSerializer` with the given contracts.
pub fn organization(c: &Connection, o: &Organization, contracts: &[Contract]) -> rusqlite::Result<Value> {
    let contracts: Vec<Value> = contracts
        .iter()
        .map(|k| contract(c, k))
        .collect::<rusqlite::Result<_>>()?;
    Ok(json!({
        "id": o.id,
        "name": o.name,
        "description": o.description,
        "logo": if o.logo.is_empty() { Value::Null } else { json!(o.logo) },
        "slug": o.slug,
        "sso_organization_id": o.sso_organization_id,
        "contracts": contracts,
    }))
}

/// `ManagerCourseRun`: the run's key, title, dates (as the catalog formats them) and `live`.
pub fn manager_run(r: &CourseRun) -> Value {
    json!({
        "readable_id": r.courseware_id,
        "title": r.title,
        "start_date": r.text.start_date,
        "end_date": r.text.end_date,
        "enrollment_start": r.text.enrollment_start,
        "enrollment_end": r.text.enrollment_end,
        "certificate_available_date": r.text.certificate_available_date,
        "live": r.live,
    })
}
