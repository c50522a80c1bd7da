//! What managers read (surface §2.8): their organizations, contracts with seat and code
//! statistics, contract runs with their enrollments, and assigned codes with filters; plus the
//! service-to-service manager check. Every read checks that the caller manages the
//! organization (404 otherwise, as the original's filtered querysets).

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde::Serialize;
use utoipa::ToSchema;

use super::error::B2bError;
use super::manager::{self, Acting, ManagerCode, code_json, status_of};
use super::model::{CodeStatus, Contract};
use super::shapes::{ContractShape, OrganizationShape};
use super::{shapes, store, store_codes, store_runs};
use crate::state::AppState;
use crate::users::store::User;

fn active_contracts(c: &Connection, org: i64, now: DateTime<Utc>) -> rusqlite::Result<Vec<Contract>> {
    Ok(store::contracts(c, Some(org))?
        .into_iter()
        .filter(|k| k.is_active(now))
        .collect())
}

/// The organizations `user` manages (optionally the one with this Keycloak id), with their
/// active contracts.
pub async fn organizations(
    state: &AppState,
    user: User,
    sso: Option<String>,
) -> Result<Vec<OrganizationShape>, B2bError> {
    let now = state.clock.now();
    Ok(state
        .db
        .read(move |c| -> rusqlite::Result<Vec<OrganizationShape>> {
            manager::managed_orgs(c, &user, sso.as_deref())?
                .iter()
                .map(|o| shapes::organization(c, o, &active_contracts(c, o.id, now)?))
                .collect()
        })
        .await?)
}

pub async fn organization(state: &AppState, user: User, org: i64) -> Result<OrganizationShape, B2bError> {
    let now = state.clock.now();
    state
        .db
        .read(move |c| -> Result<OrganizationShape, B2bError> {
            let o = manager::managed_org(c, &user, org)?;
            Ok(shapes::organization(c, &o, &active_contracts(c, o.id, now)?)?)
        })
        .await
}

/// A contract with its seat and code statistics (`ManagerContractDetailSerializer`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ManagerContract {
    #[serde(flatten)]
    pub contract: ContractShape,
    /// Percent of the seats taken (two decimals); `null` without a seat limit.
    pub attachment_percentage: Option<f64>,
    pub total_enrollments: i64,
    pub total_codes: Option<i64>,
    pub assigned_codes: usize,
    pub unassigned_codes: Option<i64>,
    pub redeemed_codes: usize,
}

/// One enrollment in a contract run, for its managers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ManagerEnrollment {
    pub learner_name: String,
    pub learner_email: String,
    pub enrollment_date: String,
    pub enrollment_type: String,
    pub enrollment_status: Option<String>,
    pub active: bool,
}

/// `ManagerContractDetailSerializer`: the contract plus seat and code statistics.
fn contract_detail_json(c: &Connection, k: &Contract) -> rusqlite::Result<ManagerContract> {
    let contract = shapes::contract(c, k)?;
    let attached = store::attached_count(c, k.id)?;
    let assignments = store_codes::assignments(c, k.id)?;
    let redeemed = assignments
        .iter()
        .filter(|a| status_of(Some(a)) == CodeStatus::Redeemed)
        .count();
    let assigned = assignments.len() - redeemed;
    let seats = k.seat_limit();
    let pct = seats.map(|m| ((attached as f64 / m as f64) * 10_000.0).round() / 100.0);
    let runs = store_runs::runs_of_contract(c, k.id)?;
    let mut enrollments = 0;
    for r in &runs {
        enrollments += crate::enrollment::store::count_active_for_run(c, r.run_id)?;
    }
    Ok(ManagerContract {
        contract,
        attachment_percentage: pct,
        total_enrollments: enrollments,
        total_codes: seats,
        assigned_codes: assigned,
        unassigned_codes: seats.map(|m| m - i64::try_from(assigned + redeemed).unwrap_or(0)),
        redeemed_codes: redeemed,
    })
}

pub async fn contracts(state: &AppState, user: User, org: i64) -> Result<Vec<ManagerContract>, B2bError> {
    state
        .db
        .read(move |c| -> Result<Vec<ManagerContract>, B2bError> {
            manager::managed_org(c, &user, org)?;
            Ok(store::contracts(c, Some(org))?
                .iter()
                .map(|k| contract_detail_json(c, k))
                .collect::<rusqlite::Result<_>>()?)
        })
        .await
}

pub async fn contract(state: &AppState, user: User, org: i64, id: i64) -> Result<ManagerContract, B2bError> {
    state
        .db
        .read(move |c| -> Result<ManagerContract, B2bError> {
            let k = manager::managed_contract(c, &user, org, id)?;
            Ok(contract_detail_json(c, &k)?)
        })
        .await
}

