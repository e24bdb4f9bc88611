//! Reading grants: scoped lookups and the list's filters.

use entity::grants;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, QueryFilter, Select};
use uuid::Uuid;

use super::{GrantStatus, READ};
use crate::CoreError;
use crate::archive::Category;
use crate::context::Context;
use crate::tenancy::Scope;

pub async fn find(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
) -> Result<Option<grants::Model>, DbErr> {
    scope.find::<grants::Entity>(db, id).await
}

/// A grant of the principal's scope.
pub async fn get(ctx: &Context<'_>, id: Uuid) -> Result<grants::Model, CoreError> {
    ctx.require(READ).await?;
    find(ctx.db, ctx.scope(), id)
        .await?
        .ok_or(CoreError::NotFound)
}

/// The filters of the grant list; `None` does not filter.
#[derive(Debug, Clone, Default)]
pub struct GrantFilter {
    pub campaign_id: Option<Uuid>,
    pub status: Option<GrantStatus>,
    pub category: Option<Category>,
    /// Grants of this organisation itself.
    pub org_id: Option<Uuid>,
    /// Grants anywhere in this organisation's subtree (a county, for instance).
    pub within_org_id: Option<Uuid>,
    pub notice_id: Option<Uuid>,
    /// Only those aided by another campaign of the same kind and year (top-ups).
    pub aided_elsewhere: Option<bool>,
}

/// The grants of the principal's scope that pass `filter`, unordered.
pub async fn list(
    ctx: &Context<'_>,
    filter: &GrantFilter,
) -> Result<Select<grants::Entity>, CoreError> {
    use grants::Column as G;
    ctx.require(READ).await?;
    let mut select = ctx.scope().select::<grants::Entity>();
    if let Some(c) = filter.campaign_id {
        select = select.filter(G::CampaignId.eq(c));
    }
    if let Some(s) = filter.status {
        select = select.filter(G::Status.eq(s.as_str()));
    }
    if let Some(c) = filter.category {
        select = select.filter(G::Category.eq(c.as_str()));
    }
    if let Some(o) = filter.org_id {
        select = select.filter(G::OrgId.eq(o));
    }
    if let Some(within) = filter.within_org_id {
        select = select.filter(
            crate::registry::orgs::subtree_condition(ctx.db, ctx.scope(), within, G::OrgId).await?,
        );
    }
    if let Some(n) = filter.notice_id {
        select = select.filter(G::NoticeId.eq(n));
    }
    if let Some(flag) = filter.aided_elsewhere {
        select = select.filter(G::AidedElsewhere.eq(flag));
    }
    Ok(select)
}
