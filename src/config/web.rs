//! Browser-facing settings: who may frame our pages (`MITXONLINE_FRAME_ANCESTORS`), which
//! partner origins' links may change state (`MITXONLINE_TRUSTED_ORIGINS`), and the
//! Content-Security-Policy and HSTS values built from them.

use url::Url;

use super::Config;

/// An origin as browsers send it in `Origin`: `scheme://host[:port]`, lower-case, no path.
fn parse_origin(v: &str) -> Result<String, String> {
    let url = Url::parse(v).map_err(|_| format!("`{v}` is not an origin like https://learn.mit.edu"))?;
    if !matches!(url.scheme(), "http" | "https")
        || url.host_str().is_none()
        || !url.username().is_empty()
        || url.password().is_some()
        || url.path() != "/"
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return Err(format!(
            "`{v}` must be an http(s) origin: scheme, host and optional port, no path"
        ));
    }
    Ok(url.origin().ascii_serialization())
}

/// `MITXONLINE_TRUSTED_ORIGINS`: comma-separated origins.
pub(super) fn parse_origins(v: &str) -> Result<Vec<String>, String> {
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(parse_origin)
        .collect()
}

/// One CSP host source: `https://host[:port]` with an optional leading `*.` wildcard label.
fn valid_host_source(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once("://") else {
        return false;
    };
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (rest, None),
    };
    let host = host.strip_prefix("*.").unwrap_or(host);
    matches!(scheme, "http" | "https")
        && !host.is_empty()
        && host
            .split('.')
            .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        && port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()))
}

/// `MITXONLINE_FRAME_ANCESTORS`: `'self'`, `'none'` or host sources such as
/// `https://courses.learn.mit.edu https://*.edx.org`, separated by spaces or commas.
pub(super) fn parse_frame_ancestors(v: &str) -> Result<Vec<String>, String> {
    let sources: Vec<String> = v
        .split(|c: char| c == ',' || c.is_ascii_whitespace())
        .filter(|s| !s.is_empty())
        .map(|s| match s {
            "'self'" | "self" => Ok("'self'".to_owned()),
            "'none'" | "none" => Ok("'none'".to_owned()),
            s if valid_host_source(s) => Ok(s.to_ascii_lowercase()),
            s => Err(format!(
                "`{s}` is not 'self', 'none' or an origin like https://courses.example.edu"
            )),
        })
        .collect::<Result<_, _>>()?;
    if sources.is_empty() {
        return Err("name at least one source ('self', 'none' or an origin)".into());
    }
    if sources.len() > 1 && sources.iter().any(|s| s == "'none'") {
        return Err("'none' cannot be combined with other sources".into());
    }
    Ok(sources)
}

impl Config {
    /// Our own origin (`https://host[:port]` of the public URL).
    pub fn own_origin(&self) -> String {
        self.public_url.origin().ascii_serialization()
    }

    /// Whether a URL is on our own origin and under the public URL's path prefix.
    pub fn is_own_url(&self, candidate: &str) -> bool {
        let Ok(u) = Url::parse(candidate) else {
            return false;
        };
        let prefix = self.path_prefix();
        u.origin().ascii_serialization() == self.own_origin()
            && u.username().is_empty()
            && u.password().is_none()
            && (prefix.is_empty()
                || u.path() == prefix
                || u.path().strip_prefix(prefix).is_some_and(|r| r.starts_with('/')))
    }

    /// Whether a request coming from `origin` (an `Origin` value, or the origin of a `Referer`)
    /// may change state with a link: our own origin or a configured partner.
    pub fn is_trusted_origin(&self, origin: &str) -> bool {
        origin == self.own_origin() || self.trusted_origins.iter().any(|o| o == origin)
    }

    /// The Content-Security-Policy every response carries: scripts, styles, images and
    /// connections only from us (no inline script or style), forms post only to us and the
    /// payment page, framing as configured.
    pub fn content_security_policy(&self) -> String {
        let mut form_action = vec!["'self'".to_owned()];
        if let Some(c) = &self.cybersource {
            form_action.push(c.secure_acceptance_url.origin().ascii_serialization());
        }
        format!(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             object-src 'none'; base-uri 'self'; form-action {}; frame-ancestors {}",
            form_action.join(" "),
            self.frame_ancestors.join(" ")
        )
    }

    /// `X-Frame-Options` for browsers without CSP `frame-ancestors` (the others ignore it when
    /// the CSP has that directive): `DENY`, as before frame ancestors were configurable, unless
    /// other sites are allowed to frame us, which X-Frame-Options cannot express.
    pub fn x_frame_options(&self) -> Option<&'static str> {
        self.frame_ancestors
            .iter()
            .all(|s| s.starts_with('\''))
            .then_some("DENY")
    }

    /// `Strict-Transport-Security` when we are served over https.
    pub fn strict_transport_security(&self) -> Option<&'static str> {
        (self.public_url.scheme() == "https").then_some("max-age=31536000")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_ancestors_take_keywords_and_host_sources_only() {
        assert_eq!(parse_frame_ancestors("'self'").unwrap(), ["'self'"]);
        assert_eq!(
            parse_frame_ancestors("'self' https://courses.example.edu, https://*.edx.org:443").unwrap(),
            ["'self'", "https://courses.example.edu", "https://*.edx.org:443"]
        );
        for bad in [
            "*",
            "https://x.example/path",
            "javascript:alert(1)",
            "https://x.example; script-src *",
            "'unsafe-inline'",
            "'none' 'self'",
            "https://",
        ] {
            assert!(parse_frame_ancestors(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn trusted_origins_are_bare_origins() {
        assert_eq!(
            parse_origins("https://learn.mit.edu, http://localhost:8062").unwrap(),
            ["https://learn.mit.edu", "http://localhost:8062"]
        );
        for bad in [
            "learn.mit.edu",
            "https://learn.mit.edu/x",
            "ftp://x.example",
            "https://u@x.example",
        ] {
            assert!(parse_origins(bad).is_err(), "{bad}");
        }
    }
}
