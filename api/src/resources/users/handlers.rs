//! User account handlers.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::Utc;
use entity::users::{self, Column};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use serde_json::json;
use siji_openapi::tags;
use uuid::Uuid;

use super::dto::*;
use super::queries;
use crate::audit::{self, Event};
use crate::auth::permissions::{Role, may_assign, store_roles};
use crate::auth::tokens::PrincipalKind;
use crate::auth::{Caller, Permission, password};
use crate::http::concurrency::{created_versioned, ok_versioned};
use crate::http::pagination::page_by_id;
use crate::http::{ApiError, ErrorCode, FieldError, IfMatch, Json, Page, PageRequest, Query};
use crate::resources::auth::queries::revoke_user;
use crate::state::AppState;
use crate::versioning;
use sea_orm::Order;
use siji_core::registry::orgs;

/// Check the caller may grant these roles to an account of `org`.
fn check_roles(caller: &Caller, roles: &[Role], org: &entity::orgs::Model) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    for role in roles {
        if !may_assign(&caller.roles, *role) {
            errors.push(FieldError::new(
                "roles",
                "not_assignable",
                format!("you may not grant `{role}`"),
            ));
        } else if *role == Role::CityAdmin && org.parent_id.is_some() {
            errors.push(FieldError::new(
                "roles",
                "scope",
                "`city_admin` is only for accounts of the root organisation",
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

async fn hash_off_thread(password_plain: String) -> Result<String, ApiError> {
    web::block(move || password::hash(&password_plain))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
}

/// Create a user account.
///
/// For an organisation of your subtree. Usernames are unique city-wide (409 `duplicate`). The
/// password must have at least 10 characters and not contain the username; it is stored as an
/// argon2id hash and never returned.
#[utoipa::path(
    tag = tags::USERS,
    operation_id = "create_user",
    request_body = CreateUserRequest,
    extensions(("x-permission" = json!("users.write"))),
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
    caller.require(&state.db, Permission::UsersWrite).await?;
    let body = body.into_inner();
    let org = orgs::find(&state.db, &caller.scope(), body.org_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    check_roles(&caller, &body.roles, &org)?;
    password::check_policy("password", &body.password, &body.username)?;
    let now = Utc::now();
    let user = users::ActiveModel {
        id: Set(Uuid::now_v7()),
        username: Set(body.username.clone()),
        display_name: Set(body.display_name),
        org_id: Set(org.id),
        roles: Set(store_roles(&body.roles)),
        password_hash: Set(hash_off_thread(body.password).await?),
        active: Set(true),
        tokens_valid_after: Set(now),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    };
    let txn = state.db.begin().await?;
    let user = users::Entity::insert(user)
        .exec_with_returning(&txn)
        .await?;
    let changes = json!({ "username": user.username, "org_id": user.org_id, "roles": user.roles });
    audit::record(
        &txn,
        &caller.actor(),
        Event::new("user.create")
            .on("user", user.id)
            .changes(changes),
    )
    .await?;
    txn.commit().await?;
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
    extensions(("x-permission" = json!("users.read"))),
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
    caller.require(&state.db, Permission::UsersRead).await?;
    let user = queries::find(&state.db, &caller.scope(), *id)
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
    extensions(("x-permission" = json!("users.read"))),
    responses((status = 200, description = "One page", body = Page<UserResponse>)),
)]
#[get("/users")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<UserListQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&state.db, Permission::UsersRead).await?;
    let q = query.into_inner();
    let page = PageRequest::new(q.limit, q.cursor.as_deref(), q.count)?;
    let mut select = queries::scoped(&caller.scope());
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
    extensions(("x-permission" = json!("users.write"))),
    responses(
        (status = 200, description = "Updated", body = UserResponse, headers(("ETag" = String, description = "The new version"))),
        (status = 404, response = crate::http::responses::NotFound),
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
    caller.require(&state.db, Permission::UsersWrite).await?;
    let body = body.into_inner();
    let scope = caller.scope();
    let user = queries::find(&state.db, &scope, *id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if_match.check(user.version)?;
    let org_id = body.org_id.unwrap_or(user.org_id);
    let org = orgs::find(&state.db, &scope, org_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let roles = body
        .roles
        .clone()
        .unwrap_or_else(|| crate::auth::permissions::parse_roles(&user.roles));
    if body.roles.is_some() || body.org_id.is_some() {
        check_roles(&caller, &roles, &org)?;
    }

    let mut change = queries::versioned_update(&user, Utc::now());
    let mut changes = serde_json::Map::new();
    if let Some(name) = body.display_name {
        changes.insert("display_name".into(), json!(name));
        change = change.col_expr(Column::DisplayName, Expr::value(name));
    }
    if body.roles.is_some() {
        changes.insert("roles".into(), json!(store_roles(&roles)));
        change = change.col_expr(Column::Roles, Expr::value(store_roles(&roles)));
    }
    if body.org_id.is_some() {
        changes.insert("org_id".into(), json!(org.id));
        change = change.col_expr(Column::OrgId, Expr::value(org.id));
    }
    let user = versioning::save(
        &state.db,
        &caller.actor(),
        change,
        user.id,
        Event::new("user.update")
            .on("user", user.id)
            .changes(changes.into()),
    )
    .await?;
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
    caller.require(&state.db, Permission::UsersWrite).await?;
    let user = queries::find(&state.db, &caller.scope(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if_match.check(user.version)?;
    if user.id == caller.id && !active {
        return Err(ApiError::Conflict {
            code: ErrorCode::Conflict,
            detail: "you cannot disable your own account".into(),
        });
    }
    let now = Utc::now();
    let mut change =
        queries::versioned_update(&user, now).col_expr(Column::Active, Expr::value(active));
    if !active {
        change = change.col_expr(Column::TokensValidAfter, Expr::value(now));
    }
    let txn = state.db.begin().await?;
    if change.exec(&txn).await?.rows_affected != 1 {
        return Err(ApiError::PreconditionFailed);
    }
    if !active {
        revoke_user(&txn, user.id, now).await?;
    }
    let action = if active {
        "user.enable"
    } else {
        "user.disable"
    };
    audit::record(
        &txn,
        &caller.actor(),
        Event::new(action).on("user", user.id),
    )
    .await?;
    let user = users::Entity::find_by_id(user.id)
        .one(&txn)
        .await?
        .ok_or(ApiError::NotFound)?;
    txn.commit().await?;
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
    extensions(("x-permission" = json!("users.write"))),
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
    extensions(("x-permission" = json!("users.write"))),
    responses(
        (status = 200, description = "Enabled", body = UserResponse),
        (status = 404, response = crate::http::responses::NotFound),
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
    extensions(("x-permission" = json!("users.write"))),
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
    caller.require(&state.db, Permission::UsersWrite).await?;
    let user = queries::find(&state.db, &caller.scope(), *id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if caller.kind == PrincipalKind::User && user.id == caller.id {
        return Err(ApiError::Forbidden(
            "your own password is changed with POST /api/v1/me/password, giving the current one"
                .to_owned(),
        ));
    }
    let new_password = body.into_inner().new_password;
    password::check_policy("new_password", &new_password, &user.username)?;
    set_password(&state, &caller, &user, new_password, "user.password_reset").await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Store a new password hash and invalidate every token of the account.
pub async fn set_password(
    state: &AppState,
    caller: &Caller,
    user: &users::Model,
    new_password: String,
    action: &'static str,
) -> Result<(), ApiError> {
    let hash = hash_off_thread(new_password).await?;
    let now = Utc::now();
    let txn = state.db.begin().await?;
    users::Entity::update_many()
        .col_expr(Column::PasswordHash, Expr::value(hash))
        .col_expr(Column::TokensValidAfter, Expr::value(now))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .col_expr(Column::Version, Expr::col(Column::Version).add(1))
        .filter(Column::Id.eq(user.id))
        .exec(&txn)
        .await?;
    revoke_user(&txn, user.id, now).await?;
    audit::record(
        &txn,
        &caller.actor(),
        Event::new(action).on("user", user.id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
