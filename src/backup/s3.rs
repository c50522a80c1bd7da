//! An S3-compatible replica (AWS, MinIO, R2, moto) without an SDK: path-style requests over the
//! shared reqwest client, signed with AWS Signature Version 4 (HMAC-SHA256).
//!
//! Object keys follow what Litestream 0.5.17 writes to S3 (checked against the real binary):
//! `<prefix>/<level as 4 hex digits>/<min>-<max>.ltx`, e.g. `app/0009/0000000000000001-…ltx`
//! (its file replica uses `ltx/<level>/` instead).

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context as _;
use hmac::{KeyInit, Mac};
use sha2::{Digest, Sha256};

use super::ltx;
use super::replica::{FileInfo, SNAPSHOT_LEVEL};
use crate::config::{BackupSettings, Secret};

/// Bucket, key prefix, endpoint and credentials.
pub struct S3Replica {
    http: reqwest::Client,
    endpoint: String,
    bucket: String,
    prefix: String,
    region: String,
    access_key_id: String,
    secret: Secret,
}

const UNSIGNED: &str = "UNSIGNED-PAYLOAD";

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut m = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("any key length");
    m.update(data.as_bytes());
    m.finalize().into_bytes().to_vec()
}

/// RFC 3986 encoding as SigV4 wants it (`/` kept in paths when `keep_slash`).
fn uri_encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b'/' if keep_slash => out.push('/'),
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

impl S3Replica {
    /// `s3://bucket/prefix`; the endpoint may also be given as `?endpoint=` like Litestream's.
    pub fn from_url(url: &str, s: &BackupSettings, http: reqwest::Client) -> anyhow::Result<Self> {
        let parsed = url::Url::parse(url).with_context(|| format!("{url}: not a URL"))?;
        let bucket = parsed.host_str().unwrap_or_default().to_owned();
        anyhow::ensure!(!bucket.is_empty(), "{url}: no bucket name");
        let prefix = parsed.path().trim_matches('/').to_owned();
        let query_endpoint = parsed
            .query_pairs()
            .find(|(k, _)| k == "endpoint")
            .map(|(_, v)| v.into_owned());
        let region = s.s3_region.clone();
        let endpoint = s
            .s3_endpoint
            .as_ref()
            .map(|u| u.as_str().trim_end_matches('/').to_owned())
            .or(query_endpoint)
            .unwrap_or_else(|| format!("https://s3.{region}.amazonaws.com"));
        let access_key_id = s
            .s3_access_key_id
            .clone()
            .context("MITXONLINE_BACKUP_S3_ACCESS_KEY_ID is required for an s3:// backup URL")?;
        let secret = s
            .s3_secret_access_key
            .clone()
            .context("MITXONLINE_BACKUP_S3_SECRET_ACCESS_KEY is required for an s3:// backup URL")?;
        Ok(S3Replica {
            http,
            endpoint,
            bucket,
            prefix,
            region,
            access_key_id,
            secret,
        })
    }

    pub fn describe(&self) -> String {
        format!("s3://{}/{} ({})", self.bucket, self.prefix, self.endpoint)
    }

    /// The object key of an LTX file.
    fn object(&self, level: u8, min: u64, max: u64) -> String {
        self.key(&format!("{level:04x}/{}", ltx::file_name(min, max)))
    }

    fn key(&self, rel: &str) -> String {
        if self.prefix.is_empty() {
            rel.to_owned()
        } else {
            format!("{}/{rel}", self.prefix)
        }
    }

