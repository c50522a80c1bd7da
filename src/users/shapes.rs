//! The users API's JSON answers as typed values (the original's `UserSerializer`,
//! `PublicUserSerializer`, `StaffDashboardUserSerializer` and the email-change serializers),
//! each documented in our OpenAPI document (`super::openapi`).
//!
//! [`LegalAddress`] and [`UserProfile`] live in `model`, a leaf the fuzz suite compiles without
//! utoipa (with `--cfg fuzzing`): they derive `ToSchema` only outside it, so the document
//! describes the very types that serialize.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::{LegalAddress, UserProfile};
use super::profile_service::FullUser;
use super::{rules, store};
use crate::b2b::shapes::OrganizationShape;

/// The caller as the original's `UserSerializer` shows them (`/api/users/me`,
/// `/api/v0/userinfo/`). Anonymous callers get the same object without `name`, `is_editor`,
/// `created_on` and `updated_on`, and with nulls (the `api_users_me` sample).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = User)]
pub struct UserJson {
    pub id: Option<i64>,
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub email: Option<String>,
    pub legal_address: Option<LegalAddress>,
    pub user_profile: Option<UserProfile>,
    pub is_anonymous: bool,
    pub is_authenticated: bool,
    /// Superuser, staff, or in the CMS's "Editors" group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_editor: Option<bool>,
    pub is_staff: bool,
    pub is_superuser: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_on: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_on: Option<String>,
    /// Always empty (the original's permission grants).
    pub grants: Vec<String>,
    pub is_active: bool,
    /// The B2B organizations the user belongs to, with their contracts.
    pub b2b_organizations: Vec<OrganizationShape>,
    /// The SSO id (Keycloak's user id).
    pub global_id: Option<String>,
    /// The profile fields an export-compliance check still misses.
    pub compliance_missing_fields: Vec<String>,
}

impl UserJson {
    /// A signed-in user with their B2B organizations.
    pub fn signed_in(f: &FullUser, b2b_organizations: Vec<OrganizationShape>) -> UserJson {
        let u = &f.user;
        UserJson {
            id: Some(u.id),
            username: Some(u.username.clone()),
            name: Some(u.name.clone()),
            email: Some(u.email.clone()),
            legal_address: f.address.clone(),
            user_profile: f.profile.clone(),
            is_anonymous: false,
            is_authenticated: true,
            is_editor: Some(u.is_editor),
            is_staff: u.is_staff,
            is_superuser: u.is_superuser,
            created_on: Some(u.created_on.clone()),
            updated_on: Some(u.updated_on.clone()),
            grants: Vec::new(),
            is_active: u.is_active,
            b2b_organizations,
            global_id: u.global_id.clone(),
            compliance_missing_fields: rules::compliance_missing_fields(&u.email, f.address.as_ref()),
        }
    }

    /// What the original answers an anonymous caller.
    pub fn anonymous() -> UserJson {
        UserJson {
            id: None,
            username: None,
            name: None,
            email: None,
            legal_address: None,
            user_profile: None,
            is_anonymous: true,
            is_authenticated: false,
            is_editor: None,
            is_staff: false,
            is_superuser: false,
            created_on: None,
            updated_on: None,
            grants: Vec::new(),
            is_active: false,
            b2b_organizations: Vec::new(),
            global_id: None,
            compliance_missing_fields: Vec::new(),
        }
    }
}

/// Another user as a signed-in user may see them (`PublicUserSerializer`): only oneself.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicUser {
    pub id: i64,
    pub username: String,
    pub name: String,
    pub created_on: String,
    pub updated_on: String,
}

impl From<&store::User> for PublicUser {
    fn from(u: &store::User) -> Self {
        PublicUser {
            id: u.id,
            username: u.username.clone(),
            name: u.name.clone(),
            created_on: u.created_on.clone(),
            updated_on: u.updated_on.clone(),
        }
    }
}

/// A user as staff search them (`StaffDashboardUserSerializer`).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = StaffDashboardUser)]
pub struct StaffUser {
    pub id: i64,
    pub username: String,
    pub name: String,
    pub email: String,
    pub legal_address: Option<LegalAddress>,
    pub is_staff: bool,
    pub is_superuser: bool,
}

impl StaffUser {
    pub fn new(u: &store::User, legal_address: Option<LegalAddress>) -> StaffUser {
        StaffUser {
            id: u.id,
            username: u.username.clone(),
            name: u.name.clone(),
            email: u.email.clone(),
            legal_address,
            is_staff: u.is_staff,
            is_superuser: u.is_superuser,
        }
    }
}

