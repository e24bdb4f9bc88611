//! Authentication and authorisation: passwords, tokens, the permission matrix, the `Caller`
//! extractor (and `Reader`, its form for the registry's hot reads), login throttling, and the
//! server secrets the tokens are signed with.

pub mod caller;
pub mod meta;
pub mod reader;
/// The permission matrix lives in the core, where operations check it.
pub use siji_core::access as permissions;
/// Password hashing and policy belong to the accounts area of the core.
pub use siji_core::accounts::password;
pub mod secrets;
pub mod throttle;
pub mod tokens;

pub use caller::Caller;
pub use meta::RequestMeta;
pub use permissions::{Permission, Role};
pub use reader::Reader;

use std::time::Duration;

/// The authentication configuration handlers need, resolved once at start.
pub struct AuthState {
    pub keys: tokens::TokenKeys,
    pub refresh_ttl: Duration,
    pub user_limit: throttle::Limit,
    pub ip_limit: throttle::Limit,
}
