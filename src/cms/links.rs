//! Which links CMS content may hold. Editors type URLs that end up in `href`s on public pages,
//! so only two shapes are accepted: absolute `http://` / `https://` URLs with a host, and paths
//! on this site (`/…`, but not `//…` or `/\…`, which browsers read as another host). Anything
//! else — `javascript:`, `data:`, `vbscript:`, scheme-relative URLs, whitespace or control
//! characters that browsers strip before reading the scheme — is refused.

/// Whether `v` is an acceptable link (the empty string is "no link" and handled by callers).
pub fn is_safe_link(v: &str) -> bool {
    if v.is_empty()
        || v.len() > 2000
        || v.chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
    {
        return false;
    }
    if let Some(rest) = v.strip_prefix('/') {
        return !rest.starts_with('/');
    }
    let lower = v.get(..8).unwrap_or(v).to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return false;
    }
    url::Url::parse(v)
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty()))
}

/// The link to render, or `None` when it is empty or not acceptable (content stored before
/// links were checked is never rendered as a link).
pub fn safe_link(v: &str) -> Option<&str> {
    is_safe_link(v).then_some(v)
}

/// The message for a refused link.
pub const LINK_ERROR: &str =
    "Enter an absolute http:// or https:// URL, or a path on this site starting with /.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_urls_and_site_paths_are_links() {
        for ok in [
            "https://mitxonline.zendesk.com/hc/en-us",
            "http://example.edu/a?b=c#d",
            "HTTPS://EXAMPLE.EDU/",
            "/financial-assistance/",
            "/",
        ] {
            assert!(is_safe_link(ok), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            " javascript:alert(1)",
            "java\tscript:alert(1)",
            "java\nscript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox(1)",
            "//evil.example/",
            "/\\evil.example",
            "\\\\evil.example",
            "https:evil.example",
            "https:/evil.example",
            "http://",
            "ftp://example.edu/",
            "mailto:help@example.edu",
            "relative/path",
            "",
        ] {
            assert!(!is_safe_link(bad), "{bad:?}");
        }
    }
}
