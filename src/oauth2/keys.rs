//! The RS256 key that signs ID tokens: generated once (aws-lc-rs), kept in `oauth2_keys`,
//! published as a JWKS. Holds the small DER reading needed to go from the generated PKCS#8
//! key to the PKCS#1 key jsonwebtoken signs with, and to the public modulus and exponent.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use serde_json::{Value, json};

use super::store::{self, KeyRow};
use crate::db::DbError;
use crate::state::AppState;

/// One DER element: (tag, contents, rest).
fn der_element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |a, &b| (a << 8) | usize::from(b));
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// The content and what follows of the element at the start of `input`, if its tag is `tag`.
fn der_expect(tag: u8, input: &[u8]) -> Option<(&[u8], &[u8])> {
    let (found, content, rest) = der_element(input)?;
    (found == tag).then_some((content, rest))
}

/// PKCS#8 PrivateKeyInfo -> the PKCS#1 RSAPrivateKey inside its OCTET STRING.
fn pkcs1_from_pkcs8(pkcs8: &[u8]) -> Option<Vec<u8>> {
    let (seq, _) = der_expect(0x30, pkcs8)?;
    let (_, rest) = der_expect(0x02, seq)?;
    let (_, rest) = der_expect(0x30, rest)?;
    let (key, _) = der_expect(0x04, rest)?;
    Some(key.to_vec())
}

/// PKCS#1 RSAPublicKey -> (n, e) big-endian without leading zeros.
fn public_components(pkcs1_public: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let (seq, _) = der_expect(0x30, pkcs1_public)?;
    let (n, rest) = der_expect(0x02, seq)?;
    let (e, _) = der_expect(0x02, rest)?;
    let strip = |b: &[u8]| b.iter().skip_while(|&&x| x == 0).copied().collect::<Vec<u8>>();
    Some((strip(n), strip(e)))
}

/// Generates a fresh 2048-bit key (CPU work: call from a blocking thread).
pub fn generate() -> anyhow::Result<KeyRow> {
    use aws_lc_rs::encoding::AsDer as _;
    use aws_lc_rs::rsa::{KeyPair, KeySize};
    use aws_lc_rs::signature::KeyPair as _;
    let pair =
        KeyPair::generate(KeySize::Rsa2048).map_err(|_| anyhow::anyhow!("RSA key generation failed"))?;
    let pkcs8 = pair
        .as_der()
        .map_err(|_| anyhow::anyhow!("RSA key encoding failed"))?;
    let private_der =
        pkcs1_from_pkcs8(pkcs8.as_ref()).ok_or_else(|| anyhow::anyhow!("unexpected PKCS#8 layout"))?;
    let (n, e) = public_components(pair.public_key().as_ref())
        .ok_or_else(|| anyhow::anyhow!("unexpected RSA public key layout"))?;
    Ok(KeyRow {
        kid: crate::users::sessions::random_token()[..16].to_owned(),
        private_der,
        n: URL_SAFE_NO_PAD.encode(n),
        e: URL_SAFE_NO_PAD.encode(e),
    })
}

/// The signing key, generated and stored on first use.
pub async fn ensure(state: &AppState) -> anyhow::Result<KeyRow> {
    if let Some(k) = state.db.read(store::current_key).await? {
        return Ok(k);
    }
    let fresh = tokio::task::spawn_blocking(generate).await??;
    let key = state
        .write_at(move |c, now| {
            if store::current_key(c)?.is_none() {
                store::insert_key(c, &fresh, now)?;
            }
            store::current_key(c)?.ok_or(DbError::from(rusqlite::Error::QueryReturnedNoRows))
        })
        .await?;
    Ok(key)
}

/// The JWKS document publishing the public key.
pub fn jwks(key: &KeyRow) -> Value {
    json!({"keys": [{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": key.kid, "n": key.n, "e": key.e}]})
}

/// Claims of an ID token.
#[derive(Debug, Serialize)]
pub struct IdClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub auth_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    pub email: String,
    pub name: String,
    pub preferred_username: String,
    pub is_staff: bool,
}

pub fn sign(key: &KeyRow, claims: &IdClaims) -> anyhow::Result<String> {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(key.kid.clone());
    Ok(jsonwebtoken::encode(
        &header,
        claims,
        &EncodingKey::from_rsa_der(&key.private_der),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_signs_tokens_that_its_published_components_verify() {
        let key = generate().unwrap();
        let claims = IdClaims {
            iss: "https://mxo.example".into(),
            sub: "7".into(),
            aud: "client".into(),
            exp: 4_000_000_000,
            iat: 1,
            auth_time: 1,
            nonce: Some("n".into()),
            email: "a@b.c".into(),
            name: "A".into(),
            preferred_username: "a".into(),
            is_staff: false,
        };
        let token = sign(&key, &claims).unwrap();
        let dk = jsonwebtoken::DecodingKey::from_rsa_components(&key.n, &key.e).unwrap();
        let mut v = jsonwebtoken::Validation::new(Algorithm::RS256);
        v.set_audience(&["client"]);
        let got = jsonwebtoken::decode::<Value>(&token, &dk, &v).unwrap();
        assert_eq!(got.claims["nonce"], "n");
    }

    #[test]
    fn malformed_der_is_refused_rather_than_panicking() {
        assert!(pkcs1_from_pkcs8(&[0x30, 0x82]).is_none());
        assert!(public_components(&[]).is_none());
    }
}
