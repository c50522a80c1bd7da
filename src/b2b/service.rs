//! Learner-facing B2B use cases: attaching with an enrollment code (§5.4), the user's
//! organizations, what the catalog's organisation/contract views may show a caller, and the
//! facts checkout's B2B gates need.

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::error::B2bError;
use super::model::{Contract, MembershipType};
use super::{codes, shapes, store, store_codes};
use crate::state::AppState;
use crate::users::store::User;

/// How an attach request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attached {
    /// Attached to at least one new contract (201).
    Created,
    /// Already attached to every contract of the code (200).
    Already,
}

/// Adds `user` to the organization (`keep_until_seen` when joined locally) and, when the
/// organization is in Keycloak and the user has a Keycloak id, asks Keycloak to add them too
/// (through the outbox).
pub fn add_org_membership(
    c: &Connection,
    user: &User,
    org: i64,
    keep_until_seen: bool,
    now: DateTime<Utc>,
) -> rusqlite::Result<bool> {
    let created = store::add_membership(c, user.id, org, keep_until_seen, now)?;
    if created
        && keep_until_seen
        && let (Some(o), Some(gid)) = (store::organization(c, org)?, &user.global_id)
        && let Some(sso) = &o.sso_organization_id
    {
        crate::integrations::keycloak::messages::enqueue_add_member(c, now, sso, gid)?;
    }
    Ok(created)
}

/// The active contracts of `code` (and the code rows that are claimable now).
fn contracts_of(
    c: &Connection,
    codes: &[store_codes::Code],
    now: DateTime<Utc>,
) -> rusqlite::Result<Vec<(Contract, i64)>> {
    let mut out: Vec<(Contract, i64)> = Vec::new();
    for code in codes {
        if out.iter().any(|(k, _)| k.id == code.contract_id) {
            continue;
        }
        if let Some(k) = store::contract(c, code.contract_id)?.filter(|k| k.is_active(now)) {
            out.push((k, code.discount_id));
        }
    }
    Ok(out)
}

/// `POST /api/v0/b2b/attach/{code}/`: the learner joins every active contract of a valid code
/// they are not in yet. One writer transaction counts the seats and inserts the attachment,
/// so racing learners can never take more than `max_learners` seats.
pub async fn attach(
    state: &AppState,
    user: &User,
    code: String,
) -> Result<(Attached, Vec<shapes::ContractShape>), B2bError> {
    let user = user.clone();
    let out = state
        .write_queued(move |c, now| -> Result<_, B2bError> {
            let all = store_codes::codes_by_string(c, &code)?;
            // A one-time code this learner claimed still answers "already attached".
            let mut valid = Vec::new();
            for k in &all {
                if codes::claimable(k, now) || store_codes::claimed_by(c, k.discount_id, user.id)? {
                    valid.push(k.clone());
                }
            }
            if valid.is_empty() {
                // A code that is only "used up" because its contract is full says so.
                for (k, _) in contracts_of(c, &all, now)? {
                    if k.is_full(store::attached_count(c, k.id)?) {
                        return Err(B2bError::Conflict("Contract is full.".into()));
                    }
                }
                return Err(B2bError::NotFound("Invalid or expired enrollment code.".into()));
            }
            let contracts = contracts_of(c, &valid, now)?;
            if contracts.is_empty() {
                return Err(B2bError::NotFound("No contracts found for this code.".into()));
            }
            let (mut attached, mut full) = (false, false);
            for (k, discount) in &contracts {
                if store::is_attached(c, user.id, k.id)? {
                    continue;
                }
                if k.is_full(store::attached_count(c, k.id)?) {
                    full = true;
                    continue;
                }
                add_org_membership(c, &user, k.organization_id, true, now)?;
                store::attach(c, user.id, k.id, now)?;
                store_codes::claim(c, *discount, k.id, user.id, now)?;
                attached = true;
            }
            if !attached && full {
                return Err(B2bError::Conflict("Contract is full.".into()));
            }
            let mine = match contracts
                .iter()
                .find(|(k, _)| store::is_attached(c, user.id, k.id).unwrap_or(false))
            {
                Some((k, _)) => vec![shapes::contract(c, k)?],
                None => vec![],
            };
            Ok((
                if attached {
                    Attached::Created
                } else {
                    Attached::Already
                },
                mine,
            ))
        })
        .await?;
    Ok(out)
}

