//! Organization managers (surface §2.8 `manager/…`): their organizations and contracts with
//! seat and code statistics, the contract runs and their enrollments, and the codes they hand
//! out — assign (an invite through the outbox, with a Mailgun tag), reassign and revoke (both
//! rotate the code string), remind, bulk assign, and a test invite. A redeemed code cannot be
//! touched (409). Managers are members with `is_manager`; superusers manage every organization.

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde::Serialize;
use utoipa::ToSchema;

use super::error::B2bError;
use super::model::{CodeStatus, Contract, Organization};
use super::store_codes::{self, Assignment, Code};
use super::{codes, store, store_runs};
use crate::state::AppState;
use crate::users::store::User;

/// The organizations `user` manages (every one for a superuser), optionally only the one with
/// this Keycloak id.
pub fn managed_orgs(c: &Connection, user: &User, sso: Option<&str>) -> rusqlite::Result<Vec<Organization>> {
    let mine = store::memberships(c, user.id)?;
    Ok(store::organizations(c)?
        .into_iter()
        .filter(|o| user.is_superuser || mine.iter().any(|(id, _, m)| *id == o.id && *m))
        .filter(|o| sso.is_none_or(|s| o.sso_organization_id.as_deref() == Some(s)))
        .collect())
}

/// The organization if `user` manages it, else 404 (as the filtered queryset answers).
pub fn managed_org(c: &Connection, user: &User, org: i64) -> Result<Organization, B2bError> {
    let o = store::organization(c, org)?.ok_or_else(|| B2bError::NotFound("Not found.".into()))?;
    if user.is_superuser || store::is_manager(c, user.id, org)? {
        Ok(o)
    } else {
        Err(B2bError::NotFound("Not found.".into()))
    }
}

/// A contract of a managed organization.
pub fn managed_contract(c: &Connection, user: &User, org: i64, contract: i64) -> Result<Contract, B2bError> {
    managed_org(c, user, org)?;
    store::contract(c, contract)?
        .filter(|k| k.organization_id == org)
        .ok_or_else(|| B2bError::NotFound("Not found.".into()))
}

pub fn status_of(a: Option<&Assignment>) -> CodeStatus {
    match a {
        None => CodeStatus::Unassigned,
        Some(a) if a.user_id.is_some() || a.redeemed_on.is_some() => CodeStatus::Redeemed,
        Some(_) => CodeStatus::Assigned,
    }
}

/// An enrollment code as managers see it (`ManagerEnrollmentCodeSerializer`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ManagerCode {
    pub id: i64,
    pub code: String,
    /// `unassigned`, `assigned` or `redeemed`.
    pub redemption_status: String,
    pub assigned_to: Option<String>,
    pub assigned_on: Option<String>,
    pub assigned_name: Option<String>,
    pub redeemed_on: Option<String>,
    pub redeemed_by: Option<String>,
    pub last_sent: Option<String>,
    pub email_status: Option<String>,
    pub email_status_event_timestamp: Option<String>,
}

/// A record a bulk assignment refused, and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BulkError {
    pub email: String,
    pub name: String,
    pub detail: String,
}

/// What a bulk assignment did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BulkAssigned {
    pub assigned: Vec<ManagerCode>,
    pub errors: Vec<BulkError>,
}

/// `ManagerEnrollmentCodeSerializer`.
pub fn code_json(code: &Code, a: Option<&Assignment>) -> ManagerCode {
    ManagerCode {
        id: code.discount_id,
        code: code.code.clone(),
        redemption_status: status_of(a).as_str().to_owned(),
        assigned_to: a.and_then(|a| a.assigned_email.clone()),
        assigned_on: a.and_then(|a| a.assigned_on.clone().or_else(|| a.redeemed_on.clone())),
        assigned_name: a.and_then(|a| a.assigned_name.clone()),
        redeemed_on: a.and_then(|a| a.redeemed_on.clone()),
        redeemed_by: a.and_then(|a| a.redeemed_by.clone()),
        last_sent: a.and_then(|a| a.last_reminder_sent_on.clone()),
        email_status: a.and_then(|a| a.email_status.clone()),
        email_status_event_timestamp: a.and_then(|a| a.email_status_event_timestamp.clone()),
    }
}

/// The invite mail for a code (or a sample with a placeholder code).
fn invite(
    state_attach_url: &str,
    k: &Contract,
    org: &Organization,
    to: &str,
    name: &str,
    code: &str,
) -> crate::mail::Email {
    let hello = if name.trim().is_empty() {
        "Hello".to_owned()
    } else {
        format!("Hello {}", name.trim())
    };
    crate::mail::Email {
        to: to.to_owned(),
        subject: format!("Your enrollment code for {}", org.name),
        body: format!(
            "{hello},\n\n{} has given you a seat in \"{}\" on MITx Online.\n\nRedeem your enrollment code here:\n{}{code}\n\nYour code: {code}\n\n{}\n",
            org.name, k.name, state_attach_url, k.welcome_message
        ),
    }
}

