//! Keeping and reading statutory minimum wages.

use actix_web::{HttpResponse, get, post, web};
use chrono::NaiveDate;
use entity::minimum_wages::{self, Column};
use sea_orm::{ColumnTrait, Order, QueryFilter};
use serde::{Deserialize, Serialize};
use siji_openapi::tags;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::Caller;
use crate::http::pagination::page_by_id;
use crate::http::{ApiError, Json, Page, PageRequest, Query};
use crate::state::AppState;
use siji_core::standards;

/// A statutory monthly minimum wage from a date on.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e4001", "org_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12",
                          "effective_from": "2025-10-01", "monthly_fen": 210000}))]
pub struct MinimumWageResponse {
    pub id: Uuid,
    /// The county (or city) organisation the standard applies to, with its subtree.
    pub org_id: Uuid,
    pub effective_from: NaiveDate,
    /// Monthly minimum wage in fen (210000 = 2,100 yuan).
    pub monthly_fen: i64,
}

impl From<minimum_wages::Model> for MinimumWageResponse {
    fn from(m: minimum_wages::Model) -> Self {
        Self {
            id: m.id,
            org_id: m.org_id,
            effective_from: m.effective_from,
            monthly_fen: m.monthly_fen,
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"org_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12", "effective_from": "2025-10-01", "monthly_fen": 210000}))]
pub struct CreateMinimumWageRequest {
    pub org_id: Uuid,
    pub effective_from: NaiveDate,
    #[validate(range(min = 1, max = 100_000_000))]
    #[schema(minimum = 1, maximum = 100_000_000)]
    pub monthly_fen: i64,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MinimumWageListQuery {
    /// Only the standards of this organisation.
    pub org_id: Option<Uuid>,
    /// Page size, 1–200 (default 50).
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    pub count: Option<bool>,
}

/// Record a statutory minimum wage.
///
/// For an organisation of your subtree (usually a county), from a date on. The standard of the
/// nearest organisation above an enterprise applies to it. One standard per organisation and
/// start date (409 `duplicate`).
#[utoipa::path(
    tag = tags::STANDARDS,
    operation_id = "create_minimum_wage",
    request_body = CreateMinimumWageRequest,
    extensions(("x-permission" = json!(standards::WRITE))),
    responses(
        (status = 201, description = "Recorded", body = MinimumWageResponse),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
    ),
)]
#[post("/minimum-wages")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<CreateMinimumWageRequest>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let ctx = caller.context(&state);
    let m = standards::record_minimum_wage(&ctx, b.org_id, b.effective_from, b.monthly_fen).await?;
    Ok(HttpResponse::Created().json(MinimumWageResponse::from(m)))
}

/// List statutory minimum wages of your subtree.
#[utoipa::path(
    tag = tags::STANDARDS,
    operation_id = "list_minimum_wages",
    params(MinimumWageListQuery),
    extensions(("x-permission" = json!(siji_core::standards::READ))),
    responses((status = 200, description = "One page", body = Page<MinimumWageResponse>)),
)]
#[get("/minimum-wages")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<MinimumWageListQuery>,
) -> Result<HttpResponse, ApiError> {
    caller
        .require(&state.db, siji_core::standards::READ)
        .await?;
    let q = query.into_inner();
    let page = PageRequest::new(q.limit, q.cursor.as_deref(), q.count)?;
    let mut select = caller.scope().select::<minimum_wages::Entity>();
    if let Some(org) = q.org_id {
        select = select.filter(Column::OrgId.eq(org));
    }
    let page = page_by_id(&state.db, select, Column::Id, |m| m.id, &page, Order::Asc).await?;
    Ok(HttpResponse::Ok().json(page.map(MinimumWageResponse::from)))
}
