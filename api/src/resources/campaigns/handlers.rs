//! Campaign handlers: extract, call the core's campaign operation, respond. The lifecycle is a
//! set of explicit operations (open, close, settle, cancel); their rules live in
//! `siji_core::campaigns`.

use actix_web::{HttpResponse, get, patch, post, web};
use entity::campaigns::Column;
use sea_orm::Order;
use siji_core::campaigns::{self, Transition, queries};
use siji_openapi::tags;
use uuid::Uuid;

use super::dto::*;
use crate::auth::Caller;
use crate::http::concurrency::{created_versioned, ok_versioned};
use crate::http::pagination::page_by_id;
use crate::http::{ApiError, IfMatch, Json, Page, PageRequest, Query};
use crate::state::AppState;

fn respond(c: campaigns::Campaign, created: bool) -> HttpResponse {
    let (id, version) = (c.campaign.id, c.campaign.version);
    let body = CampaignResponse::from(c);
    if created {
        created_versioned(format!("/api/v1/campaigns/{id}"), version, &body)
    } else {
        ok_versioned(version, &body)
    }
}

/// Prepare a campaign.
///
/// Creates a campaign as a `draft` (草稿) for an organisation of your subtree: the city
/// federation for a city-wide campaign, a county federation for its own (the seed's "all
/// levels" figures are the sum of the campaigns at every level). Its budget is the sum of its
/// fund sources; central, provincial and city fiscal special assistance funds
/// (中央/省/市财政专项帮扶资金) are separate sources so that their use can be reported apart.
/// A draft may be changed freely; opening it starts accepting applications.
#[utoipa::path(
    tag = tags::CAMPAIGNS,
    operation_id = "create_campaign",
    request_body = CreateCampaignRequest,
    extensions(("x-permission" = json!(campaigns::WRITE))),
    responses(
        (status = 201, description = "Prepared, as a draft", body = CampaignResponse,
            headers(("Location" = String, description = "URL of the campaign"), ("ETag" = String, description = "Its version"))),
        (status = 404, response = crate::http::responses::NotFound),
    ),
)]
#[post("/campaigns")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<CreateCampaignRequest>,
) -> Result<HttpResponse, ApiError> {
    let c = campaigns::create(&caller.context(&state), body.into_inner().into()).await?;
    Ok(respond(c, true))
}

/// Get a campaign, with its fund sources and budget.
#[utoipa::path(
    tag = tags::CAMPAIGNS,
    operation_id = "get_campaign",
    params(("id" = Uuid, Path, description = "Campaign id")),
    extensions(("x-permission" = json!(campaigns::READ))),
    responses(
        (status = 200, description = "The campaign", body = CampaignResponse, headers(("ETag" = String, description = "Its version"))),
        (status = 404, response = crate::http::responses::NotFound),
    ),
)]
#[get("/campaigns/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let c = queries::get(&caller.context(&state), *id).await?;
    Ok(respond(c, false))
}

/// List campaigns.
///
/// Campaigns run in your subtree, oldest first, keyset-paginated; filter by kind, year, state
/// or organisation. A county sees its own campaigns and its townships', not the city's.
#[utoipa::path(
    tag = tags::CAMPAIGNS,
    operation_id = "list_campaigns",
    params(CampaignListQuery),
    extensions(("x-permission" = json!(campaigns::READ))),
    responses((status = 200, description = "One page", body = Page<CampaignResponse>)),
)]
#[get("/campaigns")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<CampaignListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let select = queries::list(&caller.context(&state), &q.filter()).await?;
    let page = PageRequest::new(q.limit, q.cursor.as_deref(), q.count)?;
    let page = page_by_id(&state.db, select, Column::Id, |c| c.id, &page, Order::Asc).await?;
    let items = queries::load_many(&state.db, page.items)
        .await?
        .into_iter()
        .map(CampaignResponse::from)
        .collect();
    Ok(HttpResponse::Ok().json(Page {
        items,
        next_cursor: page.next_cursor,
        total: page.total,
    }))
}

