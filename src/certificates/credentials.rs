//! Verifiable credentials (OpenBadge v3, surface §6). A new certificate whose certificate page
//! asks for one (`should_provision_verifiable_credential` and a criteria narrative) enqueues a
//! `verifiable_credentials` outbox message in the same transaction; the [`CredentialDeliverer`]
//! builds the credential, has it signed — by `MITXONLINE_VC_SIGNER_URL` (bearer
//! `MITXONLINE_VC_SIGNER_TOKEN`) or, when unset, by a built-in sandbox signer that adds an HMAC
//! proof (not verifiable by anyone else) — and stores the signed JSON with the certificate.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use hmac::{KeyInit as _, Mac as _};
use rusqlite::Connection;
use serde_json::{Value, json};

use super::model::{Certificate, Kind};
use super::store;
use crate::catalog::CatalogCache;
use crate::catalog::snapshot::Catalog;
use crate::clock::Clock;
use crate::cms::model::PageContent;
use crate::cms::store as cms;
use crate::config::VcConfig;
use crate::db::{Db, DbError};
use crate::outbox::{BoxFuture, Deliverer, Delivery, Message, NewMessage};

pub const DESTINATION: &str = "verifiable_credentials";

/// The certificate page content a certificate's credential follows: the newest revision of the
/// page it pinned (so fixing the page later still lets a credential be provisioned).
fn page_for(c: &Connection, cert: &Certificate) -> rusqlite::Result<Option<PageContent>> {
    let Some(rev) = cert.revision_id else {
        return Ok(None);
    };
    let Some((page_id, _)) = cms::revision_content(c, rev)? else {
        return Ok(None);
    };
    Ok(cms::latest_revision(c, page_id)?.map(|r| r.content))
}

fn provisions(p: &PageContent) -> bool {
    p.should_provision_verifiable_credential && !p.verifiable_credential_criteria.trim().is_empty()
}

/// Whether each pinned page revision provisions a credential, remembered for one write
/// transaction (a batch issues thousands of certificates pinning the same few revisions).
#[derive(Debug, Default)]
pub struct Provisioning(HashMap<i64, bool>);

impl Provisioning {
    /// Enqueues the credential request when the certificate's page provisions one. True when
    /// queued.
    pub fn request(
        &mut self,
        c: &Connection,
        now: DateTime<Utc>,
        cert: &Certificate,
    ) -> rusqlite::Result<bool> {
        let Some(rev) = cert.revision_id.filter(|_| cert.credential_id.is_none()) else {
            return Ok(false);
        };
        let asks = match self.0.get(&rev) {
            Some(&asks) => asks,
            None => {
                let asks = page_for(c, cert)?.as_ref().is_some_and(provisions);
                self.0.insert(rev, asks);
                asks
            }
        };
        if !asks {
            return Ok(false);
        }
        crate::outbox::enqueue(
            c,
            now,
            &NewMessage {
                destination: DESTINATION.into(),
                kind: cert.kind.as_str().into(),
                payload: json!({ "certificate_id": cert.id, "uuid": cert.uuid }),
                idempotency_key: format!("vc:{}:{}", cert.kind.as_str(), cert.uuid),
            },
        )?;
        Ok(true)
    }
}

fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The unsigned OpenBadge v3 credential of a certificate (the original's payload).
pub fn payload(
    c: &Connection,
    cat: &Catalog,
    vc: &VcConfig,
    public_url: &str,
    cert: &Certificate,
) -> Result<Option<Value>, DbError> {
    let Some(page) = page_for(c, cert)? else {
        return Ok(None);
    };
    let Some(user) = crate::users::store::find_by_id(c, cert.user_id)? else {
        return Ok(None);
    };
    let learn = vc.learn_base_url.as_str().trim_end_matches('/');
    let (kind_word, url, name, started, page_image) = match cert.kind {
        Kind::CourseRun => {
            let Some(run) = cat.run_by_id.get(&cert.object_id).map(|&i| &cat.runs[i]) else {
                return Ok(None);
            };
            let Some(course) = cat.course(run.course_id) else {
                return Ok(None);
            };
            let started = crate::enrollment::store::find(c, cert.user_id, run.id)?.map(|e| e.created_on);
            let image = cat.page(course.page).and_then(|p| p.content.feature_image_id);
            (
                "Course",
                format!("{learn}/courses/{}", course.readable_id),
                run.title.clone(),
                started,
                image,
            )
        }
        Kind::Program => {
            let Some(p) = cat.program(cert.object_id) else {
                return Ok(None);
            };
            let started =
                crate::enrollment::store::find_program(c, cert.user_id, p.id)?.map(|e| e.created_on);
            let name = Some(page.product_name.trim())
                .filter(|n| !n.is_empty())
                .unwrap_or(&p.title);
            let image = cat.page(p.page).and_then(|pg| pg.content.feature_image_id);
            (
                "Program",
                format!("{learn}/programs/{}", p.readable_id),
                name.to_owned(),
                started,
                image,
            )
        }
    };
    let valid_from = time(cert.issue_date);
    let mut out = json!({
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
            "https://w3id.org/security/suites/ed25519-2020/v1",
        ],
        "id": format!("urn:uuid:{}", cert.uuid),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {
            "id": format!("did:key:{}", vc.did),
            "type": ["Profile"],
            "name": "MIT Learn",
            "image": { "id": "https://learn.mit.edu/images/mit-red.png", "type": "Image", "caption": "MIT Learn logo" },
        },
        "validFrom": valid_from,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "activityStartDate": started.map(time).unwrap_or_else(|| valid_from.clone()),
            "activityEndDate": valid_from,
            "identifier": [{ "type": "IdentityObject", "identityHash": user.name, "identityType": "name",
                             "hashed": false, "salt": "not-used" }],
            "achievement": {
                "id": url,
                "achievementType": kind_word,
                "type": ["Achievement"],
                "criteria": { "narrative": page.verifiable_credential_criteria },
                "description": format!("{} has successfully completed all modules and earned a {kind_word} Certificate in {name}.", user.name),
                "name": name,
            },
        },
    });
    if let Some(id) = page_image {
        out["credentialSubject"]["achievement"]["image"] = json!({
            "id": format!("{}/media/{id}/", public_url.trim_end_matches('/')),
            "type": "Image", "caption": "MIT Learn Certificate logo",
        });
    }
    Ok(Some(out))
}

