//! OAuth2 scopes as routes see them. A token our provider issued to an application
//! ([`super::session::Via::OAuth2`]) signs nobody in by itself: the request is anonymous unless
//! the handler declares, with the [`Scoped`] extractor placed before its user extractor, which
//! scopes let such a token act as its user there. Every other route refuses the token (403,
//! naming why), so a new route is closed to application tokens until it says otherwise.
//!
//! ```ignore
//! async fn me(_: Scoped<ReadUser>, MaybeUser(u): MaybeUser) -> … { … }
//! ```

use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::error::AppError;
use super::session::{Identity, Via};

/// A set of the provider's scopes (see `oauth2::service::SCOPES`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Scopes(u8);

impl Scopes {
    pub const NONE: Scopes = Scopes(0);
    pub const READ: Scopes = Scopes(1);
    pub const WRITE: Scopes = Scopes(2);
    pub const OPENID: Scopes = Scopes(4);
    pub const USER_READ: Scopes = Scopes(8);
    pub const B2B_MANAGER_CHECK: Scopes = Scopes(16);

    const NAMES: [(&'static str, Scopes); 5] = [
        ("read", Scopes::READ),
        ("write", Scopes::WRITE),
        ("openid", Scopes::OPENID),
        ("user:read", Scopes::USER_READ),
        ("b2b:manager-check", Scopes::B2B_MANAGER_CHECK),
    ];

    /// The known scopes in a space-separated list (unknown words are ignored: they grant
    /// nothing).
    pub fn parse(list: &str) -> Scopes {
        list.split_whitespace()
            .filter_map(|w| Self::NAMES.iter().find(|(n, _)| *n == w).map(|(_, s)| *s))
            .fold(Scopes::NONE, Scopes::union)
    }

    pub const fn union(self, other: Scopes) -> Scopes {
        Scopes(self.0 | other.0)
    }

    pub const fn intersects(self, other: Scopes) -> bool {
        self.0 & other.0 != 0
    }

    /// The scope names, space-separated.
    pub fn names(self) -> String {
        Self::NAMES
            .iter()
            .filter(|(_, s)| self.intersects(*s))
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A route's declaration: which scopes let an application's token act as its user.
pub trait RouteScopes: Send + Sync + 'static {
    const ANY_OF: Scopes;
}

/// Reading the token owner's own account: `/api/users/me` (GET), `/api/v0/userinfo/`. Open edX
/// reads `/api/users/me` with the `read write` token it registers learners with, and its
/// `ol-oauth2` login asks for `user:read`.
pub struct ReadUser;
impl RouteScopes for ReadUser {
    const ANY_OF: Scopes = Scopes::USER_READ.union(Scopes::READ);
}

/// The OIDC userinfo endpoint (`/oauth2/userinfo/`): `openid`, or the scopes of [`ReadUser`].
pub struct OidcUserinfo;
impl RouteScopes for OidcUserinfo {
    const ANY_OF: Scopes = Scopes::OPENID.union(ReadUser::ANY_OF);
}

/// Declares that tokens carrying one of `S::ANY_OF` act as their user for the extractors that
/// follow (`CurrentUser`, `MaybeUser`, `Identity`); a token without them is refused with 403.
/// Requests that are not application tokens pass through unchanged.
pub struct Scoped<S: RouteScopes>(PhantomData<S>);

impl<S: RouteScopes, St: Send + Sync> FromRequestParts<St> for Scoped<S> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &St) -> Result<Self, Self::Rejection> {
        let Some(id) = parts.extensions.get::<Identity>() else {
            return Ok(Scoped(PhantomData));
        };
        let Via::OAuth2 { scopes } = id.via else {
            return Ok(Scoped(PhantomData));
        };
        if !scopes.intersects(S::ANY_OF) {
            return Err(AppError::Forbidden(format!(
                "This token's scopes ({}) do not include one this route accepts ({}).",
                scopes.names(),
                S::ANY_OF.names()
            )));
        }
        let granted = id.granted();
        if let Some(u) = &granted.user {
            parts.extensions.insert(super::session::viewer_of(u));
        }
        parts.extensions.insert(granted);
        Ok(Scoped(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_known_names_and_ignore_others() {
        let s = Scopes::parse("read write admin");
        assert!(s.intersects(Scopes::READ) && s.intersects(Scopes::WRITE));
        assert!(!s.intersects(Scopes::USER_READ));
        assert_eq!(s.names(), "read write");
        assert_eq!(Scopes::parse("").names(), "");
        assert!(ReadUser::ANY_OF.intersects(Scopes::parse("user:read")));
        assert!(!ReadUser::ANY_OF.intersects(Scopes::parse("write b2b:manager-check")));
    }
}
