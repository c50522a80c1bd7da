//! Static assets embedded in the binary and served under content-hashed names
//! (`/static/app.3f2a1b9c0d.css`) with a one-year immutable cache, gzip-precompressed at start.

use std::collections::HashMap;
use std::io::Write as _;
use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;
use sha2::{Digest as _, Sha256};

use super::page::Prefix;

#[derive(RustEmbed)]
#[folder = "$CARGO_MANIFEST_DIR/assets/"]
struct Embedded;

struct Asset {
    bytes: &'static [u8],
    gzip: Option<Vec<u8>>,
    mime: String,
    etag: String,
}

struct Catalog {
    /// hashed name → asset
    by_hashed: HashMap<String, Asset>,
    /// logical name (`app.css`) → hashed name
    hashed: HashMap<String, String>,
}

fn compressible(mime: &str) -> bool {
    mime.starts_with("text/") || mime.contains("javascript") || mime.contains("json") || mime.contains("svg")
}

fn build() -> Catalog {
    let mut by_hashed = HashMap::new();
    let mut hashed = HashMap::new();
    for name in Embedded::iter() {
        let Some(file) = Embedded::get(&name) else {
            continue;
        };
        let mime = file.metadata.mimetype().to_owned();
        let bytes: &'static [u8] = match file.data {
            std::borrow::Cow::Borrowed(b) => b,
            std::borrow::Cow::Owned(v) => Box::leak(v.into_boxed_slice()),
        };
        let digest = hex(&Sha256::digest(bytes)[..5]);
        let hashed_name = match name.rsplit_once('.') {
            Some((stem, ext)) => format!("{stem}.{digest}.{ext}"),
            None => format!("{name}.{digest}"),
        };
        let gzip = compressible(&mime)
            .then(|| gzip(bytes))
            .filter(|g| g.len() < bytes.len());
        hashed.insert(name.to_string(), hashed_name.clone());
        by_hashed.insert(
            hashed_name,
            Asset {
                bytes,
                gzip,
                mime,
                etag: format!("\"{digest}\""),
            },
        );
    }
    Catalog { by_hashed, hashed }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let _ = enc.write_all(bytes);
    enc.finish().unwrap_or_default()
}

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(build)
}

/// Hashes and compresses every asset now rather than on the first request.
pub fn warm() {
    let _ = catalog();
}

/// The URL of an asset by its logical name (`app.css`), prefix included.
pub fn url(prefix: &Prefix, name: &str) -> String {
    match catalog().hashed.get(name) {
        Some(h) => prefix.url(&format!("/static/{h}")),
        None => prefix.url(&format!("/static/{name}")),
    }
}

/// GET /static/{name}: hashed names are immutable; logical names revalidate.
pub async fn serve(Path(name): Path<String>, headers: HeaderMap) -> Response {
    let cat = catalog();
    let (asset, immutable) = match cat.by_hashed.get(&name) {
        Some(a) => (a, true),
        None => match cat.hashed.get(&name).and_then(|h| cat.by_hashed.get(h)) {
            Some(a) => (a, false),
            None => return StatusCode::NOT_FOUND.into_response(),
        },
    };
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == asset.etag))
    {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let accepts_gzip = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
    let cache = if immutable {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=0, must-revalidate"
    };
    let mut resp = match (&asset.gzip, accepts_gzip) {
        (Some(gz), true) => {
            let mut r = gz.clone().into_response();
            r.headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            r
        }
        _ => asset.bytes.into_response(),
    };
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&asset.mime).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    if let Ok(v) = HeaderValue::from_str(&asset.etag) {
        h.insert(header::ETAG, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_gets_a_content_hashed_url() {
        let u = url(&Prefix("/mitxonline".into()), "app.css");
        assert!(u.starts_with("/mitxonline/static/app."), "{u}");
        assert!(u.ends_with(".css"));
        assert_ne!(u, "/mitxonline/static/app.css");
    }
}
