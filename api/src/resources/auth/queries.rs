//! The database work of signing in: refresh-token families and their rotation.

use chrono::{DateTime, Utc};
use entity::refresh_tokens::{self, Column};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::auth::tokens;

/// Store a new refresh token of `family`; returns the plaintext to hand out (once).
pub async fn issue_refresh(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    family_id: Uuid,
    now: DateTime<Utc>,
    ttl: std::time::Duration,
) -> Result<String, DbErr> {
    let token = tokens::random_token();
    let row = refresh_tokens::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        family_id: Set(family_id),
        token_hash: Set(tokens::digest(&token)),
        expires_at: Set(
            now + chrono::Duration::from_std(ttl).unwrap_or_else(|_| chrono::Duration::days(30))
        ),
        created_at: Set(now),
        used_at: Set(None),
        revoked_at: Set(None),
    };
    refresh_tokens::Entity::insert(row)
        .exec_without_returning(db)
        .await?;
    Ok(token)
}

pub async fn find_by_token(
    db: &impl ConnectionTrait,
    token: &str,
) -> Result<Option<refresh_tokens::Model>, DbErr> {
    refresh_tokens::Entity::find()
        .filter(Column::TokenHash.eq(tokens::digest(token)))
        .one(db)
        .await
}

/// Mark a token used, only if it is still unused and unrevoked. False means someone else used
/// it first: a reuse.
pub async fn claim(db: &impl ConnectionTrait, id: Uuid, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let res = refresh_tokens::Entity::update_many()
        .col_expr(Column::UsedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(Column::UsedAt.is_null())
        .filter(Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

pub async fn revoke_family(
    db: &impl ConnectionTrait,
    family_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    refresh_tokens::Entity::update_many()
        .col_expr(Column::RevokedAt, Expr::value(now))
        .filter(Column::FamilyId.eq(family_id))
        .filter(Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

pub use siji_core::accounts::revoke_user;
