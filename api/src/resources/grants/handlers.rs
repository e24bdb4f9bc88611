//! Grant handlers: extract, call the core's grant operation, respond. The workflow's rules
//! (eligibility, four eyes, the notice, the ledger) live in `siji_core::grants`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use entity::grants::Column;
use sea_orm::Order;
use serde_json::json;
use siji_core::grants::{self, notices, objections, queries};
use siji_openapi::tags;
use uuid::Uuid;

use super::dto::*;
use super::notice_page;
use crate::auth::Caller;
use crate::auth::meta::RequestMeta;
use crate::auth::throttle;
use crate::http::concurrency::{created_versioned, ok_versioned};
use crate::http::extract::JsonBytes;
use crate::http::idempotency::Key;
use crate::http::pagination::page_by_id;
use crate::http::{ApiError, IfMatch, Json, Page, PageRequest, Query};
use crate::jobs::{self, JobKind};
use crate::spreadsheet::export::{self, ExportQuery};
use crate::state::AppState;

fn respond(g: entity::grants::Model) -> HttpResponse {
    ok_versioned(g.version, &GrantResponse::from(g))
}

/// Submit a grant.
///
/// `→ submitted` (已申报). One recipient in one campaign: the head of a hardship archive, a
/// household member at school (金秋助学: the archive is the parent's) or a registry worker, read
/// in your subtree and admitted by the campaign's rule — the clause that admits them is kept as
/// the grant's `basis`; a recipient the rule refuses is a 400 (`not_eligible`) saying which
/// clause, and an amount outside the rule a 400 (`outside_rule`) naming it. One grant per person
/// per campaign (409 `duplicate`, also for one person registered under two records). A person
/// aided by another campaign of the same kind and year, at any level, is refused (409) unless
/// the rule allows top-ups, and then flagged `aided_elsewhere`. The campaign must be open.
#[utoipa::path(
    tag = tags::GRANTS,
    operation_id = "submit_grant",
    request_body = SubmitGrantRequest,
    extensions(("x-permission" = json!(grants::WRITE))),
    responses(
        (status = 201, description = "Submitted", body = GrantResponse,
            headers(("Location" = String, description = "URL of the grant"), ("ETag" = String, description = "Its version"))),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
    ),
)]
#[post("/grants")]
pub async fn submit(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<SubmitGrantRequest>,
) -> Result<HttpResponse, ApiError> {
    let g = grants::submit(&caller.context(&state), body.into_inner().into()).await?;
    Ok(created_versioned(
        format!("/api/v1/grants/{}", g.id),
        g.version,
        &GrantResponse::from(g),
    ))
}

/// Get a grant.
#[utoipa::path(
    tag = tags::GRANTS,
    operation_id = "get_grant",
    params(("id" = Uuid, Path, description = "Grant id")),
    extensions(("x-permission" = json!(grants::READ))),
    responses(
        (status = 200, description = "The grant", body = GrantResponse, headers(("ETag" = String, description = "Its version"))),
        (status = 404, response = crate::http::responses::NotFound),
    ),
)]
#[get("/grants/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(respond(queries::get(&caller.context(&state), *id).await?))
}

/// List grants.
///
/// Grants of your subtree, oldest first, keyset-paginated; filter by campaign, state, category,
/// organisation or county (`within_org_id`), notice, and top-ups.
#[utoipa::path(
    tag = tags::GRANTS,
    operation_id = "list_grants",
    params(GrantListQuery),
    extensions(("x-permission" = json!(grants::READ))),
    responses((status = 200, description = "One page", body = Page<GrantResponse>)),
)]
#[get("/grants")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<GrantListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let select = queries::list(&caller.context(&state), &q.filter()).await?;
    let page = PageRequest::new(q.limit, q.cursor.as_deref(), q.count)?;
    let page = page_by_id(&state.db, select, Column::Id, |g| g.id, &page, Order::Asc).await?;
    Ok(HttpResponse::Ok().json(page.map(GrantResponse::from)))
}

