//! The coverage report (建制率) and the enterprises behind its numbers.

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{NaiveDate, Utc};
use entity::enterprises;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, Condition, Order, QueryFilter};
use serde::{Deserialize, Serialize};
use siji_openapi::tags;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::queries;
use crate::auth::{Caller, Permission};
use crate::http::pagination::page_by_id;
use crate::http::{ApiError, Page, PageRequest, Query};
use crate::resources::enterprises::dto::EnterpriseResponse;
use crate::resources::wage_agreements::dto::NegotiationMode;
use crate::spreadsheet::{Format, export};
use crate::state::AppState;
use crate::tenancy::{Scope, county_of};
use siji_core::registry::orgs;

/// How to break the figure down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// By county/district federation (县市区), the organisation one level below the city.
    County,
    /// By GB/T 4754 industry section (行业门类).
    Industry,
    /// By the negotiation mode of the covering agreement (the uncovered are in `uncovered`).
    Mode,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CoverageQuery {
    /// The day (default today).
    pub as_of: Option<NaiveDate>,
    pub group_by: Option<GroupBy>,
}

/// Counts and the rate.
#[derive(Debug, Clone, Serialize, ToSchema)]
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
    fn new(unionised: u64, covered: u64) -> Self {
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

#[derive(Debug, Serialize, ToSchema)]
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
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "as_of": "2017-12-31", "group_by": "county",
    "total": {"unionised": 14796, "covered": 14337, "rate_bp": 9690},
    "uncovered": 459,
    "groups": [{"key": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12", "label": "任城区总工会", "unionised": 2100, "covered": 2050, "rate_bp": 9762}]
}))]
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

async fn report(
    state: &AppState,
    scope: &Scope,
    day: NaiveDate,
    group_by: Option<GroupBy>,
) -> Result<CoverageReport, ApiError> {
    let rows = queries::rows(&state.db, scope, day).await?;
    let total = Coverage::new(
        rows.len() as u64,
        rows.iter().filter(|r| r.covered).count() as u64,
    );
    let mut counts: BTreeMap<String, (String, u64, u64)> = BTreeMap::new();
    match group_by {
        None => {}
        Some(GroupBy::County) => {
            let orgs = queries::orgs_by_id(&state.db, scope).await?;
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
                let label = crate::domain::industry::name(&row.industry)
                    .unwrap_or_default()
                    .to_owned();
                let entry = counts.entry(row.industry.clone()).or_insert((label, 0, 0));
                entry.1 += 1;
                entry.2 += u64::from(row.covered);
            }
        }
        Some(GroupBy::Mode) => {
            let modes = queries::modes(&state.db, scope, day).await?;
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

/// Coverage of collective wage agreements.
///
/// The share of unionised enterprises of your subtree covered by a signed or filed agreement in
/// force on `as_of` (工资集体协商建制率), directly or through an industry-wide or regional
/// agreement, in total and grouped by county, industry or mode. An agreement signed after the
/// day, expired before it, or terminated on or before it does not count. Ask for the XLSX
/// media type in `Accept` to get the table as a spreadsheet.
#[utoipa::path(
    tag = tags::STATS,
    operation_id = "wage_agreement_coverage",
    params(CoverageQuery),
    extensions(("x-permission" = json!("agreements.read"))),
    responses((status = 200, description = "The coverage report", content(
        (CoverageReport = "application/json"),
        (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ))),
)]
#[get("/stats/wage-agreement-coverage")]
pub async fn coverage(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    query: Query<CoverageQuery>,
) -> Result<HttpResponse, ApiError> {
    caller
        .require(&state.db, Permission::AgreementsRead)
        .await?;
    let q = query.into_inner();
    let day = q.as_of.unwrap_or_else(|| Utc::now().date_naive());
    let report = report(&state, &caller.scope(), day, q.group_by).await?;
    if export::requested(&req) == Some(Format::Xlsx) {
        let percent = |c: &Coverage| format!("{}.{:02}%", c.rate_bp / 100, c.rate_bp % 100);
        let mut rows: Vec<Vec<String>> = report
            .groups
            .iter()
            .map(|g| {
                vec![
                    g.key.clone(),
                    g.label.clone(),
                    g.coverage.unionised.to_string(),
                    g.coverage.covered.to_string(),
                    percent(&g.coverage),
                ]
            })
            .collect();
        rows.push(vec![
            "total".into(),
            "合计".into(),
            report.total.unionised.to_string(),
            report.total.covered.to_string(),
            percent(&report.total),
        ]);
        let bytes = export::xlsx_table(
            &["分组", "名称", "建会企业数", "已建制企业数", "建制率"],
            &rows,
        )?;
        return Ok(HttpResponse::Ok()
            .content_type(Format::Xlsx.media_type())
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"wage-agreement-coverage-{day}.xlsx\""),
            ))
            .body(bytes));
    }
    Ok(HttpResponse::Ok().json(report))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CoverageEnterprisesQuery {
    /// The day (default today).
    pub as_of: Option<NaiveDate>,
    /// Only covered (`true`) or uncovered (`false`) enterprises.
    pub covered: Option<bool>,
    /// With `group`: only the enterprises of one group of the report.
    pub group_by: Option<GroupBy>,
    /// A group key from the report (county org id, industry letter, or mode).
    #[validate(length(min = 1, max = 64))]
    pub group: Option<String>,
    /// Worklist: enterprises never covered by any agreement.
    pub never_covered: Option<bool>,
    /// Page size, 1–200 (default 50).
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    pub count: Option<bool>,
}