    /// Builds a signed request for `/<bucket>/<key>` with the given (unencoded) query pairs.
    fn request(
        &self,
        method: reqwest::Method,
        key: &str,
        query: &[(&str, String)],
    ) -> reqwest::RequestBuilder {
        let path = if key.is_empty() {
            format!("/{}", self.bucket)
        } else {
            format!("/{}/{}", self.bucket, key)
        };
        let canonical_uri = uri_encode(&path, true);
        let mut q: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| (uri_encode(k, false), uri_encode(v, false)))
            .collect();
        q.sort();
        let canonical_query = q
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        let host = url::Url::parse(&self.endpoint)
            .ok()
            .and_then(|u| {
                u.host_str().map(|h| {
                    u.port()
                        .map(|p| format!("{h}:{p}"))
                        .unwrap_or_else(|| h.to_owned())
                })
            })
            .unwrap_or_default();
        let now = chrono::Utc::now();
        let amz_date = now.format("%Y%m%dT%H%M%SZ").to_string();
        let date = now.format("%Y%m%d").to_string();
        let signed_headers = "host;x-amz-content-sha256;x-amz-date";
        let canonical = format!(
            "{method}\n{canonical_uri}\n{canonical_query}\nhost:{host}\nx-amz-content-sha256:{UNSIGNED}\nx-amz-date:{amz_date}\n\n{signed_headers}\n{UNSIGNED}"
        );
        let scope = format!("{date}/{}/s3/aws4_request", self.region);
        let to_sign = format!(
            "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
            hex(&Sha256::digest(canonical.as_bytes()))
        );
        let k = hmac(format!("AWS4{}", self.secret.expose()).as_bytes(), &date);
        let k = hmac(&k, &self.region);
        let k = hmac(&k, "s3");
        let k = hmac(&k, "aws4_request");
        let signature = hex(&hmac(&k, &to_sign));
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
            self.access_key_id
        );
        let mut url = format!("{}{canonical_uri}", self.endpoint);
        if !canonical_query.is_empty() {
            url.push('?');
            url.push_str(&canonical_query);
        }
        self.http
            .request(method, url)
            .header("x-amz-date", amz_date)
            .header("x-amz-content-sha256", UNSIGNED)
            .header("authorization", auth)
    }

    async fn send(&self, req: reqwest::RequestBuilder, what: &str) -> anyhow::Result<reqwest::Response> {
        let resp = req.send().await.with_context(|| format!("S3 {what}"))?;
        if !resp.status().is_success() {
            let status = resp.status();
            let body = resp.text().await.unwrap_or_default();
            let code = between(&body, "<Code>", "</Code>").unwrap_or("");
            anyhow::bail!("S3 {what}: HTTP {status} {code}");
        }
        Ok(resp)
    }

    pub async fn list(&self) -> anyhow::Result<Vec<FileInfo>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut q = vec![("list-type", "2".to_owned()), ("prefix", self.key(""))];
            if let Some(t) = &token {
                q.push(("continuation-token", t.clone()));
            }
            let body = self
                .send(self.request(reqwest::Method::GET, "", &q), "list")
                .await?
                .text()
                .await?;
            for item in body.split("<Contents>").skip(1) {
                let key = between(item, "<Key>", "</Key>").unwrap_or("");
                let size = between(item, "<Size>", "</Size>")
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
                let rel = key.strip_prefix(&self.key("")).unwrap_or("");
                let Some((level, name)) = rel.split_once('/') else {
                    continue;
                };
                if level.len() != 4 {
                    continue;
                }
                let Ok(level) = u8::from_str_radix(level, 16) else {
                    continue;
                };
                let Some((min, max)) = ltx::parse_file_name(name) else {
                    continue;
                };
                // Upload time: close to the header timestamp, good enough for retention; a
                // point-in-time restore reads the exact header timestamps.
                let timestamp_ms = between(item, "<LastModified>", "</LastModified>")
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                    .map(|t| t.timestamp_millis())
                    .unwrap_or(0);
                if level <= SNAPSHOT_LEVEL {
                    out.push(FileInfo {
                        level,
                        min_txid: min,
                        max_txid: max,
                        size,
                        timestamp_ms,
                    });
                }
            }
            if between(&body, "<IsTruncated>", "</IsTruncated>") == Some("true") {
                token = between(&body, "<NextContinuationToken>", "</NextContinuationToken>").map(unescape);
                if token.is_none() {
                    break;
                }
            } else {
                break;
            }
        }
        Ok(out)
    }

    pub async fn put(&self, level: u8, local: &Path, header: &ltx::Header) -> anyhow::Result<()> {
        let body = tokio::fs::read(local).await?;
        let key = self.object(level, header.min_txid, header.max_txid);
        let req = self.request(reqwest::Method::PUT, &key, &[]).body(body);
        self.send(req, &format!("put {key}")).await?;
        Ok(())
    }

    pub async fn get(&self, info: &FileInfo, dest: &Path) -> anyhow::Result<()> {
        let key = self.object(info.level, info.min_txid, info.max_txid);
        let mut resp = self
            .send(
                self.request(reqwest::Method::GET, &key, &[]),
                &format!("get {key}"),
            )
            .await?;
        let mut f = tokio::fs::File::create(dest).await?;
        use tokio::io::AsyncWriteExt as _;
        while let Some(chunk) = resp.chunk().await? {
            f.write_all(&chunk).await?;
        }
        f.flush().await?;
        Ok(())
    }

    pub async fn header(&self, info: &FileInfo) -> anyhow::Result<ltx::Header> {
        let key = self.object(info.level, info.min_txid, info.max_txid);
        let req = self
            .request(reqwest::Method::GET, &key, &[])
            .header("range", format!("bytes=0-{}", ltx::HEADER_SIZE - 1));
        let bytes = self.send(req, &format!("get {key}")).await?.bytes().await?;
        ltx::Header::decode(&bytes).map_err(|e| anyhow::anyhow!("{}: {e}", info.key()))
    }

    pub async fn delete(&self, info: &FileInfo) -> anyhow::Result<()> {
        let key = self.object(info.level, info.min_txid, info.max_txid);
        self.send(
            self.request(reqwest::Method::DELETE, &key, &[]),
            &format!("delete {key}"),
        )
        .await?;
        Ok(())
    }
}

fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let i = s.find(start)? + start.len();
    let j = s[i..].find(end)? + i;
    Some(&s[i..j])
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_encoding_keeps_unreserved_characters_and_slashes_in_paths() {
        assert_eq!(uri_encode("a b/c~d", true), "a%20b/c~d");
        assert_eq!(uri_encode("ltx/0", false), "ltx%2F0");
    }

    #[test]
    fn the_signing_key_chain_matches_the_aws_documentation_example() {
        // AWS SigV4 docs: secret wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, 20120215, us-east-1, iam.
        let k = hmac(b"AWS4wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215");
        let k = hmac(&k, "us-east-1");
        let k = hmac(&k, "iam");
        let k = hmac(&k, "aws4_request");
        assert_eq!(
            hex(&k),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }
}
