//! CyberSource: Secure Acceptance hosted checkout (signed form out, signed result back) and the
//! REST API for refunds and transaction search — byte-compatible with the original's
//! `mitol-django-payment-gateway`, checked against golden vectors that library produced
//! (`tests/data/cybersource/`).
//!
//! With no `MITXONLINE_CYBERSOURCE_*` credentials the built-in [`sandbox`] stands in: a hosted
//! checkout page on this server that verifies the signed form, lets the learner accept,
//! decline or cancel, and posts correctly signed results back; its REST endpoints answer
//! refunds and searches from what it recorded. It runs only where sandboxes are allowed
//! (`dev`/`test` or `MITXONLINE_SANDBOX=on`, see [`Config::sandbox_allowed`]); its keys are
//! random, generated once per database ([`crate::db::sandbox_keys`]), so nobody else can sign results.
//!
//! For the order work: build a [`CheckoutOrder`], call [`CyberSource::checkout`], render the
//! form; on `/checkout/result/` and `/api/checkout/result/` parse with
//! [`CallbackForm::from_body`], [`CyberSource::verify`], then [`CallbackForm::decode`]; refund
//! and reconcile with [`CyberSource::rest_client`].
//!
//! Owns `cybersource_sandbox_payments`, `cybersource_sandbox_refunds` and
//! `cybersource_sandbox_faults` (the sandbox's records); reads no other module's tables. The
//! client (this file, [`rest`], [`signing`], [`callback`], [`transactions`]) knows no web layer
//! and no domain module; the sandbox's web face is [`sandbox`].

pub mod callback;
pub mod checkout;
pub mod refund_lookup;
pub mod rest;
pub mod sandbox;
pub mod signing;
pub mod transactions;

use axum::Router;
use chrono::{DateTime, Utc};
use url::Url;
use uuid::Uuid;

use crate::config::{Config, Secret};
use crate::state::AppState;

pub use callback::{
    CallbackForm, Decision, OrderOutcome, ProcessorResponse, VerifyError, order_id_from_reference,
    reference_number,
};
pub use checkout::{CheckoutForm, CheckoutLine, CheckoutOrder, ReturnUrls, prepare_checkout};
pub use rest::{RefundRequest, RefundResponse, RestClient, RestCredentials, RestError};
pub use transactions::{TransactionDetails, TransactionSummary};

/// Secure Acceptance profile credentials.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub secure_acceptance_url: String,
    pub access_key: String,
    pub profile_id: String,
    pub security_key: Secret,
}

/// The payment gateway this instance uses: the real CyberSource or the built-in sandbox.
#[derive(Debug, Clone)]
pub struct CyberSource {
    pub credentials: Credentials,
    /// `None` when the REST merchant credentials are not configured.
    pub rest: Option<RestCredentials>,
    pub sandbox: bool,
}

/// Sandbox profile names (shown on the sandbox page; not secret).
pub const SANDBOX_ACCESS_KEY: &str = "sandbox-access-key";
pub const SANDBOX_PROFILE_ID: &str = "MITXONLINE-SANDBOX";
pub const SANDBOX_MERCHANT_ID: &str = "mitxonline_sandbox";
pub const SANDBOX_KEY_ID: &str = "sandbox-key";

/// Where this process can reach itself (the sandbox REST API is called over loopback).
fn loopback_base(config: &Config) -> Url {
    Url::parse(&format!(
        "{}{}",
        super::loopback_origin(config),
        sandbox::REST_BASE
    ))
    .expect("valid loopback URL")
}

impl CyberSource {
    /// The configured gateway; without credentials, the sandbox when sandboxes are allowed and
    /// its keys were loaded ([`crate::state::AppState::open`] does), and otherwise a gateway that
    /// refuses everything: its key is random and known to no one, so nothing it signs is
    /// accepted and no result verifies, and it has no REST client. (`serve` never starts that
    /// way: [`Config::check_sandboxes`].)
    pub fn from_config(config: &Config) -> CyberSource {
        if let Some(c) = &config.cybersource {
            return CyberSource {
                credentials: Credentials {
                    secure_acceptance_url: c.secure_acceptance_url.to_string(),
                    access_key: c.access_key.clone(),
                    profile_id: c.profile_id.clone(),
                    security_key: c.security_key.clone(),
                },
                rest: match (&c.merchant_id, &c.merchant_key_id, &c.merchant_secret) {
                    (Some(id), Some(key_id), Some(secret)) => Some(RestCredentials {
                        base_url: c.rest_api_url.clone(),
                        merchant_id: id.clone(),
                        key_id: key_id.clone(),
                        secret: secret.clone(),
                    }),
                    _ => None,
                },
                sandbox: false,
            };
        }
        let keys = config
            .sandbox_keys
            .as_ref()
            .filter(|_| config.cybersource_sandbox());
        let credentials = Credentials {
            secure_acceptance_url: config.absolute_url(sandbox::PAY_PATH),
            access_key: SANDBOX_ACCESS_KEY.into(),
            profile_id: SANDBOX_PROFILE_ID.into(),
            security_key: match keys {
                Some(k) => k.security_key.clone(),
                None => Secret::new(checkout::hex(&rand::random::<[u8; 32]>())),
            },
        };
        CyberSource {
            credentials,
            rest: keys.map(|k| RestCredentials {
                base_url: loopback_base(config),
                merchant_id: SANDBOX_MERCHANT_ID.into(),
                key_id: SANDBOX_KEY_ID.into(),
                secret: k.rest_secret.clone(),
            }),
            sandbox: keys.is_some(),
        }
    }

    /// The signed checkout form for an order (new `transaction_uuid` each time).
    pub fn checkout(&self, order: &CheckoutOrder, urls: &ReturnUrls, now: DateTime<Utc>) -> CheckoutForm {
        prepare_checkout(&self.credentials, order, urls, now, Uuid::new_v4())
    }

    /// Checks a posted result's signature against this profile's key.
    pub fn verify(&self, form: &CallbackForm) -> Result<(), VerifyError> {
        form.verify(self.credentials.security_key.expose())
    }

    /// A REST client, if merchant credentials are configured.
    pub fn rest_client(&self, http: reqwest::Client) -> Result<RestClient, RestError> {
        self.rest
            .clone()
            .map(|c| RestClient::new(http, c))
            .ok_or(RestError::NotConfigured)
    }
}

/// The sandbox's pages and REST endpoints (mounted always; they answer 404 unless the sandbox
/// is in use: no credentials, sandboxes allowed).
pub fn routes() -> Router<AppState> {
    sandbox::routes()
}

/// Registers the sandbox's callback deliverer with the outbox.
pub fn register(state: &AppState) {
    sandbox::register(state);
}

#[cfg(test)]
mod bench_tests;
#[cfg(test)]
mod golden_tests;