/// Verify a grant by a home visit.
///
/// `submitted → verified` (入户走访核实): the date of the visit (not in the future) and what it
/// found, recorded by someone other than the submitter (403 otherwise: four eyes). Honours
/// `If-Match`.
#[utoipa::path(
    tag = tags::GRANTS,
    operation_id = "verify_grant",
    params(("id" = Uuid, Path, description = "Grant id"), ("If-Match" = Option<String>, Header, description = "The `ETag` you read")),
    request_body = VerifyGrantRequest,
    extensions(("x-permission" = json!(grants::VERIFY))),
    responses(
        (status = 200, description = "Verified", body = GrantResponse, headers(("ETag" = String, description = "The new version"))),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 412, response = crate::http::responses::PreconditionFailed),
    ),
)]
#[post("/grants/{id}/verify")]
pub async fn verify(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<VerifyGrantRequest>,
) -> Result<HttpResponse, ApiError> {
    let g = grants::verify(
        &caller.context(&state),
        *id,
        if_match.0,
        body.into_inner().into(),
    )
    .await?;
    Ok(respond(g))
}

/// Approve a grant.
///
/// `on_notice → approved` (已审批), once its public notice has ended (409 while it runs), by
/// someone who neither submitted nor verified it (403: four eyes). The amount and one recipient
/// of the quota are committed in the campaign's ledger, from the nearest organisation at or
/// above the grant's that holds an allocation within your subtree; beyond what it has available
/// is 409 `insufficient_balance`. Honours `If-Match`.
#[utoipa::path(
    tag = tags::GRANTS,
    operation_id = "approve_grant",
    params(("id" = Uuid, Path, description = "Grant id"), ("If-Match" = Option<String>, Header, description = "The `ETag` you read")),
    extensions(("x-permission" = json!(grants::APPROVE))),
    responses(
        (status = 200, description = "Approved", body = GrantResponse, headers(("ETag" = String, description = "The new version"))),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::BalanceConflict),
        (status = 412, response = crate::http::responses::PreconditionFailed),
    ),
)]
#[post("/grants/{id}/approve")]
pub async fn approve(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    Ok(respond(
        grants::approve(&caller.context(&state), *id, if_match.0).await?,
    ))
}

/// Reject a grant.
///
/// `submitted`, `verified`, `on_notice` or `approved` → `rejected` (未通过), with a reason; an
/// approved grant's commitment goes back to its organisation's balance. Honours `If-Match`.
#[utoipa::path(
    tag = tags::GRANTS,
    operation_id = "reject_grant",
    params(("id" = Uuid, Path, description = "Grant id"), ("If-Match" = Option<String>, Header, description = "The `ETag` you read")),
    request_body = ReasonRequest,
    extensions(("x-permission" = json!(grants::APPROVE))),
    responses(
        (status = 200, description = "Rejected", body = GrantResponse, headers(("ETag" = String, description = "The new version"))),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 412, response = crate::http::responses::PreconditionFailed),
    ),
)]
#[post("/grants/{id}/reject")]
pub async fn reject(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<ReasonRequest>,
) -> Result<HttpResponse, ApiError> {
    let reason = body.into_inner().reason;
    Ok(respond(
        grants::reject(&caller.context(&state), *id, if_match.0, reason).await?,
    ))
}

/// Withdraw a grant.
///
/// `submitted`, `verified` or `on_notice` → `withdrawn` (已撤回), by the applicant's side, with
/// a reason. Honours `If-Match`.
#[utoipa::path(
    tag = tags::GRANTS,
    operation_id = "withdraw_grant",
    params(("id" = Uuid, Path, description = "Grant id"), ("If-Match" = Option<String>, Header, description = "The `ETag` you read")),
    request_body = ReasonRequest,
    extensions(("x-permission" = json!(grants::WRITE))),
    responses(
        (status = 200, description = "Withdrawn", body = GrantResponse, headers(("ETag" = String, description = "The new version"))),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 412, response = crate::http::responses::PreconditionFailed),
    ),
)]
#[post("/grants/{id}/withdraw")]
pub async fn withdraw(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<ReasonRequest>,
) -> Result<HttpResponse, ApiError> {
    let reason = body.into_inner().reason;
    Ok(respond(
        grants::withdraw(&caller.context(&state), *id, if_match.0, reason).await?,
    ))
}

