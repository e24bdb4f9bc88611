//! Campaign handlers: extract, call the core's campaign operation, respond. The lifecycle is a
//! set of explicit operations (open, close, settle, cancel); their rules live in
//! `siji_core::campaigns`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use entity::campaigns::Column;
use sea_orm::Order;
use siji_core::campaigns::{self, Transition, money, queries};
use siji_openapi::tags;
use uuid::Uuid;

use super::dto::*;
use crate::auth::Caller;
use crate::domain::money::yuan;
use crate::http::concurrency::{created_versioned, ok_versioned};
use crate::http::extract::JsonBytes;
use crate::http::idempotency::{self, Key, Replayable};
use crate::http::pagination::page_by_id;
use crate::http::{ApiError, IfMatch, Json, Page, PageRequest, Query};
use crate::spreadsheet::export::{self, Export, ExportQuery, Names, Refs};
use crate::state::AppState;

fn respond(c: campaigns::Campaign, created: bool) -> Result<HttpResponse, ApiError> {
    let (id, version) = (c.campaign.id, c.campaign.version);
    let body = CampaignResponse::try_from(c)?;
    Ok(if created {
        created_versioned(format!("/api/v1/campaigns/{id}"), version, &body)
    } else {
        ok_versioned(version, &body)
    })
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
    respond(c, true)
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
    respond(c, false)
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
        .map(CampaignResponse::try_from)
        .collect::<Result<Vec<_>, _>>()?;
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
    respond(c, false)
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
    respond(c, false)
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
/// `closed` → `settled` (已结算): everything paid and reconciled; the campaign is final. While
/// any of its payouts still waits on the bank (pending, sent or unclear) it is 409: reconcile or
/// cancel those batches first. Honours `If-Match`.
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
/// be cancelled, nor one with payouts still waiting on the bank (409). Honours `If-Match`.
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

/// Allocate money and quota to a child organisation.
///
/// Moves part of what an organisation of your subtree holds of the campaign (资金下拨): money
/// per fund source, so that fiscal special funds stay traceable, and recipients (名额) — to one
/// of its direct children: the city's administrator allocates to the counties, a county's to its
/// townships. Never more than the giver has available (409 `insufficient_balance`, saying how
/// much is left): of two allocations racing for the last yuan, one wins. Every movement is a
/// pair of rows in the campaign's append-only ledger. The campaign must be open or closed.
///
/// Send an `Idempotency-Key`: a retry with the same key answers the first allocation instead of
/// allocating twice, however the first request ended.
#[utoipa::path(
    tag = tags::CAMPAIGNS,
    operation_id = "allocate_campaign",
    params(("id" = Uuid, Path, description = "Campaign id"),
           ("Idempotency-Key" = Option<String>, Header, description = "A fresh key (a UUID) per allocation; the same request with the same key answers the first allocation (kept 7 days)")),
    request_body = AllocationRequest,
    extensions(("x-permission" = json!(campaigns::WRITE))),
    responses(
        (status = 201, description = "Allocated. Replayed with `Idempotent-Replayed: true` for a repeated `Idempotency-Key`", body = AllocationResponse,
            headers(("Location" = String, description = "The campaign's ledger"))),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::BalanceConflict),
        (status = 422, response = crate::http::responses::IdempotencyKeyReused),
    ),
)]
#[post("/campaigns/{id}/allocations")]
pub async fn allocate(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: JsonBytes<AllocationRequest>,
) -> Result<HttpResponse, ApiError> {
    let JsonBytes { value, raw } = body;
    let key = Key::of(&req, caller.id, &raw)?;
    let ctx = caller.context(&state);
    idempotency::once(
        key,
        &state.db,
        ctx.clock.now(),
        money::begin(&ctx),
        async |work| {
            let allocation = money::allocate(&ctx, work, *id, value.into()).await?;
            let location = format!("/api/v1/campaigns/{}/ledger", allocation.campaign_id);
            Replayable::with_status(
                StatusCode::CREATED,
                &AllocationResponse::from(allocation),
                Some(location),
            )
        },
    )
    .await
}

