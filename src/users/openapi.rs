//! The users module's part of our OpenAPI document (see `crate::http::openapi`): the current
//! user (`/api/users/me`, its v0 and `current_user` paths, `/api/v0/userinfo/`), a user by id,
//! the onboarding forms (`/api/profile/…`), the staff user search and the legacy email change.
//!
//! SCIM (`/scim/v2/`) is another protocol with its own schema endpoints and is not documented
//! here; neither are the HTML pages.

#![allow(
    dead_code,
    reason = "documentation types: what the handlers read and answer as JSON values"
)]

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use super::api;
use crate::commerce::openapi::PartialUpdates;
use crate::http::openapi::alias;

/// `PATCH /api/users/me`: the fields a learner may change; a field not sent is kept, and the
/// address and profile are merged field by field. Email, username, password, roles and
/// `is_active` are not writable here.
#[derive(ToSchema)]
#[schema(as = PatchedUserRequest)]
pub struct UserPatch {
    pub name: Option<String>,
    pub legal_address: Option<super::model::LegalAddress>,
    pub user_profile: Option<super::model::UserProfile>,
}

/// `POST /api/profile/details/` (onboarding): every field required; `name` 2–254 characters.
#[derive(ToSchema)]
pub struct ProfileDetailsRequest {
    pub name: String,
    pub username: String,
    pub legal_address: super::model::LegalAddress,
    pub user_profile: super::model::UserProfile,
}

/// `POST /api/profile/extra/`: gender, birth year, company and job title required, the rest
/// optional (other fields are ignored).
#[derive(ToSchema)]
pub struct ProfileExtraRequest {
    pub gender: String,
    pub birth_year: i64,
    pub company: String,
    pub job_title: String,
    pub industry: Option<String>,
    pub job_function: Option<String>,
    pub years_experience: Option<i64>,
    pub company_size: Option<i64>,
    pub leadership_level: Option<String>,
    pub highest_education: Option<String>,
}

/// A profile edit's refusal: a `detail` (an unreadable body), or each invalid field with its
/// messages, nested for the address and the profile (`{"legal_address": {"state": […]}}`).
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum ProfileErrors {
    Detail { detail: String },
    Fields(BTreeMap<String, FieldMessages>),
}

/// The messages of one field, or of each field of a nested object.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum FieldMessages {
    Messages(Vec<String>),
    Nested(BTreeMap<String, Vec<String>>),
}

/// The users operations.
#[derive(OpenApi)]
#[openapi(
    paths(
        api::me,
        api::patch_me,
        api::userinfo,
        api::public_user,
        api::details,
        api::extra,
        api::user_search,
        api::user_search_one,
        api::change_email_request,
        api::change_email_confirm,
    ),
    modifiers(&PartialUpdates),
    tags((name = "users", description = "The signed-in user, onboarding, the staff user search, email changes"))
)]
pub struct Doc;

/// [`Doc`] with the paths that serve the same handlers (the contract's v0 names).
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = Doc::openapi();
    alias(
        &mut doc,
        "/api/users/me",
        &["/api/v0/users/me", "/api/v0/users/current_user/"],
    );
    alias(&mut doc, "/api/users/{id}/", &["/api/v0/users/{id}/"]);
    alias(&mut doc, "/api/user_search/", &["/api/v0/user_search/"]);
    alias(&mut doc, "/api/user_search/{id}/", &["/api/v0/user_search/{id}/"]);
    alias(&mut doc, "/api/change-emails/", &["/api/v0/change-emails/"]);
    alias(
        &mut doc,
        "/api/change-emails/{code}/",
        &["/api/v0/change-emails/{code}/"],
    );
    doc
}
