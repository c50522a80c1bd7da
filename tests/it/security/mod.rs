//! Regression tests for the attacks of issue 11, each named after the attack.

mod cross_site;
mod links;
mod payments;
mod sandbox;
