//! The coverage report (建制率) and the enterprises behind its numbers.

use actix_web::{HttpResponse, get, web};
use chrono::NaiveDate;
use entity::enterprises;
use sea_orm::Order;
use serde::Deserialize;
use siji_core::agreements::{self, coverage as figures};
use siji_openapi::tags;
use utoipa::IntoParams;
use validator::Validate;

use siji_core::agreements::coverage::{Coverage, CoverageReport, GroupBy};

use crate::auth::Caller;
use crate::http::pagination::page_by_id;
use crate::http::{ApiError, Page, PageRequest, Query};
use crate::resources::enterprises::dto::EnterpriseResponse;
use crate::spreadsheet::{Format, export};
use crate::state::AppState;

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CoverageQuery {
    /// The day (default today).
    pub as_of: Option<NaiveDate>,
    pub group_by: Option<GroupBy>,
}

/// The coverage report's query with the file format.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CoverageExportQuery {
    /// The day (default today).
    pub as_of: Option<NaiveDate>,
    pub group_by: Option<GroupBy>,
    /// `csv` (the default: UTF-8 with a byte-order mark, as Excel opens it) or `xlsx`.
    pub format: Option<Format>,
}

/// Coverage of collective wage agreements.
///
/// The share of unionised enterprises of your subtree covered by a signed or filed agreement in
/// force on `as_of` (工资集体协商建制率), directly or through an industry-wide or regional
/// agreement, in total and grouped by county, industry or mode. An agreement signed after the
/// day, expired before it, or terminated on or before it does not count. The same table as a
/// spreadsheet is `GET /api/v1/stats/wage-agreement-coverage/export`.
#[utoipa::path(
    tag = tags::STATS,
    operation_id = "wage_agreement_coverage",
    params(CoverageQuery),
    extensions(("x-permission" = json!(agreements::READ))),
    responses((status = 200, description = "The coverage report", body = CoverageReport)),
)]
#[get("/stats/wage-agreement-coverage")]
pub async fn coverage(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<CoverageQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let report = figures::report(&caller.context(&state), q.as_of, q.group_by).await?;
    Ok(HttpResponse::Ok().json(report))
}

/// Export the coverage report (建制率统计表).
///
/// The table of `GET /api/v1/stats/wage-agreement-coverage` as a spreadsheet: one row per group
/// (unionised enterprises, covered ones, the rate as a percentage), then the total.
#[utoipa::path(
    tag = tags::STATS,
    operation_id = "export_wage_agreement_coverage",
    params(CoverageExportQuery),
    extensions(("x-permission" = json!(agreements::READ))),
    responses((status = 200, description = "The file, named in `Content-Disposition`", content(
        (crate::spreadsheet::FileBytes = "text/csv"),
        (crate::spreadsheet::FileBytes = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ), headers(("Content-Disposition" = String, description = "`attachment; filename=\"wage-agreement-coverage-2017-12-31.csv\"` (or `.xlsx`)")))),
)]
#[get("/stats/wage-agreement-coverage/export")]
pub async fn export_coverage(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<CoverageExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let report = figures::report(&caller.context(&state), q.as_of, q.group_by).await?;
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
    export::table(
        &format!("wage-agreement-coverage-{}", report.as_of),
        q.format.unwrap_or_default(),
        &["分组", "名称", "建会企业数", "已建制企业数", "建制率"],
        &rows,
    )
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
    #[param(min_length = 1, max_length = 64)]
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
    extensions(("x-permission" = json!(agreements::READ))),
    responses((status = 200, description = "One page", body = Page<EnterpriseResponse>)),
)]
#[get("/stats/wage-agreement-coverage/enterprises")]
pub async fn coverage_enterprises(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<CoverageEnterprisesQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let group = match (q.group_by, q.group) {
        (Some(by), Some(key)) => Some((by, key)),
        (None, None) => None,
        _ => {
            return Err(ApiError::field(
                "group",
                "group_by_and_group",
                "give group_by and group together",
            ));
        }
    };
    let filter = figures::CoverageFilter {
        as_of: q.as_of,
        covered: q.covered,
        group,
        never_covered: q.never_covered == Some(true),
    };
    let select = figures::enterprises(&caller.context(&state), &filter).await?;
    let page = PageRequest::new(q.limit, q.cursor.as_deref(), q.count)?;
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
