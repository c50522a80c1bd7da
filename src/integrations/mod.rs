//! Clients for the partner systems MITx Online talks to, each with its own typed errors and a
//! built-in sandbox that behaves like the real service, so a development instance needs no
//! external account (DESIGN decision 8).

pub mod cybersource;
