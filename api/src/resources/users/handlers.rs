//! User account handlers: extract, call the core's account operation, respond.

use actix_web::{HttpResponse, get, patch, post, web};
use entity::users::Column;
use sea_orm::{ColumnTrait, QueryFilter};
use siji_openapi::tags;
use uuid::Uuid;

use super::dto::*;
use crate::auth::Caller;
use crate::http::concurrency::{created_versioned, ok_versioned};
use crate::http::pagination::page_by_id;
use crate::http::{ApiError, IfMatch, Json, Page, PageRequest, Query};
use crate::state::AppState;
use sea_orm::Order;
use siji_core::accounts::users as accounts;

/// Create a user account.
///
/// For an organisation of your subtree. Usernames are unique city-wide (409 `duplicate`). The
/// password must have at least 10 characters and not contain the username; it is stored as an
/// argon2id hash and never returned.
#[utoipa::path(
    tag = tags::USERS,
    operation_id = "create_user",
    request_body = CreateUserRequest,
    extensions(("x-permission" = json!(accounts::WRITE))),
    responses(
        (status = 201, description = "Created", body = UserResponse,
            headers(("Location" = String, description = "URL of the new account"), ("ETag" = String, description = "Its version"))),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
    ),
)]
#[post("/users")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<CreateUserRequest>,
) -> Result<HttpResponse, ApiError> {
    let user = accounts::create(&caller.context(&state), body.into_inner().into()).await?;
    Ok(created_versioned(
        format!("/api/v1/users/{}", user.id),
        user.version,
        &UserResponse::from(user),
    ))
}

/// Get a user account.
#[utoipa::path(
    tag = tags::USERS,
    operation_id = "get_user",
    params(("id" = Uuid, Path, description = "User id")),
    extensions(("x-permission" = json!(accounts::READ))),
    responses(
        (status = 200, description = "The account", body = UserResponse, headers(("ETag" = String, description = "Its version"))),
        (status = 404, response = crate::http::responses::NotFound),
    ),
)]
#[get("/users/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&state.db, accounts::READ).await?;
    let user = accounts::find(&state.db, &caller.scope(), *id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(ok_versioned(user.version, &UserResponse::from(user)))
}

/// List user accounts.
///
/// Accounts of your subtree, oldest first, keyset-paginated. Filters narrow the list; a filter
/// naming an organisation outside your subtree simply matches nothing.
#[utoipa::path(
    tag = tags::USERS,
    operation_id = "list_users",
    params(UserListQuery),
    extensions(("x-permission" = json!(accounts::READ))),
    responses((status = 200, description = "One page", body = Page<UserResponse>)),
)]
#[get("/users")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<UserListQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&state.db, accounts::READ).await?;
    let q = query.into_inner();
    let page = PageRequest::new(q.limit, q.cursor.as_deref(), q.count)?;
    let mut select = accounts::scoped(&caller.scope());
    if let Some(org) = q.org_id {
        select = select.filter(Column::OrgId.eq(org));
    }
    if let Some(active) = q.active {
        select = select.filter(Column::Active.eq(active));
    }
    if let Some(role) = q.role {
        // Roles are stored comma-separated: match the name as a whole item.
        let name = role.as_str();
        select = select.filter(
            sea_orm::Condition::any()
                .add(Column::Roles.eq(name))
                .add(Column::Roles.like(format!("{name},%")))
                .add(Column::Roles.like(format!("%,{name}")))
                .add(Column::Roles.like(format!("%,{name},%"))),
        );
    }
    let page = page_by_id(&state.db, select, Column::Id, |u| u.id, &page, Order::Asc).await?;
    Ok(HttpResponse::Ok().json(page.map(UserResponse::from)))
}

/// Update a user account.
///
/// Change the display name, roles or organisation (within your subtree). Role changes follow
/// the same rules as at creation. Honours `If-Match` (412 when stale).
#[utoipa::path(
    tag = tags::USERS,
    operation_id = "update_user",
    params(("id" = Uuid, Path, description = "User id"), ("If-Match" = Option<String>, Header, description = "The `ETag` you read")),
    request_body = UpdateUserRequest,
    extensions(("x-permission" = json!(accounts::WRITE))),
    responses(
        (status = 200, description = "Updated", body = UserResponse, headers(("ETag" = String, description = "The new version"))),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 412, response = crate::http::responses::PreconditionFailed),
    ),
)]
#[patch("/users/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<UpdateUserRequest>,
) -> Result<HttpResponse, ApiError> {
    let ctx = caller.context(&state);
    let user = accounts::update(&ctx, *id, if_match.0, body.into_inner().into()).await?;
    Ok(ok_versioned(user.version, &UserResponse::from(user)))
}

/// Disable or re-enable an account; disabling revokes every token at once.
async fn set_active(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    if_match: IfMatch,
    active: bool,
) -> Result<HttpResponse, ApiError> {
    let user = accounts::set_active(&caller.context(state), id, if_match.0, active).await?;
    Ok(ok_versioned(user.version, &UserResponse::from(user)))
}

/// Disable a user account.
///
/// The account can no longer sign in; its refresh tokens are revoked and its access tokens
/// refused from now on. You cannot disable your own account. Honours `If-Match`.
#[utoipa::path(
    tag = tags::USERS,
    operation_id = "disable_user",
    params(("id" = Uuid, Path, description = "User id"), ("If-Match" = Option<String>, Header, description = "The `ETag` you read")),
    extensions(("x-permission" = json!(accounts::WRITE))),
    responses(
        (status = 200, description = "Disabled", body = UserResponse),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 412, response = crate::http::responses::PreconditionFailed),
    ),
)]
#[post("/users/{id}/disable")]
pub async fn disable(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    set_active(&state, &caller, *id, if_match, false).await
}

/// Re-enable a user account.
///
/// The account may sign in again (old tokens stay revoked). Honours `If-Match`.
#[utoipa::path(
    tag = tags::USERS,
    operation_id = "enable_user",
    params(("id" = Uuid, Path, description = "User id"), ("If-Match" = Option<String>, Header, description = "The `ETag` you read")),
    extensions(("x-permission" = json!(accounts::WRITE))),
    responses(
        (status = 200, description = "Enabled", body = UserResponse),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 412, response = crate::http::responses::PreconditionFailed),
    ),
)]
#[post("/users/{id}/enable")]
pub async fn enable(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    set_active(&state, &caller, *id, if_match, true).await
}

/// Reset another account's password.
///
/// Sets a new password (same policy as always) and revokes the account's tokens, so whoever
/// held the old password is signed out. The password never appears in the audit trail. Your own
/// password is not reset here (403): change it with `POST /api/v1/me/password`, which asks for
/// the current one, so that a stolen access token cannot become a permanent takeover.
#[utoipa::path(
    tag = tags::USERS,
    operation_id = "reset_user_password",
    params(("id" = Uuid, Path, description = "User id")),
    request_body = ResetPasswordRequest,
    extensions(("x-permission" = json!(accounts::WRITE))),
    responses(
        (status = 204, description = "Password reset"),
        (status = 403, response = crate::http::responses::Forbidden),
        (status = 404, response = crate::http::responses::NotFound),
    ),
)]
#[post("/users/{id}/reset-password")]
pub async fn reset_password(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<ResetPasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let new_password = body.into_inner().new_password;
    accounts::reset_password(&caller.context(&state), *id, new_password).await?;
    Ok(HttpResponse::NoContent().finish())
}
