//! Staff accounts: creating them with roles the principal may grant, correcting them, disabling
//! and re-enabling, resetting another's password and changing one's own.

use entity::users::{self, Column};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Select,
};
use serde_json::json;
use uuid::Uuid;

use super::{password, revoke_user};
use crate::access::{Permission, Role, may_assign, parse_roles, store_roles};
use crate::audit::Event;
use crate::context::Context;
use crate::registry::orgs;
use crate::tenancy::Scope;
use crate::uow::Work;
use crate::versioning;
use crate::{CoreError, FieldError};

/// What these operations need, declared once: the operations check it and the HTTP layer's
/// document (`x-permission`) is written from it.
pub const WRITE: Permission = Permission::UsersWrite;
pub const READ: Permission = Permission::UsersRead;

pub fn scoped(scope: &Scope) -> Select<users::Entity> {
    scope.select()
}

pub async fn find(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
) -> Result<Option<users::Model>, DbErr> {
    scope.find::<users::Entity>(db, id).await
}

/// The principal may grant these roles to an account of `org`: a county administrator never
/// makes a city administrator, and only the root's accounts may be one.
fn check_roles(
    ctx: &Context<'_>,
    roles: &[Role],
    org: &entity::orgs::Model,
) -> Result<(), CoreError> {
    let mut errors = Vec::new();
    for role in roles {
        if !may_assign(ctx.roles(), *role) {
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
        Err(CoreError::Validation(errors))
    }
}

/// An account to create.
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub org_id: Uuid,
    pub roles: Vec<Role>,
    pub password: String,
}

/// Create an account for an organisation of the scope. Usernames are unique city-wide (the
/// unique index decides); the password is kept only as an argon2id hash.
pub async fn create(ctx: &Context<'_>, new: NewUser) -> Result<users::Model, CoreError> {
    ctx.require(WRITE).await?;
    password::check_policy("password", &new.password, &new.username)?;
    // Hashed before the unit of work begins, so that no transaction waits on argon2.
    let hash = password::hash_off_thread(new.password.clone()).await?;
    let work = ctx.begin().await?;
    let org = orgs::find(work.conn(), ctx.scope(), new.org_id)
        .await?
        .ok_or(CoreError::NotFound)?;
    check_roles(ctx, &new.roles, &org)?;
    let user = insert(&work, ctx.clock.now(), &org, new, hash).await?;
    work.commit().await?;
    Ok(user)
}

/// Create an account as the server itself: the first administrator at start-up and `siji admin
/// create-user`, which no principal performs. The password policy, hashing and audit event are
/// those of [`create`]; only the permission and role checks are absent, on purpose.
pub async fn create_as_system(
    db: &sea_orm::DatabaseConnection,
    actor: &crate::audit::Actor,
    org: &entity::orgs::Model,
    new: NewUser,
) -> Result<users::Model, CoreError> {
    password::check_policy("password", &new.password, &new.username)?;
    let hash = password::hash_off_thread(new.password.clone()).await?;
    let txn = crate::uow::begin_write(db).await?;
    let work = Work::over(txn, actor);
    let user = insert(&work, chrono::Utc::now(), org, new, hash).await?;
    work.commit().await?;
    Ok(user)
}

async fn insert(
    work: &Work<'_>,
    now: chrono::DateTime<chrono::Utc>,
    org: &entity::orgs::Model,
    new: NewUser,
    password_hash: String,
) -> Result<users::Model, CoreError> {
    let row = users::ActiveModel {
        id: Set(Uuid::now_v7()),
        username: Set(new.username),
        display_name: Set(new.display_name),
        org_id: Set(org.id),
        roles: Set(store_roles(&new.roles)),
        password_hash: Set(password_hash),
        active: Set(true),
        tokens_valid_after: Set(now),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    };
    let user = users::Entity::insert(row)
        .exec_with_returning(work.conn())
        .await?;
    let changes = json!({ "username": user.username, "org_id": user.org_id, "roles": user.roles });
    work.record(
        Event::new("user.create")
            .on("user", user.id)
            .changes(changes),
    )
    .await?;
    Ok(user)
}

/// Corrections to an account.
pub struct UserChanges {
    pub display_name: Option<String>,
    pub roles: Option<Vec<Role>>,
    pub org_id: Option<Uuid>,
}