/// Open a public notice.
///
/// Places verified grants of one campaign on a public notice (公示) published by an
/// organisation of your subtree: `verified → on_notice`, all of them or none (400 naming each
/// grant that cannot go). It runs from `starts_on` to `ends_on`, at least the campaign's notice
/// days (5 unless the campaign says otherwise); the grants are approved only after it ends.
#[utoipa::path(
    tag = tags::GRANTS,
    operation_id = "create_grant_notice",
    request_body = CreateNoticeRequest,
    extensions(("x-permission" = json!(grants::WRITE))),
    responses(
        (status = 201, description = "The notice and its list", body = NoticeResponse,
            headers(("Location" = String, description = "URL of the notice"))),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
    ),
)]
#[post("/grant-notices")]
pub async fn create_notice(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<CreateNoticeRequest>,
) -> Result<HttpResponse, ApiError> {
    let notice = notices::place(&caller.context(&state), body.into_inner().into()).await?;
    let lines = notices::public_lines(&state.db, &notice).await?;
    let location = format!("/api/v1/grant-notices/{}", notice.id);
    Ok(HttpResponse::Created()
        .insert_header(("Location", location))
        .json(NoticeResponse::new(notice, lines)))
}

/// Get a public notice.
///
/// The notice and its list exactly as the public sees it: the masked name (张*明), the ID
/// number in its public mask (1101**********002X), the county, the school or category where the
/// campaign needs it, and the amount — nothing else. The list as a spreadsheet is
/// `GET /api/v1/grant-notices/{id}/export`, the printable page
/// `GET /api/v1/grant-notices/{id}/print`.
#[utoipa::path(
    tag = tags::GRANTS,
    operation_id = "get_grant_notice",
    params(("id" = Uuid, Path, description = "Notice id")),
    extensions(("x-permission" = json!(grants::READ))),
    responses(
        (status = 200, description = "The notice", body = NoticeResponse),
        (status = 404, response = crate::http::responses::NotFound),
    ),
)]
#[get("/grant-notices/{id}")]
pub async fn get_notice(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let notice = notices::find(&caller.context(&state), *id).await?;
    let lines = notices::public_lines(&state.db, &notice).await?;
    Ok(HttpResponse::Ok().json(NoticeResponse::new(notice, lines)))
}

/// Export a public notice's list (公示名单).
///
/// The list of `GET /api/v1/grant-notices/{id}` as a spreadsheet, with the public masks and
/// nothing more: 序号, 姓名, 身份证号, 县市区, 学校, 类别, 金额(元).
#[utoipa::path(
    tag = tags::GRANTS,
    operation_id = "export_grant_notice",
    params(("id" = Uuid, Path, description = "Notice id"), ExportQuery),
    extensions(("x-permission" = json!(grants::READ))),
    responses(
        (status = 200, description = "The file, named in `Content-Disposition`", content(
            (crate::spreadsheet::FileBytes = "text/csv"),
            (crate::spreadsheet::FileBytes = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ), headers(("Content-Disposition" = String, description = "`attachment; filename=\"grant-notice-{id}.csv\"` (or `.xlsx`)"))),
        (status = 404, response = crate::http::responses::NotFound),
    ),
)]
#[get("/grant-notices/{id}/export")]
pub async fn export_notice(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    query: Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let notice = notices::find(&caller.context(&state), *id).await?;
    let lines = notices::public_lines(&state.db, &notice).await?;
    export::table(
        &format!("grant-notice-{}", notice.id),
        query.into_inner().format.unwrap_or_default(),
        &notice_page::HEADERS,
        &notice_page::rows(&lines),
    )
}

/// Print a public notice (公示).
///
/// The notice as a printable HTML page (A4, Chinese fonts) that a newspaper or a notice board
/// can take as it is; every value is escaped and carries the public masks only.
#[utoipa::path(
    tag = tags::GRANTS,
    operation_id = "print_grant_notice",
    params(("id" = Uuid, Path, description = "Notice id")),
    extensions(("x-permission" = json!(grants::READ))),
    responses(
        (status = 200, description = "The page", content((String = "text/html"))),
        (status = 404, response = crate::http::responses::NotFound),
    ),
)]
#[get("/grant-notices/{id}/print")]
pub async fn print_notice(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let notice = notices::find(&caller.context(&state), *id).await?;
    let lines = notices::public_lines(&state.db, &notice).await?;
    Ok(html_page(&notice, &lines))
}

