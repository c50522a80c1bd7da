//! The gateway's `X-Userinfo` header (`users::gateway::decode`): base64 of Keycloak's userinfo
//! JSON.
//!
//! Must hold beyond "no panic": an accepted header has a non-empty, trimmed `sub` of at most
//! 36 characters without control characters and, when present, a valid email; and what was
//! accepted round-trips: the header re-encoded from the parsed fields decodes to the same
//! fields.
#![no_main]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use libfuzzer_sys::fuzz_target;
use mitxonline_fuzz::users::gateway::{Userinfo, decode};
use mitxonline_fuzz::users::rules::validate_email;
use serde_json::{Map, Value, json};

fn encode(u: &Userinfo) -> String {
    let mut v = Map::new();
    v.insert("sub".into(), json!(u.sub));
    for (k, f) in [
        ("email", &u.email),
        ("preferred_username", &u.preferred_username),
        ("name", &u.name),
    ] {
        if let Some(s) = f {
            v.insert(k.into(), json!(s));
        }
    }
    if let Some(b) = u.email_optin {
        v.insert("email_optin".into(), json!(b));
    }
    if !u.organization_ids.is_empty() {
        // Fixed-width keys keep the order whether the map sorts its keys or keeps insertion.
        let orgs: Map<String, Value> = u
            .organization_ids
            .iter()
            .enumerate()
            .map(|(i, id)| (format!("{i:06}"), json!({ "id": id })))
            .collect();
        v.insert("organization".into(), Value::Object(orgs));
    }
    STANDARD.encode(serde_json::to_vec(&Value::Object(v)).expect("JSON serializes"))
}

fn check(raw: &[u8]) {
    let Ok(u) = decode(raw) else {
        return;
    };
    assert!(!u.sub.is_empty() && u.sub.trim() == u.sub);
    assert!(u.sub.chars().count() <= 36 && !u.sub.chars().any(char::is_control));
    if let Some(e) = &u.email {
        assert_eq!(validate_email(e).as_deref(), Ok(e.as_str()));
    }
    assert!(u.name.as_ref().is_none_or(|n| n.chars().count() <= 255));
    let again = encode(&u);
    if again.len() <= 16 * 1024 {
        assert_eq!(decode(again.as_bytes()), Ok(u), "a parsed header round-trips");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        check(rest);
    } else {
        // The JSON itself, so the fuzzer explores the JSON rather than the base64 around it.
        check(STANDARD.encode(rest).as_bytes());
    }
});
