//! The coverage computation, in three queries whatever the number of enterprises: the
//! unionised enterprises of the scope with a "covered on the day" flag (one correlated EXISTS
//! served by the enterprise index of the agreement links), the organisations for grouping, and
//! the modes of the covering agreements.

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::{enterprises, orgs, wage_agreement_enterprises as links, wage_agreements};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter,
    QuerySelect, QueryTrait, Select,
};
use uuid::Uuid;

use crate::listing::RECORD_ACTIVE;
use crate::resources::wage_agreements::dto::NegotiationMode;
use crate::tenancy::Scope;
use siji_core::agreements::queries::in_force_on;

/// `SELECT 1 FROM links JOIN agreements … WHERE links.enterprise_id = enterprises.id AND <in
/// force on day> [AND mode = …]`, for EXISTS.
pub fn covering(day: NaiveDate, mode: Option<NegotiationMode>) -> SelectStatement {
    let mut q = Query::select()
        .expr(Expr::val(1))
        .from(links::Entity)
        .inner_join(
            wage_agreements::Entity,
            Expr::col((wage_agreements::Entity, wage_agreements::Column::Id))
                .equals((links::Entity, links::Column::AgreementId)),
        )
        .and_where(
            Expr::col((links::Entity, links::Column::EnterpriseId))
                .equals((enterprises::Entity, enterprises::Column::Id)),
        )
        .cond_where(in_force_on(day))
        .to_owned();
    if let Some(mode) = mode {
        q.and_where(
            Expr::col((wage_agreements::Entity, wage_agreements::Column::Mode)).eq(mode.as_str()),
        );
    }
    q
}

/// Any agreement at all, ever (for the "never covered" worklist).
pub fn ever_covered() -> SelectStatement {
    Query::select()
        .expr(Expr::val(1))
        .from(links::Entity)
        .and_where(
            Expr::col((links::Entity, links::Column::EnterpriseId))
                .equals((enterprises::Entity, enterprises::Column::Id)),
        )
        .to_owned()
}

/// Unionised on `day`: an active enterprise of the scope whose union was founded on or before
/// the day (or whose founding date is not recorded).
pub fn unionised(scope: &Scope, day: NaiveDate) -> Select<enterprises::Entity> {
    use enterprises::Column as E;
    enterprises::Entity::find()
        .filter(scope.owns(E::OrgId))
        .filter(E::Status.eq(RECORD_ACTIVE))
        .filter(
            Condition::any()
                .add(E::UnionFoundedOn.is_null())
                .add(E::UnionFoundedOn.lte(day)),
        )
}

#[derive(Debug, FromQueryResult)]
pub struct Row {
    pub id: Uuid,
    pub org_id: Uuid,
    pub industry: String,
    pub covered: bool,
}

pub async fn rows(
    db: &impl ConnectionTrait,
    scope: &Scope,
    day: NaiveDate,
) -> Result<Vec<Row>, DbErr> {
    use enterprises::Column as E;
    unionised(scope, day)
        .select_only()
        .column(E::Id)
        .column(E::OrgId)
        .column(E::Industry)
        .expr_as(Expr::exists(covering(day, None)), "covered")
        .into_model::<Row>()
        .all(db)
        .await
}

/// The organisations of the scope by id (for the county of each enterprise and the labels).
pub async fn orgs_by_id(
    db: &impl ConnectionTrait,
    scope: &Scope,
) -> Result<HashMap<Uuid, orgs::Model>, DbErr> {
    Ok(scope
        .orgs()
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect())
}

#[derive(Debug, FromQueryResult)]
struct ModeRow {
    enterprise_id: Uuid,
    mode: String,
}

/// For each covered enterprise of the scope, the mode of the agreement covering it on `day`
/// (the first in `NegotiationMode::ALL` order when several do).
pub async fn modes(
    db: &impl ConnectionTrait,
    scope: &Scope,
    day: NaiveDate,
) -> Result<HashMap<Uuid, NegotiationMode>, DbErr> {
    let rows = links::Entity::find()
        .select_only()
        .column(links::Column::EnterpriseId)
        .column_as(
            Expr::col((wage_agreements::Entity, wage_agreements::Column::Mode)),
            "mode",
        )
        .join(
            sea_orm::JoinType::InnerJoin,
            links::Entity::belongs_to(wage_agreements::Entity)
                .from(links::Column::AgreementId)
                .to(wage_agreements::Column::Id)
                .into(),
        )
        .filter(in_force_on(day))
        .filter(
            links::Column::EnterpriseId.in_subquery(
                unionised(scope, day)
                    .select_only()
                    .column(enterprises::Column::Id)
                    .into_query(),
            ),
        )
        .into_model::<ModeRow>()
        .all(db)
        .await?;
    let rank = |m: &NegotiationMode| {
        NegotiationMode::ALL
            .iter()
            .position(|x| x == m)
            .unwrap_or(usize::MAX)
    };
    let mut best: HashMap<Uuid, NegotiationMode> = HashMap::new();
    for row in rows {
        let Some(mode) = NegotiationMode::parse(&row.mode) else {
            continue;
        };
        let entry = best.entry(row.enterprise_id).or_insert(mode);
        if rank(&mode) < rank(entry) {
            *entry = mode;
        }
    }
    Ok(best)
}
