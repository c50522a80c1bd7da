//! Identity area: local accounts, sessions, credentials, gateway and OIDC modes, SCIM, mail, staff
//! surfaces, our OAuth2 provider and the users API.

mod attacks_limits;
mod attacks_staff;
mod attacks_web;
mod browser;
mod credentials;
mod gateway;
mod local;
mod mail;
mod oauth2;
mod oauth2_edx;
mod oauth2_tokens;
mod oidc;
mod retirement;
mod route_matrix;
mod scim;
mod staff;
mod users_api;
