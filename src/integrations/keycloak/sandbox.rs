//! The built-in sandbox Keycloak admin API: organizations and their members in
//! `keycloak_sandbox_*` tables.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{KcOrganization, KeycloakError};
use crate::clock::to_db;
use crate::db::{Db, DbError, from_row};

fn failed(e: DbError) -> KeycloakError {
    KeycloakError::Sandbox(e.to_string())
}

pub async fn list(db: &Db) -> Result<Vec<KcOrganization>, KeycloakError> {
    db.read(|c| -> Result<Vec<KcOrganization>, DbError> {
        Ok(c.prepare(
            "SELECT id, name, alias, description, enabled FROM keycloak_sandbox_organizations ORDER BY name",
        )?
        .query_map([], |r| {
            from_row!(
                r,
                KcOrganization {
                    id,
                    name,
                    alias,
                    description: Some,
                    enabled
                }
            )
        })?
        .collect::<rusqlite::Result<_>>()?)
    })
    .await
    .map_err(failed)
}

/// Adds a member; an unknown organization answers 404 as Keycloak does.
pub async fn add_member(db: &Db, now: DateTime<Utc>, org: &str, user: &str) -> Result<(), KeycloakError> {
    let (org, user) = (org.to_owned(), user.to_owned());
    let known = db
        .write(move |c| -> Result<bool, DbError> {
            let exists: bool = c.query_row(
                "SELECT EXISTS (SELECT 1 FROM keycloak_sandbox_organizations WHERE id = ?1)",
                [&org],
                |r| r.get(0),
            )?;
            if exists {
                c.execute(
                    "INSERT INTO keycloak_sandbox_members (organization_id, user_id, created_on) VALUES (?1, ?2, ?3)
                     ON CONFLICT DO NOTHING",
                    params![org, user, to_db(now)],
                )?;
            }
            Ok(exists)
        })
        .await
        .map_err(failed)?;
    if known {
        Ok(())
    } else {
        Err(KeycloakError::Status {
            status: 404,
            body: "Organization not found".into(),
        })
    }
}

/// Creates a sandbox organization (staff); returns it.
pub fn create(
    c: &rusqlite::Connection,
    name: &str,
    alias: &str,
    description: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<KcOrganization> {
    let id = uuid::Uuid::new_v4().to_string();
    c.execute(
        "INSERT INTO keycloak_sandbox_organizations (id, name, alias, description, created_on) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id, name, alias, description, to_db(now)],
    )?;
    Ok(KcOrganization {
        id,
        name: name.to_owned(),
        alias: alias.to_owned(),
        description: Some(description.to_owned()),
        enabled: true,
    })
}

/// The members of a sandbox organization.
pub fn members(c: &rusqlite::Connection, org: &str) -> rusqlite::Result<Vec<String>> {
    c.prepare("SELECT user_id FROM keycloak_sandbox_members WHERE organization_id = ?1 ORDER BY user_id")?
        .query_map([org], |r| r.get(0))?
        .collect()
}

/// Every sandbox organization with its members (the staff view).
pub async fn overview(db: &Db) -> Result<Vec<serde_json::Value>, DbError> {
    db.read(|c| -> Result<Vec<serde_json::Value>, DbError> {
        let orgs: Vec<(String, String, String, String)> = c
            .prepare("SELECT id, name, alias, description FROM keycloak_sandbox_organizations ORDER BY name")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<rusqlite::Result<_>>()?;
        orgs.into_iter()
            .map(|(id, name, alias, description)| {
                let members = members(c, &id)?;
                Ok(serde_json::json!({
                    "organization": { "id": id, "name": name, "alias": alias, "description": description, "enabled": true },
                    "members": members,
                }))
            })
            .collect()
    })
    .await
}

/// Creates a sandbox organization for staff, audited; `None` when the alias is taken.
pub async fn create_audited(
    db: &Db,
    now: DateTime<Utc>,
    (name, alias, description): (String, String, String),
    (actor_id, actor): (Option<i64>, String),
) -> Result<Option<KcOrganization>, DbError> {
    db.write(move |c| -> Result<Option<KcOrganization>, DbError> {
        let taken: bool = c.query_row(
            "SELECT EXISTS (SELECT 1 FROM keycloak_sandbox_organizations WHERE alias = ?1)",
            [&alias],
            |r| r.get(0),
        )?;
        if taken {
            return Ok(None);
        }
        let org = create(c, &name, &alias, &description, now)?;
        let v = serde_json::json!(org);
        crate::audit::record(
            c,
            actor_id,
            &actor,
            "keycloak_sandbox.create_organization",
            "keycloak_sandbox_organization",
            &org.id,
            None,
            Some(&v),
            now,
        )?;
        Ok(Some(org))
    })
    .await
}
