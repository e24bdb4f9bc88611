//! Database reads of archives: scoped reads, the cause filter, and the minimum living standard
//! that applies.

use entity::{beneficiaries, living_standards, orgs};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Select};
use uuid::Uuid;

use crate::tenancy::Scope;

pub fn scoped(scope: &Scope) -> Select<beneficiaries::Entity> {
    beneficiaries::Entity::find().filter(scope.owns(beneficiaries::Column::OrgId))
}

pub async fn find(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
) -> Result<Option<beneficiaries::Model>, DbErr> {
    scoped(scope)
        .filter(beneficiaries::Column::Id.eq(id))
        .one(db)
        .await
}

/// The minimum living standard for `year` of the nearest organisation above (or at) `org` that
/// keeps one.
pub async fn living_standard(
    db: &impl ConnectionTrait,
    org: &orgs::Model,
    year: i32,
) -> Result<Option<i64>, DbErr> {
    let ancestors: Vec<Uuid> = org
        .path
        .split('/')
        .filter_map(|s| Uuid::parse_str(s).ok())
        .collect();
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

/// Causes stored comma-separated: the condition "has this cause".
pub fn has_cause(cause: &str) -> sea_orm::Condition {
    use beneficiaries::Column as B;
    sea_orm::Condition::any()
        .add(B::Causes.eq(cause))
        .add(B::Causes.like(format!("{cause},%")))
        .add(B::Causes.like(format!("%,{cause}")))
        .add(B::Causes.like(format!("%,{cause},%")))
}
