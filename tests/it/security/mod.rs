//! Regression tests for the attacks of issue 11, each named after the attack.

mod links;
mod sandbox;
