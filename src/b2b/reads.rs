//! Read-only B2B use cases behind the public JSON: organizations and active contracts, a
//! contract's variant runs, and who may see a contract.

use serde_json::{Value, json};

use super::error::B2bError;
use super::model::Contract;
use super::{shapes, store, store_runs};
use crate::catalog::snapshot::Catalog;
use crate::state::AppState;
use crate::users::store::User;

/// The row with `slug` (if any), or every row.
fn slug_or_all<T>(
    slug: Option<&str>,
    one: impl FnOnce(&str) -> rusqlite::Result<Option<T>>,
    every: impl FnOnce() -> rusqlite::Result<Vec<T>>,
) -> rusqlite::Result<Vec<T>> {
    match slug {
        Some(s) => Ok(one(s)?.into_iter().collect()),
        None => every(),
    }
}

/// Organizations (all, or the one with `slug`) with their active contracts.
pub async fn organizations(
    state: &AppState,
    slug: Option<String>,
) -> Result<Vec<super::shapes::OrganizationShape>, B2bError> {
    let now = state.clock.now();
    Ok(state
        .db
        .read(
            move |c| -> rusqlite::Result<Vec<super::shapes::OrganizationShape>> {
                let orgs = slug_or_all(
                    slug.as_deref(),
                    |s| store::organization_by_slug(c, s),
                    || store::organizations(c),
                )?;
                let mut out = Vec::new();
                for o in orgs {
                    let active: Vec<Contract> = store::contracts(c, Some(o.id))?
                        .into_iter()
                        .filter(|k| k.is_active(now))
                        .collect();
                    out.push(shapes::organization(c, &o, &active)?);
                }
                Ok(out)
            },
        )
        .await?)
}

/// Active contracts (all, or the one with `slug`).
pub async fn contracts(
    state: &AppState,
    slug: Option<String>,
) -> Result<Vec<super::shapes::ContractShape>, B2bError> {
    let now = state.clock.now();
    Ok(state
        .db
        .read(move |c| -> rusqlite::Result<Vec<super::shapes::ContractShape>> {
            slug_or_all(
                slug.as_deref(),
                |s| store::contract_by_slug(c, s),
                || store::contracts(c, None),
            )?
            .iter()
            .filter(|k| k.is_active(now))
            .map(|k| shapes::contract(c, k))
            .collect()
        })
        .await?)
}

/// Whether the user may see the contract's runs: attached, or a superuser.
pub async fn may_see_contract(state: &AppState, user: &User, contract: i64) -> Result<bool, B2bError> {
    let (uid, root) = (user.id, user.is_superuser);
    Ok(state
        .db
        .read(move |c| -> rusqlite::Result<bool> {
            Ok(store::contract(c, contract)?.is_some() && (root || store::is_attached(c, uid, contract)?))
        })
        .await?)
}

/// Whether a run matches one of the contract's variant sets (`variant_options`: objects with
/// `language`, `variant_length`, `variant_industry`, `default_variant`). No default set: none.
pub fn matches_variants(options: &Value, lang: &str, length: &str, industry: &str) -> bool {
    let Some(list) = options.as_array() else {
        return false;
    };
    if !list.iter().any(|o| o["default_variant"].as_bool() == Some(true)) {
        return false;
    }
    list.iter().any(|o| {
        o["language"].as_str().unwrap_or("en") == lang
            && o["variant_length"].as_str().unwrap_or("") == length
            && o["variant_industry"].as_str().unwrap_or("") == industry
    })
}

/// The run ids and variant sets of an active contract (by slug or id), for a member or a
/// superuser; 400 "Invalid contract specified." otherwise, as the original.
pub async fn contract_runs(
    state: &AppState,
    user: &User,
    key: String,
) -> Result<(Vec<i64>, Value), B2bError> {
    let now = state.clock.now();
    let (uid, root) = (user.id, user.is_superuser);
    let invalid = || B2bError::invalid("contract", "Invalid contract specified.");
    state
        .db
        .read(move |c| -> Result<(Vec<i64>, Value), B2bError> {
            let k = match key.parse::<i64>() {
                Ok(id) => store::contract(c, id)?,
                Err(_) => store::contract_by_slug(c, &key)?,
            }
            .filter(|k| k.is_active(now))
            .ok_or_else(invalid)?;
            if !root && !store::is_attached(c, uid, k.id)? {
                return Err(invalid());
            }
            let runs = store_runs::runs_of_contract(c, k.id)?
                .iter()
                .map(|r| r.run_id)
                .collect();
            Ok((runs, k.variant_options))
        })
        .await
}

/// What the catalog's v2 run shape adds to `BaseCourseRun` (the variant-run endpoints answer
/// `BaseCourseRun`s, per the original's schema).
const NOT_BASE: [&str; 3] = ["products", "approved_flexible_price_exists", "b2b_contract"];

/// `BaseCourseRun` shapes of the runs, from the catalog snapshot.
pub fn run_shapes(state: &AppState, cat: &Catalog, runs: &[i64]) -> Vec<Value> {
    let edx = crate::catalog::api::edx_base(state);
    let public_url = state.config.public_url.as_str().to_owned();
    let cx = crate::catalog::shapes::Ctx {
        now: state.clock.now(),
        public_url: &public_url,
        edx_base: &edx,
        learner: None,
    };
    runs.iter()
        .filter_map(|id| cat.run_by_id.get(id).map(|&i| &cat.runs[i]))
        .map(|r| {
            let mut v = json!(crate::catalog::shapes::run(cat, r, &cx, true));
            if let Some(o) = v.as_object_mut() {
                for k in NOT_BASE {
                    o.remove(k);
                }
            }
            v
        })
        .collect()
}
