//! SCIM 2.0 users (what Keycloak pushes, as the original's mitol-django-scim adapter maps
//! them): `externalId` ↔ `global_id`, `userName` ↔ username, primary email, `fullName` ↔ name,
//! `name.givenName/familyName` ↔ legal-address first/last name, `active`. Filters of the
//! form `attr eq "value"` joined by `or`. No axum here: `scim_api` serves it.

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde_json::{Value, json};

use super::model::LegalAddress;
use super::rules;
use super::store::{self, NewUser, User};
use super::{profiles, sessions};
use crate::clock::from_db;

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const BULK_RESPONSE_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// A SCIM failure: HTTP status, `scimType`, detail.
#[derive(Debug)]
pub struct ScimError {
    pub status: u16,
    pub scim_type: Option<&'static str>,
    pub detail: String,
}

impl ScimError {
    pub fn invalid(detail: impl Into<String>) -> Self {
        ScimError {
            status: 400,
            scim_type: Some("invalidValue"),
            detail: detail.into(),
        }
    }
    pub fn not_found() -> Self {
        ScimError {
            status: 404,
            scim_type: None,
            detail: "Resource not found".into(),
        }
    }
    pub fn body(&self) -> Value {
        let mut v =
            json!({"schemas": [ERROR_SCHEMA], "status": self.status.to_string(), "detail": self.detail});
        if let Some(t) = self.scim_type {
            v["scimType"] = json!(t);
        }
        v
    }
}

impl From<rusqlite::Error> for ScimError {
    fn from(e: rusqlite::Error) -> Self {
        tracing::error!(error = %e, "SCIM storage error");
        ScimError {
            status: 500,
            scim_type: None,
            detail: "Internal error".into(),
        }
    }
}

fn millis(s: &str) -> String {
    from_db(s).map_or_else(
        || s.to_owned(),
        |t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    )
}

/// The SCIM resource of a user.
pub fn resource(u: &User, a: Option<&LegalAddress>, location: &str) -> Value {
    let mut v = json!({
        "schemas": [USER_SCHEMA],
        "id": u.id.to_string(),
        "externalId": u.global_id,
        "userName": u.username,
        "fullName": u.name,
        "displayName": u.name,
        "emails": [{"value": u.email.to_lowercase(), "primary": true}],
        "active": u.is_active,
        "groups": [],
        "meta": {"resourceType": "User", "created": millis(&u.created_on), "lastModified": millis(&u.updated_on), "location": location},
    });
    if let Some(a) = a.filter(|a| !a.first_name.is_empty() && !a.last_name.is_empty()) {
        v["name"] = json!({"givenName": a.first_name, "familyName": a.last_name});
    }
    v
}

/// Inbound fields; `None` means "not sent".
#[derive(Debug, Default)]
pub struct Inbound {
    pub external_id: Option<String>,
    pub user_name: Option<String>,
    pub email: Option<String>,
    pub full_name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub active: Option<bool>,
}

fn text(v: &Value, key: &str) -> Result<Option<String>, ScimError> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
        Some(_) => Err(ScimError::invalid(format!("{key} must be a string"))),
    }
}

/// Reads a User resource (POST/PUT body, or a PATCH value object).
pub fn inbound(v: &Value) -> Result<Inbound, ScimError> {
    if !v.is_object() {
        return Err(ScimError::invalid("the body must be a JSON object"));
    }
    let email = match v.get("emails") {
        Some(Value::Array(list)) => {
            let primary = list
                .iter()
                .find(|e| e.get("primary") == Some(&Value::Bool(true)))
                .or_else(|| list.first());
            primary.map(|e| text(e, "value")).transpose()?.flatten()
        }
        None | Some(Value::Null) => None,
        Some(_) => return Err(ScimError::invalid("emails must be a list")),
    };
    let name = v.get("name").cloned().unwrap_or(Value::Null);
    let active = match v.get("active") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Some(true),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Some(false),
        Some(_) => return Err(ScimError::invalid("active must be a boolean")),
    };
    let i = Inbound {
        external_id: text(v, "externalId")?,
        user_name: text(v, "userName")?,
        email,
        full_name: text(v, "fullName")?.or(text(v, "displayName")?),
        given_name: text(&name, "givenName")?.or(text(v, "givenName")?),
        family_name: text(&name, "familyName")?.or(text(v, "familyName")?),
        active,
    };
    if let Some(e) = &i.email {
        rules::validate_email(e).map_err(ScimError::invalid)?;
    }
    if i.external_id.as_ref().is_some_and(|x| x.chars().count() > 36) {
        return Err(ScimError::invalid("externalId must be at most 36 characters"));
    }
    if i.user_name
        .as_ref()
        .is_some_and(|u| u.is_empty() || u.chars().count() > 500)
    {
        return Err(ScimError::invalid("userName must have 1 to 500 characters"));
    }
    Ok(i)
}

