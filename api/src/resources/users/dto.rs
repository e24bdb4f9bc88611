//! Request and response types of user accounts. Passwords never appear in a response.

use chrono::{DateTime, Utc};
use entity::users;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::permissions::{Role, parse_roles};

/// A staff account.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f99", "username": "rencheng.operator", "display_name": "王芳",
    "org_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12", "roles": ["operator"], "active": true,
    "created_at": "2026-11-24T09:00:00Z", "updated_at": "2026-11-24T09:00:00Z", "version": 1
}))]
pub struct UserResponse {
    pub id: Uuid,
    /// Sign-in name, lower case.
    pub username: String,
    pub display_name: String,
    pub org_id: Uuid,
    pub roles: Vec<Role>,
    /// Disabled accounts cannot sign in and their tokens are refused.
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl From<users::Model> for UserResponse {
    fn from(u: users::Model) -> Self {
        Self {
            id: u.id,
            roles: parse_roles(&u.roles),
            username: u.username,
            display_name: u.display_name,
            org_id: u.org_id,
            active: u.active,
            created_at: u.created_at,
            updated_at: u.updated_at,
            version: u.version,
        }
    }
}

fn username_chars(name: &str) -> Result<(), validator::ValidationError> {
    if name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'))
    {
        Ok(())
    } else {
        Err(validator::ValidationError::new("format")
            .with_message("may contain only a-z, 0-9, '.', '_' and '-'".into()))
    }
}

/// Create a staff account in an organisation of your subtree. No `Debug`: it holds a password.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "username": "rencheng.operator", "display_name": "王芳", "org_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12",
    "roles": ["operator"], "password": "correct horse battery"
}))]
pub struct CreateUserRequest {
    /// 3–64 characters of a-z, 0-9, `.`, `_`, `-`; unique city-wide.
    #[validate(length(min = 3, max = 64), custom(function = "username_chars"))]
    #[schema(min_length = 3, max_length = 64)]
    pub username: String,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub display_name: String,
    pub org_id: Uuid,
    /// At least one. `city_admin` only for accounts of the root organisation, and only a city
    /// admin may grant it; `integration` is for machine clients.
    #[validate(length(min = 1, max = 5))]
    #[schema(min_items = 1, max_items = 5)]
    pub roles: Vec<Role>,
    /// At least 10 characters, not containing the username.
    pub password: String,
}

/// Change an account. Absent fields are unchanged.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"display_name": "王芳", "roles": ["operator", "approver"]}))]
pub struct UpdateUserRequest {
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub display_name: Option<String>,
    #[validate(length(min = 1, max = 5))]
    #[schema(min_items = 1, max_items = 5)]
    pub roles: Option<Vec<Role>>,
    /// Move the account to another organisation of your subtree.
    pub org_id: Option<Uuid>,
}

/// Set a new password for another account. No `Debug`: it holds a password.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"new_password": "another long passphrase"}))]
pub struct ResetPasswordRequest {
    pub new_password: String,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UserListQuery {
    /// Only accounts of this organisation (not its descendants).
    pub org_id: Option<Uuid>,
    /// Only active (`true`) or disabled (`false`) accounts.
    pub active: Option<bool>,
    /// Only accounts holding this role.
    pub role: Option<Role>,
    /// Page size, 1–200 (default 50).
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Also return `total`.
    pub count: Option<bool>,
}

impl From<CreateUserRequest> for siji_core::accounts::users::NewUser {
    fn from(b: CreateUserRequest) -> Self {
        Self {
            username: b.username,
            display_name: b.display_name,
            org_id: b.org_id,
            roles: b.roles,
            password: b.password,
        }
    }
}

impl From<UpdateUserRequest> for siji_core::accounts::users::UserChanges {
    fn from(b: UpdateUserRequest) -> Self {
        Self {
            display_name: b.display_name,
            roles: b.roles,
            org_id: b.org_id,
        }
    }
}
