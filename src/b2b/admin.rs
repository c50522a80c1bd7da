//! Staff use cases: create organizations and contracts, add programs (provisioning their
//! runs and codes), change a contract's seats and price (codes follow), export and import a
//! contract as JSON. Every change is validated first (a 4xx naming the field, nothing stored)
//! and audited in the same transaction.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::Connection;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Value, json};

use super::error::B2bError;
use super::model::{Contract, MembershipType, Organization, slugify};
use super::provision::{self, Provisioned};
use super::{codes, store};
use crate::state::AppState;

/// A new organization as posted.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NewOrganization {
    pub name: String,
    pub slug: String,
    pub org_key: String,
    pub description: String,
    pub logo: String,
    pub sso_organization_id: String,
}

fn trimmed(s: &str) -> String {
    s.trim().to_owned()
}

/// A name of 1 to 255 characters and its slug (the given one, or the name's).
fn name_and_slug(name: &str, slug: &str) -> Result<(String, String), B2bError> {
    let name = trimmed(name);
    if name.is_empty() || name.chars().count() > 255 {
        return Err(B2bError::invalid(
            "name",
            "A name of 1 to 255 characters is required.",
        ));
    }
    let slug = slugify(if slug.trim().is_empty() { &name } else { slug });
    if slug.is_empty() {
        return Err(B2bError::invalid("slug", "The slug needs letters or digits."));
    }
    Ok((name, slug))
}

impl NewOrganization {
    /// Validates and builds the row (the slug defaults to the name's slug, the key to the slug).
    pub fn parse(&self) -> Result<Organization, B2bError> {
        let (name, slug) = name_and_slug(&self.name, &self.slug)?;
        let key = if self.org_key.trim().is_empty() {
            slug.clone()
        } else {
            trimmed(&self.org_key)
        };
        if key.len() > 30
            || !key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(B2bError::invalid(
                "org_key",
                "The key (used in edX course keys) is up to 30 letters, digits, - or _.",
            ));
        }
        let sso = trimmed(&self.sso_organization_id);
        if !sso.is_empty() && uuid::Uuid::parse_str(&sso).is_err() {
            return Err(B2bError::invalid(
                "sso_organization_id",
                "Enter a valid UUID (the Keycloak organization id).",
            ));
        }
        Ok(Organization {
            id: 0,
            name,
            slug,
            org_key: key.chars().take(30).collect(),
            org_key_prefix: "UAI_".into(),
            description: trimmed(&self.description),
            logo: trimmed(&self.logo),
            sso_organization_id: (!sso.is_empty()).then_some(sso),
        })
    }
}

/// A new contract as posted.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NewContract {
    pub name: String,
    pub slug: String,
    pub description: String,
    pub membership_type: String,
    pub contract_start: String,
    pub contract_end: String,
    pub max_learners: String,
    pub enrollment_fixed_price: String,
    pub welcome_message: String,
    pub welcome_message_extra: String,
}

fn parse_date(field: &'static str, s: &str) -> Result<Option<NaiveDate>, B2bError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| B2bError::invalid(field, "Enter a date as YYYY-MM-DD."))
}

/// The variant sets of a new contract: English, no length or industry, the default.
pub fn default_variants() -> Value {
    json!([{ "language": "en", "variant_length": "", "variant_industry": "", "default_variant": true }])
}

impl NewContract {
    pub fn parse(&self, org: i64) -> Result<Contract, B2bError> {
        let (name, slug) = name_and_slug(&self.name, &self.slug)?;
        let membership_type = MembershipType::parse(self.membership_type.trim())
            .ok_or_else(|| B2bError::invalid("membership_type", "Choose managed, code or auto."))?;
        let start = parse_date("contract_start", &self.contract_start)?;
        let end = parse_date("contract_end", &self.contract_end)?;
        if let (Some(s), Some(e)) = (start, end)
            && e < s
        {
            return Err(B2bError::invalid("contract_end", "The end is before the start."));
        }
        let max_learners = match self.max_learners.trim() {
            "" => None,
            v => Some(
                v.parse::<i64>()
                    .ok()
                    .filter(|n| (0..=1_000_000).contains(n))
                    .ok_or_else(|| {
                        B2bError::invalid("max_learners", "Enter a whole number of seats (0 = unlimited).")
                    })?,
            ),
        };
        let price = match self.enrollment_fixed_price.trim() {
            "" => None,
            v => Some(
                v.parse::<Decimal>()
                    .ok()
                    .filter(|p| !p.is_sign_negative() && p.scale() <= 2 && *p < Decimal::from(100_000))
                    .ok_or_else(|| {
                        B2bError::invalid(
                            "enrollment_fixed_price",
                            "Enter a price like 25 or 25.50 (0 = free).",
                        )
                    })?,
            ),
        };
        Ok(Contract {
            id: 0,
            organization_id: org,
            name,
            slug,
            description: trimmed(&self.description),
            welcome_message: trimmed(&self.welcome_message),
            welcome_message_extra: trimmed(&self.welcome_message_extra),
            membership_type,
            contract_start: start,
            contract_end: end,
            active: true,
            max_learners,
            enrollment_fixed_price: price,
            variant_options: default_variants(),
        })
    }
}

