//! Integrations with the systems MITx Online talks to. Each one has a typed client with its own
//! error enum, speaks through the outbox for side effects, and ships a built-in sandbox that is
//! the default when no credentials are configured (DESIGN decision 8).

pub mod openedx;
