//! The deployment in `deploy/`: the APISIX standalone routes checked against the app, and the
//! app run behind a real prefix-stripping reverse proxy (nginx from Debian, configured from
//! those same routes) with a fake identity provider in the place of Keycloak.

mod apisix;
mod nginx;
mod proxy;
mod routes;