fn html_page(notice: &entity::grant_notices::Model, lines: &[notices::PublicLine]) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("X-Robots-Tag", "noindex"))
        .body(notice_page::html(notice, lines))
}

/// Requests per client address per minute the public notice page answers.
const PUBLIC_PAGE_LIMIT: throttle::Limit = throttle::Limit {
    max_failures: 120,
    window: std::time::Duration::from_secs(60),
};

/// A public notice, for anyone.
///
/// The printable page of a running public notice, without signing in: the link (`public_url` of
/// the notice) carries an unguessable token. It answers only while the notice runs — before its
/// first day and after its last it is 404 — and at most 120 times a minute per client address
/// (429 with `Retry-After` beyond). It shows the public view and nothing more.
#[utoipa::path(
    tag = tags::GRANTS,
    operation_id = "public_grant_notice",
    params(("token" = String, Path, description = "The token in the notice's `public_url`")),
    responses(
        (status = 200, description = "The printable page", content_type = "text/html", body = String),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 429, response = crate::http::responses::TooManyRequests),
    ),
)]
#[get("/public/notices/{token}")]
pub async fn public_notice(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now();
    let key = format!(
        "notice:{}",
        throttle::ip_key(
            RequestMeta::of(&req)
                .client_ip
                .as_deref()
                .unwrap_or("unknown")
        )
    );
    throttle::check(&state.db, &key, PUBLIC_PAGE_LIMIT, now).await?;
    throttle::record_failure(&state.db, &key, PUBLIC_PAGE_LIMIT, now).await?;
    if token.len() > 64 {
        return Err(ApiError::NotFound);
    }
    let notice = notices::public(&state.db, &token, state.clock.today())
        .await?
        .ok_or(ApiError::NotFound)?;
    let lines = notices::public_lines(&state.db, &notice).await?;
    Ok(html_page(&notice, &lines))
}

/// Record an objection to a grant.
///
/// An objection (异议) received while the grant's public notice runs (`received_on` within the
/// notice, not in the future): the day, the channel and what was objected to — not who objected.
/// While it is open the grant cannot be approved.
#[utoipa::path(
    tag = tags::GRANTS,
    operation_id = "record_grant_objection",
    params(("id" = Uuid, Path, description = "Grant id")),
    request_body = ObjectionRequest,
    extensions(("x-permission" = json!(grants::WRITE))),
    responses(
        (status = 201, description = "Recorded", body = ObjectionResponse),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
    ),
)]
#[post("/grants/{id}/objections")]
pub async fn record_objection(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<ObjectionRequest>,
) -> Result<HttpResponse, ApiError> {
    let o = objections::record(&caller.context(&state), *id, body.into_inner().into()).await?;
    Ok(HttpResponse::Created().json(ObjectionResponse::from(o)))
}

/// List the objections to a grant.
#[utoipa::path(
    tag = tags::GRANTS,
    operation_id = "list_grant_objections",
    params(("id" = Uuid, Path, description = "Grant id")),
    extensions(("x-permission" = json!(grants::READ))),
    responses(
        (status = 200, description = "Oldest first", body = Vec<ObjectionResponse>),
        (status = 404, response = crate::http::responses::NotFound),
    ),
)]
#[get("/grants/{id}/objections")]
pub async fn list_objections(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let all = objections::of_grant(&caller.context(&state), *id).await?;
    Ok(HttpResponse::Ok().json(
        all.into_iter()
            .map(ObjectionResponse::from)
            .collect::<Vec<_>>(),
    ))
}

