//! Keycloak is authoritative for organization membership (surface §5.1).
//!
//! - [`reconcile`]: the `X-Userinfo` `organization` map, on sign-in and then at most once a
//!   minute per user (not on every request): memberships of listed organizations are added
//!   (with the organization's active auto/managed contracts attached) and marked seen;
//!   memberships of Keycloak organizations the header no longer lists are removed (with those
//!   contracts) unless `keep_until_seen` (a local join Keycloak has not reported yet).
//! - [`sync_organizations`]: the daily `sync-keycloak` job upserts organizations from the
//!   Keycloak admin API (new: name, alias as key and slug, description; existing: name and
//!   description; the key never changes).

use chrono::{DateTime, Duration, Utc};
use rusqlite::Connection;

use super::error::B2bError;
use super::model::{Organization, slugify};
use super::{service, store};
use crate::integrations::keycloak::KcOrganization;
use crate::state::AppState;
use crate::users::store::User;

/// How often a user's header is reconciled after sign-in.
pub const RECONCILE_EVERY: Duration = Duration::seconds(60);

/// What one reconciliation changed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Reconciled {
    pub added: Vec<i64>,
    pub removed: Vec<i64>,
    pub contracts_attached: usize,
    pub contracts_removed: usize,
}

/// The reconciliation itself, in the caller's transaction.
pub fn reconcile_in(
    c: &Connection,
    user: &User,
    sso_ids: &[String],
    now: DateTime<Utc>,
) -> rusqlite::Result<Reconciled> {
    let mut out = Reconciled::default();
    let mine = store::memberships(c, user.id)?;
    for sso in sso_ids {
        let Some(org) = store::organization_by_sso(c, sso)? else {
            continue;
        };
        if mine.iter().any(|(o, _, _)| *o == org.id) {
            store::mark_seen(c, user.id, org.id)?;
            continue;
        }
        store::add_membership(c, user.id, org.id, false, now)?;
        for k in service::auto_contracts(c, org.id, now)? {
            if store::attach(c, user.id, k.id, now)? {
                out.contracts_attached += 1;
            }
        }
        out.added.push(org.id);
    }
    for (org_id, keep, _) in mine {
        let Some(org) = store::organization(c, org_id)? else {
            continue;
        };
        let Some(sso) = &org.sso_organization_id else {
            continue;
        };
        if keep || sso_ids.contains(sso) {
            continue;
        }
        for k in service::auto_contracts(c, org_id, now)? {
            if store::detach(c, user.id, k.id)? {
                out.contracts_removed += 1;
            }
        }
        store::remove_membership(c, user.id, org_id)?;
        out.removed.push(org_id);
    }
    store::set_synced(c, user.id, now)?;
    Ok(out)
}

/// Reconciles when `signed_in` (a new session) or when the last reconciliation is older than
/// [`RECONCILE_EVERY`]; otherwise one read and nothing else.
pub async fn reconcile(
    state: &AppState,
    user: &User,
    sso_ids: &[String],
    signed_in: bool,
) -> Result<Option<Reconciled>, B2bError> {
    let now = state.clock.now();
    let uid = user.id;
    if !signed_in {
        let last = state.db.read(move |c| store::last_sync(c, uid)).await?;
        if last
            .as_deref()
            .and_then(crate::clock::from_db)
            .is_some_and(|t| now - t < RECONCILE_EVERY)
        {
            return Ok(None);
        }
    }
    let user = user.clone();
    let ids = sso_ids.to_vec();
    let done = state.db.write(move |c| reconcile_in(c, &user, &ids, now)).await?;
    Ok(Some(done))
}

/// Upserts organizations listed by Keycloak; returns (created, updated).
pub fn sync_organizations_in(
    c: &Connection,
    orgs: &[KcOrganization],
    now: DateTime<Utc>,
) -> Result<(usize, usize), B2bError> {
    let (mut created, mut updated) = (0, 0);
    for kc in orgs {
        let description = kc.description.clone().unwrap_or_default();
        match store::organization_by_sso(c, &kc.id)? {
            Some(o) => {
                if store::update_organization_text(c, o.id, &kc.name, &description, now)? > 0 {
                    updated += 1;
                }
            }
            None => {
                let alias = if kc.alias.trim().is_empty() {
                    kc.name.as_str()
                } else {
                    kc.alias.as_str()
                };
                let key: String = alias
                    .chars()
                    .filter(|ch| ch.is_ascii_alphanumeric() || *ch == '-' || *ch == '_')
                    .take(30)
                    .collect();
                let mut slug = slugify(alias);
                if slug.is_empty() || store::organization_by_slug(c, &slug)?.is_some() {
                    let short: String = kc
                        .id
                        .chars()
                        .filter(char::is_ascii_alphanumeric)
                        .take(8)
                        .collect();
                    slug = format!("{}-{short}", if slug.is_empty() { "org" } else { slug.as_str() });
                }
                let key = if key.is_empty() || store::organizations(c)?.iter().any(|o| o.org_key == key) {
                    kc.id
                        .chars()
                        .filter(char::is_ascii_alphanumeric)
                        .take(30)
                        .collect()
                } else {
                    key
                };
                let o = Organization {
                    id: 0,
                    name: kc.name.clone(),
                    slug,
                    org_key: key,
                    org_key_prefix: "UAI_".into(),
                    description,
                    logo: String::new(),
                    sso_organization_id: Some(kc.id.clone()),
                };
                super::admin::create_organization_in(c, &o, "sync-keycloak", now)?;
                created += 1;
            }
        }
    }
    Ok((created, updated))
}

/// The `sync-keycloak` job: lists Keycloak's organizations and upserts them.
pub async fn sync_organizations(state: &AppState) -> anyhow::Result<String> {
    let admin = crate::integrations::keycloak::KeycloakAdmin::from_state(state);
    let orgs = admin.list_organizations().await?;
    let n = orgs.len();
    let (created, updated) = state
        .write_at(move |c, now| sync_organizations_in(c, &orgs, now))
        .await?;
    Ok(format!(
        "{n} Keycloak organizations: {created} created, {updated} updated"
    ))
}