fn conflict(detail: &str) -> ScimError {
    ScimError {
        status: 409,
        scim_type: Some("uniqueness"),
        detail: detail.into(),
    }
}

/// Creates a user from a SCIM resource.
pub fn create(c: &Connection, i: &Inbound, now: DateTime<Utc>) -> Result<User, ScimError> {
    let email = i
        .email
        .clone()
        .ok_or_else(|| ScimError::invalid("emails: a primary email is required"))?;
    if store::find_by_email(c, &email)?.is_some() {
        return Err(conflict("A user with this email already exists"));
    }
    let username = match &i.user_name {
        Some(u) if store::find_by_username(c, u)?.is_some() => {
            return Err(conflict("A user with this userName already exists"));
        }
        Some(u) => u.clone(),
        None => store::free_username(c, &email)?,
    };
    if let Some(x) = &i.external_id
        && store::find_by_global_id(c, x)?.is_some()
    {
        return Err(conflict("A user with this externalId already exists"));
    }
    let id = store::insert(
        c,
        &NewUser {
            email,
            username,
            name: i.full_name.clone().unwrap_or_default(),
            ..NewUser::default()
        },
        now,
    )?;
    profiles::ensure_rows(c, id)?;
    crate::integrations::hubspot::contact(c, now, id, "created")?;
    update(c, id, i, now)
}

/// Applies the fields that were sent to an existing user.
pub fn update(c: &Connection, id: i64, i: &Inbound, now: DateTime<Utc>) -> Result<User, ScimError> {
    let user = store::find_by_id(c, id)?.ok_or_else(ScimError::not_found)?;
    if let Some(e) = &i.email
        && !e.eq_ignore_ascii_case(&user.email)
    {
        if store::find_by_email(c, e)?.is_some() {
            return Err(conflict("A user with this email already exists"));
        }
        store::set_email(c, id, e, now)?;
    }
    if let Some(u) = &i.user_name
        && u != &user.username
    {
        if store::find_by_username(c, u)?.is_some() {
            return Err(conflict("A user with this userName already exists"));
        }
        store::set_username(c, id, u, now)?;
    }
    if let Some(n) = &i.full_name {
        store::set_name(c, id, n, now)?;
    }
    if let Some(x) = &i.external_id
        && user.global_id.as_deref() != Some(x.as_str())
    {
        if store::find_by_global_id(c, x)?.is_some() {
            return Err(conflict("A user with this externalId already exists"));
        }
        c.execute(
            "UPDATE users SET global_id = ?2 WHERE id = ?1",
            rusqlite::params![id, x],
        )?;
    }
    if i.given_name.is_some() || i.family_name.is_some() {
        let mut a = profiles::address(c, id)?.unwrap_or_default();
        if let Some(g) = &i.given_name {
            a.first_name = g.chars().take(60).collect();
        }
        if let Some(f) = &i.family_name {
            a.last_name = f.chars().take(60).collect();
        }
        profiles::save_address(c, id, &a)?;
    }
    if let Some(active) = i.active {
        store::set_active(c, id, active, now)?;
        if !active {
            sessions::revoke_all(c, id, None, now)?;
        }
    }
    store::find_by_id(c, id)?.ok_or_else(ScimError::not_found)
}

/// Applies a PatchOp body (`replace`/`add` with a path or a value object; `remove` is refused).
pub fn patch(c: &Connection, id: i64, body: &Value, now: DateTime<Utc>) -> Result<User, ScimError> {
    let ops = body
        .get("Operations")
        .and_then(Value::as_array)
        .ok_or_else(|| ScimError::invalid("Operations is required"))?;
    let mut user = store::find_by_id(c, id)?.ok_or_else(ScimError::not_found)?;
    for op in ops {
        let kind = op
            .get("op")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_ascii_lowercase();
        if kind != "replace" && kind != "add" {
            return Err(ScimError::invalid(format!("unsupported op {kind:?}")));
        }
        let value = op.get("value").cloned().unwrap_or(Value::Null);
        let resource = match op.get("path").and_then(Value::as_str) {
            None => value,
            Some("name.givenName") => json!({"name": {"givenName": value}}),
            Some("name.familyName") => json!({"name": {"familyName": value}}),
            Some("emails") => json!({"emails": value}),
            Some(p @ ("active" | "userName" | "externalId" | "fullName" | "displayName")) => {
                json!({ p: value })
            }
            Some(p) => {
                return Err(ScimError {
                    status: 400,
                    scim_type: Some("invalidPath"),
                    detail: format!("unsupported path {p}"),
                });
            }
        };
        user = update(c, id, &inbound(&resource)?, now)?;
    }
    Ok(user)
}

