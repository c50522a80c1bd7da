//! Users and service credentials. The foundation holds the account row and `user create`; the
//! identity issue adds profiles, sessions and the three ways in.

pub mod api_keys;
pub mod password;
pub mod store;