/// A page of the staff user search (DRF's limit/offset envelope with `l` and `o`).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PaginatedStaffDashboardUserList)]
pub struct StaffUserPage {
    pub count: i64,
    /// The next page's absolute URL.
    pub next: Option<String>,
    /// The previous page's absolute URL.
    pub previous: Option<String>,
    pub results: Vec<StaffUser>,
}

/// Starts a legacy email change: a confirmation link goes to the new address.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = ChangeEmailRequestCreateRequest)]
pub struct ChangeEmailBody {
    #[serde(default)]
    pub new_email: String,
    /// The account's current password.
    #[serde(default)]
    pub password: String,
}

/// An email change waiting for its confirmation link.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ChangeEmailRequestCreate)]
pub struct ChangeEmailStarted {
    pub new_email: String,
}

/// Confirms a pending email change: `confirmed` must be `true` (anonymous: the code is the
/// secret).
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = ChangeEmailRequestUpdateRequest)]
pub struct ChangeEmailConfirmBody {
    pub confirmed: Option<bool>,
}

/// A confirmed email change.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ChangeEmailRequestUpdate)]
pub struct ChangeEmailConfirmed {
    pub confirmed: bool,
}

/// The onboarding forms' answer: an empty object (their fields are write-only).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ProfileSaved)]
pub struct Empty {}

/// The 409 of `/api/v0/userinfo/` for a user without an Open edX username.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoEdxUsername {
    /// `User has no edx_username.`
    pub error: String,
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn user() -> store::User {
        store::User {
            id: 7,
            username: "learner".into(),
            email: "learner@example.com".into(),
            name: "Ada Learner".into(),
            global_id: Some("kc-7".into()),
            is_active: true,
            is_staff: false,
            is_superuser: false,
            is_editor: true,
            in_editors_group: true,
            email_verified: true,
            is_service_account: false,
            is_etl: false,
            created_on: "2026-01-02T03:04:05Z".into(),
            updated_on: "2026-02-03T04:05:06Z".into(),
        }
    }

    fn full() -> FullUser {
        FullUser {
            user: user(),
            address: Some(LegalAddress {
                country: "US".into(),
                first_name: "Ada".into(),
                state: Some("US-MA".into()),
                ..LegalAddress::default()
            }),
            profile: Some(UserProfile {
                gender: Some("f".into()),
                year_of_birth: Some(1990),
                ..UserProfile::default()
            }),
            completed_onboarding: true,
        }
    }

    fn to(v: impl Serialize) -> Value {
        serde_json::to_value(v).unwrap()
    }

    /// The typed answers serialize exactly as the `json!` objects they replace.
    #[test]
    fn the_typed_answers_are_the_json_the_handlers_built_before() {
        let f = full();
        let u = &f.user;
        assert_eq!(
            to(UserJson::signed_in(&f, Vec::new())),
            json!({
                "id": u.id, "username": u.username, "name": u.name, "email": u.email,
                "legal_address": f.address, "user_profile": f.profile,
                "is_anonymous": false, "is_authenticated": true, "is_editor": u.is_editor,
                "is_staff": u.is_staff, "is_superuser": u.is_superuser,
                "created_on": u.created_on, "updated_on": u.updated_on, "grants": [],
                "is_active": u.is_active, "b2b_organizations": [], "global_id": u.global_id,
                "compliance_missing_fields": rules::compliance_missing_fields(&u.email, f.address.as_ref()),
            })
        );
        // The original's `api_users_me` sample for an anonymous caller.
        assert_eq!(
            to(UserJson::anonymous()),
            json!({
                "id": null, "username": null, "email": null, "legal_address": null,
                "user_profile": null, "is_anonymous": true, "is_authenticated": false,
                "is_staff": false, "is_superuser": false, "grants": [], "is_active": false,
                "b2b_organizations": [], "global_id": null, "compliance_missing_fields": []
            })
        );
        assert_eq!(
            to(PublicUser::from(u)),
            json!({
                "id": u.id, "username": u.username, "name": u.name,
                "created_on": u.created_on, "updated_on": u.updated_on,
            })
        );
        assert_eq!(
            to(StaffUser::new(u, f.address.clone())),
            json!({
                "id": u.id, "username": u.username, "name": u.name, "email": u.email,
                "legal_address": f.address, "is_staff": u.is_staff, "is_superuser": u.is_superuser,
            })
        );
        assert_eq!(to(Empty {}), json!({}));
        assert_eq!(
            to(ChangeEmailConfirmed { confirmed: true }),
            json!({"confirmed": true})
        );
        assert_eq!(
            to(NoEdxUsername {
                error: "User has no edx_username.".into()
            }),
            json!({"error": "User has no edx_username."})
        );
    }
}
