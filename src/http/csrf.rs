//! Django-compatible CSRF protection, so the original's front ends and MIT Learn's keep working:
//! a 32-character secret in the `csrftoken` cookie; requests send it back (plain, or masked to 64
//! characters as Django renders it) in the `X-CSRFToken` header or the `csrfmiddlewaretoken`
//! form field; over https the `Origin` (or `Referer`) must be our own site.

use axum::http::{HeaderMap, Method, header};
use rand::Rng as _;

use crate::config::Config;

pub const COOKIE: &str = "csrftoken";
pub const HEADER: &str = "x-csrftoken";
pub use super::form_token::{FORM_FIELD, form_token};

const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const SECRET_LEN: usize = 32;

/// A new random secret for the cookie.
pub fn new_secret() -> String {
    let mut rng = rand::rng();
    (0..SECRET_LEN)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
        .collect()
}

/// Whether a cookie value has the shape of a secret (otherwise a new one is issued).
pub fn is_well_formed(secret: &str) -> bool {
    secret.len() == SECRET_LEN && secret.bytes().all(|b| CHARS.contains(&b))
}

fn index(b: u8) -> Option<usize> {
    CHARS.iter().position(|c| *c == b)
}

/// The token to put in a form or page: the secret masked with a fresh random mask (Django's
/// `_mask_cipher_secret`), so it differs on every page (BREACH).
pub fn masked(secret: &str) -> String {
    let mut rng = rand::rng();
    let mask: Vec<u8> = (0..SECRET_LEN)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())])
        .collect();
    let cipher: String = secret
        .bytes()
        .zip(mask.iter())
        .map(|(s, m)| {
            let (s, m) = (index(s).unwrap_or(0), index(*m).unwrap_or(0));
            CHARS[(s + m) % CHARS.len()] as char
        })
        .collect();
    format!("{}{cipher}", String::from_utf8_lossy(&mask))
}

fn unmask(token: &str) -> Option<String> {
    let (mask, cipher) = token.split_at(SECRET_LEN);
    mask.bytes()
        .zip(cipher.bytes())
        .map(|(m, c)| {
            let (m, c) = (index(m)?, index(c)?);
            Some(CHARS[(c + CHARS.len() - m) % CHARS.len()] as char)
        })
        .collect()
}

/// Whether `token` (plain or masked) proves knowledge of `secret`, compared in constant time.
pub fn matches(secret: &str, token: &str) -> bool {
    if !is_well_formed(secret) || !token.is_ascii() {
        return false;
    }
    let plain = match token.len() {
        SECRET_LEN => Some(token.to_owned()),
        n if n == 2 * SECRET_LEN => unmask(token),
        _ => None,
    };
    let Some(plain) = plain else { return false };
    plain
        .bytes()
        .zip(secret.bytes())
        .fold(0u8, |acc, (a, b)| acc | (a ^ b))
        == 0
}

/// Django's same-origin rule for https: `origin` (scheme://host[:port]) must be the site's.
pub fn same_origin(site: &url::Url, other: &str) -> bool {
    let Ok(other) = url::Url::parse(other) else {
        return false;
    };
    other.scheme() == site.scheme()
        && other.host_str() == site.host_str()
        && other.port_or_known_default() == site.port_or_known_default()
}

pub(super) fn is_unsafe(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE)
}

/// Django's checks: Origin/Referer on https, then the token against the cookie.
pub(super) fn check(
    config: &Config,
    headers: &HeaderMap,
    cookie_secret: Option<&str>,
    token: Option<&str>,
) -> Result<(), String> {
    if super::cookies::secure(config) {
        if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
            if !same_origin(&config.public_url, origin) {
                return Err(format!(
                    "Origin checking failed - {origin} does not match any trusted origins."
                ));
            }
        } else {
            let Some(referer) = headers.get(header::REFERER).and_then(|v| v.to_str().ok()) else {
                return Err("Referer checking failed - no Referer.".into());
            };
            if !same_origin(&config.public_url, referer) {
                return Err("Referer checking failed - Referer does not match any trusted origins.".into());
            }
        }
    }
    let Some(secret) = cookie_secret.filter(|s| is_well_formed(s)) else {
        return Err("CSRF cookie not set.".into());
    };
    match token {
        None | Some("") => Err("CSRF token missing.".into()),
        Some(t) if matches(secret, t) => Ok(()),
        Some(_) => Err("CSRF token incorrect.".into()),
    }
}

/// Paths whose POSTs are authenticated by a signature instead of CSRF: the gateway's results,
/// and the sandbox gateway's pages (posted from our interstitial as to CyberSource; the
/// decision URL carries an unguessable token).
pub(super) fn exempt(path: &str) -> bool {
    const SANDBOX_PAY: &str = "/sandbox/cybersource/pay";
    matches!(path, "/checkout/result/" | "/api/checkout/result/")
        || path == SANDBOX_PAY
        || path
            .strip_prefix(SANDBOX_PAY)
            .is_some_and(|rest| rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_masked_tokens_match_their_secret_only() {
        let s = new_secret();
        assert!(is_well_formed(&s));
        assert!(matches(&s, &s));
        let m = masked(&s);
        assert_eq!(m.len(), 64);
        assert_ne!(masked(&s), m, "masks differ between renders");
        assert!(matches(&s, &m));
        let other = new_secret();
        assert!(!matches(&other, &m));
        assert!(!matches(&s, ""));
        assert!(!matches(&s, "short"));
        assert!(!matches(&s, &"é".repeat(32)));
    }

    #[test]
    fn same_origin_compares_scheme_host_and_port() {
        let site = url::Url::parse("https://mitxonline.mit.edu/").unwrap();
        assert!(same_origin(&site, "https://mitxonline.mit.edu"));
        assert!(same_origin(&site, "https://mitxonline.mit.edu:443/cart/"));
        assert!(!same_origin(&site, "http://mitxonline.mit.edu"));
        assert!(!same_origin(&site, "https://evil.example"));
        assert!(!same_origin(&site, "garbage"));
    }
}
