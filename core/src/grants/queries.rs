//! Reading grants: scoped lookups, the list's filters, and the figures per county.

use std::collections::{BTreeMap, HashMap};

use entity::{grants, orgs as org_rows};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, Select,
};
use uuid::Uuid;

use super::{GrantStatus, READ};
use crate::CoreError;
use crate::archive::Category;
use crate::context::Context;
use crate::registry::lists::one_of_few;
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
        select = select.filter(one_of_few(G::Status, s.as_str()));
    }
    if let Some(c) = filter.category {
        select = select.filter(one_of_few(G::Category, c.as_str()));
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

#[derive(Debug, FromQueryResult)]
struct Cell {
    org_id: Uuid,
    status: String,
    count: i64,
    amount: Option<i64>,
}

/// One county's figures for a campaign: how many grants stand in each state, and their amounts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CountyFigures {
    /// The organisation one level below the city (the city itself for what it keeps).
    pub county_id: Uuid,
    pub county: String,
    /// Every grant submitted and not withdrawn.
    pub applied: u64,
    pub applied_fen: i64,
    pub verified: u64,
    pub on_notice: u64,
    pub approved: u64,
    pub approved_fen: i64,
    pub rejected: u64,
}

/// A campaign's grants in the principal's scope counted by county and state: one `GROUP BY`,
/// then the organisations' counties — the "N people, M yuan" of the reports.
pub async fn figures(
    ctx: &Context<'_>,
    campaign_id: Uuid,
) -> Result<Vec<CountyFigures>, CoreError> {
    use grants::Column as G;
    ctx.require(READ).await?;
    crate::campaigns::queries::find(ctx.db, ctx.scope(), campaign_id)
        .await?
        .ok_or(CoreError::NotFound)?;
    let query = Query::select()
        .column(G::OrgId)
        .column(G::Status)
        .expr_as(Expr::col(G::Id).count(), "count")
        // PostgreSQL sums a bigint into a numeric; the cast brings it back.
        .expr_as(
            Func::cast_as(Expr::col(G::AmountFen).sum(), Alias::new("BIGINT")),
            "amount",
        )
        .from(grants::Entity)
        .and_where(Expr::col(G::CampaignId).eq(campaign_id))
        .and_where(ctx.scope().contains(Expr::col(G::OrgId)))
        .group_by_col(G::OrgId)
        .group_by_col(G::Status)
        .to_owned();
    let cells = Cell::find_by_statement(ctx.db.get_database_backend().build(&query))
        .all(ctx.db)
        .await?;
    let org_ids: Vec<Uuid> = cells.iter().map(|c| c.org_id).collect();
    let county_of: HashMap<Uuid, Uuid> = org_rows::Entity::find()
        .filter(org_rows::Column::Id.is_in(org_ids))
        .all(ctx.db)
        .await?
        .into_iter()
        .filter_map(|o| crate::tenancy::county_of(&o.path).map(|c| (o.id, c)))
        .collect();
    let mut by_county: BTreeMap<Uuid, CountyFigures> = BTreeMap::new();
    for cell in cells {
        let Some(county) = county_of.get(&cell.org_id) else {
            continue;
        };
        let f = by_county.entry(*county).or_insert_with(|| CountyFigures {
            county_id: *county,
            ..CountyFigures::default()
        });
        let count = u64::try_from(cell.count).unwrap_or(0);
        let amount = cell.amount.unwrap_or(0);
        match GrantStatus::parse(&cell.status) {
            Some(GrantStatus::Withdrawn) | None => continue,
            Some(GrantStatus::Verified) => f.verified += count,
            Some(GrantStatus::OnNotice) => f.on_notice += count,
            Some(GrantStatus::Approved) => {
                f.approved += count;
                f.approved_fen += amount;
            }
            Some(GrantStatus::Rejected) => f.rejected += count,
            Some(GrantStatus::Submitted) => {}
        }
        f.applied += count;
        f.applied_fen += amount;
    }
    let names: HashMap<Uuid, String> = org_rows::Entity::find()
        .filter(org_rows::Column::Id.is_in(by_county.keys().copied().collect::<Vec<_>>()))
        .all(ctx.db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    Ok(by_county
        .into_values()
        .map(|mut f| {
            f.county = names.get(&f.county_id).cloned().unwrap_or_default();
            f
        })
        .collect())
}
