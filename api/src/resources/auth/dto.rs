//! Request and response bodies of the token endpoints. No `Debug`: they carry secrets.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

/// Staff sign-in.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"username": "rencheng.operator", "password": "correct horse battery"}))]
pub struct LoginRequest {
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub username: String,
    #[validate(length(min = 1, max = 128))]
    #[schema(min_length = 1, max_length = 128)]
    pub password: String,
}

/// Exchange a refresh token for a new pair.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"refresh_token": "3q2-7wEXAMPLEa6dGhpcyBpcyBub3QgYSByZWFsIHRva2Vu"}))]
pub struct RefreshRequest {
    #[validate(length(min = 1, max = 256))]
    #[schema(min_length = 1, max_length = 256)]
    pub refresh_token: String,
}

/// OAuth2 client-credentials grant (RFC 6749 §4.4), form-encoded. The client may instead send
/// its id and secret with HTTP Basic authentication.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"grant_type": "client_credentials", "client_id": "sc_0193a5b27c1e7d3a", "client_secret": "…"}))]
pub struct ClientCredentialsRequest {
    /// Must be `client_credentials`.
    pub grant_type: String,
    #[validate(length(max = 64))]
    #[schema(max_length = 64)]
    pub client_id: Option<String>,
    #[validate(length(max = 256))]
    #[schema(max_length = 256)]
    pub client_secret: Option<String>,
    /// Accepted and ignored: a client's reach is decided by its organisation and role.
    #[allow(dead_code)] // Part of the OAuth2 shape; read by nobody on purpose.
    pub scope: Option<String>,
}

/// Tokens issued by the token endpoints.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({
    "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIwMTkzYTViMi…",
    "token_type": "Bearer",
    "expires_in": 900,
    "refresh_token": "3q2-7wEXAMPLEa6dGhpcyBpcyBub3QgYSByZWFsIHRva2Vu"
}))]
pub struct TokenResponse {
    /// A JWT to send as `Authorization: Bearer <token>`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Single-use: each refresh returns a new one and invalidates this one. Reusing an old one
    /// revokes every token descended from the same sign-in. Absent for machine clients.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}