/// Resolve an objection.
///
/// `open` → `upheld` (异议成立: the grant is rejected, an approved grant's commitment released) or
/// `dismissed` (异议不成立: the grant goes on), with the resolution in words.
#[utoipa::path(
    tag = tags::GRANTS,
    operation_id = "resolve_grant_objection",
    params(("id" = Uuid, Path, description = "Objection id")),
    request_body = ResolveObjectionRequest,
    extensions(("x-permission" = json!(grants::APPROVE))),
    responses(
        (status = 200, description = "Resolved", body = ObjectionResponse),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
    ),
)]
#[post("/grant-objections/{id}/resolve")]
pub async fn resolve_objection(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<ResolveObjectionRequest>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let o = objections::resolve(&caller.context(&state), *id, b.outcome, b.resolution).await?;
    Ok(HttpResponse::Ok().json(ObjectionResponse::from(o)))
}

/// A campaign's grants by county.
///
/// For the dashboard: per county of your subtree, how many grants were applied for, verified,
/// are on notice, approved and rejected, with the amounts applied for and approved — the
/// seed's "N people, M yuan" lines.
#[utoipa::path(
    tag = tags::STATS,
    operation_id = "grant_figures",
    params(("id" = Uuid, Path, description = "Campaign id")),
    extensions(("x-permission" = json!(grants::READ))),
    responses(
        (status = 200, description = "The figures", body = GrantFiguresResponse),
        (status = 404, response = crate::http::responses::NotFound),
    ),
)]
#[get("/campaigns/{id}/grant-figures")]
pub async fn figures(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let figures = queries::figures(&caller.context(&state), *id).await?;
    Ok(HttpResponse::Ok().json(GrantFiguresResponse::new(*id, figures)))
}

/// Create grants from a worklist.
///
/// The way campaigns start: every recipient the campaign's rule admits within an organisation's
/// subtree — "every formal deep or relative archive in county X" for winter warmth, "every
/// household with a child entering university" for autumn aid, "every frontline worker" for
/// summer cool relief — gets a grant (`submitted`), decided clause by clause as a single
/// submission would be. Runs as a job (`202 Accepted`, the job in `Location`); its `result` is
/// a `BulkReportResponse`: how many were created, already granted, refused as aided elsewhere
/// (no top-ups), or not eligible and why. Running it again creates nothing new (the
/// one-per-person index), and an `Idempotency-Key` makes a retried request answer the same job.
/// A rule that gives a range needs each amount decided: submit those one by one.
#[utoipa::path(
    tag = tags::GRANTS,
    operation_id = "bulk_create_grants",
    params(("id" = Uuid, Path, description = "Campaign id"),
           ("Idempotency-Key" = Option<String>, Header, description = "A fresh key (a UUID) per request; the same request with the same key answers the same job (kept 7 days)")),
    request_body = BulkGrantsRequest,
    extensions(("x-permission" = json!(grants::WRITE))),
    responses(
        (status = 202, description = "Accepted: the job (its URL also in `Location`), whose `result` is a `BulkReportResponse` when it has succeeded", body = crate::resources::jobs::dto::JobResponse,
            headers(("Location" = String, description = "The job's URL"))),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 422, response = crate::http::responses::IdempotencyKeyReused),
    ),
)]
#[post("/campaigns/{id}/grants/bulk")]
pub async fn bulk(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: JsonBytes<BulkGrantsRequest>,
) -> Result<HttpResponse, ApiError> {
    let JsonBytes { value, raw } = body;
    let ctx = caller.context(&state);
    ctx.require(grants::WRITE).await?;
    // Refused now, not in the job: a campaign the caller cannot see, or one not open.
    let campaign = siji_core::campaigns::queries::get(&ctx, *id).await?;
    if campaign.campaign.status != siji_core::campaigns::CampaignStatus::Open.as_str() {
        return Err(ApiError::from(siji_core::CoreError::conflict(
            "grants are submitted while a campaign is open",
        )));
    }
    let key = Key::of(&req, caller.id, &raw)?;
    let params = json!({ "campaign_id": *id, "within_org_id": value.within_org_id });
    jobs::accept(&state, &caller, key, JobKind::BulkGrants, params, None).await
}

