//! What a fresh database gets on first start: the root (city federation) organisation, and, if
//! no user exists and `SIJI_ADMIN_PASSWORD` is set, user `admin` as city admin at the root.
//! There is never a default password.

use chrono::Utc;
use entity::{orgs, users};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    TransactionTrait,
};
use uuid::Uuid;

use crate::audit::{self, Actor, Event};

use crate::auth::permissions::Role;
use crate::config::BootstrapSettings;
use crate::domain::division_code;
use crate::http::ApiError;

#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error("SIJI_ROOT_DIVISION_CODE is not a six-digit GB/T 2260 code")]
    DivisionCode,
    #[error("{0}")]
    Admin(String),
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
}

fn system_actor() -> Actor {
    Actor {
        kind: "system",
        name: Some("siji".to_owned()),
        ..Actor::default()
    }
}

/// The root org, created if the tree is empty.
pub async fn ensure_root_org(
    db: &DatabaseConnection,
    settings: &BootstrapSettings,
) -> Result<orgs::Model, BootstrapError> {
    if let Some(root) = orgs::Entity::find()
        .filter(orgs::Column::ParentId.is_null())
        .one(db)
        .await?
    {
        return Ok(root);
    }
    division_code::validate(&settings.root_division_code)
        .map_err(|_| BootstrapError::DivisionCode)?;
    let id = Uuid::now_v7();
    let now = Utc::now();
    let root = orgs::ActiveModel {
        id: Set(id),
        parent_id: Set(None),
        level: Set("city".to_owned()),
        name: Set(settings.root_org_name.clone()),
        division_code: Set(settings.root_division_code.clone()),
        uscc: Set(None),
        path: Set(format!("/{id}/")),
        depth: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    };
    let txn = db.begin().await?;
    let root = orgs::Entity::insert(root).exec_with_returning(&txn).await?;
    audit::record(
        &txn,
        &system_actor(),
        Event::new("org.create").on("org", root.id),
    )
    .await?;
    txn.commit().await?;
    tracing::info!(org_id = %root.id, "created the root organisation");
    Ok(root)
}

/// Create a user as the server (bootstrap and `siji admin create-user`): the core's account
/// creation with the password policy, without a principal's permission check.
pub async fn create_user(
    db: &DatabaseConnection,
    org: &orgs::Model,
    username: &str,
    display_name: &str,
    roles: &[Role],
    password_plain: &str,
) -> Result<users::Model, ApiError> {
    let new = siji_core::accounts::users::NewUser {
        username: username.to_lowercase(),
        display_name: display_name.to_owned(),
        org_id: org.id,
        roles: roles.to_vec(),
        password: password_plain.to_owned(),
    };
    Ok(siji_core::accounts::users::create_as_system(db, &system_actor(), org, new).await?)
}

/// `admin` from `SIJI_ADMIN_PASSWORD`, if there are no users yet.
pub async fn ensure_admin(
    db: &DatabaseConnection,
    root: &orgs::Model,
    settings: &BootstrapSettings,
) -> Result<(), BootstrapError> {
    if users::Entity::find().count(db).await? > 0 {
        return Ok(());
    }
    let Some(password) = &settings.admin_password else {
        tracing::warn!(
            "no user exists: set SIJI_ADMIN_PASSWORD or run `siji admin create-user` to create the first administrator"
        );
        return Ok(());
    };
    create_user(
        db,
        root,
        "admin",
        "Administrator",
        &[Role::CityAdmin],
        &password.0,
    )
    .await
    .map_err(|e| match e {
        ApiError::Validation(errors) => BootstrapError::Admin(format!(
            "SIJI_ADMIN_PASSWORD does not meet the password policy: {}",
            errors
                .iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        )),
        other => BootstrapError::Admin(other.to_string()),
    })?;
    tracing::info!("created user `admin` (city admin) from SIJI_ADMIN_PASSWORD");
    Ok(())
}
