//! Browser protections every response carries: a Content-Security-Policy (everything from our
//! own origin, no inline script or style, framing limited by `MITXONLINE_FRAME_ANCESTORS`), the
//! matching `X-Frame-Options` for older browsers, and `Strict-Transport-Security` when the
//! public URL is https. Also the one test of "did this request come from another site",
//! used by the links that change state on GET (see [`cross_site`]).

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::config::Config;

/// The header values, computed once from the configuration.
#[derive(Clone)]
pub struct SecurityHeaders {
    csp: HeaderValue,
    frame_options: Option<HeaderValue>,
    hsts: Option<HeaderValue>,
}

impl SecurityHeaders {
    pub fn from_config(config: &Config) -> SecurityHeaders {
        // Every part comes from validated configuration (origins and CSP keywords only).
        let value = |s: &str| HeaderValue::from_str(s).expect("validated header value");
        SecurityHeaders {
            csp: value(&config.content_security_policy()),
            frame_options: config.x_frame_options().map(value),
            hsts: config.strict_transport_security().map(value),
        }
    }
}

/// Adds the headers unless a handler set its own.
pub async fn add_headers(headers: SecurityHeaders, req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.entry(header::CONTENT_SECURITY_POLICY).or_insert(headers.csp);
    if let Some(v) = headers.frame_options {
        h.entry(header::X_FRAME_OPTIONS).or_insert(v);
    }
    if let Some(v) = headers.hsts {
        h.entry(header::STRICT_TRANSPORT_SECURITY).or_insert(v);
    }
    resp
}

static SEC_FETCH_SITE: HeaderName = HeaderName::from_static("sec-fetch-site");

/// Whether a request was started by another site — an `<img>`, a link or a form on a page we
/// do not trust — rather than by our own pages or a configured partner (MIT Learn).
///
/// Browsers say so in `Sec-Fetch-Site`; when it is `same-origin` (or `none`: typed or
/// bookmarked) the request is ours. `same-site` and `cross-site` are trusted only when the
/// `Origin` or `Referer` names a trusted origin. Without `Sec-Fetch-Site` (older browsers),
/// a present `Origin` or `Referer` must be trusted; with neither there is nothing to judge
/// by and the request is treated as ours (non-browser clients, privacy settings that strip
/// the referrer).
pub fn cross_site(config: &Config, headers: &HeaderMap) -> bool {
    let get = |name: &HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let claimed = get(&header::ORIGIN)
        .filter(|o| *o != "null")
        .map(str::to_owned)
        .or_else(|| {
            get(&header::REFERER)
                .and_then(|r| url::Url::parse(r).ok())
                .map(|u| u.origin().ascii_serialization())
        });
    let trusted = |o: &Option<String>| o.as_deref().is_some_and(|o| config.is_trusted_origin(o));
    match get(&SEC_FETCH_SITE) {
        Some("same-origin" | "none") => false,
        Some(_) => !trusted(&claimed),
        None => {
            let opaque = get(&header::ORIGIN) == Some("null");
            opaque || (claimed.is_some() && !trusted(&claimed))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn config() -> Config {
        let vars: BTreeMap<String, String> = [
            ("MITXONLINE_PUBLIC_URL", "https://mitxonline.example/"),
            ("MITXONLINE_TRUSTED_ORIGINS", "https://learn.example"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        Config::from_vars(&vars).unwrap()
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(HeaderName::from_static(k), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn requests_from_other_sites_are_told_apart_from_ours_and_our_partners() {
        let c = config();
        let ours = [
            headers(&[]),
            headers(&[("sec-fetch-site", "same-origin")]),
            headers(&[("sec-fetch-site", "none")]),
            headers(&[
                ("sec-fetch-site", "cross-site"),
                ("referer", "https://learn.example/courses/x"),
            ]),
            headers(&[
                ("sec-fetch-site", "same-site"),
                ("origin", "https://learn.example"),
            ]),
            headers(&[("referer", "https://mitxonline.example/courses/x/")]),
            headers(&[("origin", "https://learn.example")]),
        ];
        for h in &ours {
            assert!(!cross_site(&c, h), "{h:?}");
        }
        let foreign = [
            headers(&[("sec-fetch-site", "cross-site")]),
            headers(&[("sec-fetch-site", "same-site")]),
            headers(&[
                ("sec-fetch-site", "cross-site"),
                ("referer", "https://evil.example/"),
            ]),
            headers(&[
                ("sec-fetch-site", "cross-site"),
                ("origin", "https://learn.example.evil.example"),
            ]),
            headers(&[("referer", "https://evil.example/page")]),
            headers(&[("origin", "https://evil.example")]),
            headers(&[("origin", "null")]),
            headers(&[("origin", "http://mitxonline.example")]),
        ];
        for h in &foreign {
            assert!(cross_site(&c, h), "{h:?}");
        }
    }

    #[test]
    fn the_policy_has_no_inline_script_and_framing_follows_the_configuration() {
        let c = config();
        let csp = c.content_security_policy();
        assert!(csp.starts_with("default-src 'self'"), "{csp}");
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
            "{csp}"
        );
        assert!(csp.ends_with("frame-ancestors 'self'"), "{csp}");
        assert_eq!(c.x_frame_options(), Some("DENY"));
        assert_eq!(c.strict_transport_security(), Some("max-age=31536000"));
        let plain = Config::from_vars(&BTreeMap::new()).unwrap();
        assert_eq!(plain.strict_transport_security(), None, "http: no HSTS");
    }
}
