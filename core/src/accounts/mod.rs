//! Accounts: staff users and the machine clients of county systems. Who may grant which role,
//! the password policy and hashing, disabling an account (which revokes every token it holds)
//! and resetting or changing a password are rules of the service, not of HTTP; issuing and
//! checking the tokens themselves stays with the HTTP layer's authentication.

pub mod clients;
pub mod password;
pub mod secrets;
pub mod users;

use chrono::{DateTime, Utc};
use entity::refresh_tokens::{self, Column};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

/// Revoke every refresh token of a user that is still live, as of `now`.
pub async fn revoke_user(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    refresh_tokens::Entity::update_many()
        .col_expr(Column::RevokedAt, Expr::value(now))
        .filter(Column::UserId.eq(user_id))
        .filter(Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}
