//! The CSRF token's place in a buffered form body (urlencoded or multipart), found without the
//! rest of the request. A leaf module (std and `form_urlencoded` only), so the fuzz suite
//! (`fuzz/`, target `forms`) compiles it on its own.

/// The form field Django's templates post the token in.
pub const FORM_FIELD: &str = "csrfmiddlewaretoken";

/// Finds the CSRF token in a buffered form body (urlencoded or multipart).
pub fn form_token(content_type: &str, body: &[u8]) -> Option<String> {
    if content_type.starts_with("application/x-www-form-urlencoded") {
        return form_urlencoded::parse(body)
            .find(|(k, _)| k == FORM_FIELD)
            .map(|(_, v)| v.into_owned());
    }
    let needle = format!("name=\"{}\"", FORM_FIELD);
    let at = body.windows(needle.len()).position(|w| w == needle.as_bytes())?;
    let rest = &body[at..];
    let start = rest.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let value = &rest[start..];
    let end = value.windows(2).position(|w| w == b"\r\n")?;
    std::str::from_utf8(&value[..end])
        .ok()
        .map(|s| s.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_token_is_found_in_urlencoded_and_multipart_bodies() {
        assert_eq!(
            form_token(
                "application/x-www-form-urlencoded",
                b"a=1&csrfmiddlewaretoken=abc&b=2"
            )
            .as_deref(),
            Some("abc")
        );
        let mp =
            b"--X\r\nContent-Disposition: form-data; name=\"csrfmiddlewaretoken\"\r\n\r\ntok123\r\n--X--\r\n";
        assert_eq!(
            form_token("multipart/form-data; boundary=X", mp).as_deref(),
            Some("tok123")
        );
        assert_eq!(form_token("multipart/form-data; boundary=X", b"--X--"), None);
    }
}