/// `b2b_organizations` of `/api/users/me`: the user's organizations, each with the active
/// contracts the user is attached to.
pub fn user_organizations(c: &Connection, user: i64) -> rusqlite::Result<Vec<shapes::OrganizationShape>> {
    let mine = store::user_contracts(c, user)?;
    let mut out = Vec::new();
    for (org, _, _) in store::memberships(c, user)? {
        let Some(o) = store::organization(c, org)? else {
            continue;
        };
        let contracts: Vec<Contract> = store::contracts(c, Some(org))?
            .into_iter()
            .filter(|k| k.active && mine.contains(&k.id))
            .collect();
        out.push(shapes::organization(c, &o, &contracts)?);
    }
    Ok(out)
}

pub async fn user_organizations_now(
    state: &AppState,
    user: i64,
) -> Result<Vec<shapes::OrganizationShape>, B2bError> {
    Ok(state.db.read(move |c| user_organizations(c, user)).await?)
}

/// What an `org_id` / `contract_id` catalog view may show the caller: the active contracts
/// (and their programs) of the organisation if the caller is a member, or of the contract if
/// they are attached; a superuser sees any. `None` for a non-member or an anonymous caller.
#[derive(Debug, Clone, Default)]
pub struct Visible {
    pub contracts: Vec<i64>,
    pub programs: Vec<i64>,
}

pub async fn catalog_view(
    state: &AppState,
    user: Option<&User>,
    org_id: Option<i64>,
    contract_id: Option<i64>,
) -> Result<Option<Visible>, B2bError> {
    let Some(user) = user.cloned() else {
        return Ok(None);
    };
    Ok(state
        .db
        .read(move |c| -> rusqlite::Result<Option<Visible>> {
            let candidates: Vec<Contract> = match (org_id, contract_id) {
                (Some(org), _) => {
                    let member = store::memberships(c, user.id)?.iter().any(|(o, _, _)| *o == org);
                    if !member && !user.is_superuser {
                        return Ok(None);
                    }
                    store::contracts(c, Some(org))?
                        .into_iter()
                        .filter(|k| contract_id.is_none_or(|id| k.id == id))
                        .collect()
                }
                (None, Some(id)) => {
                    if !user.is_superuser && !store::is_attached(c, user.id, id)? {
                        return Ok(None);
                    }
                    store::contract(c, id)?.into_iter().collect()
                }
                (None, None) => return Ok(None),
            };
            let mut v = Visible::default();
            for k in candidates.iter().filter(|k| k.active) {
                v.contracts.push(k.id);
                for p in store::contract_programs(c, k.id)? {
                    if !v.programs.contains(&p) {
                        v.programs.push(p);
                    }
                }
            }
            Ok(Some(v))
        })
        .await?)
}

/// Whether the user is attached to any contract (the HubSpot sync skips such learners).
pub fn has_any_contract(c: &Connection, user: i64) -> rusqlite::Result<bool> {
    Ok(!store::user_contracts(c, user)?.is_empty())
}

/// The contract a discount is an enrollment code of, if it is one (commerce refuses to delete
/// such a discount: the contract manages its codes).
pub fn contract_of_code(c: &Connection, discount: i64) -> rusqlite::Result<Option<i64>> {
    Ok(crate::b2b::store_codes::code_of_discount(c, discount)?.map(|k| k.contract_id))
}

/// For checkout's B2B gate: the contract of each given run (`None` for public runs) and
/// whether `user` is attached to a free contract among them (which needs no code).
pub fn attached_to_free_contract(c: &Connection, user: i64, contract: i64) -> rusqlite::Result<bool> {
    Ok(store::is_attached(c, user, contract)? && store::contract(c, contract)?.is_some_and(|k| k.is_free()))
}

/// The organizations' contracts a member is attached to automatically (auto and managed).
pub fn auto_contracts(c: &Connection, org: i64, now: DateTime<Utc>) -> rusqlite::Result<Vec<Contract>> {
    Ok(store::contracts(c, Some(org))?
        .into_iter()
        .filter(|k| {
            k.is_active(now) && matches!(k.membership_type, MembershipType::Auto | MembershipType::Managed)
        })
        .collect())
}

/// The contracts of these organizations (the enrollment lists' `org_id` filter).
pub async fn contracts_of_orgs(state: &AppState, orgs: Vec<i64>) -> Result<Vec<i64>, B2bError> {
    Ok(state
        .db
        .read(move |c| -> rusqlite::Result<Vec<i64>> {
            let mut out = Vec::new();
            for o in orgs {
                out.extend(store::contracts(c, Some(o))?.iter().map(|k| k.id));
            }
            Ok(out)
        })
        .await?)
}