/// The work of a bulk creation job, as the caller who started it.
pub async fn run_bulk(
    state: &AppState,
    caller: &Caller,
    job: &entity::jobs::Model,
    progress: jobs::Progress,
) -> Result<serde_json::Value, ApiError> {
    let params: serde_json::Value = serde_json::from_str(&job.params)
        .map_err(|_| ApiError::Internal("a bulk job's parameters are not JSON".into()))?;
    let id = |name: &str| params[name].as_str().and_then(|v| Uuid::parse_str(v).ok());
    let campaign =
        id("campaign_id").ok_or_else(|| ApiError::Internal("a bulk job has no campaign".into()))?;
    let report = siji_core::grants::bulk::create(
        &caller.context(state),
        campaign,
        id("within_org_id"),
        &progress,
    )
    .await?;
    serde_json::to_value(BulkReportResponse::from(report))
        .map_err(|e| ApiError::Internal(e.to_string()))
}

fn bulk_response(
    results: Vec<(Uuid, Result<entity::grants::Model, siji_core::CoreError>)>,
) -> HttpResponse {
    let results: Vec<BulkStepResult> = results
        .into_iter()
        .map(|(id, r)| match r {
            Ok(g) => BulkStepResult {
                id,
                ok: true,
                grant: Some(GrantResponse::from(g)),
                code: None,
                detail: None,
            },
            Err(e) => {
                let detail = e.to_string();
                let e = ApiError::from(e);
                BulkStepResult {
                    id,
                    ok: false,
                    grant: None,
                    code: Some(e.code().as_str().to_owned()),
                    detail: Some(detail),
                }
            }
        })
        .collect();
    let done = results.iter().filter(|r| r.ok).count();
    HttpResponse::Ok().json(BulkStepResponse {
        refused: results.len() - done,
        done,
        results,
    })
}

/// Verify many grants.
///
/// The bulk form of `verify`: the same home-visit round (date and findings) for each grant,
/// each grant on its own — one that cannot be verified (not `submitted`, or submitted by you)
/// gets its reason in the result and the others go on.
#[utoipa::path(
    tag = tags::GRANTS,
    operation_id = "bulk_verify_grants",
    request_body = BulkVerifyRequest,
    extensions(("x-permission" = json!(grants::VERIFY))),
    responses((status = 200, description = "Per grant", body = BulkStepResponse)),
)]
#[post("/grants/bulk-verify")]
pub async fn bulk_verify(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<BulkVerifyRequest>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let step = grants::Step::Verify(grants::Visit {
        visited_on: b.visited_on,
        findings: b.findings,
    });
    let results = grants::each(&caller.context(&state), &b.grant_ids, &step).await?;
    Ok(bulk_response(results))
}

/// Approve many grants.
///
/// The bulk form of `approve`, each grant on its own: one whose notice has not ended, that has
/// an open objection, that you submitted or verified, or for which no money is left gets its
/// reason in the result; the others are approved and committed. Grants are taken a hundred per
/// transaction: if the request is cut off part-way, the hundreds already committed stay, and
/// sending the same request again approves the rest (the others answer `conflict`).
#[utoipa::path(
    tag = tags::GRANTS,
    operation_id = "bulk_approve_grants",
    request_body = BulkApproveRequest,
    extensions(("x-permission" = json!(grants::APPROVE))),
    responses((status = 200, description = "Per grant", body = BulkStepResponse)),
)]
#[post("/grants/bulk-approve")]
pub async fn bulk_approve(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<BulkApproveRequest>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let results = grants::each(
        &caller.context(&state),
        &b.grant_ids,
        &grants::Step::Approve,
    )
    .await?;
    Ok(bulk_response(results))
}

/// Reject many grants.
///
/// The bulk form of `reject`, one reason for all, each grant on its own.
#[utoipa::path(
    tag = tags::GRANTS,
    operation_id = "bulk_reject_grants",
    request_body = BulkRejectRequest,
    extensions(("x-permission" = json!(grants::APPROVE))),
    responses((status = 200, description = "Per grant", body = BulkStepResponse)),
)]
#[post("/grants/bulk-reject")]
pub async fn bulk_reject(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<BulkRejectRequest>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let step = grants::Step::Reject(b.reason);
    let results = grants::each(&caller.context(&state), &b.grant_ids, &step).await?;
    Ok(bulk_response(results))
}
