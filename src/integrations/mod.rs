//! Integrations with the systems MITx Online talks to. Each one has a typed client with its own
//! error enum, speaks through the outbox for side effects, and ships a built-in sandbox that is
//! the default when no credentials are configured (DESIGN decision 8), so a development instance
//! needs no external account.

pub mod cybersource;
pub mod exchange_rates;
pub mod hubspot;
pub mod keycloak;
pub mod openedx;