/// A user and their legal address.
pub type UserWithAddress = (User, Option<LegalAddress>);

/// `attr eq "value"` clauses joined by `or`.
pub fn parse_filter(filter: &str) -> Result<Vec<(String, String)>, ScimError> {
    let mut out = Vec::new();
    for clause in filter.split(" or ") {
        let clause = clause.trim().trim_start_matches('(').trim_end_matches(')');
        let mut parts = clause.splitn(3, ' ');
        let (Some(attr), Some(op), Some(value)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(ScimError {
                status: 400,
                scim_type: Some("invalidFilter"),
                detail: format!("cannot read filter {clause:?}"),
            });
        };
        if !op.eq_ignore_ascii_case("eq") {
            return Err(ScimError {
                status: 400,
                scim_type: Some("invalidFilter"),
                detail: format!("only eq is supported, not {op}"),
            });
        }
        let value = value.trim().trim_matches('"').replace("\\\"", "\"");
        let attr = match attr {
            "userName" | "externalId" | "id" => attr.to_owned(),
            "emails" | "emails.value" | "email" => "emails".to_owned(),
            other => {
                return Err(ScimError {
                    status: 400,
                    scim_type: Some("invalidFilter"),
                    detail: format!("unsupported attribute {other}"),
                });
            }
        };
        out.push((attr, value));
    }
    Ok(out)
}

/// Users matching a filter (or all), a page at a time; SCIM's `startIndex` is 1-based.
pub fn search(
    c: &Connection,
    filter: Option<&str>,
    start_index: i64,
    count: i64,
) -> Result<(Vec<UserWithAddress>, i64), ScimError> {
    let offset = (start_index.max(1)) - 1;
    let count = count.clamp(0, 1000);
    let users: Vec<User> = match filter.map(str::trim).filter(|f| !f.is_empty()) {
        None => {
            let (page, total) = store::page(c, count, offset)?;
            let with = page
                .into_iter()
                .map(|u| {
                    let a = profiles::address(c, u.id).ok().flatten();
                    (u, a)
                })
                .collect();
            return Ok((with, total));
        }
        Some(f) => {
            let mut found: Vec<User> = Vec::new();
            for (attr, value) in parse_filter(f)? {
                let u = match attr.as_str() {
                    "userName" => store::find_by_username(c, &value)?,
                    "externalId" => store::find_by_global_id(c, &value)?,
                    "id" => value
                        .parse()
                        .ok()
                        .map(|id| store::find_by_id(c, id))
                        .transpose()?
                        .flatten(),
                    _ => store::find_by_email(c, &value)?,
                };
                if let Some(u) = u.filter(|u| !found.iter().any(|f| f.id == u.id)) {
                    found.push(u);
                }
            }
            found
        }
    };
    let total = i64::try_from(users.len()).unwrap_or(0);
    let page = users
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(0))
        .take(usize::try_from(count).unwrap_or(0))
        .map(|u| {
            let a = profiles::address(c, u.id).ok().flatten();
            (u, a)
        })
        .collect();
    Ok((page, total))
}

impl From<crate::db::DbError> for ScimError {
    fn from(e: crate::db::DbError) -> Self {
        tracing::error!(error = %e, "SCIM storage error");
        ScimError {
            status: 500,
            scim_type: None,
            detail: "Internal error".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_of_eq_clauses_joined_by_or_are_understood() {
        let f = parse_filter(r#"emails.value eq "a@b.co" or userName eq "jane""#).unwrap();
        assert_eq!(
            f,
            vec![
                ("emails".into(), "a@b.co".into()),
                ("userName".into(), "jane".into())
            ]
        );
        assert!(parse_filter(r#"userName co "j""#).is_err());
        assert!(parse_filter("garbage").is_err());
        assert!(parse_filter(r#"password eq "x""#).is_err());
    }

    #[test]
    fn inbound_users_are_read_from_keycloak_shapes() {
        let i = inbound(
            &json!({"externalId": "kc-1", "userName": "jane", "fullName": "Jane Doe",
            "name": {"givenName": "Jane", "familyName": "Doe"},
            "emails": [{"value": "x@y.co"}, {"value": "jane@example.com", "primary": true}], "active": true}),
        )
        .unwrap();
        assert_eq!(i.email.as_deref(), Some("jane@example.com"));
        assert_eq!(i.given_name.as_deref(), Some("Jane"));
        assert!(inbound(&json!({"emails": [{"value": "nope"}]})).is_err());
        assert!(inbound(&json!({"active": 3})).is_err());
        assert!(inbound(&json!([1])).is_err());
    }
}
