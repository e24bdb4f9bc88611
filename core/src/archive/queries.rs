//! Database work on archives: scoped reads and the list's filters, the cause rows and their
//! filter, the dashboard's counts, and the minimum living standard that applies.

use chrono::{Datelike, Days, Months, NaiveDate, NaiveTime};
use entity::{beneficiaries, beneficiary_causes, household_members, living_standards, orgs};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, Select,
};
use uuid::Uuid;

use super::{ArchiveStatus, Cause};
use crate::CoreError;
use crate::context::Context;
use crate::registry::lists::one_of_few;
use crate::tenancy::Scope;

pub fn scoped(scope: &Scope) -> Select<beneficiaries::Entity> {
    scope.select()
}

pub async fn find(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
) -> Result<Option<beneficiaries::Model>, DbErr> {
    scope.find::<beneficiaries::Entity>(db, id).await
}

/// The minimum living standard for `year` of the nearest organisation above (or at) `org` that
/// keeps one.
pub async fn living_standard(
    db: &impl ConnectionTrait,
    org: &orgs::Model,
    year: i32,
) -> Result<Option<i64>, DbErr> {
    let ancestors = crate::tenancy::ancestors(&org.path);
    let standards = living_standards::Entity::find()
        .filter(living_standards::Column::OrgId.is_in(ancestors.clone()))
        .filter(living_standards::Column::Year.eq(year))
        .all(db)
        .await?;
    Ok(ancestors.iter().rev().find_map(|id| {
        standards
            .iter()
            .find(|s| s.org_id == *id)
            .map(|s| s.monthly_fen)
    }))
}

/// The condition "has this cause", served by the cause rows' index.
pub fn has_cause(cause: &str) -> sea_orm::Condition {
    use beneficiary_causes::Column as C;
    let with_cause = Query::select()
        .column(C::BeneficiaryId)
        .from(beneficiary_causes::Entity)
        .and_where(one_of_few(C::Cause, cause))
        .to_owned();
    sea_orm::Condition::all().add(beneficiaries::Column::Id.in_subquery(with_cause))
}