/// Read a campaign's ledger.
///
/// The append-only record (台账) of every movement of the campaign's money and quota at the
/// organisations of your subtree, oldest first: funding when it opened, allocations out and in.
/// `amount_fen` and `quota` are signed changes to what `org_id` has available. The whole
/// ledger as a spreadsheet is `GET /api/v1/campaigns/{id}/ledger/export`.
#[utoipa::path(
    tag = tags::CAMPAIGNS,
    operation_id = "campaign_ledger",
    params(("id" = Uuid, Path, description = "Campaign id"), LedgerQuery),
    extensions(("x-permission" = json!(campaigns::READ))),
    responses(
        (status = 200, description = "One page", body = Page<LedgerEntryResponse>),
        (status = 404, response = crate::http::responses::NotFound),
    ),
)]
#[get("/campaigns/{id}/ledger")]
pub async fn ledger(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    query: Query<LedgerQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let select = money::ledger(&caller.context(&state), *id).await?;
    let page = PageRequest::new(q.limit, q.cursor.as_deref(), q.count)?;
    let page = page_by_id(
        &state.db,
        select,
        entity::campaign_ledger::Column::Id,
        |r| r.id,
        &page,
        Order::Asc,
    )
    .await?;
    Ok(HttpResponse::Ok().json(page.map(LedgerEntryResponse::from)))
}

/// Export a campaign's ledger (资金台账).
///
/// The whole ledger of `GET /api/v1/campaigns/{id}/ledger` as a spreadsheet, oldest first,
/// amounts in yuan with the organisations' names. CSV is streamed as it is read.
#[utoipa::path(
    tag = tags::CAMPAIGNS,
    operation_id = "export_campaign_ledger",
    params(("id" = Uuid, Path, description = "Campaign id"), ExportQuery),
    extensions(("x-permission" = json!(campaigns::READ))),
    responses(
        (status = 200, description = "The file, named in `Content-Disposition`", content(
            (crate::spreadsheet::FileBytes = "text/csv"),
            (crate::spreadsheet::FileBytes = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ), headers(("Content-Disposition" = String, description = "`attachment; filename=\"campaign-ledger.csv\"` (or `.xlsx`)"))),
        (status = 404, response = crate::http::responses::NotFound),
    ),
)]
#[get("/campaigns/{id}/ledger/export")]
pub async fn export_ledger(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    query: Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let select = money::ledger(&caller.context(&state), *id).await?;
    let file = Export {
        file_stem: "campaign-ledger",
        headers: LEDGER_HEADERS,
        select,
        id_column: entity::campaign_ledger::Column::Id,
        id_of: |r| r.id,
        refers_to: |r| Refs::org(r.org_id),
        row: ledger_row,
        scope: caller.scope(),
    };
    export::respond(
        state.db.clone(),
        query.into_inner().format.unwrap_or_default(),
        file,
    )
    .await
}

/// The campaign dashboard: its money and quota, organisation by organisation.
///
/// For every organisation of your subtree that takes part in the campaign: what it received per
/// fund source, passed on to its children and still has available, and the same for the quota
/// (名额) — computed from the ledger. A county sees its own figures and its townships'. The
/// same table as a spreadsheet is `GET /api/v1/campaigns/{id}/holdings/export`.
#[utoipa::path(
    tag = tags::CAMPAIGNS,
    operation_id = "campaign_holdings",
    params(("id" = Uuid, Path, description = "Campaign id")),
    extensions(("x-permission" = json!(campaigns::READ))),
    responses(
        (status = 200, description = "The figures", body = HoldingsResponse),
        (status = 404, response = crate::http::responses::NotFound),
    ),
)]
#[get("/campaigns/{id}/holdings")]
pub async fn holdings(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let holdings = money::holdings(&caller.context(&state), *id).await?;
    Ok(HttpResponse::Ok().json(HoldingsResponse {
        campaign_id: *id,
        holdings: holdings.into_iter().map(HoldingResponse::new).collect(),
    }))
}

/// Export the campaign dashboard (资金分配表).
///
/// The table of `GET /api/v1/campaigns/{id}/holdings` as a spreadsheet: one row per
/// organisation and fund source, amounts in yuan.
#[utoipa::path(
    tag = tags::CAMPAIGNS,
    operation_id = "export_campaign_holdings",
    params(("id" = Uuid, Path, description = "Campaign id"), ExportQuery),
    extensions(("x-permission" = json!(campaigns::READ))),
    responses(
        (status = 200, description = "The file, named in `Content-Disposition`", content(
            (crate::spreadsheet::FileBytes = "text/csv"),
            (crate::spreadsheet::FileBytes = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ), headers(("Content-Disposition" = String, description = "`attachment; filename=\"campaign-{id}-holdings.csv\"` (or `.xlsx`)"))),
        (status = 404, response = crate::http::responses::NotFound),
    ),
)]
#[get("/campaigns/{id}/holdings/export")]
pub async fn export_holdings(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    query: Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let figures = money::holdings(&caller.context(&state), *id).await?;
    let (headers, rows) = holdings_table(&figures);
    export::table(
        &format!("campaign-{id}-holdings"),
        query.into_inner().format.unwrap_or_default(),
        &headers,
        &rows,
    )
}

