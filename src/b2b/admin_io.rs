//! What the staff pages show (an organization with its contracts; a contract with its
//! programs, provisioning state, codes and attachments) and a contract's JSON export/import.

use serde_json::{Value, json};

use super::admin::{self, NewContract, NewOrganization};
use super::error::B2bError;
use super::model::{Contract, Organization};
use super::store_codes::{Assignment, Code};
use super::store_runs::ContractRun;
use super::{store, store_codes, store_runs};
use crate::state::AppState;

pub struct OrgOverview {
    pub org: Organization,
    pub contracts: Vec<(Contract, i64)>,
    pub members: usize,
}

/// Every organization with its contracts (and their attached counts).
pub async fn overview(state: &AppState) -> Result<Vec<OrgOverview>, B2bError> {
    Ok(state
        .db
        .read(|c| -> rusqlite::Result<Vec<OrgOverview>> {
            let mut out = Vec::new();
            for org in store::organizations(c)? {
                let mut contracts = Vec::new();
                for k in store::contracts(c, Some(org.id))? {
                    let n = store::attached_count(c, k.id)?;
                    contracts.push((k, n));
                }
                let members = store::member_count(c, org.id)?;
                out.push(OrgOverview {
                    org,
                    contracts,
                    members: usize::try_from(members).unwrap_or(0),
                });
            }
            Ok(out)
        })
        .await?)
}

pub struct ContractDetail {
    pub contract: Contract,
    pub org: Organization,
    pub programs: Vec<i64>,
    pub runs: Vec<ContractRun>,
    pub codes: Vec<Code>,
    pub assignments: Vec<Assignment>,
    pub attached: Vec<(i64, String, String, String)>,
}

/// A contract with everything staff look at; the runs' re-run state is refreshed from the outbox.
pub async fn contract_detail(state: &AppState, id: i64) -> Result<ContractDetail, B2bError> {
    state
        .db
        .write(move |c| -> Result<ContractDetail, B2bError> {
            let contract =
                store::contract(c, id)?.ok_or_else(|| B2bError::NotFound("No such contract.".into()))?;
            let org = store::organization(c, contract.organization_id)?
                .ok_or_else(|| B2bError::NotFound("No such organization.".into()))?;
            store_runs::refresh_status(c, id)?;
            Ok(ContractDetail {
                programs: store::contract_programs(c, id)?,
                runs: store_runs::runs_of_contract(c, id)?,
                codes: store_codes::codes_of_contract(c, id)?,
                assignments: store_codes::assignments(c, id)?,
                attached: store::attached_users(c, id)?,
                contract,
                org,
            })
        })
        .await
}

fn day(d: Option<chrono::NaiveDate>) -> String {
    d.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default()
}

/// The contract as JSON: its organization, its fields, and its programs by readable id. The
/// export is audited (who took the contract's data).
pub async fn export(state: &AppState, id: i64, actor: String) -> Result<Value, B2bError> {
    state
        .write_at(move |c, now| -> Result<Value, B2bError> {
            let k = store::contract(c, id)?.ok_or_else(|| B2bError::NotFound("No such contract.".into()))?;
            let o = store::organization(c, k.organization_id)?
                .ok_or_else(|| B2bError::NotFound("No such organization.".into()))?;
            let mut programs = Vec::new();
            for p in store::contract_programs(c, id)? {
                if let Some(readable) = crate::catalog::service::program_readable_id(c, p)? {
                    programs.push(readable);
                }
            }
            crate::audit::record(c, None, &actor, "b2b.export_contract", "b2b_contract", &id.to_string(), None, None, now)?;
            Ok(json!({
                "organization": {
                    "name": o.name, "slug": o.slug, "org_key": o.org_key, "description": o.description,
                    "logo": o.logo, "sso_organization_id": o.sso_organization_id.unwrap_or_default(),
                },
                "contract": {
                    "name": k.name, "slug": k.slug, "description": k.description,
                    "membership_type": k.membership_type.as_str(),
                    "contract_start": day(k.contract_start), "contract_end": day(k.contract_end),
                    "max_learners": k.max_learners.map(|m| m.to_string()).unwrap_or_default(),
                    "enrollment_fixed_price": k.enrollment_fixed_price.map(|p| p.to_string()).unwrap_or_default(),
                    "welcome_message": k.welcome_message, "welcome_message_extra": k.welcome_message_extra,
                },
                "programs": programs,
            }))
        })
        .await
}

/// Creates a contract from an export (its organization found by slug, or created), adding
/// its programs; one transaction, so a bad field or an unknown program stores nothing.
pub async fn import(state: &AppState, body: &str, actor: String) -> Result<i64, B2bError> {
    let v: Value =
        serde_json::from_str(body).map_err(|e| B2bError::invalid("json", format!("Not JSON: {e}")))?;
    let org: NewOrganization = serde_json::from_value(v["organization"].clone())
        .map_err(|e| B2bError::invalid("organization", e.to_string()))?;
    let contract: NewContract = serde_json::from_value(v["contract"].clone())
        .map_err(|e| B2bError::invalid("contract", e.to_string()))?;
    let programs: Vec<String> = serde_json::from_value(v.get("programs").cloned().unwrap_or(json!([])))
        .map_err(|e| B2bError::invalid("programs", e.to_string()))?;
    let org = org.parse()?;
    contract.parse(0)?;
    let id = state
        .write_queued(move |c, now| -> Result<i64, B2bError> {
            let oid = match store::organization_by_slug(c, &org.slug)? {
                Some(o) => o.id,
                None => admin::create_organization_in(c, &org, &actor, now)?,
            };
            let kid = admin::create_contract_in(c, &contract.parse(oid)?, &actor, now)?;
            for p in &programs {
                admin::add_program_in(c, kid, p, &actor, now)?;
            }
            crate::audit::record(
                c,
                None,
                &actor,
                "b2b.import_contract",
                "b2b_contract",
                &kid.to_string(),
                None,
                Some(&v),
                now,
            )?;
            Ok(kid)
        })
        .await?;
    Ok(id)
}