/// Rename an account, change its roles or move it to another organisation of the scope.
pub async fn update(
    ctx: &Context<'_>,
    id: Uuid,
    expected_version: Option<i32>,
    c: UserChanges,
) -> Result<users::Model, CoreError> {
    ctx.require(WRITE).await?;
    let work = ctx.begin().await?;
    let user = find(work.conn(), ctx.scope(), id)
        .await?
        .ok_or(CoreError::NotFound)?;
    versioning::expect(expected_version, user.version)?;
    let org = orgs::find(work.conn(), ctx.scope(), c.org_id.unwrap_or(user.org_id))
        .await?
        .ok_or(CoreError::NotFound)?;
    let roles = c.roles.clone().unwrap_or_else(|| parse_roles(&user.roles));
    if c.roles.is_some() || c.org_id.is_some() {
        check_roles(ctx, &roles, &org)?;
    }
    let mut change = versioning::update::<users::Entity>(user.id, user.version, ctx.clock.now());
    let mut changes = serde_json::Map::new();
    if let Some(name) = c.display_name {
        changes.insert("display_name".into(), json!(name));
        change = change.col_expr(Column::DisplayName, Expr::value(name));
    }
    if c.roles.is_some() {
        changes.insert("roles".into(), json!(store_roles(&roles)));
        change = change.col_expr(Column::Roles, Expr::value(store_roles(&roles)));
    }
    if c.org_id.is_some() {
        changes.insert("org_id".into(), json!(org.id));
        change = change.col_expr(Column::OrgId, Expr::value(org.id));
    }
    let event = Event::new("user.update")
        .on("user", user.id)
        .changes(changes.into());
    let user = versioning::save_work(&work, change, user.id, expected_version, event).await?;
    work.commit().await?;
    Ok(user)
}

/// Disable (revoking every token at once) or re-enable an account. Nobody disables their own.
pub async fn set_active(
    ctx: &Context<'_>,
    id: Uuid,
    expected_version: Option<i32>,
    active: bool,
) -> Result<users::Model, CoreError> {
    ctx.require(WRITE).await?;
    let work = ctx.begin().await?;
    let user = find(work.conn(), ctx.scope(), id)
        .await?
        .ok_or(CoreError::NotFound)?;
    versioning::expect(expected_version, user.version)?;
    if ctx.actor().kind == "user" && ctx.actor().id == Some(user.id) && !active {
        return Err(CoreError::conflict("you cannot disable your own account"));
    }
    let now = ctx.clock.now();
    let mut change = versioning::update::<users::Entity>(user.id, user.version, now)
        .col_expr(Column::Active, Expr::value(active));
    if !active {
        change = change.col_expr(Column::TokensValidAfter, Expr::value(now));
        revoke_user(work.conn(), user.id, now).await?;
    }
    let action = if active {
        "user.enable"
    } else {
        "user.disable"
    };
    let user = versioning::save_work(
        &work,
        change,
        user.id,
        expected_version,
        Event::new(action).on("user", user.id),
    )
    .await?;
    work.commit().await?;
    Ok(user)
}

/// Reset another account's password, signing out whoever held the old one. One's own password
/// is changed with [`change_own_password`], which asks for the current one, so that a stolen
/// access token cannot become a permanent takeover.
pub async fn reset_password(
    ctx: &Context<'_>,
    id: Uuid,
    new_password: String,
) -> Result<(), CoreError> {
    ctx.require(WRITE).await?;
    let user = find(ctx.db, ctx.scope(), id)
        .await?
        .ok_or(CoreError::NotFound)?;
    if ctx.actor().kind == "user" && ctx.actor().id == Some(user.id) {
        return Err(CoreError::Forbidden(
            "your own password is changed with POST /api/v1/me/password, giving the current one"
                .to_owned(),
        ));
    }
    password::check_policy("new_password", &new_password, &user.username)?;
    let hash = password::hash_off_thread(new_password).await?;
    let work = ctx.begin().await?;
    store_password(ctx, &work, &user, hash, "user.password_reset").await?;
    work.commit().await
}

/// Change the principal's own password, given the current one.
pub async fn change_own_password(
    ctx: &Context<'_>,
    current_password: String,
    new_password: String,
) -> Result<(), CoreError> {
    let user_id = match (ctx.actor().kind, ctx.actor().id) {
        ("user", Some(id)) => id,
        _ => {
            return Err(CoreError::Forbidden(
                "machine clients have no password; rotate the client secret instead".into(),
            ));
        }
    };
    let user = users::Entity::find_by_id(user_id)
        .one(ctx.db)
        .await?
        .ok_or(CoreError::NotFound)?;
    if !password::verify_off_thread(current_password, user.password_hash.clone()).await? {
        return Err(CoreError::field(
            "current_password",
            "incorrect",
            "is not your current password",
        ));
    }
    password::check_policy("new_password", &new_password, &user.username)?;
    let hash = password::hash_off_thread(new_password).await?;
    let work = ctx.begin().await?;
    store_password(ctx, &work, &user, hash, "user.password_change").await?;
    work.commit().await
}

/// Store a new password hash and invalidate every token of the account.
async fn store_password(
    ctx: &Context<'_>,
    work: &Work<'_>,
    user: &users::Model,
    hash: String,
    action: &'static str,
) -> Result<(), CoreError> {
    let now = ctx.clock.now();
    users::Entity::update_many()
        .col_expr(Column::PasswordHash, Expr::value(hash))
        .col_expr(Column::TokensValidAfter, Expr::value(now))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .col_expr(Column::Version, Expr::col(Column::Version).add(1))
        .filter(Column::Id.eq(user.id))
        .exec(work.conn())
        .await?;
    revoke_user(work.conn(), user.id, now).await?;
    work.record(Event::new(action).on("user", user.id)).await
}
