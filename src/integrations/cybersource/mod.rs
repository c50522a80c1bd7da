//! CyberSource: Secure Acceptance hosted checkout (signed form out, signed result back) and the
//! REST API for refunds and transaction search — byte-compatible with the original's
//! `mitol-django-payment-gateway`, checked against golden vectors that library produced
//! (`tests/data/cybersource/`).
//!
//! With no `MITXONLINE_CYBERSOURCE_*` credentials the built-in [`sandbox`] stands in: a hosted
//! checkout page on this server that verifies the signed form, lets the learner accept,
//! decline or cancel, and posts correctly signed results back; its REST endpoints answer
//! refunds and searches from what it recorded. Its keys are derived from the public URL
//! ([`CyberSource::from_config`]) — fixed for an instance, and not secret, because nothing real
//! is paid there.
//!
//! For the order work: build a [`CheckoutOrder`], call [`CyberSource::checkout`], render the
//! form; on `/checkout/result/` and `/api/checkout/result/` parse with
//! [`CallbackForm::from_body`], [`CyberSource::verify`], then [`CallbackForm::decode`]; refund
//! and reconcile with [`CyberSource::rest_client`].

pub mod callback;
pub mod checkout;
pub mod refund_lookup;
pub mod rest;
pub mod sandbox;
pub mod signing;
pub mod transactions;

use axum::Router;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use sha2::{Digest as _, Sha256};
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

fn derive(label: &str, public_url: &Url) -> [u8; 32] {
    Sha256::digest(format!("{label}:{}", public_url.as_str().trim_end_matches('/')).as_bytes()).into()
}

/// The sandbox's Secure Acceptance security key: hex SHA-256 of
/// `mitxonline-cybersource-sandbox:<public url without trailing slash>`.
pub fn sandbox_security_key(public_url: &Url) -> String {
    checkout::hex(&derive("mitxonline-cybersource-sandbox", public_url))
}

/// The sandbox's REST shared secret: base64 of SHA-256 of
/// `mitxonline-cybersource-sandbox-rest:<public url without trailing slash>`.
pub fn sandbox_rest_secret(public_url: &Url) -> String {
    STANDARD.encode(derive("mitxonline-cybersource-sandbox-rest", public_url))
}

/// Where this process can reach itself (the sandbox REST API is called over loopback).
fn loopback_base(config: &Config) -> Url {
    let addr = config.bind;
    let ip = match addr.ip() {
        std::net::IpAddr::V4(v4) if v4.is_unspecified() => "127.0.0.1".to_owned(),
        std::net::IpAddr::V6(v6) if v6.is_unspecified() => "[::1]".to_owned(),
        std::net::IpAddr::V4(v4) => v4.to_string(),
        std::net::IpAddr::V6(v6) => format!("[{v6}]"),
    };
    Url::parse(&format!("http://{ip}:{}{}", addr.port(), sandbox::REST_BASE)).expect("valid loopback URL")
}

impl CyberSource {
    /// The configured gateway, or the sandbox when `MITXONLINE_CYBERSOURCE_*` is unset.
    pub fn from_config(config: &Config) -> CyberSource {
        match &config.cybersource {
            Some(c) => CyberSource {
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
            },
            None => CyberSource {
                credentials: Credentials {
                    secure_acceptance_url: config.absolute_url(sandbox::PAY_PATH),
                    access_key: SANDBOX_ACCESS_KEY.into(),
                    profile_id: SANDBOX_PROFILE_ID.into(),
                    security_key: Secret::new(sandbox_security_key(&config.public_url)),
                },
                rest: Some(RestCredentials {
                    base_url: loopback_base(config),
                    merchant_id: SANDBOX_MERCHANT_ID.into(),
                    key_id: SANDBOX_KEY_ID.into(),
                    secret: Secret::new(sandbox_rest_secret(&config.public_url)),
                }),
                sandbox: true,
            },
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

/// The sandbox's pages and REST endpoints (mounted always; they answer 404 when real
/// credentials are configured).
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