fn valid_email(e: &str) -> Result<String, B2bError> {
    let e = e.trim();
    crate::users::rules::validate_email(e)
        .map_err(|_| B2bError::invalid("email", "Enter a valid email address."))?;
    Ok(e.to_owned())
}

/// What a code operation needs: the URL, tag and who acts.
#[derive(Debug, Clone)]
pub struct Acting {
    pub attach_url: String,
    pub tag: String,
    pub actor: String,
}

impl Acting {
    pub fn of(state: &AppState, user: &User) -> Acting {
        Acting {
            attach_url: state.config.b2b.learn_attach_url.clone(),
            tag: state.config.b2b.mailgun_tag.clone(),
            actor: user.email.clone(),
        }
    }
}

fn code_for(c: &Connection, k: &Contract, code: &str) -> Result<Code, B2bError> {
    store_codes::codes_by_string(c, code)?
        .into_iter()
        .find(|x| x.contract_id == k.id)
        .ok_or_else(|| B2bError::NotFound("Code not found for this contract.".into()))
}

fn audit(
    c: &Connection,
    who: &Acting,
    action: &str,
    code: &Code,
    after: &ManagerCode,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    crate::audit::record(
        c,
        None,
        &who.actor,
        action,
        "b2b_code",
        &code.discount_id.to_string(),
        None,
        Some(&crate::commerce::discounts::service::json(after)),
        now,
    )?;
    Ok(())
}

/// Which invite a manager sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invite {
    /// Assign: 409 if the code has an assignment or claim.
    Assign,
    /// Reassign to a new email: 404 without an assignment, 409 once redeemed; the code
    /// string rotates.
    Reassign,
}

/// Assigns or reassigns `code` to `(email, name)` and queues the invite.
pub fn invite_in(
    c: &Connection,
    k: &Contract,
    code: &str,
    how: Invite,
    (email, name): (&str, &str),
    who: &Acting,
    now: DateTime<Utc>,
) -> Result<ManagerCode, B2bError> {
    let email = valid_email(email)?;
    let mut found = code_for(c, k, code)?;
    let action = match how {
        Invite::Assign => {
            if store_codes::assignment_of(c, found.discount_id)?.is_some() {
                return Err(B2bError::Conflict(
                    "Code has already been assigned or redeemed.".into(),
                ));
            }
            "b2b.assign_code"
        }
        Invite::Reassign => {
            let a = unredeemed_assignment(c, &found, "reassign")?;
            rotate(c, &mut found, now)?;
            store_codes::delete_assignment(c, a.id)?;
            "b2b.reassign_code"
        }
    };
    let out = send_invite(c, k, &found, (&email, name), who, now)?;
    audit(c, who, action, &found, &out, now)?;
    Ok(out)
}

/// Queues the invite for `found` to `(email, name)` and records the assignment; returns the
/// code's JSON.
fn send_invite(
    c: &Connection,
    k: &Contract,
    found: &Code,
    (email, name): (&str, &str),
    who: &Acting,
    now: DateTime<Utc>,
) -> Result<ManagerCode, B2bError> {
    let org =
        store::organization(c, k.organization_id)?.ok_or_else(|| B2bError::NotFound("Not found.".into()))?;
    let mail = invite(&who.attach_url, k, &org, email, name, &found.code);
    let msg = crate::mail::queue_tagged(c, now, &mail, &who.tag)?;
    store_codes::insert_assignment(
        c,
        found.discount_id,
        k.id,
        email,
        name.trim(),
        &who.actor,
        &msg,
        now,
    )?;
    Ok(code_json(
        found,
        store_codes::assignment_of(c, found.discount_id)?.as_ref(),
    ))
}

fn unredeemed_assignment(c: &Connection, found: &Code, verb: &str) -> Result<Assignment, B2bError> {
    let a = store_codes::assignment_of(c, found.discount_id)?
        .ok_or_else(|| B2bError::NotFound("No assignment exists for this code.".into()))?;
    if status_of(Some(&a)) == CodeStatus::Redeemed {
        return Err(B2bError::Conflict(format!(
            "Cannot {verb} a code that has already been redeemed."
        )));
    }
    Ok(a)
}

fn rotate(c: &Connection, found: &mut Code, now: DateTime<Utc>) -> rusqlite::Result<()> {
    found.code = codes::new_code();
    crate::commerce::discounts::store::set_discount_code(c, found.discount_id, &found.code, now)?;
    Ok(())
}

