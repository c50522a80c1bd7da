//! Secure Acceptance signatures (integrations §4.3): the message is `name=value` for each name
//! in `signed_field_names`, comma-joined; the signature is base64(HMAC-SHA256(security key,
//! message)). Values are exactly the strings posted, the way Python's `str()` renders them.
//! A leaf module (base64, hmac, sha2, rust_decimal), compiled on its own by the fuzz suite.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit as _, Mac as _};
use rust_decimal::Decimal;
use sha2::Sha256;

/// The message that is signed for these fields: `name=value` in `signed_field_names` order.
/// `Err(name)` names the first listed field that is missing.
pub fn message<'a>(
    signed_field_names: &str,
    value_of: impl Fn(&str) -> Option<&'a str>,
) -> Result<String, String> {
    let mut parts = Vec::new();
    for name in signed_field_names.split(',') {
        let value = value_of(name).ok_or_else(|| name.to_owned())?;
        parts.push(format!("{name}={value}"));
    }
    Ok(parts.join(","))
}

/// base64(HMAC-SHA256(key, message)).
pub fn signature(security_key: &str, message: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(security_key.as_bytes()).expect("HMAC takes any key length");
    mac.update(message.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Signs fields like the original's `_sign_cybersource_payload`: appends `signed_field_names`
/// (every name including itself, sorted byte-wise, so `item_10_…` comes before `item_2_…`) and
/// `signature`.
pub fn sign_fields(security_key: &str, mut fields: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut names: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    names.push("signed_field_names");
    names.sort_unstable();
    names.dedup();
    let signed_field_names = names.join(",");
    fields.push(("signed_field_names".to_owned(), signed_field_names.clone()));
    let msg = message(&signed_field_names, |name| {
        fields
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    })
    .expect("every listed name comes from the fields");
    fields.push(("signature".to_owned(), signature(security_key, &msg)));
    fields
}

/// Compares two byte strings in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Renders a decimal the way Python's `str(Decimal)` does: plain notation, keeping the scale
/// (`100.00`, `0`), switching to scientific notation below 1E-6 (`1E-7`).
pub fn python_decimal_str(value: Decimal) -> String {
    let digits = value.mantissa().unsigned_abs().to_string();
    let scale = i64::from(value.scale());
    let adjusted = digits.len() as i64 - 1 - scale;
    if adjusted >= -6 {
        return value.to_string();
    }
    let sign = if value.is_sign_negative() { "-" } else { "" };
    let (first, rest) = digits.split_at(1);
    let fraction = if rest.is_empty() {
        String::new()
    } else {
        format!(".{rest}")
    };
    format!("{sign}{first}{fraction}E{adjusted}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_vector_signs_to_the_documented_signature() {
        let signed = sign_fields(
            "testsecret",
            vec![("a".into(), "1".into()), ("b".into(), "x y".into())],
        );
        let get = |k: &str| signed.iter().find(|(n, _)| n == k).unwrap().1.clone();
        assert_eq!(get("signed_field_names"), "a,b,signed_field_names");
        assert_eq!(get("signature"), "PKnPEOvVySvX2oJeX9gxlhRKPZAUjMT+6WS37KDj4Pg=");
    }

    #[test]
    fn decimals_render_like_python_str() {
        let table = [
            ("100.00", "100.00"),
            ("0", "0"),
            ("0.000", "0.000"),
            ("33.335", "33.335"),
            ("-1.50", "-1.50"),
            ("0.000001", "0.000001"),
            ("0.0000001", "1E-7"),
            ("0.00000012", "1.2E-7"),
            ("0.00000000", "0E-8"),
        ];
        for (input, want) in table {
            assert_eq!(python_decimal_str(input.parse().unwrap()), want, "{input}");
        }
    }

    #[test]
    fn constant_time_comparison_needs_equal_length_and_bytes() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
