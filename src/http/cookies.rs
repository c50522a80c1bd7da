//! The one way this server writes a `Set-Cookie` header. Every cookie gets the public URL's
//! path as `Path` (`/`, or `/mitxonline` behind a prefixing gateway, so our cookies are never
//! sent to the other applications on the gateway's host), a `SameSite` policy and — whenever
//! the public URL is https — `Secure`, so no module can forget it. Values are URL-encoded by the caller when they are not already cookie-safe.

use axum::http::HeaderValue;

use crate::config::Config;

/// `SameSite` policies we use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameSite {
    Lax,
    Strict,
}

/// A cookie to set (or to remove, with [`Cookie::removal`]).
#[derive(Debug, Clone)]
pub struct Cookie<'a> {
    name: &'a str,
    value: &'a str,
    max_age: i64,
    http_only: bool,
    same_site: SameSite,
}

impl<'a> Cookie<'a> {
    /// A cookie living `max_age` seconds, readable by scripts, `SameSite=Lax`.
    pub fn new(name: &'a str, value: &'a str, max_age: i64) -> Self {
        Cookie {
            name,
            value,
            max_age,
            http_only: false,
            same_site: SameSite::Lax,
        }
    }

    /// A `Set-Cookie` that removes `name`.
    pub fn removal(name: &'a str) -> Self {
        Cookie::new(name, "", 0)
    }

    /// Not readable by scripts.
    pub fn http_only(mut self) -> Self {
        self.http_only = true;
        self
    }

    pub fn same_site(mut self, s: SameSite) -> Self {
        self.same_site = s;
        self
    }

    /// The header text with `Path=/`; `secure` adds the `Secure` attribute.
    pub fn render(&self, secure: bool) -> String {
        self.render_at(secure, "/")
    }

    /// The header text for cookie path `path`.
    pub fn render_at(&self, secure: bool, path: &str) -> String {
        let same_site = match self.same_site {
            SameSite::Lax => "Lax",
            SameSite::Strict => "Strict",
        };
        format!(
            "{}={}; Path={path}; Max-Age={}{}; SameSite={same_site}{}",
            self.name,
            self.value,
            self.max_age.max(0),
            if self.http_only { "; HttpOnly" } else { "" },
            if secure { "; Secure" } else { "" },
        )
    }

    /// The header for this server: `Secure` when the public URL is https. A value that cannot
    /// be a header (control characters) becomes a removal of the cookie.
    pub fn header(&self, config: &Config) -> HeaderValue {
        let (secure, path) = (secure(config), path(config));
        HeaderValue::from_str(&self.render_at(secure, path)).unwrap_or_else(|_| {
            HeaderValue::from_str(&Cookie::removal(self.name).render_at(secure, path))
                .unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
        })
    }
}

/// Whether cookies must be `Secure` (the public URL is https).
pub fn secure(config: &Config) -> bool {
    config.public_url.scheme() == "https"
}

/// The cookie path: the public URL's path prefix, `/` when there is none.
fn path(config: &Config) -> &str {
    match config.path_prefix() {
        "" => "/",
        p => p,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_scoped_to_the_gateway_prefix() {
        let c = Cookie::new("s", "v", 10).http_only();
        assert_eq!(
            c.render_at(true, "/mitxonline"),
            "s=v; Path=/mitxonline; Max-Age=10; HttpOnly; SameSite=Lax; Secure"
        );
        let mut vars = std::collections::BTreeMap::new();
        vars.insert(
            "MITXONLINE_PUBLIC_URL".to_owned(),
            "https://api.learn.mit.edu/mitxonline/".to_owned(),
        );
        let config = Config::from_vars(&vars).unwrap();
        assert_eq!(path(&config), "/mitxonline");
        vars.insert(
            "MITXONLINE_PUBLIC_URL".to_owned(),
            "http://127.0.0.1:8013".to_owned(),
        );
        assert_eq!(path(&Config::from_vars(&vars).unwrap()), "/");
    }

    #[test]
    fn cookies_are_secure_only_when_asked_and_removals_expire_at_once() {
        let c = Cookie::new("next", "%2Fcart%2F", 30);
        assert_eq!(
            c.render(false),
            "next=%2Fcart%2F; Path=/; Max-Age=30; SameSite=Lax"
        );
        assert_eq!(
            Cookie::new("s", "v", 10).http_only().render(true),
            "s=v; Path=/; Max-Age=10; HttpOnly; SameSite=Lax; Secure"
        );
        assert_eq!(
            Cookie::removal("s").http_only().render(true),
            "s=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax; Secure"
        );
    }

    #[test]
    fn no_module_writes_a_cookie_header_by_hand() {
        // Every `Set-Cookie` goes through this builder; a literal cookie attribute elsewhere
        // means a cookie that may miss `Secure`.
        fn walk(dir: &std::path::Path, out: &mut Vec<String>) {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    walk(&p, out);
                } else if p.extension().is_some_and(|x| x == "rs") && !p.ends_with("http/cookies.rs") {
                    let text = std::fs::read_to_string(&p).unwrap();
                    if text.contains("Max-Age=") || text.contains("; Path=/") {
                        out.push(p.display().to_string());
                    }
                }
            }
        }
        let mut offenders = Vec::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut offenders,
        );
        assert!(offenders.is_empty(), "hand-written cookies in {offenders:?}");
    }
}