/// Revoke: the assignment goes and the code string rotates (the old one stops working).
pub fn revoke_in(
    c: &Connection,
    k: &Contract,
    code: &str,
    who: &Acting,
    now: DateTime<Utc>,
) -> Result<ManagerCode, B2bError> {
    let mut found = code_for(c, k, code)?;
    let a = unredeemed_assignment(c, &found, "revoke")?;
    store_codes::delete_assignment(c, a.id)?;
    rotate(c, &mut found, now)?;
    let out = code_json(&found, None);
    audit(c, who, "b2b.revoke_code", &found, &out, now)?;
    Ok(out)
}

/// Remind: the invite again, to the assigned email.
pub fn remind_in(
    c: &Connection,
    k: &Contract,
    code: &str,
    who: &Acting,
    now: DateTime<Utc>,
) -> Result<ManagerCode, B2bError> {
    let found = code_for(c, k, code)?;
    let a = store_codes::assignment_of(c, found.discount_id)?
        .ok_or_else(|| B2bError::NotFound("Assignment for email does not exist".into()))?;
    if status_of(Some(&a)) == CodeStatus::Redeemed {
        return Err(B2bError::Conflict(
            "Cannot send a reminder email to an already claimed assignment.".into(),
        ));
    }
    let Some(email) = a.assigned_email.clone() else {
        return Err(B2bError::Conflict(
            "Cannot send a reminder email for an assignment with no assigned email.".into(),
        ));
    };
    let org =
        store::organization(c, k.organization_id)?.ok_or_else(|| B2bError::NotFound("Not found.".into()))?;
    let name = a.assigned_name.clone().unwrap_or_default();
    let msg = crate::mail::queue_tagged(
        c,
        now,
        &invite(&who.attach_url, k, &org, &email, &name, &found.code),
        &who.tag,
    )?;
    store_codes::reminded(c, a.id, &msg, now)?;
    let out = code_json(&found, store_codes::assignment_of(c, found.discount_id)?.as_ref());
    audit(c, who, "b2b.remind_code", &found, &out, now)?;
    Ok(out)
}

fn bulk_error(email: &str, name: &str, detail: &str) -> BulkError {
    BulkError {
        email: email.to_owned(),
        name: name.to_owned(),
        detail: detail.to_owned(),
    }
}

/// Bulk assign `(email, name)` records: duplicates and emails already assigned or redeemed are
/// errors; one free code each; a code contract without a seat limit gets new one-time codes
/// when it runs out.
pub fn bulk_assign_in(
    c: &Connection,
    k: &Contract,
    records: &[(String, String)],
    who: &Acting,
    now: DateTime<Utc>,
) -> Result<BulkAssigned, B2bError> {
    let mut taken: Vec<String> = store_codes::assignments(c, k.id)?
        .iter()
        .flat_map(|a| [a.assigned_email.clone(), a.redeemed_by.clone()])
        .flatten()
        .map(|e| e.to_lowercase())
        .collect();
    let (mut assigned, mut errors) = (Vec::new(), Vec::new());
    for (email, name) in records {
        let Ok(email) = valid_email(email) else {
            errors.push(bulk_error(email, name, "Enter a valid email address."));
            continue;
        };
        if taken.contains(&email.to_lowercase()) {
            errors.push(bulk_error(
                &email,
                name,
                "Email has already been assigned or has redeemed a code.",
            ));
            continue;
        }
        let free = store_codes::codes_of_contract(c, k.id)?
            .into_iter()
            .find(|x| !x.assigned && !x.claimed && !x.used_in_order);
        let free = match free {
            Some(f) => Some(f),
            None if k.membership_type == super::model::MembershipType::Code && k.seat_limit().is_none() => {
                match store_runs::contract_products(c, k.id)?.first() {
                    Some(&product) => {
                        let id = codes::create_code(c, k, product, false, now)?;
                        store_codes::code_of_discount(c, id)?
                    }
                    None => None,
                }
            }
            None => None,
        };
        let Some(free) = free else {
            errors.push(bulk_error(&email, name, "No available code."));
            continue;
        };
        assigned.push(invite_in(
            c,
            k,
            &free.code,
            Invite::Assign,
            (&email, name),
            who,
            now,
        )?);
        taken.push(email.to_lowercase());
    }
    Ok(BulkAssigned { assigned, errors })
}

/// A sample invite (placeholder code) to `email`.
pub fn send_test_email_in(
    c: &Connection,
    k: &Contract,
    email: &str,
    who: &Acting,
    now: DateTime<Utc>,
) -> Result<(), B2bError> {
    let email = valid_email(email)?;
    let org =
        store::organization(c, k.organization_id)?.ok_or_else(|| B2bError::NotFound("Not found.".into()))?;
    crate::mail::queue_tagged(
        c,
        now,
        &invite(&who.attach_url, k, &org, &email, "", "SAMPLE-CODE"),
        &format!("{}-test", who.tag),
    )?;
    Ok(())
}
