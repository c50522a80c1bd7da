//! Black-box integration tests: one binary, each test spawns the app on 127.0.0.1:0 with a
//! temporary database and drives it over HTTP. Test names are sentences.

mod support;

mod backup;
mod backup_crash;
mod backup_levels;
mod backup_s3;
mod catalog;
mod catalog_filters;
mod checkout;
mod checkout_bench;
mod checkout_browser;
mod cms;
mod commerce;
mod commerce_helpers;
mod cybersource;
mod cybersource_browser;
mod cybersource_rest;
mod enrollment;
mod enrollment_crash;
mod enrollment_helpers;
mod enrollment_jobs;
mod enrollment_pages;
mod enrollment_programs;
mod enrollment_v3_list;
mod foundation;
mod foundation_crash;
mod foundation_outbox;
mod identity;
mod identity_browser;
mod identity_gateway;
mod identity_helpers;
mod identity_mail;
mod identity_oidc;
mod identity_scim;
mod identity_staff;
mod oauth2;
mod oauth2_edx;
mod oauth2_tokens;
mod openedx;
mod openedx_bench;
mod openedx_outbox;
mod openedx_sandbox;
mod site;
mod staff_console;
mod users_api;
