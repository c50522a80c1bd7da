//! `src/users/`: the `X-Userinfo` header and the JSON profile and legal address parsers.

#[path = "../../src/users/gateway.rs"]
pub mod gateway;
#[path = "../../src/users/geo.rs"]
pub mod geo;
#[path = "../../src/users/model.rs"]
pub mod model;
#[path = "../../src/users/rules.rs"]
pub mod rules;
