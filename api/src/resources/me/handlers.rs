//! The caller's own account.

use actix_web::{HttpResponse, get, post, web};
use entity::users;
use sea_orm::EntityTrait;
use serde::{Deserialize, Serialize};
use siji_openapi::tags;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::Caller;
use crate::auth::permissions::{Permission, Role, effective};
use crate::auth::tokens::PrincipalKind;
use crate::http::{ApiError, Json};
use crate::resources::orgs::dto::OrgResponse;
use crate::state::AppState;
use siji_core::accounts::users as accounts;

/// The authenticated caller.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({
    "kind": "user", "id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f99", "name": "rencheng.admin", "display_name": "李明",
    "roles": ["county_admin"],
    "permissions": ["orgs.read", "orgs.write", "users.read", "users.write", "clients.read", "clients.write"],
    "org": {"id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12", "parent_id": "0193a5b2-6a00-7000-8000-000000000001", "level": "county",
            "name": "任城区总工会", "division_code": "370811", "uscc": null, "depth": 1,
            "created_at": "2026-11-24T09:00:00Z", "updated_at": "2026-11-24T09:00:00Z", "version": 1}
}))]
pub struct MeResponse {
    /// `user` (staff) or `client` (a machine client).
    pub kind: &'static str,
    pub id: Uuid,
    /// Username, or the machine client's `client_id`.
    pub name: String,
    /// Staff only.
    pub display_name: Option<String>,
    pub roles: Vec<Role>,
    /// What the roles permit, within `org`'s subtree.
    pub permissions: Vec<Permission>,
    pub org: OrgResponse,
}

/// Who am I?
///
/// The caller's identity, organisation, roles and the permissions they add up to. Every
/// permission applies within the organisation's subtree only. Any valid token may call this.
#[utoipa::path(
    tag = tags::ME,
    operation_id = "me",
    extensions(("x-permission" = json!(siji_core::access::AUTHENTICATED))),
    responses((status = 200, description = "The caller", body = MeResponse)),
)]
#[get("/me")]
pub async fn me(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let display_name = match caller.kind {
        PrincipalKind::User => users::Entity::find_by_id(caller.id)
            .one(&state.db)
            .await?
            .map(|u| u.display_name),
        PrincipalKind::Client => None,
    };
    Ok(HttpResponse::Ok().json(MeResponse {
        kind: match caller.kind {
            PrincipalKind::User => "user",
            PrincipalKind::Client => "client",
        },
        id: caller.id,
        name: caller.name.clone(),
        display_name,
        permissions: effective(&caller.roles),
        roles: caller.roles.clone(),
        org: OrgResponse::from(caller.org.clone()),
    }))
}

/// Change your own password. No `Debug`: it holds passwords.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"current_password": "correct horse battery", "new_password": "a different long passphrase"}))]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

/// Change my password.
///
/// Needs the current password. The new one must have at least 10 characters and not contain
/// the username. All of the account's tokens are revoked, this session's included: sign in
/// again with the new password.
#[utoipa::path(
    tag = tags::ME,
    operation_id = "change_my_password",
    request_body = ChangePasswordRequest,
    extensions(("x-permission" = json!(siji_core::access::AUTHENTICATED))),
    responses(
        (status = 204, description = "Password changed"),
        (status = 403, response = crate::http::responses::Forbidden),
    ),
)]
#[post("/me/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<ChangePasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let ChangePasswordRequest {
        current_password,
        new_password,
    } = body.into_inner();
    let ctx = caller.context(&state);
    accounts::change_own_password(&ctx, current_password, new_password).await?;
    Ok(HttpResponse::NoContent().finish())
}
