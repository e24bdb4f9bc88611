//! The coverage of collective wage agreements (工资集体协商建制率): the share of unionised
//! enterprises covered on a day, in total and grouped, and the enterprises behind the figures.
//! What "unionised" and "covered" mean is decided here once, for the report, its spreadsheet
//! and the worklists. The figures take three queries whatever the number of enterprises: the
//! unionised enterprises of the scope with a "covered on the day" flag (one correlated EXISTS
//! served by the enterprise index of the agreement links), the organisations for grouping, and
//! the modes of the covering agreements.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use entity::{enterprises, orgs as org_rows, wage_agreement_enterprises as links, wage_agreements};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter,
    QuerySelect, QueryTrait, Select,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::NegotiationMode;
use super::queries::in_force_on;
use crate::CoreError;
use crate::context::Context;
use crate::domain::industry;
use crate::registry::{RECORD_ACTIVE, orgs};
use crate::tenancy::{Scope, county_of};

/// How to break the figure down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// By county/district federation (县市区), the organisation one level below the city.
    County,
    /// By GB/T 4754 industry section (行业门类).
    Industry,
    /// By the negotiation mode of the covering agreement (the uncovered are in `uncovered`).
    Mode,
}

/// Counts and the rate.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Coverage {
    /// Unionised enterprises: active, with their union founded on or before the day (or with no
    /// founding date recorded).
    pub unionised: u64,
    /// Of those, covered by a signed or filed agreement in force on the day, for the enterprise
    /// itself or through an industry-wide or regional agreement.
    pub covered: u64,
    /// `covered / unionised` in basis points, rounded half up (9690 = 96.9%).
    pub rate_bp: u32,
}

impl Coverage {
    pub fn new(unionised: u64, covered: u64) -> Self {
        let rate_bp = (covered * 10_000 + unionised / 2)
            .checked_div(unionised)
            .unwrap_or(0);
        // At most 10,000 (covered ≤ unionised).
        let rate_bp = u32::try_from(rate_bp).unwrap_or(u32::MAX);
        Self {
            unionised,
            covered,
            rate_bp,
        }
    }
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CoverageGroup {
    /// County org id, industry letter, or mode.
    pub key: String,
    pub label: String,
    /// For `group_by=mode`, `unionised` is the total of all groups and `covered` the enterprises
    /// covered through this mode.
    #[serde(flatten)]
    pub coverage: Coverage,
}

/// The coverage of collective wage agreements (工资集体协商建制率) on a day.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "as_of": "2017-12-31", "group_by": "county",
    "total": {"unionised": 14796, "covered": 14337, "rate_bp": 9690},
    "uncovered": 459,
    "groups": [{"key": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12", "label": "任城区总工会", "unionised": 2100, "covered": 2050, "rate_bp": 9762}]
})))]
pub struct CoverageReport {
    pub as_of: NaiveDate,
    pub group_by: Option<GroupBy>,
    pub total: Coverage,
    /// Unionised enterprises that no agreement covers on the day (`total.unionised −
    /// total.covered`): never a group, so that the groups' `covered` add up to `total.covered`.
    pub uncovered: u64,
    pub groups: Vec<CoverageGroup>,
}

fn mode_label(mode: NegotiationMode) -> &'static str {
    match mode {
        NegotiationMode::SingleEnterprise => "企业单独协商",
        NegotiationMode::Industry => "行业性协商",
        NegotiationMode::Regional => "区域性协商",
        NegotiationMode::Delegated => "上级工会代行协商",
        NegotiationMode::Joint => "联合协商",
        NegotiationMode::Online => "网上协商",
    }
}