/// The built-in signer: the credential plus a `proof` whose value is an HMAC-SHA256 of the
/// credential under a fixed sandbox key. Good for development, worthless as a signature.
pub fn sandbox_sign(mut credential: Value, did: &str, now: DateTime<Utc>) -> Value {
    use base64::Engine as _;
    let mut mac =
        hmac::Hmac::<sha2::Sha256>::new_from_slice(b"mitxonline-sandbox-vc-signer").expect("any key length");
    mac.update(credential.to_string().as_bytes());
    let value = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    credential["proof"] = json!({
        "type": "DataIntegrityProof",
        "cryptosuite": "mitxonline-sandbox-hmac-sha256",
        "created": time(now),
        "verificationMethod": format!("did:key:{did}#{did}"),
        "proofPurpose": "assertionMethod",
        "proofValue": value,
    });
    credential
}

/// Delivers `verifiable_credentials` messages: build, sign, store.
pub struct CredentialDeliverer {
    pub db: Db,
    pub clock: Clock,
    pub http: reqwest::Client,
    pub vc: VcConfig,
    pub public_url: String,
    pub catalog: Arc<CatalogCache>,
}

impl CredentialDeliverer {
    async fn run(&self, msg: &Message) -> Delivery {
        let kind = match msg.kind.as_str() {
            "course_run_certificate" => Kind::CourseRun,
            "program_certificate" => Kind::Program,
            other => {
                return Delivery::Permanent {
                    error: format!("unknown kind {other}"),
                };
            }
        };
        let Some(id) = msg.payload.get("certificate_id").and_then(Value::as_i64) else {
            return Delivery::Permanent {
                error: "payload has no certificate_id".into(),
            };
        };
        let cat = match self.catalog.get(&self.db).await {
            Ok((cat, _)) => cat,
            Err(e) => return transient(e),
        };
        let (vc, url) = (self.vc.clone(), self.public_url.clone());
        let built = self
            .db
            .read(move |c| -> Result<_, DbError> {
                let Some(cert) = store::get(c, kind, id)? else {
                    return Ok(None);
                };
                Ok(payload(c, &cat, &vc, &url, &cert)?.map(|p| (cert, p)))
            })
            .await;
        let (cert, unsigned) = match built {
            Ok(Some(x)) => x,
            // The certificate is gone (a zero grade) or no longer provisions: nothing to sign.
            Ok(None) => return Delivery::Delivered,
            Err(e) => return transient(e),
        };
        let signed = match &self.vc.signer_url {
            None => sandbox_sign(unsigned, &self.vc.did, self.clock.now()),
            Some(url) => match self
                .remote_sign(url.as_str(), &unsigned, &msg.idempotency_key)
                .await
            {
                Ok(v) => v,
                Err(d) => return d,
            },
        };
        let uuid = signed["id"]
            .as_str()
            .map(|s| s.trim_start_matches("urn:uuid:").to_owned())
            .unwrap_or_else(|| cert.uuid.clone());
        let now = self.clock.now();
        match self
            .db
            .write(move |c| store::store_credential(c, kind, cert.id, &uuid, &signed, now))
            .await
        {
            Ok(()) => Delivery::Delivered,
            Err(e) => transient(DbError::Sqlite(e)),
        }
    }

    async fn remote_sign(&self, url: &str, body: &Value, key: &str) -> Result<Value, Delivery> {
        let mut req = self.http.post(url).header("Idempotency-Key", key).json(body);
        if let Some(t) = &self.vc.signer_token {
            req = req.bearer_auth(t.expose());
        }
        let resp = req.send().await.map_err(|e| Delivery::Transient {
            error: format!("signer unreachable: {e}"),
            retry_after: None,
        })?;
        let status = resp.status().as_u16();
        let retry_after = crate::outbox::retry_after(&resp);
        let text = resp.text().await.unwrap_or_default();
        match Delivery::from_status(status, retry_after.as_deref(), &text) {
            Delivery::Delivered => serde_json::from_str(&text).map_err(|e| Delivery::Permanent {
                error: format!("the signer's answer is not JSON: {e}"),
            }),
            other => Err(other),
        }
    }
}

fn transient(e: DbError) -> Delivery {
    Delivery::Transient {
        error: format!("database: {e}"),
        retry_after: None,
    }
}

impl Deliverer for CredentialDeliverer {
    fn deliver<'a>(&'a self, msg: &'a Message) -> BoxFuture<'a, Delivery> {
        Box::pin(self.run(msg))
    }
}
