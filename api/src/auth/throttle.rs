//! Failed-login throttling per username and per client IP. The counters are rows in the
//! database, so every API instance behind a load balancer sees the same counts.

use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::login_throttle::{self, Column};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use crate::http::ApiError;

#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub max_failures: u32,
    pub window: Duration,
}

pub fn user_key(username: &str) -> String {
    format!("user:{}", username.to_lowercase())
}

pub fn ip_key(ip: &str) -> String {
    format!("ip:{ip}")
}

fn window_start(now: DateTime<Utc>, window: Duration) -> DateTime<Utc> {
    now - chrono::Duration::from_std(window).unwrap_or_else(|_| chrono::Duration::minutes(15))
}

/// 429 with `Retry-After` if `key` has used up its failures within the window.
pub async fn check(
    db: &impl ConnectionTrait,
    key: &str,
    limit: Limit,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let Some(row) = login_throttle::Entity::find_by_id(key.to_owned())
        .one(db)
        .await?
    else {
        return Ok(());
    };
    let started = window_start(now, limit.window);
    if row.window_started_at >= started
        && row.failures >= i32::try_from(limit.max_failures).unwrap_or(i32::MAX)
    {
        let retry = u64::try_from((row.window_started_at - started).num_seconds()).unwrap_or(0);
        let retry = Ord::max(retry, 1);
        return Err(ApiError::TooManyRequests(Duration::from_secs(retry)));
    }
    Ok(())
}

/// Count one failure: increment within the current window, or start a new window.
pub async fn record_failure(
    db: &impl ConnectionTrait,
    key: &str,
    limit: Limit,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let updated = login_throttle::Entity::update_many()
        .col_expr(Column::Failures, Expr::col(Column::Failures).add(1))
        .filter(Column::Key.eq(key))
        .filter(Column::WindowStartedAt.gte(window_start(now, limit.window)))
        .exec(db)
        .await?;
    if updated.rows_affected == 0 {
        let row = login_throttle::ActiveModel {
            key: Set(key.to_owned()),
            failures: Set(1),
            window_started_at: Set(now),
        };
        login_throttle::Entity::insert(row)
            .on_conflict(
                OnConflict::column(Column::Key)
                    .update_columns([Column::Failures, Column::WindowStartedAt])
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Forget the failures of `key` (after a successful login).
pub async fn reset(db: &impl ConnectionTrait, key: &str) -> Result<(), DbErr> {
    login_throttle::Entity::delete_by_id(key.to_owned())
        .exec(db)
        .await?;
    Ok(())
}