/// The enterprises behind the coverage figures.
///
/// The unionised enterprises of your subtree on `as_of`, filtered to covered or uncovered ones
/// and to one group of the report; or, with `never_covered=true`, the worklist of enterprises no
/// agreement has ever covered. Keyset-paginated, oldest registration first.
#[utoipa::path(
    tag = tags::STATS,
    operation_id = "wage_agreement_coverage_enterprises",
    params(CoverageEnterprisesQuery),
    extensions(("x-permission" = json!("agreements.read"))),
    responses((status = 200, description = "One page", body = Page<EnterpriseResponse>)),
)]
#[get("/stats/wage-agreement-coverage/enterprises")]
pub async fn coverage_enterprises(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<CoverageEnterprisesQuery>,
) -> Result<HttpResponse, ApiError> {
    caller
        .require(&state.db, Permission::AgreementsRead)
        .await?;
    let q = query.into_inner();
    let page = PageRequest::new(q.limit, q.cursor.as_deref(), q.count)?;
    let day = q.as_of.unwrap_or_else(|| Utc::now().date_naive());
    let scope = caller.scope();
    let mut select = queries::unionised(&scope, day);
    match q.covered {
        Some(true) => select = select.filter(Expr::exists(queries::covering(day, None))),
        Some(false) => select = select.filter(Expr::exists(queries::covering(day, None)).not()),
        None => {}
    }
    if q.never_covered == Some(true) {
        select = select.filter(Expr::exists(queries::ever_covered()).not());
    }
    match (q.group_by, q.group.as_deref()) {
        (Some(GroupBy::County), Some(key)) => {
            let county = Uuid::parse_str(key).map_err(|_| {
                ApiError::field("group", "invalid_value", "must be a county org id")
            })?;
            select = select.filter(
                orgs::subtree_condition(&state.db, &scope, county, enterprises::Column::OrgId)
                    .await?,
            );
        }
        (Some(GroupBy::Industry), Some(key)) => {
            select = select.filter(enterprises::Column::Industry.eq(key))
        }
        (Some(GroupBy::Mode), Some(key)) => {
            let mode = NegotiationMode::parse(key).ok_or_else(|| {
                ApiError::field("group", "invalid_value", "is not a negotiation mode")
            })?;
            select = select
                .filter(Condition::all().add(Expr::exists(queries::covering(day, Some(mode)))));
        }
        (None, None) => {}
        _ => {
            return Err(ApiError::field(
                "group",
                "group_by_and_group",
                "give group_by and group together",
            ));
        }
    }
    let page = page_by_id(
        &state.db,
        select,
        enterprises::Column::Id,
        |e| e.id,
        &page,
        Order::Asc,
    )
    .await?;
    Ok(HttpResponse::Ok().json(
        crate::resources::enterprises::PRESENT
            .page(&state.db, &caller.scope(), page)
            .await?,
    ))
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
