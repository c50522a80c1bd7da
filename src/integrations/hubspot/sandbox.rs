//! The built-in sandbox CRM: objects and associations in `hubspot_sandbox_*` tables, answering
//! like the CRM v3 endpoints the client uses (search by one property, create, update — an
//! unknown id is 404, a second contact with one email 409 —, default associations). Objects
//! get numeric ids as HubSpot's do.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Value, json};

use super::{HubspotError, ObjectType, Properties};
use crate::clock::to_db;
use crate::db::Db;

fn local(e: rusqlite::Error) -> HubspotError {
    HubspotError::Local(e.to_string())
}

fn not_found(t: ObjectType, id: &str) -> HubspotError {
    HubspotError::Status {
        status: 404,
        retry_after: None,
        body: format!("{} {id} not found", t.as_str()),
    }
}

/// The outage staff switched on for the sandbox CRM ([`crate::integrations::sandbox_faults`]),
/// met as the real client would meet it; nonsense answers are the client's decode error.
pub async fn fault(db: &Db, now: DateTime<Utc>) -> Result<(), HubspotError> {
    use crate::integrations::sandbox_faults::{Fault, SLOW, active};
    let fault = db
        .read(move |c| Ok::<_, HubspotError>(active(c, "hubspot", now)?))
        .await?;
    let status = |status: u16, retry_after: Option<&str>, body: &str| HubspotError::Status {
        status,
        retry_after: retry_after.map(str::to_owned),
        body: body.to_owned(),
    };
    match fault.map(|f| f.0) {
        None => Ok(()),
        Some(Fault::Slow) => {
            tokio::time::sleep(SLOW).await;
            Ok(())
        }
        Some(Fault::Down) => Err(HubspotError::Transport(
            "connection refused (the sandbox is down on purpose)".into(),
        )),
        Some(Fault::Error) => Err(status(500, None, "sandbox fault: failing")),
        Some(Fault::Throttle) => Err(status(429, Some("5"), "slow down")),
        Some(Fault::Garbage) => Err(HubspotError::Decode(
            "a 200 with an HTML page (the sandbox answering nonsense on purpose)".into(),
        )),
    }
}

pub async fn search(
    db: &Db,
    t: ObjectType,
    property: &str,
    value: &str,
) -> Result<Option<String>, HubspotError> {
    let (path, value) = (format!("$.\"{}\"", property.replace('"', "")), value.to_owned());
    db.read(move |c| {
        c.query_row(
            "SELECT id FROM hubspot_sandbox_objects WHERE object_type = ?1 AND json_extract(properties, ?2) = ?3
             ORDER BY id LIMIT 1",
            params![t.as_str(), path, value],
            |r| r.get::<_, i64>(0),
        )
        .optional()
    })
    .await
    .map(|id| id.map(|i| i.to_string()))
    .map_err(local)
}

/// Creates an object; a second contact with an email already there is a 409 naming the first,
/// as HubSpot answers.
pub async fn create(
    db: &Db,
    now: DateTime<Utc>,
    t: ObjectType,
    props: &Properties,
) -> Result<String, HubspotError> {
    if t == ObjectType::Contacts
        && let Some(email) = props.get("email").and_then(Value::as_str)
        && let Some(existing) = search(db, t, "email", email).await?
    {
        return Err(HubspotError::Status {
            status: 409,
            retry_after: None,
            body: format!("Contact already exists. Existing ID: {existing}"),
        });
    }
    let body = Value::Object(props.clone()).to_string();
    db.write(move |c| {
        c.execute(
            "INSERT INTO hubspot_sandbox_objects (object_type, properties, created_on, updated_on) VALUES (?1, ?2, ?3, ?3)",
            params![t.as_str(), body, to_db(now)],
        )?;
        Ok(c.last_insert_rowid().to_string())
    })
    .await
    .map_err(local)
}

/// Merges `props` into the object's properties, as a PATCH does.
pub async fn update(
    db: &Db,
    now: DateTime<Utc>,
    t: ObjectType,
    id: &str,
    props: &Properties,
) -> Result<(), HubspotError> {
    let Ok(key) = id.parse::<i64>() else {
        return Err(not_found(t, id));
    };
    let body = Value::Object(props.clone()).to_string();
    let n = db
        .write(move |c| {
            c.execute(
                "UPDATE hubspot_sandbox_objects SET properties = json_patch(properties, ?3), updated_on = ?4
                 WHERE id = ?1 AND object_type = ?2",
                params![key, t.as_str(), body, to_db(now)],
            )
        })
        .await
        .map_err(local)?;
    if n == 1 { Ok(()) } else { Err(not_found(t, id)) }
}

pub async fn associate(
    db: &Db,
    from: (ObjectType, &str),
    to: (ObjectType, &str),
) -> Result<(), HubspotError> {
    let (Ok(a), Ok(b)) = (from.1.parse::<i64>(), to.1.parse::<i64>()) else {
        return Err(not_found(from.0, from.1));
    };
    let (ft, tt) = (from.0.as_str(), to.0.as_str());
    let n = db
        .write(move |c| {
            c.execute(
                "INSERT INTO hubspot_sandbox_associations (from_type, from_id, to_type, to_id)
                 SELECT ?1, ?2, ?3, ?4 WHERE (SELECT count(*) FROM hubspot_sandbox_objects
                                             WHERE (id = ?2 AND object_type = ?1) OR (id = ?4 AND object_type = ?3)) = 2
                 ON CONFLICT DO NOTHING",
                params![ft, a, tt, b],
            )?;
            c.query_row(
                "SELECT count(*) FROM hubspot_sandbox_associations WHERE from_type = ?1 AND from_id = ?2 AND to_type = ?3 AND to_id = ?4",
                params![ft, a, tt, b],
                |r| r.get::<_, i64>(0),
            )
        })
        .await
        .map_err(local)?;
    if n == 1 {
        Ok(())
    } else {
        Err(not_found(from.0, from.1))
    }
}

/// Every sandbox object of a type, newest first, with the ids it is associated to (staff view).
pub fn objects(c: &Connection, t: ObjectType, limit: i64) -> rusqlite::Result<Vec<Value>> {
    c.prepare(
        "SELECT o.id, o.properties, o.updated_on,
                (SELECT group_concat(a.to_type || ' ' || a.to_id, ', ') FROM hubspot_sandbox_associations a
                  WHERE a.from_id = o.id AND a.from_type = o.object_type)
         FROM hubspot_sandbox_objects o WHERE o.object_type = ?1 ORDER BY o.id DESC LIMIT ?2",
    )?
    .query_map(params![t.as_str(), limit], |r| {
        let props: String = r.get(1)?;
        Ok(json!({
            "id": r.get::<_, i64>(0)?.to_string(),
            "properties": serde_json::from_str::<Value>(&props).unwrap_or(Value::Null),
            "updatedAt": r.get::<_, String>(2)?,
            "associations": r.get::<_, Option<String>>(3)?.unwrap_or_default(),
        }))
    })?
    .collect()
}
