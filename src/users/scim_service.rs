//! What Keycloak's SCIM pushes do, in plain values: the handlers in `scim_api` check the
//! caller and parse the body, then call these. Each returns the SCIM resource (or list or bulk
//! response) to send, or a [`ScimError`].

use serde_json::{Value, json};

use super::scim::{self, BULK_RESPONSE_SCHEMA, Inbound, LIST_SCHEMA, ScimError};
use super::{profiles, store};
use crate::state::AppState;

/// The most operations one bulk request may carry.
pub const MAX_BULK_OPERATIONS: usize = 1000;

fn location(state: &AppState, id: i64) -> String {
    state.config.absolute_url(&format!("/scim/v2/Users/{id}"))
}

async fn resource_of(state: &AppState, u: store::User) -> Result<Value, ScimError> {
    let id = u.id;
    let a = state.db.read(move |c| profiles::address(c, id)).await?;
    Ok(scim::resource(&u, a.as_ref(), &location(state, id)))
}

/// A list response: the users matching `filter`, from the 1-based `start`, at most `count`.
pub async fn search(
    state: &AppState,
    filter: Option<String>,
    start: i64,
    count: i64,
) -> Result<Value, ScimError> {
    let (rows, total) = state
        .db
        .read(move |c| scim::search(c, filter.as_deref(), start, count))
        .await?;
    let resources: Vec<Value> = rows
        .iter()
        .map(|(u, a)| scim::resource(u, a.as_ref(), &location(state, u.id)))
        .collect();
    Ok(json!({
        "schemas": [LIST_SCHEMA], "totalResults": total, "itemsPerPage": resources.len(),
        "startIndex": start.max(1), "Resources": resources,
    }))
}

pub async fn create(state: &AppState, i: Inbound) -> Result<Value, ScimError> {
    let u = state.write_at(move |c, now| scim::create(c, &i, now)).await?;
    resource_of(state, u).await
}

pub async fn get(state: &AppState, id: i64) -> Result<Value, ScimError> {
    let u = state
        .db
        .read(move |c| store::find_by_id(c, id))
        .await?
        .ok_or_else(ScimError::not_found)?;
    resource_of(state, u).await
}

pub async fn replace(state: &AppState, id: i64, i: Inbound) -> Result<Value, ScimError> {
    let u = state.write_at(move |c, now| scim::update(c, id, &i, now)).await?;
    resource_of(state, u).await
}

pub async fn patch(state: &AppState, id: i64, body: Value) -> Result<Value, ScimError> {
    let u = state
        .write_at(move |c, now| scim::patch(c, id, &body, now))
        .await?;
    resource_of(state, u).await
}

fn deactivated() -> Inbound {
    Inbound {
        active: Some(false),
        ..Inbound::default()
    }
}

/// DELETE deactivates (as the original), ending the user's sessions.
pub async fn deactivate(state: &AppState, id: i64) -> Result<(), ScimError> {
    state
        .write_at(move |c, now| scim::update(c, id, &deactivated(), now))
        .await?;
    Ok(())
}

/// The user id in a SCIM path segment; anything else is an unknown user.
pub fn user_id(raw: &str) -> Result<i64, ScimError> {
    raw.parse().map_err(|_| ScimError::not_found())
}

/// Runs one bulk operation inside the bulk's transaction; returns (status, location).
fn bulk_op(
    c: &rusqlite::Connection,
    op: &Value,
    now: chrono::DateTime<chrono::Utc>,
    base: &str,
) -> Result<(u16, Option<String>), ScimError> {
    let method = op
        .get("method")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_ascii_uppercase();
    let path = op.get("path").and_then(Value::as_str).unwrap_or("");
    let data = op.get("data").cloned().unwrap_or(Value::Null);
    let loc = |id: i64| Some(format!("{base}/scim/v2/Users/{id}"));
    let target = || {
        path.strip_prefix("/Users/")
            .ok_or_else(|| ScimError::invalid(format!("bad path {path:?}")))
            .and_then(user_id)
    };
    // Each operation runs in its own savepoint, so a failed one leaves no trace.
    c.execute_batch("SAVEPOINT scim_bulk_op")?;
    let sp = c;
    let result = match (method.as_str(), path) {
        ("POST", "/Users") => scim::inbound(&data)
            .and_then(|i| scim::create(sp, &i, now))
            .map(|u| (201, loc(u.id))),
        ("PUT", _) => {
            target().and_then(|id| scim::update(sp, id, &scim::inbound(&data)?, now).map(|_| (200, loc(id))))
        }
        ("PATCH", _) => target().and_then(|id| scim::patch(sp, id, &data, now).map(|_| (200, loc(id)))),
        ("DELETE", _) => {
            target().and_then(|id| scim::update(sp, id, &deactivated(), now).map(|_| (204, None)))
        }
        _ => Err(ScimError::invalid(format!(
            "unsupported operation {method} {path}"
        ))),
    };
    if result.is_ok() {
        c.execute_batch("RELEASE scim_bulk_op")?;
    } else {
        c.execute_batch("ROLLBACK TO scim_bulk_op; RELEASE scim_bulk_op")?;
    }
    result
}

/// A bulk request's `Operations`, all in one transaction, each in its own savepoint; the
/// bulk response lists each operation's outcome.
pub async fn bulk(state: &AppState, body: &Value) -> Result<Value, ScimError> {
    let ops = body
        .get("Operations")
        .and_then(Value::as_array)
        .cloned()
        .ok_or_else(|| ScimError::invalid("Operations is required"))?;
    if ops.len() > MAX_BULK_OPERATIONS {
        return Err(ScimError {
            status: 413,
            scim_type: None,
            detail: format!("at most {MAX_BULK_OPERATIONS} operations"),
        });
    }
    let base = state.config.absolute_url("");
    let results = state
        .write_at(move |c, now| {
            let mut out = Vec::new();
            for op in &ops {
                let method = op.get("method").cloned().unwrap_or(Value::Null);
                let bulk_id = op.get("bulkId").cloned().unwrap_or(Value::Null);
                let entry = match bulk_op(c, op, now, &base) {
                    Ok((status, location)) => json!({"method": method, "bulkId": bulk_id, "location": location, "status": status.to_string()}),
                    Err(e) if e.status == 500 => return Err(e),
                    Err(e) => json!({"method": method, "bulkId": bulk_id, "status": e.status.to_string(), "response": e.body()}),
                };
                out.push(entry);
            }
            Ok::<_, ScimError>(out)
        })
        .await?;
    Ok(json!({"schemas": [BULK_RESPONSE_SCHEMA], "Operations": results}))
}