/// The ids of the contract's runs (shaped from the catalog snapshot by the handler).
pub async fn course_runs(state: &AppState, user: User, org: i64, id: i64) -> Result<Vec<i64>, B2bError> {
    state
        .db
        .read(move |c| -> Result<Vec<i64>, B2bError> {
            manager::managed_contract(c, &user, org, id)?;
            Ok(store_runs::runs_of_contract(c, id)?
                .iter()
                .map(|r| r.run_id)
                .collect())
        })
        .await
}

/// The enrollments of one contract run (by key or id).
pub async fn run_enrollments(
    state: &AppState,
    user: User,
    org: i64,
    id: i64,
    key: String,
) -> Result<Vec<ManagerEnrollment>, B2bError> {
    state
        .db
        .read(move |c| -> Result<Vec<ManagerEnrollment>, B2bError> {
            manager::managed_contract(c, &user, org, id)?;
            let run = store_runs::runs_of_contract(c, id)?
                .into_iter()
                .find(|r| r.courseware_id == key || r.run_id.to_string() == key)
                .ok_or_else(|| B2bError::NotFound("Not found.".into()))?;
            let mut out = Vec::new();
            for e in crate::enrollment::store::for_run(c, run.run_id)? {
                let Some(learner) = crate::users::store::find_by_id(c, e.user_id)? else {
                    continue;
                };
                out.push(ManagerEnrollment {
                    learner_name: learner.name,
                    learner_email: learner.email,
                    enrollment_date: crate::clock::to_db(e.created_on),
                    enrollment_type: e.mode.as_str().to_owned(),
                    enrollment_status: e.change_status.map(|s| s.as_str().to_owned()),
                    active: e.active,
                });
            }
            Ok(out)
        })
        .await
}

/// The codes list filters: `search_term` (email or name), `status` assigned|redeemed|failed.
#[derive(Debug, Clone, Default)]
pub struct CodeFilter {
    pub search: String,
    pub status: String,
}

/// Codes that have an assignment or a claim, filtered.
pub async fn codes(
    state: &AppState,
    user: User,
    org: i64,
    id: i64,
    f: CodeFilter,
) -> Result<Vec<ManagerCode>, B2bError> {
    state
        .db
        .read(move |c| -> Result<Vec<ManagerCode>, B2bError> {
            let k = manager::managed_contract(c, &user, org, id)?;
            let assignments = store_codes::assignments(c, k.id)?;
            let search = f.search.trim().to_lowercase();
            let mut out = Vec::new();
            for code in store_codes::codes_of_contract(c, k.id)? {
                let Some(a) = assignments.iter().find(|a| a.discount_id == code.discount_id) else {
                    continue;
                };
                let status = status_of(Some(a));
                let keep = match f.status.as_str() {
                    "redeemed" => status == CodeStatus::Redeemed,
                    "assigned" => status == CodeStatus::Assigned,
                    "failed" => status == CodeStatus::Assigned && a.email_status.as_deref() == Some("failed"),
                    _ => true,
                };
                let hit = search.is_empty()
                    || [&a.assigned_email, &a.assigned_name, &a.redeemed_by]
                        .iter()
                        .any(|s| s.as_deref().is_some_and(|s| s.to_lowercase().contains(&search)));
                if keep && hit {
                    out.push(code_json(&code, Some(a)));
                }
            }
            Ok(out)
        })
        .await
}

/// One code operation of [`manager`] on a contract the user manages, in one write; the outbox
/// is woken after.
pub async fn code_op<T: Send + 'static>(
    state: &AppState,
    user: User,
    org: i64,
    id: i64,
    f: impl FnOnce(&Connection, &Contract, &Acting, DateTime<Utc>) -> Result<T, B2bError> + Send + 'static,
) -> Result<T, B2bError> {
    let who = Acting::of(state, &user);
    let out = state
        .write_queued(move |c, now| -> Result<T, B2bError> {
            let k = manager::managed_contract(c, &user, org, id)?;
            f(c, &k, &who, now)
        })
        .await?;
    Ok(out)
}

/// Whether the Keycloak user manages the Keycloak organization (false when either is unknown).
pub async fn is_manager(state: &AppState, sso: String, global_id: String) -> Result<bool, B2bError> {
    Ok(state
        .db
        .read(move |c| -> rusqlite::Result<bool> {
            let (Some(org), Some(user)) = (
                store::organization_by_sso(c, &sso)?,
                crate::users::store::find_by_global_id(c, &global_id)?,
            ) else {
                return Ok(false);
            };
            store::is_manager(c, user.id, org.id)
        })
        .await?)
}
