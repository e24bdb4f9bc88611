//! Local standards that the rules measure against: the minimum living standard (低保标准) per
//! organisation and year, which places households in hardship categories, and the statutory
//! minimum wage (最低工资标准) per organisation from a date, which agreements may not go below.
//! The standard of the nearest organisation above a record applies; one per organisation and
//! year (or start date), which a unique index decides.

use chrono::NaiveDate;
use entity::{living_standards, minimum_wages};
use sea_orm::{ActiveValue::Set, EntityTrait};
use serde_json::json;
use uuid::Uuid;

use crate::CoreError;
use crate::access::Permission;
use crate::audit::Event;
use crate::context::Context;
use crate::registry::orgs;

/// What these operations need, declared once: the operations check it and the HTTP layer's
/// document (`x-permission`) is written from it.
pub const WRITE: Permission = Permission::StandardsWrite;
/// Reading the standards is part of reading the organisation tree.
pub const READ: Permission = Permission::OrgsRead;

/// Record the minimum living standard of an organisation of the scope for a year.
pub async fn record_living_standard(
    ctx: &Context<'_>,
    org_id: Uuid,
    year: i32,
    monthly_fen: i64,
) -> Result<living_standards::Model, CoreError> {
    ctx.require(WRITE).await?;
    let work = ctx.begin().await?;
    orgs::find(work.conn(), ctx.scope(), org_id)
        .await?
        .ok_or(CoreError::NotFound)?;
    let row = living_standards::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(org_id),
        year: Set(year),
        monthly_fen: Set(monthly_fen),
        created_at: Set(ctx.clock.now()),
    };
    let s = living_standards::Entity::insert(row)
        .exec_with_returning(work.conn())
        .await?;
    let changes = json!({ "org_id": s.org_id, "year": s.year, "monthly_fen": s.monthly_fen });
    work.record(
        Event::new("living_standard.create")
            .on("living_standard", s.id)
            .changes(changes),
    )
    .await?;
    work.commit().await?;
    Ok(s)
}

/// Record the statutory minimum wage of an organisation of the scope from a date on.
pub async fn record_minimum_wage(
    ctx: &Context<'_>,
    org_id: Uuid,
    effective_from: NaiveDate,
    monthly_fen: i64,
) -> Result<minimum_wages::Model, CoreError> {
    ctx.require(WRITE).await?;
    let work = ctx.begin().await?;
    orgs::find(work.conn(), ctx.scope(), org_id)
        .await?
        .ok_or(CoreError::NotFound)?;
    let row = minimum_wages::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(org_id),
        effective_from: Set(effective_from),
        monthly_fen: Set(monthly_fen),
        created_at: Set(ctx.clock.now()),
    };
    let m = minimum_wages::Entity::insert(row)
        .exec_with_returning(work.conn())
        .await?;
    let changes = json!({ "org_id": m.org_id, "effective_from": m.effective_from, "monthly_fen": m.monthly_fen });
    work.record(
        Event::new("minimum_wage.create")
            .on("minimum_wage", m.id)
            .changes(changes),
    )
    .await?;
    work.commit().await?;
    Ok(m)
}