/// Check a campaign's balances against its ledger.
///
/// Recomputes what every organisation of your subtree has available, per fund source and for the
/// quota, from the ledger alone, and compares it with the recorded balance: `consistent` when
/// they agree to the fen, else each difference.
#[utoipa::path(
    tag = tags::CAMPAIGNS,
    operation_id = "check_campaign_balances",
    params(("id" = Uuid, Path, description = "Campaign id")),
    extensions(("x-permission" = json!(campaigns::READ))),
    responses(
        (status = 200, description = "The outcome", body = BalanceCheckResponse),
        (status = 404, response = crate::http::responses::NotFound),
    ),
)]
#[get("/campaigns/{id}/balance-check")]
pub async fn balance_check(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let differences = money::check(&caller.context(&state), *id).await?;
    Ok(HttpResponse::Ok().json(BalanceCheckResponse {
        campaign_id: *id,
        consistent: differences.is_empty(),
        differences: differences
            .into_iter()
            .map(|d| DifferenceResponse {
                org_id: d.org_id,
                fund_source_id: d.fund_source_id,
                recorded: d.recorded,
                from_ledger: d.from_ledger,
            })
            .collect(),
    }))
}

const LEDGER_HEADERS: &[&str] = &[
    "记录ID",
    "组织ID",
    "组织",
    "资金来源ID",
    "类型",
    "增加(元)",
    "减少(元)",
    "名额增加",
    "名额减少",
    "下拨单ID",
    "对方组织ID",
    "经办人",
    "时间",
];

/// One ledger row as a spreadsheet row: what came in and what went out in separate columns (as
/// an account book has them, and so that no cell starts with a minus sign a spreadsheet would
/// take for a formula), kinds by their Chinese terms.
fn ledger_row(r: entity::campaign_ledger::Model, names: &Names) -> Vec<String> {
    let id = |v: Option<Uuid>| v.map(|v| v.to_string()).unwrap_or_default();
    let split = |v: i64| -> (String, String) {
        match v {
            0 => (String::new(), String::new()),
            v if v > 0 => (v.to_string(), String::new()),
            v => (String::new(), v.unsigned_abs().to_string()),
        }
    };
    let money = |v: i64| -> (String, String) {
        match v {
            0 => (String::new(), String::new()),
            v if v > 0 => (yuan(v), String::new()),
            v => (String::new(), yuan(-v)),
        }
    };
    let (amount_in, amount_out) = money(r.amount_fen);
    let (quota_in, quota_out) = split(i64::from(r.quota));
    vec![
        r.id.to_string(),
        r.org_id.to_string(),
        names.org(r.org_id),
        id(r.fund_source_id),
        crate::enums::label::<LedgerKind>(&r.kind).to_owned(),
        amount_in,
        amount_out,
        quota_in,
        quota_out,
        id(r.allocation_id),
        id(r.counterparty_org_id),
        r.actor_name.unwrap_or_default(),
        r.created_at.to_rfc3339(),
    ]
}

/// The holdings as a table: a row per organisation and fund source, then the organisation's
/// total with its quota.
/// The dashboard's headers and rows: a row per fund source, then the organisation's total.
fn holdings_table(figures: &[money::Holding]) -> ([&'static str; 10], Vec<Vec<String>>) {
    let mut rows = Vec::new();
    for h in figures {
        for (source, f) in &h.sources {
            rows.push(vec![
                h.org_name.clone(),
                source.to_string(),
                yuan(f.received_fen),
                yuan(f.allocated_fen),
                yuan(f.committed_fen),
                yuan(f.available_fen),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ]);
        }
        rows.push(vec![
            h.org_name.clone(),
            "合计".to_owned(),
            yuan(h.total.received_fen),
            yuan(h.total.allocated_fen),
            yuan(h.total.committed_fen),
            yuan(h.total.available_fen),
            h.quota_received.to_string(),
            h.quota_allocated.to_string(),
            h.quota_committed.to_string(),
            h.quota_available.to_string(),
        ]);
    }
    let headers = [
        "组织",
        "资金来源",
        "到位(元)",
        "已下拨(元)",
        "已审批(元)",
        "可用(元)",
        "名额",
        "已下拨名额",
        "已审批名额",
        "可用名额",
    ];
    (headers, rows)
}