/// Runs `f` in one writer transaction at the clock's current time.
pub async fn write_now<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&Connection, DateTime<Utc>) -> Result<T, B2bError> + Send + 'static,
) -> Result<T, B2bError> {
    state.write_at(move |c, now| f(c, now)).await
}

fn audit(
    c: &Connection,
    actor: &str,
    action: &str,
    kind: &str,
    id: i64,
    after: &Value,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    crate::audit::record(
        c,
        None,
        actor,
        action,
        kind,
        &id.to_string(),
        None,
        Some(after),
        now,
    )?;
    Ok(())
}

pub fn create_organization_in(
    c: &Connection,
    o: &Organization,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<i64, B2bError> {
    if store::organization_by_slug(c, &o.slug)?.is_some() {
        return Err(B2bError::invalid(
            "slug",
            "An organization with this slug exists.",
        ));
    }
    if store::organizations(c)?.iter().any(|x| x.org_key == o.org_key) {
        return Err(B2bError::invalid(
            "org_key",
            "An organization with this key exists.",
        ));
    }
    if let Some(sso) = &o.sso_organization_id
        && store::organization_by_sso(c, sso)?.is_some()
    {
        return Err(B2bError::invalid(
            "sso_organization_id",
            "Another organization has this Keycloak id.",
        ));
    }
    let id = store::insert_organization(c, o, now)?;
    audit(
        c,
        actor,
        "b2b.create_organization",
        "b2b_organization",
        id,
        &json!(o),
        now,
    )?;
    Ok(id)
}

pub async fn create_organization(
    state: &AppState,
    input: NewOrganization,
    actor: String,
) -> Result<i64, B2bError> {
    let o = input.parse()?;
    write_now(state, move |c, now| create_organization_in(c, &o, &actor, now)).await
}

pub fn create_contract_in(
    c: &Connection,
    k: &Contract,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<i64, B2bError> {
    if store::organization(c, k.organization_id)?.is_none() {
        return Err(B2bError::NotFound("No such organization.".into()));
    }
    if store::contract_by_slug(c, &k.slug)?.is_some() {
        return Err(B2bError::invalid("slug", "A contract with this slug exists."));
    }
    let id = store::insert_contract(c, k, now)?;
    audit(
        c,
        actor,
        "b2b.create_contract",
        "b2b_contract",
        id,
        &json!(k),
        now,
    )?;
    Ok(id)
}

pub async fn create_contract(
    state: &AppState,
    org: i64,
    input: NewContract,
    actor: String,
) -> Result<i64, B2bError> {
    let k = input.parse(org)?;
    write_now(state, move |c, now| create_contract_in(c, &k, &actor, now)).await
}

/// Adds a program (by id or readable id) to a contract and provisions its runs and codes.
pub fn add_program_in(
    c: &Connection,
    contract: i64,
    program: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Provisioned, B2bError> {
    let k = store::contract(c, contract)?.ok_or_else(|| B2bError::NotFound("No such contract.".into()))?;
    let pid = match program.trim().parse::<i64>() {
        Ok(id) => crate::catalog::service::program_live(c, id)?.map(|_| id),
        Err(_) => crate::catalog::service::program_by_readable(c, program.trim())?.map(|(id, _)| id),
    }
    .ok_or_else(|| B2bError::invalid("program", "No program has this id or readable id."))?;
    let (added, done) = provision::add_program(c, &k, pid, now)?;
    let after = json!({ "program_id": pid, "added": added, "provisioned": done });
    audit(c, actor, "b2b.add_program", "b2b_contract", contract, &after, now)?;
    Ok(done)
}

pub async fn add_program(
    state: &AppState,
    contract: i64,
    program: String,
    actor: String,
) -> Result<Provisioned, B2bError> {
    let out = write_now(state, move |c, now| {
        add_program_in(c, contract, &program, &actor, now)
    })
    .await?;
    state.outbox.wake();
    Ok(out)
}

/// Re-runs the code rules for a contract (after seats or price changed).
pub async fn refresh_codes(
    state: &AppState,
    contract: i64,
    actor: String,
) -> Result<codes::CodeChanges, B2bError> {
    write_now(state, move |c, now| -> Result<codes::CodeChanges, B2bError> {
        let k =
            store::contract(c, contract)?.ok_or_else(|| B2bError::NotFound("No such contract.".into()))?;
        let done = codes::ensure_codes(c, &k, now)?;
        audit(
            c,
            &actor,
            "b2b.ensure_codes",
            "b2b_contract",
            contract,
            &json!(done),
            now,
        )?;
        Ok(done)
    })
    .await
}
