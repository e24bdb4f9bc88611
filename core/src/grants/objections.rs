//! Objections (异议) to a grant on public notice: recorded by staff as they arrive (the day, the
//! channel, what was said — the objector's identity stays out of the public view), resolved by
//! someone who may approve: upheld, and the grant is rejected; dismissed, and it goes on. While
//! an objection is open the grant cannot be approved.

use chrono::NaiveDate;
use entity::{grant_notices as notices, grant_objections as objections, grants};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use serde_json::json;
use uuid::Uuid;

use super::{APPROVE, GrantStatus, READ, WRITE, queries};
use crate::CoreError;
use crate::audit::Event;
use crate::context::Context;
use crate::enums::string_enum;
use crate::uow::Work;

string_enum!(
    /// How an objection reached the office.
    ObjectionChannel {
        /// By telephone (电话).
        Phone = "phone",
        /// By letter (信函).
        Letter = "letter",
        /// In person (来访).
        Visit = "visit",
        /// Online or by e-mail (网络).
        Online = "online",
    }
);

string_enum!(
    /// Where an objection stands.
    ObjectionStatus {
        /// Being looked into (处理中): the grant cannot be approved.
        Open = "open",
        /// Found right (异议成立): the grant is rejected.
        Upheld = "upheld",
        /// Found wrong (异议不成立): the grant goes on.
        Dismissed = "dismissed",
    }
);

/// An objection as it arrived.
#[derive(Debug, Clone)]
pub struct NewObjection {
    pub received_on: NaiveDate,
    pub channel: ObjectionChannel,
    pub content: String,
}

/// Record an objection against a grant on notice, received while the notice ran.
pub async fn record(
    ctx: &Context<'_>,
    grant_id: Uuid,
    new: NewObjection,
) -> Result<objections::Model, CoreError> {
    ctx.require(WRITE).await?;
    let work = ctx.begin().await?;
    let g = queries::find(work.conn(), ctx.scope(), grant_id)
        .await?
        .ok_or(CoreError::NotFound)?;
    if g.status != GrantStatus::OnNotice.as_str() {
        return Err(CoreError::conflict(
            "objections are recorded against a grant on public notice",
        ));
    }
    let notice = notice_of(&work, &g).await?;
    if new.received_on < notice.starts_on
        || new.received_on > notice.ends_on
        || new.received_on > ctx.clock.today()
    {
        return Err(CoreError::field(
            "received_on",
            "outside_notice",
            format!(
                "an objection is received while the notice runs ({} to {}), not in the future",
                notice.starts_on, notice.ends_on
            ),
        ));
    }
    let now = ctx.clock.now();
    let o = objections::Entity::insert(objections::ActiveModel {
        id: Set(Uuid::now_v7()),
        grant_id: Set(g.id),
        org_id: Set(g.org_id),
        received_on: Set(new.received_on),
        channel: Set(new.channel.as_str().to_owned()),
        content: Set(new.content.trim().to_owned()),
        status: Set(ObjectionStatus::Open.as_str().to_owned()),
        resolution: Set(None),
        resolved_by: Set(None),
        resolved_at: Set(None),
        created_by: Set(ctx.actor().id.unwrap_or_default()),
        created_at: Set(now),
    })
    .exec_with_returning(work.conn())
    .await?;
    work.record(Event::new("grant.objection").on("grant", g.id).changes(
        json!({ "objection_id": o.id, "channel": o.channel, "received_on": o.received_on }),
    ))
    .await?;
    work.commit().await?;
    Ok(o)
}

async fn notice_of(work: &Work<'_>, g: &grants::Model) -> Result<notices::Model, CoreError> {
    match g.notice_id {
        Some(id) => notices::Entity::find_by_id(id).one(work.conn()).await?,
        None => None,
    }
    .ok_or_else(|| CoreError::Internal("a grant on notice has no notice".into()))
}

/// Resolve an open objection: upheld rejects the grant (releasing any commitment), dismissed
/// lets it go on.
pub async fn resolve(
    ctx: &Context<'_>,
    id: Uuid,
    outcome: ObjectionStatus,
    resolution: String,
) -> Result<objections::Model, CoreError> {
    use objections::Column as O;
    ctx.require(APPROVE).await?;
    if outcome == ObjectionStatus::Open {
        return Err(CoreError::field(
            "outcome",
            "invalid_value",
            "resolve as `upheld` or `dismissed`",
        ));
    }
    let work = ctx.begin().await?;
    let o = ctx
        .scope()
        .find::<objections::Entity>(work.conn(), id)
        .await?
        .ok_or(CoreError::NotFound)?;
    let resolved = objections::Entity::update_many()
        .col_expr(O::Status, Expr::value(outcome.as_str()))
        .col_expr(O::Resolution, Expr::value(resolution.trim()))
        .col_expr(O::ResolvedBy, Expr::value(ctx.actor().id))
        .col_expr(O::ResolvedAt, Expr::value(ctx.clock.now()))
        .filter(O::Id.eq(o.id))
        .filter(O::Status.eq(ObjectionStatus::Open.as_str()))
        .exec(work.conn())
        .await?;
    if resolved.rows_affected != 1 {
        return Err(CoreError::conflict(
            "this objection has been resolved already",
        ));
    }
    work.record(
        Event::new("grant.objection_resolve")
            .on("grant", o.grant_id)
            .changes(json!({ "objection_id": o.id, "outcome": outcome.as_str() })),
    )
    .await?;
    if outcome == ObjectionStatus::Upheld {
        let reason = format!("异议成立：{}", resolution.trim());
        super::reject_in(ctx, &work, o.grant_id, None, &reason).await?;
    }
    let o = objections::Entity::find_by_id(o.id)
        .one(work.conn())
        .await?
        .ok_or(CoreError::NotFound)?;
    work.commit().await?;
    Ok(o)
}

/// The objections to a grant of the principal's scope, oldest first.
pub async fn of_grant(
    ctx: &Context<'_>,
    grant_id: Uuid,
) -> Result<Vec<objections::Model>, CoreError> {
    ctx.require(READ).await?;
    queries::find(ctx.db, ctx.scope(), grant_id)
        .await?
        .ok_or(CoreError::NotFound)?;
    Ok(objections::Entity::find()
        .filter(objections::Column::GrantId.eq(grant_id))
        .order_by_asc(objections::Column::Id)
        .all(ctx.db)
        .await?)
}

/// How many objections to the grant are still open.
pub(super) async fn open_count(work: &Work<'_>, grant: Uuid) -> Result<u64, CoreError> {
    Ok(objections::Entity::find()
        .filter(objections::Column::GrantId.eq(grant))
        .filter(objections::Column::Status.eq(ObjectionStatus::Open.as_str()))
        .count(work.conn())
        .await?)
}
