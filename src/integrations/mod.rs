//! Integrations with the systems MITx Online talks to. Each one has a typed client with its own
//! error enum, speaks through the outbox for side effects, and ships a built-in sandbox that is
//! the default when no credentials are configured (DESIGN decision 8), so a development instance
//! needs no external account.

pub mod cybersource;
pub mod exchange_rates;
pub mod hubspot;
pub mod keycloak;
pub mod openedx;
pub mod sandbox_faults;
pub mod sheets;

/// Where this process can reach itself (`http://<bind ip>:<port>`; an unspecified bind address
/// becomes loopback): sandboxes served on our own listener are called through it.
pub fn loopback_origin(config: &crate::config::Config) -> String {
    let addr = config.bind;
    let ip = match addr.ip() {
        std::net::IpAddr::V4(v4) if v4.is_unspecified() => "127.0.0.1".to_owned(),
        std::net::IpAddr::V6(v6) if v6.is_unspecified() => "[::1]".to_owned(),
        std::net::IpAddr::V4(v4) => v4.to_string(),
        std::net::IpAddr::V6(v6) => format!("[{v6}]"),
    };
    format!("http://{ip}:{}", addr.port())
}
