//! The APISIX `X-Userinfo` header: standard base64 (padded) of the Keycloak userinfo JSON.
//! Parsing is strict: anything garbled, oversized or without a usable `sub` is rejected, and a
//! rejected header never logs anyone in.
//!
//! A leaf module (std, base64, serde_json and `users::rules`, which needs only `model` and `geo`):
//! the fuzz suite (`fuzz/`, target `userinfo`) compiles these four files on their own.

use base64::Engine as _;
use serde_json::Value;

pub const HEADER: &str = "x-userinfo";
const MAX_HEADER_BYTES: usize = 16 * 1024;

/// What the gateway tells us about the caller.
#[derive(Debug, Clone, PartialEq)]
pub struct Userinfo {
    /// Keycloak user id (our `global_id`).
    pub sub: String,
    pub email: Option<String>,
    pub preferred_username: Option<String>,
    pub name: Option<String>,
    pub email_optin: Option<bool>,
    /// Whether the provider vouches that `email` belongs to this user, so an existing account
    /// with that email (not linked yet) may be adopted. The gateway header is trusted for it
    /// (the original's behaviour); an OIDC ID token must say `email_verified: true`.
    pub email_verified: bool,
    /// Keycloak organisation ids (`organization` map values' `id`).
    pub organization_ids: Vec<String>,
}

fn string(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Decodes a header value; `Err` says why it was refused (for logs, never shown).
pub fn decode(raw: &[u8]) -> Result<Userinfo, &'static str> {
    if raw.len() > MAX_HEADER_BYTES {
        return Err("header too large");
    }
    let raw = std::str::from_utf8(raw).map_err(|_| "not ASCII")?.trim();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(raw)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(raw))
        .map_err(|_| "not base64")?;
    let v: Value = serde_json::from_slice(&bytes).map_err(|_| "not JSON")?;
    if !v.is_object() {
        return Err("not a JSON object");
    }
    let sub = string(&v, "sub").ok_or("no sub")?;
    if sub.chars().count() > 36 || sub.chars().any(char::is_control) {
        return Err("sub is not a Keycloak id");
    }
    let email = string(&v, "email");
    if let Some(e) = &email
        && crate::users::rules::validate_email(e).is_err()
    {
        return Err("email is not an email address");
    }
    let email_optin = match v.get("email_optin") {
        Some(Value::Bool(b)) => Some(*b),
        Some(Value::String(s)) => Some(matches!(s.as_str(), "1" | "true" | "True")),
        _ => None,
    };
    let organization_ids = v
        .get("organization")
        .and_then(Value::as_object)
        .map(|orgs| {
            orgs.values()
                .filter_map(|o| o.get("id").and_then(Value::as_str).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    Ok(Userinfo {
        sub,
        email,
        preferred_username: string(&v, "preferred_username")
            .filter(|u| u.len() <= 500 && !u.chars().any(char::is_control)),
        name: string(&v, "name").filter(|n| n.chars().count() <= 255),
        email_optin,
        email_verified: true,
        organization_ids,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    #[test]
    fn a_well_formed_header_decodes_with_its_organisations() {
        let h = enc(
            r#"{"sub":"7b1f0c3e-0000-4000-8000-000000000001","email":"a\/b@example.com","preferred_username":"jane","name":"Jane","email_optin":"1","organization":{"mit":{"id":"org-1","name":["MIT"]}}}"#,
        );
        let u = decode(h.as_bytes()).unwrap();
        assert_eq!(u.sub, "7b1f0c3e-0000-4000-8000-000000000001");
        assert_eq!(u.email.as_deref(), Some("a/b@example.com"));
        assert_eq!(u.email_optin, Some(true));
        assert_eq!(u.organization_ids, vec!["org-1"]);
    }

    #[test]
    fn garbled_headers_are_refused() {
        assert!(decode(b"%%%").is_err());
        assert!(decode(enc("not json").as_bytes()).is_err());
        assert!(decode(enc("[1,2]").as_bytes()).is_err());
        assert!(decode(enc(r#"{"email":"a@b.co"}"#).as_bytes()).is_err());
        assert!(decode(enc(r#"{"sub":""}"#).as_bytes()).is_err());
        assert!(decode(enc(&format!(r#"{{"sub":"{}"}}"#, "x".repeat(37))).as_bytes()).is_err());
        assert!(decode(enc(r#"{"sub":"abc","email":"nope"}"#).as_bytes()).is_err());
        assert!(decode(&vec![b'A'; 20_000]).is_err());
        assert!(decode(&[0xff, 0xfe]).is_err());
    }
}