/// Change a draft campaign.
///
/// Only a `draft` can be changed (409 `conflict` once it is open); the fields given replace
/// the recorded ones, and `fund_sources`, when given, replaces the list whole. Honours
/// `If-Match`.
#[utoipa::path(
    tag = tags::CAMPAIGNS,
    operation_id = "update_campaign",
    params(("id" = Uuid, Path, description = "Campaign id"), ("If-Match" = Option<String>, Header, description = "The `ETag` you read")),
    request_body = UpdateCampaignRequest,
    extensions(("x-permission" = json!(campaigns::WRITE))),
    responses(
        (status = 200, description = "Changed", body = CampaignResponse, headers(("ETag" = String, description = "The new version"))),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 412, response = crate::http::responses::PreconditionFailed),
    ),
)]
#[patch("/campaigns/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<UpdateCampaignRequest>,
) -> Result<HttpResponse, ApiError> {
    let c = campaigns::update(
        &caller.context(&state),
        *id,
        if_match.0,
        body.into_inner().into(),
    )
    .await?;
    Ok(respond(c, false))
}

async fn step(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    if_match: IfMatch,
    transition: Transition,
    reason: Option<String>,
) -> Result<HttpResponse, ApiError> {
    let c =
        campaigns::transition(&caller.context(state), id, if_match.0, transition, reason).await?;
    Ok(respond(c, false))
}

/// Open a campaign.
///
/// `draft` → `open` (进行中): applications are accepted. A campaign opens with a budget: at
/// least one fund source (400 otherwise). Honours `If-Match`.
#[utoipa::path(
    tag = tags::CAMPAIGNS,
    operation_id = "open_campaign",
    params(("id" = Uuid, Path, description = "Campaign id"), ("If-Match" = Option<String>, Header, description = "The `ETag` you read")),
    extensions(("x-permission" = json!(campaigns::WRITE))),
    responses(
        (status = 200, description = "Open", body = CampaignResponse, headers(("ETag" = String, description = "The new version"))),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 412, response = crate::http::responses::PreconditionFailed),
    ),
)]
#[post("/campaigns/{id}/open")]
pub async fn open(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    step(&state, &caller, *id, if_match, Transition::Open, None).await
}

/// Close a campaign.
///
/// `open` → `closed` (已截止): no more applications; approvals and payouts of what was applied
/// for go on. Honours `If-Match`.
#[utoipa::path(
    tag = tags::CAMPAIGNS,
    operation_id = "close_campaign",
    params(("id" = Uuid, Path, description = "Campaign id"), ("If-Match" = Option<String>, Header, description = "The `ETag` you read")),
    extensions(("x-permission" = json!(campaigns::WRITE))),
    responses(
        (status = 200, description = "Closed", body = CampaignResponse, headers(("ETag" = String, description = "The new version"))),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 412, response = crate::http::responses::PreconditionFailed),
    ),
)]
#[post("/campaigns/{id}/close")]
pub async fn close(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    step(&state, &caller, *id, if_match, Transition::Close, None).await
}

/// Settle a campaign.
///
/// `closed` → `settled` (已结算): everything paid and reconciled; the campaign is final.
/// Honours `If-Match`.
#[utoipa::path(
    tag = tags::CAMPAIGNS,
    operation_id = "settle_campaign",
    params(("id" = Uuid, Path, description = "Campaign id"), ("If-Match" = Option<String>, Header, description = "The `ETag` you read")),
    extensions(("x-permission" = json!(campaigns::WRITE))),
    responses(
        (status = 200, description = "Settled", body = CampaignResponse, headers(("ETag" = String, description = "The new version"))),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 412, response = crate::http::responses::PreconditionFailed),
    ),
)]
#[post("/campaigns/{id}/settle")]
pub async fn settle(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    step(&state, &caller, *id, if_match, Transition::Settle, None).await
}

/// Cancel a campaign.
///
/// `draft`, `open` or `closed` → `cancelled` (已取消), with a reason; a settled campaign cannot
/// be cancelled. Honours `If-Match`.
#[utoipa::path(
    tag = tags::CAMPAIGNS,
    operation_id = "cancel_campaign",
    params(("id" = Uuid, Path, description = "Campaign id"), ("If-Match" = Option<String>, Header, description = "The `ETag` you read")),
    request_body = CancelCampaignRequest,
    extensions(("x-permission" = json!(campaigns::WRITE))),
    responses(
        (status = 200, description = "Cancelled", body = CampaignResponse, headers(("ETag" = String, description = "The new version"))),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 412, response = crate::http::responses::PreconditionFailed),
    ),
)]
#[post("/campaigns/{id}/cancel")]
pub async fn cancel(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<CancelCampaignRequest>,
) -> Result<HttpResponse, ApiError> {
    let reason = body.into_inner().reason;
    step(
        &state,
        &caller,
        *id,
        if_match,
        Transition::Cancel,
        Some(reason),
    )
    .await
}