/// The coverage of the principal's subtree on `day` (the context's today by default), in total
/// and grouped: three queries however many enterprises.
pub async fn report(
    ctx: &Context<'_>,
    day: Option<NaiveDate>,
    group_by: Option<GroupBy>,
) -> Result<CoverageReport, CoreError> {
    ctx.require(super::READ).await?;
    let day = day.unwrap_or_else(|| ctx.clock.today());
    let scope = ctx.scope();
    let rows = rows(ctx.db, scope, day).await?;
    let total = Coverage::new(
        u64::try_from(rows.len()).unwrap_or(u64::MAX),
        u64::try_from(rows.iter().filter(|r| r.covered).count()).unwrap_or(u64::MAX),
    );
    let mut counts: BTreeMap<String, (String, u64, u64)> = BTreeMap::new();
    match group_by {
        None => {}
        Some(GroupBy::County) => {
            let orgs = orgs_by_id(ctx.db, scope).await?;
            for row in &rows {
                let county = orgs.get(&row.org_id).and_then(|o| county_of(&o.path));
                let key = county.map(|c| c.to_string()).unwrap_or_default();
                let label = county
                    .and_then(|c| orgs.get(&c))
                    .map(|o| o.name.clone())
                    .unwrap_or_default();
                let entry = counts.entry(key).or_insert((label, 0, 0));
                entry.1 += 1;
                entry.2 += u64::from(row.covered);
            }
        }
        Some(GroupBy::Industry) => {
            for row in &rows {
                let label = industry::name(&row.industry).unwrap_or_default().to_owned();
                let entry = counts.entry(row.industry.clone()).or_insert((label, 0, 0));
                entry.1 += 1;
                entry.2 += u64::from(row.covered);
            }
        }
        Some(GroupBy::Mode) => {
            let modes = modes(ctx.db, scope, day).await?;
            for row in rows.iter().filter(|r| r.covered) {
                if let Some(mode) = modes.get(&row.id) {
                    let entry = counts.entry(mode.as_str().to_owned()).or_insert((
                        mode_label(*mode).to_owned(),
                        total.unionised,
                        0,
                    ));
                    entry.2 += 1;
                }
            }
        }
    }
    let groups = counts
        .into_iter()
        .map(|(key, (label, unionised, covered))| CoverageGroup {
            key,
            label,
            coverage: Coverage::new(unionised, covered),
        })
        .collect();
    Ok(CoverageReport {
        as_of: day,
        group_by,
        uncovered: total.unionised.saturating_sub(total.covered),
        total,
        groups,
    })
}

/// Which enterprises behind the figures a worklist shows.
#[derive(Debug, Clone, Default)]
pub struct CoverageFilter {
    /// The day (the context's today by default).
    pub as_of: Option<NaiveDate>,
    /// Only covered (`true`) or uncovered (`false`) enterprises.
    pub covered: Option<bool>,
    /// One group of the report: how it was grouped, and the group's key.
    pub group: Option<(GroupBy, String)>,
    /// Enterprises no agreement has ever covered.
    pub never_covered: bool,
}

/// The unionised enterprises of the principal's subtree behind the report, unordered.
pub async fn enterprises(
    ctx: &Context<'_>,
    filter: &CoverageFilter,
) -> Result<Select<enterprises::Entity>, CoreError> {
    ctx.require(super::READ).await?;
    let day = filter.as_of.unwrap_or_else(|| ctx.clock.today());
    let scope = ctx.scope();
    let mut select = unionised(scope, day);
    match filter.covered {
        Some(true) => select = select.filter(Expr::exists(covering(day, None))),
        Some(false) => select = select.filter(Expr::exists(covering(day, None)).not()),
        None => {}
    }
    if filter.never_covered {
        select = select.filter(Expr::exists(ever_covered()).not());
    }
    match &filter.group {
        Some((GroupBy::County, key)) => {
            let county = Uuid::parse_str(key).map_err(|_| {
                CoreError::field("group", "invalid_value", "must be a county org id")
            })?;
            select = select.filter(
                orgs::subtree_condition(ctx.db, scope, county, enterprises::Column::OrgId).await?,
            );
        }
        Some((GroupBy::Industry, key)) => {
            select = select.filter(enterprises::Column::Industry.eq(key.as_str()));
        }
        Some((GroupBy::Mode, key)) => {
            let mode = NegotiationMode::parse(key).ok_or_else(|| {
                CoreError::field("group", "invalid_value", "is not a negotiation mode")
            })?;
            select = select.filter(Condition::all().add(Expr::exists(covering(day, Some(mode)))));
        }
        None => {}
    }
    Ok(select)
}

/// `SELECT 1 FROM links JOIN agreements … WHERE links.enterprise_id = enterprises.id AND <in
/// force on day> [AND mode = …]`, for EXISTS.
fn covering(day: NaiveDate, mode: Option<NegotiationMode>) -> SelectStatement {
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
fn ever_covered() -> SelectStatement {
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
fn unionised(scope: &Scope, day: NaiveDate) -> Select<enterprises::Entity> {
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
struct Row {
    id: Uuid,
    org_id: Uuid,
    industry: String,
    covered: bool,
}

async fn rows(db: &impl ConnectionTrait, scope: &Scope, day: NaiveDate) -> Result<Vec<Row>, DbErr> {
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
async fn orgs_by_id(
    db: &impl ConnectionTrait,
    scope: &Scope,
) -> Result<HashMap<Uuid, org_rows::Model>, DbErr> {
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
async fn modes(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_round_half_up_in_basis_points() {
        assert_eq!(Coverage::new(14796, 14337).rate_bp, 9690);
        assert_eq!(Coverage::new(1000, 969).rate_bp, 9690);
        assert_eq!(Coverage::new(3, 2).rate_bp, 6667);
        assert_eq!(Coverage::new(0, 0).rate_bp, 0);
    }
}
