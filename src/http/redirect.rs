//! The one rule for following a `next` parameter (login, logout, onboarding's "Skip for now",
//! account actions, OIDC): a path on this site, or an absolute URL of this site's own origin;
//! anything else — other hosts, scheme-relative `//host`, backslash tricks browsers turn into
//! slashes, percent-encoded or control-character-laced variants of those — falls back to the
//! dashboard.

use super::page::Prefix;
use crate::config::Config;

/// Decodes `%XX` escapes once (invalid escapes are kept as they are).
fn decode_once(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// Whether a site-relative path stays on this site as any browser (or proxy that decodes
/// escapes) reads it.
fn stays_on_site(path: &str) -> bool {
    let plain = |p: &str| {
        p.starts_with('/')
            && !p.starts_with("//")
            && !p.contains('\\')
            && !p
                .chars()
                .any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{FEFF}'))
    };
    if !plain(path) {
        return false;
    }
    // The path part again after decoding, as far as escapes go (`/%2F/x`, `/%5Cx`, `%252F`).
    let mut p = path.split(['?', '#']).next().unwrap_or("").to_owned();
    for _ in 0..3 {
        let d = decode_once(&p);
        if d == p {
            break;
        }
        if !plain(&d) {
            return false;
        }
        p = d;
    }
    true
}

/// Where to go next: `next` when it is safe (see the module documentation), else the
/// dashboard. Site-relative paths get the public prefix unless they already carry it.
pub fn safe_next(config: &Config, prefix: &Prefix, next: Option<&str>) -> String {
    let fallback = prefix.url("/dashboard/");
    let Some(next) = next.filter(|n| !n.is_empty()) else {
        return fallback;
    };
    if next.starts_with('/') {
        if !stays_on_site(next) {
            return fallback;
        }
        return if !prefix.0.is_empty() && next.starts_with(&format!("{}/", prefix.0)) {
            next.to_owned()
        } else {
            prefix.url(next)
        };
    }
    // An absolute URL: written plainly (no control characters or backslashes to be cleaned
    // up differently by browsers), http(s), our own origin, no credentials.
    if next.chars().any(char::is_control) || next.contains('\\') {
        return fallback;
    }
    match url::Url::parse(next) {
        Ok(u)
            if matches!(u.scheme(), "http" | "https")
                && next
                    .to_ascii_lowercase()
                    .starts_with(&format!("{}://", u.scheme()))
                && u.username().is_empty()
                && u.password().is_none()
                && super::csrf::same_origin(&config.public_url, u.as_str())
                && stays_on_site(u.path()) =>
        {
            u.to_string()
        }
        _ => fallback,
    }
}
