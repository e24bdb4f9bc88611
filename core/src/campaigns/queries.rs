//! Reading campaigns: which a scope may read, the list's filters, and their fund sources loaded
//! for a whole page in one query.

use std::collections::HashMap;

use entity::{campaign_fund_sources as sources, campaign_quotas as quotas, campaigns};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Select,
};
use uuid::Uuid;

use super::{Campaign, CampaignKind, CampaignStatus, READ};
use crate::CoreError;
use crate::context::Context;
use crate::tenancy::Scope;

/// The campaigns a scope may read: those run in it, and those it takes part in through an
/// allocation (a county reads the city's winter warmth once it has received its share). Only
/// the first kind are the scope's to change.
pub fn visible(scope: &Scope) -> Select<campaigns::Entity> {
    let taking_part = Query::select()
        .column(quotas::Column::CampaignId)
        .from(quotas::Entity)
        .and_where(scope.contains(Expr::col(quotas::Column::OrgId)))
        .to_owned();
    campaigns::Entity::find().filter(
        Condition::any()
            .add(scope.owns(campaigns::Column::OrgId))
            .add(campaigns::Column::Id.in_subquery(taking_part)),
    )
}

pub async fn find(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
) -> Result<Option<campaigns::Model>, DbErr> {
    visible(scope)
        .filter(campaigns::Column::Id.eq(id))
        .one(db)
        .await
}

/// A campaign the principal may read, with its sources.
pub async fn get(ctx: &Context<'_>, id: Uuid) -> Result<Campaign, CoreError> {
    ctx.require(READ).await?;
    let c = find(ctx.db, ctx.scope(), id)
        .await?
        .ok_or(CoreError::NotFound)?;
    Ok(load(ctx.db, c).await?)
}

/// One campaign with its sources.
pub async fn load(db: &impl ConnectionTrait, c: campaigns::Model) -> Result<Campaign, DbErr> {
    let mut all = load_many(db, vec![c]).await?;
    all.pop()
        .ok_or_else(|| DbErr::RecordNotFound("campaign".into()))
}

/// Campaigns with their sources: one query for the sources of all of them.
pub async fn load_many(
    db: &impl ConnectionTrait,
    list: Vec<campaigns::Model>,
) -> Result<Vec<Campaign>, DbErr> {
    let ids: Vec<Uuid> = list.iter().map(|c| c.id).collect();
    let mut by_campaign: HashMap<Uuid, Vec<sources::Model>> = HashMap::new();
    for row in sources::Entity::find()
        .filter(sources::Column::CampaignId.is_in(ids))
        .order_by_asc(sources::Column::Position)
        .all(db)
        .await?
    {
        by_campaign.entry(row.campaign_id).or_default().push(row);
    }
    Ok(list
        .into_iter()
        .map(|c| Campaign {
            fund_sources: by_campaign.remove(&c.id).unwrap_or_default(),
            campaign: c,
        })
        .collect())
}

/// The filters of the campaign list; `None` does not filter.
#[derive(Debug, Clone, Default)]
pub struct CampaignFilter {
    pub kind: Option<CampaignKind>,
    pub year: Option<i32>,
    pub status: Option<CampaignStatus>,
    /// Campaigns run by this organisation itself.
    pub org_id: Option<Uuid>,
    /// Campaigns run anywhere in this organisation's subtree.
    pub within_org_id: Option<Uuid>,
}

/// The campaigns the principal may read (see [`visible`]) that pass `filter`, unordered.
pub async fn list(
    ctx: &Context<'_>,
    filter: &CampaignFilter,
) -> Result<Select<campaigns::Entity>, CoreError> {
    use campaigns::Column as C;
    ctx.require(READ).await?;
    let mut select = visible(ctx.scope());
    if let Some(kind) = filter.kind {
        select = select.filter(C::Kind.eq(kind.as_str()));
    }
    if let Some(year) = filter.year {
        select = select.filter(C::Year.eq(year));
    }
    if let Some(status) = filter.status {
        select = select.filter(C::Status.eq(status.as_str()));
    }
    if let Some(org) = filter.org_id {
        select = select.filter(C::OrgId.eq(org));
    }
    if let Some(within) = filter.within_org_id {
        select = select.filter(
            crate::registry::orgs::subtree_condition(ctx.db, ctx.scope(), within, C::OrgId).await?,
        );
    }
    Ok(select)
}
