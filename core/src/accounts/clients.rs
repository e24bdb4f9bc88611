//! Machine clients of county systems: created for an organisation with a secret shown exactly
//! once (only its digest is kept), disabled, or given a new secret. Disabling and rotating
//! refuse every token obtained before.

use entity::api_clients::{self, Column};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait, Select};
use serde_json::json;
use uuid::Uuid;

use super::secrets::{digest, random_token};
use crate::CoreError;
use crate::access::Permission;
use crate::audit::Event;
use crate::context::Context;
use crate::registry::orgs;
use crate::tenancy::Scope;
use crate::versioning;

/// What these operations need, declared once: the operations check it and the HTTP layer's
/// document (`x-permission`) is written from it.
pub const WRITE: Permission = Permission::ClientsWrite;
pub const READ: Permission = Permission::ClientsRead;

pub fn scoped(scope: &Scope) -> Select<api_clients::Entity> {
    scope.select()
}

pub async fn find(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
) -> Result<Option<api_clients::Model>, DbErr> {
    scope.find::<api_clients::Entity>(db, id).await
}

/// A client and, when it was just issued, its secret in plaintext (to be shown once).
pub struct Issued {
    pub client: api_clients::Model,
    pub secret: String,
}

/// Create a client for an organisation of the scope.
pub async fn create(ctx: &Context<'_>, name: String, org_id: Uuid) -> Result<Issued, CoreError> {
    ctx.require(WRITE).await?;
    let work = ctx.begin().await?;
    let org = orgs::find(work.conn(), ctx.scope(), org_id)
        .await?
        .ok_or(CoreError::NotFound)?;
    let id = Uuid::now_v7();
    let secret = random_token();
    let now = ctx.clock.now();
    let row = api_clients::ActiveModel {
        id: Set(id),
        client_id: Set(format!("sc_{}", &id.simple().to_string()[..20])),
        name: Set(name),
        org_id: Set(org.id),
        secret_hash: Set(digest(&secret)),
        active: Set(true),
        tokens_valid_after: Set(now),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    };
    let client = api_clients::Entity::insert(row)
        .exec_with_returning(work.conn())
        .await?;
    let changes = json!({ "client_id": client.client_id, "name": client.name, "org_id": org.id });
    work.record(
        Event::new("client.create")
            .on("client", client.id)
            .changes(changes),
    )
    .await?;
    work.commit().await?;
    Ok(Issued { client, secret })
}

/// Disable a client (`secret` `None`) or give it a new secret; either way its tokens so far are
/// refused.
async fn revise(
    ctx: &Context<'_>,
    id: Uuid,
    expected_version: Option<i32>,
    secret: Option<&str>,
    action: &'static str,
) -> Result<api_clients::Model, CoreError> {
    ctx.require(WRITE).await?;
    let work = ctx.begin().await?;
    let client = find(work.conn(), ctx.scope(), id)
        .await?
        .ok_or(CoreError::NotFound)?;
    versioning::expect(expected_version, client.version)?;
    let now = ctx.clock.now();
    let mut change = versioning::update::<api_clients::Entity>(client.id, client.version, now)
        .col_expr(Column::TokensValidAfter, Expr::value(now));
    change = match secret {
        Some(secret) => change.col_expr(Column::SecretHash, Expr::value(digest(secret))),
        None => change.col_expr(Column::Active, Expr::value(false)),
    };
    if secret.is_none() {
        crate::sync::webhooks::cancel_for_client(work.conn(), client.id).await?;
    }
    let event = Event::new(action).on("client", client.id);
    let client = versioning::save_work(&work, change, client.id, expected_version, event).await?;
    work.commit().await?;
    Ok(client)
}

pub async fn disable(
    ctx: &Context<'_>,
    id: Uuid,
    expected_version: Option<i32>,
) -> Result<api_clients::Model, CoreError> {
    revise(ctx, id, expected_version, None, "client.disable").await
}

pub async fn rotate_secret(
    ctx: &Context<'_>,
    id: Uuid,
    expected_version: Option<i32>,
) -> Result<Issued, CoreError> {
    let secret = random_token();
    let client = revise(
        ctx,
        id,
        expected_version,
        Some(&secret),
        "client.rotate_secret",
    )
    .await?;
    Ok(Issued { client, secret })
}