/// Make the cause rows of an archive exactly `causes` (each once).
pub async fn write_causes(
    db: &impl ConnectionTrait,
    archive: Uuid,
    causes: &[Cause],
) -> Result<(), DbErr> {
    beneficiary_causes::Entity::delete_many()
        .filter(beneficiary_causes::Column::BeneficiaryId.eq(archive))
        .exec(db)
        .await?;
    let rows = cause_rows(archive, causes);
    if !rows.is_empty() {
        beneficiary_causes::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// The rows of an archive's causes (each once, in the causes' order).
pub fn cause_rows(archive: Uuid, causes: &[Cause]) -> Vec<beneficiary_causes::ActiveModel> {
    Cause::ALL
        .iter()
        .filter(|c| causes.contains(c))
        .map(|c| beneficiary_causes::ActiveModel {
            beneficiary_id: Set(archive),
            cause: Set(c.as_str().to_owned()),
        })
        .collect()
}

/// One cell of the dashboard as the database counts it: live archives of an organisation, of a
/// category, with a cause.
#[derive(Debug, sea_orm::FromQueryResult)]
pub struct CountCell {
    pub org_id: Uuid,
    pub category: String,
    pub cause: String,
    pub count: i64,
}

/// Live (temporary and formal) archives of the scope counted by organisation, category and
/// cause in one `GROUP BY` (an archive with several causes counts under each).
async fn live_counts(db: &impl ConnectionTrait, scope: &Scope) -> Result<Vec<CountCell>, DbErr> {
    use beneficiaries::Column as B;
    let live = [
        ArchiveStatus::Temporary.as_str(),
        ArchiveStatus::Formal.as_str(),
    ];
    let query = Query::select()
        .column((beneficiaries::Entity, B::OrgId))
        .column((beneficiaries::Entity, B::Category))
        .column((
            beneficiary_causes::Entity,
            beneficiary_causes::Column::Cause,
        ))
        .expr_as(Expr::col((beneficiaries::Entity, B::Id)).count(), "count")
        .from(beneficiaries::Entity)
        .inner_join(
            beneficiary_causes::Entity,
            Expr::col((
                beneficiary_causes::Entity,
                beneficiary_causes::Column::BeneficiaryId,
            ))
            .equals((beneficiaries::Entity, B::Id)),
        )
        .and_where(Expr::col((beneficiaries::Entity, B::Status)).is_in(live))
        .and_where(scope.contains(Expr::col((beneficiaries::Entity, B::OrgId))))
        .group_by_col((beneficiaries::Entity, B::OrgId))
        .group_by_col((beneficiaries::Entity, B::Category))
        .group_by_col((
            beneficiary_causes::Entity,
            beneficiary_causes::Column::Cause,
        ))
        .to_owned();
    CountCell::find_by_statement(db.get_database_backend().build(&query))
        .all(db)
        .await
}

/// One cell of the dashboard's counts: live archives of a county by category and cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountyCount {
    /// The organisation one level below the city (the city itself for the archives it keeps).
    pub county_id: Uuid,
    pub county: String,
    pub category: super::Category,
    pub cause: Cause,
    pub count: u64,
}

/// Live archives of the principal's subtree counted by county, category and cause: one
/// `GROUP BY`, then two lookups (the organisations counted, their counties) however many cells.
pub async fn counts_by_county(ctx: &Context<'_>) -> Result<Vec<CountyCount>, CoreError> {
    use std::collections::{BTreeMap, HashMap};
    ctx.require(super::READ).await?;
    let cells = live_counts(ctx.db, ctx.scope()).await?;
    let org_ids: Vec<Uuid> = cells.iter().map(|c| c.org_id).collect();
    let county_of: HashMap<Uuid, Uuid> = orgs::Entity::find()
        .filter(orgs::Column::Id.is_in(org_ids))
        .all(ctx.db)
        .await?
        .into_iter()
        .filter_map(|o| crate::tenancy::county_of(&o.path).map(|county| (o.id, county)))
        .collect();
    let mut totals: BTreeMap<(Uuid, &'static str, &'static str), u64> = BTreeMap::new();
    for cell in cells {
        let (Some(county), Some(category), Some(cause)) = (
            county_of.get(&cell.org_id),
            super::Category::parse(&cell.category),
            Cause::parse(&cell.cause),
        ) else {
            continue;
        };
        *totals
            .entry((*county, category.as_str(), cause.as_str()))
            .or_default() += u64::try_from(cell.count).unwrap_or(0);
    }
    let county_ids: Vec<Uuid> = totals.keys().map(|(county, _, _)| *county).collect();
    let names: HashMap<Uuid, String> = orgs::Entity::find()
        .filter(orgs::Column::Id.is_in(county_ids))
        .all(ctx.db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    Ok(totals
        .into_iter()
        .filter_map(|((county_id, category, cause), count)| {
            Some(CountyCount {
                county_id,
                county: names.get(&county_id).cloned().unwrap_or_default(),
                category: super::Category::parse(category)?,
                cause: Cause::parse(cause)?,
                count,
            })
        })
        .collect())
}

/// The filters of the archive list; `None` does not filter. The dates that make an archive
/// "due", "overdue" or "stale" are the context's clock's.
#[derive(Debug, Clone, Default)]
pub struct ArchiveFilter {
    pub status: Option<ArchiveStatus>,
    pub category: Option<super::Category>,
    pub cause: Option<Cause>,
    pub within_org_id: Option<Uuid>,
    pub head_worker_id: Option<Uuid>,
    /// Formal archives whose yearly re-verification (复核) falls due within this many days.
    pub reverify_due_within_days: Option<u32>,
    /// Formal archives whose re-verification date has passed.
    pub reverify_overdue: bool,
    /// Live archives nobody has touched for a year.
    pub stale: bool,
    pub created_from: Option<NaiveDate>,
    /// Exclusive.
    pub created_to: Option<NaiveDate>,
    pub migrant_worker: Option<bool>,
    /// Live archives with a member admitted to an undergraduate course this year (金秋助学).
    pub entering_university: bool,
}

/// The archives of the principal's subtree that pass `filter`, unordered.
pub async fn list(
    ctx: &Context<'_>,
    filter: &ArchiveFilter,
) -> Result<Select<beneficiaries::Entity>, CoreError> {
    use beneficiaries::Column as B;
    ctx.require(super::READ).await?;
    let today = ctx.clock.today();
    let live = [
        ArchiveStatus::Temporary.as_str(),
        ArchiveStatus::Formal.as_str(),
    ];
    let formal = ArchiveStatus::Formal.as_str();
    let midnight = |day: NaiveDate| day.and_time(NaiveTime::MIN).and_utc();
    let mut select = scoped(ctx.scope());
    if let Some(s) = filter.status {
        select = select.filter(one_of_few(B::Status, s.as_str()));
    }
    if let Some(c) = filter.category {
        select = select.filter(one_of_few(B::Category, c.as_str()));
    }
    if let Some(c) = filter.cause {
        select = select.filter(has_cause(c.as_str()));
    }
    if let Some(within) = filter.within_org_id {
        select = select.filter(
            crate::registry::orgs::subtree_condition(ctx.db, ctx.scope(), within, B::OrgId).await?,
        );
    }
    if let Some(head) = filter.head_worker_id {
        select = select.filter(B::HeadWorkerId.eq(head));
    }
    if let Some(days) = filter.reverify_due_within_days {
        let until = today + Days::new(u64::from(days));
        select = select
            .filter(B::Status.eq(formal))
            .filter(B::ReverifyDueOn.lte(until));
    }
    if filter.reverify_overdue {
        select = select
            .filter(B::Status.eq(formal))
            .filter(B::ReverifyDueOn.lt(today));
    }
    if filter.stale {
        let now = ctx.clock.now();
        let year_ago = now.checked_sub_months(Months::new(12)).unwrap_or(now);
        select = select
            .filter(B::Status.is_in(live))
            .filter(B::UpdatedAt.lt(year_ago));
    }
    if let Some(from) = filter.created_from {
        select = select.filter(B::CreatedAt.gte(midnight(from)));
    }
    if let Some(to) = filter.created_to {
        select = select.filter(B::CreatedAt.lt(midnight(to)));
    }
    if let Some(m) = filter.migrant_worker {
        select = select.filter(B::MigrantWorker.eq(m));
    }
    if filter.entering_university {
        let entering = Query::select()
            .column(household_members::Column::BeneficiaryId)
            .from(household_members::Entity)
            .and_where(
                Expr::col(household_members::Column::Stage)
                    .eq(super::Stage::Undergraduate.as_str()),
            )
            .and_where(Expr::col(household_members::Column::AdmissionYear).eq(today.year()))
            .to_owned();
        select = select
            .filter(B::Id.in_subquery(entering))
            .filter(B::Status.is_in(live));
    }
    Ok(select)
}
