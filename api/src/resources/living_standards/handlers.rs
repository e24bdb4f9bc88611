//! Keeping and reading minimum living standards.

use actix_web::{HttpResponse, get, post, web};
use entity::living_standards::{self, Column};
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

/// A minimum living standard for one year.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e5001", "org_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12", "year": 2026, "monthly_fen": 80000}))]
pub struct LivingStandardResponse {
    pub id: Uuid,
    /// The county (or city) it applies to, with its subtree.
    pub org_id: Uuid,
    pub year: i32,
    /// Per person per month, in fen (80000 = 800 yuan).
    pub monthly_fen: i64,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"org_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12", "year": 2026, "monthly_fen": 80000}))]
pub struct CreateLivingStandardRequest {
    pub org_id: Uuid,
    #[validate(range(min = 2000, max = 2100))]
    #[schema(minimum = 2000, maximum = 2100)]
    pub year: i32,
    #[validate(range(min = 1, max = 100_000_000))]
    #[schema(minimum = 1, maximum = 100_000_000)]
    pub monthly_fen: i64,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LivingStandardListQuery {
    pub org_id: Option<Uuid>,
    #[validate(range(min = 2000, max = 2100))]
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    pub count: Option<bool>,
}

/// Record a minimum living standard.
///
/// For an organisation of your subtree (usually a county) and a year; the standard of the
/// nearest organisation above a household applies. One per organisation and year (409
/// `duplicate`).
#[utoipa::path(
    tag = tags::STANDARDS,
    operation_id = "create_living_standard",
    request_body = CreateLivingStandardRequest,
    extensions(("x-permission" = json!(standards::WRITE))),
    responses(
        (status = 201, description = "Recorded", body = LivingStandardResponse),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
    ),
)]
#[post("/living-standards")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<CreateLivingStandardRequest>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let ctx = caller.context(&state);
    let s = standards::record_living_standard(&ctx, b.org_id, b.year, b.monthly_fen).await?;
    Ok(HttpResponse::Created().json(LivingStandardResponse {
        id: s.id,
        org_id: s.org_id,
        year: s.year,
        monthly_fen: s.monthly_fen,
    }))
}

/// List minimum living standards of your subtree.
#[utoipa::path(
    tag = tags::STANDARDS,
    operation_id = "list_living_standards",
    params(LivingStandardListQuery),
    extensions(("x-permission" = json!(siji_core::standards::READ))),
    responses((status = 200, description = "One page", body = Page<LivingStandardResponse>)),
)]
#[get("/living-standards")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<LivingStandardListQuery>,
) -> Result<HttpResponse, ApiError> {
    caller
        .require(&state.db, siji_core::standards::READ)
        .await?;
    let q = query.into_inner();
    let page = PageRequest::new(q.limit, q.cursor.as_deref(), q.count)?;
    let mut select = caller.scope().select::<living_standards::Entity>();
    if let Some(org) = q.org_id {
        select = select.filter(Column::OrgId.eq(org));
    }
    if let Some(year) = q.year {
        select = select.filter(Column::Year.eq(year));
    }
    let page = page_by_id(&state.db, select, Column::Id, |s| s.id, &page, Order::Asc).await?;
    Ok(
        HttpResponse::Ok().json(page.map(|s| LivingStandardResponse {
            id: s.id,
            org_id: s.org_id,
            year: s.year,
            monthly_fen: s.monthly_fen,
        })),
    )
}
