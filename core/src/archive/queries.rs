//! Database work on archives: scoped reads, the cause rows and their filter, the dashboard's
//! counts, and the minimum living standard that applies.

use entity::{beneficiaries, beneficiary_causes, living_standards, orgs};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, Select,
};
use uuid::Uuid;

use super::{ArchiveStatus, Cause};
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
        .and_where(Expr::col(C::Cause).eq(cause))
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
    let rows: Vec<_> = Cause::ALL
        .iter()
        .filter(|c| causes.contains(c))
        .map(|c| beneficiary_causes::ActiveModel {
            beneficiary_id: Set(archive),
            cause: Set(c.as_str().to_owned()),
        })
        .collect();
    if !rows.is_empty() {
        beneficiary_causes::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
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
pub async fn live_counts(
    db: &impl ConnectionTrait,
    scope: &Scope,
) -> Result<Vec<CountCell>, DbErr> {
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
        .and_where(Expr::col((beneficiaries::Entity, B::OrgId)).in_subquery(scope.org_ids()))
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
