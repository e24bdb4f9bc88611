//! Archive handlers. The lifecycle is explicit operations, each checked against the current
//! status, conditional on the version (`If-Match`), and audited with the visit it records.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::NaiveDate;
use entity::beneficiaries;
use sea_orm::Order;
use siji_openapi::tags;
use uuid::Uuid;

use super::dto::*;
use super::present;
use crate::auth::Caller;
use siji_core::archive::{self, queries};

use crate::domain::money::yuan;
use crate::enums::{label, labels};
use crate::http::concurrency::{created_versioned, ok_versioned};
use crate::http::pagination::page_by_id;
use crate::http::{ApiError, IfMatch, Json, Page, PageRequest, Query};
use crate::resources::workers::dto::{RevealRequest, RevealResponse};
use crate::spreadsheet::export::{self, Export, Names, Refs, yes_no};
use crate::state::AppState;

async fn respond(
    state: &AppState,
    b: beneficiaries::Model,
    created: bool,
) -> Result<HttpResponse, ApiError> {
    let (id, version) = (b.id, b.version);
    let body = present::responses(&state.db, vec![b])
        .await?
        .pop()
        .ok_or(ApiError::NotFound)?;
    Ok(if created {
        created_versioned(format!("/api/v1/beneficiaries/{id}"), version, &body)
    } else {
        ok_versioned(version, &body)
    })
}

/// Create an archive.
///
/// A `temporary` archive for a household, created after a first home visit. The hardship
/// category is computed (see `Eligibility`): deep (深度困难) when (annual income − rigid expenses)
/// ÷ 12 ÷ household size is below the county's minimum living standard (低保标准) for the year;
/// relative (相对困难) below twice it; sudden (意外致困) when accident or disaster costs exceed 80%
/// of the year's income; migrant workers need a year of employment on record. A household the
/// rules find not eligible needs `category_override` with a written reason (audited). A worker
/// heads at most one live archive city-wide (409 `duplicate`, with `existing_id` when visible).
#[utoipa::path(
    tag = tags::ARCHIVE,
    operation_id = "create_beneficiary",
    request_body = CreateBeneficiaryRequest,
    extensions(("x-permission" = json!(archive::WRITE))),
    responses(
        (status = 201, description = "Created (temporary)", body = BeneficiaryResponse,
            headers(("Location" = String, description = "URL of the archive"), ("ETag" = String, description = "Its version"))),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
    ),
)]
#[post("/beneficiaries")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<CreateBeneficiaryRequest>,
) -> Result<HttpResponse, ApiError> {
    let archive =
        archive::register(&caller.context(&state), body.into_inner().into(), "api").await?;
    respond(&state, archive, true).await
}

/// Get an archive, with its members (ID numbers masked), visits and eligibility explanation.
#[utoipa::path(
    tag = tags::ARCHIVE,
    operation_id = "get_beneficiary",
    params(("id" = Uuid, Path, description = "Archive id")),
    extensions(("x-permission" = json!(archive::READ))),
    responses(
        (status = 200, description = "The archive", body = BeneficiaryResponse, headers(("ETag" = String, description = "Its version"))),
        (status = 404, response = crate::http::responses::NotFound),
    ),
)]
#[get("/beneficiaries/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&state.db, archive::READ).await?;
    let b = queries::find(&state.db, &caller.scope(), *id)
        .await?
        .ok_or(ApiError::NotFound)?;
    respond(&state, b, false).await
}

/// List archives: the worklists staff live in.
///
/// Archives of your subtree, oldest first, keyset-paginated, as list items (the county's and the
/// head's names, the member and visit counts and the latest visit; the members and visits
/// themselves are on `GET /api/v1/beneficiaries/{id}`), filtered by category, cause,
/// status, county, re-verification due or overdue, not updated for a year, creation period,
/// migrant workers, or households with a child entering university this year (金秋助学). The
/// whole filtered list as a spreadsheet is `GET /api/v1/beneficiaries/export`.
#[utoipa::path(
    tag = tags::ARCHIVE,
    operation_id = "list_beneficiaries",
    params(BeneficiaryListQuery),
    extensions(("x-permission" = json!(archive::READ))),
    responses((status = 200, description = "One page", body = Page<BeneficiarySummary>)),
)]
#[get("/beneficiaries")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<BeneficiaryListQuery>,
) -> Result<HttpResponse, ApiError> {
    use beneficiaries::Column as B;
    let q = query.into_inner();
    let select = queries::list(&caller.context(&state), &q.filter()).await?;
    let page = PageRequest::new(q.limit, q.cursor.as_deref(), q.count)?;
    let page = page_by_id(&state.db, select, B::Id, |b| b.id, &page, Order::Asc).await?;
    let items = present::summaries(&state.db, &caller.scope(), page.items).await?;
    Ok(HttpResponse::Ok().json(Page {
        items,
        next_cursor: page.next_cursor,
        total: page.total,
    }))
}

/// Export archives (困难职工档案台账).
///
/// The whole filtered worklist of `GET /api/v1/beneficiaries` as a spreadsheet for county
/// staff, oldest first: the head's name and masked ID number, Chinese labels, incomes in yuan.
/// CSV is streamed as it is read.
#[utoipa::path(
    tag = tags::ARCHIVE,
    operation_id = "export_beneficiaries",
    params(BeneficiaryExportQuery),
    extensions(("x-permission" = json!(archive::READ))),
    responses((status = 200, description = "The file, named in `Content-Disposition`", content(
        (crate::spreadsheet::FileBytes = "text/csv"),
        (crate::spreadsheet::FileBytes = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ), headers(("Content-Disposition" = String, description = "`attachment; filename=\"beneficiaries.csv\"` (or `.xlsx`)")))),
)]
#[get("/beneficiaries/export")]
pub async fn export_list(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<BeneficiaryExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let select = queries::list(&caller.context(&state), &q.filter()).await?;
    let file = Export {
        file_stem: "beneficiaries",
        headers: EXPORT_HEADERS,
        select,
        id_column: beneficiaries::Column::Id,
        id_of: |b| b.id,
        refers_to: |b| Refs {
            org: b.org_id,
            enterprise: None,
            worker: Some(b.head_worker_id),
        },
        row: export_row,
        scope: caller.scope(),
    };
    export::respond(state.db.clone(), q.format.unwrap_or_default(), file).await
}

const EXPORT_HEADERS: &[&str] = &[
    "记录ID",
    "户主姓名",
    "户主身份证号",
    "所属组织ID",
    "所属组织",
    "档案状态",
    "困难类别",
    "致困原因",
    "家庭人口",
    "家庭年收入(元)",
    "刚性支出(元)",
    "意外支出(元)",
    "人均月收入(元)",
    "农民工",
    "长效帮扶",
    "最近核实日期",
    "复核到期日",
    "困难需求",
    "建档时间",
    "更新时间",
];

/// One export row: labels instead of codes, yuan instead of fen, the head's ID number masked.
fn export_row(b: beneficiaries::Model, names: &Names) -> Vec<String> {
    let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let (head_name, head_id_number) = names.worker(b.head_worker_id);
    vec![
        b.id.to_string(),
        head_name,
        head_id_number,
        b.org_id.to_string(),
        names.org(b.org_id),
        label::<ArchiveStatus>(&b.status).to_owned(),
        label::<Category>(&b.category).to_owned(),
        labels::<Cause>(&b.causes),
        b.household_size.to_string(),
        yuan(b.annual_income_fen),
        yuan(b.rigid_expenses_fen),
        yuan(b.accident_costs_fen),
        yuan(b.per_capita_monthly_fen),
        yes_no(b.migrant_worker),
        yes_no(b.long_term_assistance),
        date(b.last_verified_on),
        date(b.reverify_due_on),
        b.needs.unwrap_or_default(),
        b.created_at.to_rfc3339(),
        b.updated_at.to_rfc3339(),
    ]
}

/// Correct an archive.
///
/// Changes the household figures and members of a `temporary` or `formal` archive and assesses
/// the category again against the county's minimum living standard for the current year; the
/// answer explains the new placement. A household no longer eligible needs `category_override`
/// with a written reason (or lifting out). `members`, when given, is the whole list as it should
/// now be: keep a member by its `id` (a child starting university gets its new school, stage and
/// `admission_year` this way), add one without an `id`, remove one by leaving it out. Honours
/// `If-Match`; audited with the old and new category and the member counts, never member data.
#[utoipa::path(
    tag = tags::ARCHIVE,
    operation_id = "update_beneficiary",
    params(("id" = Uuid, Path, description = "Archive id"), ("If-Match" = Option<String>, Header, description = "The `ETag` you read")),
    request_body = UpdateBeneficiaryRequest,
    extensions(("x-permission" = json!(archive::WRITE))),
    responses(
        (status = 200, description = "Updated and re-assessed", body = BeneficiaryResponse),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 412, response = crate::http::responses::PreconditionFailed),
    ),
)]
#[patch("/beneficiaries/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<UpdateBeneficiaryRequest>,
) -> Result<HttpResponse, ApiError> {
    let ctx = caller.context(&state);
    let archive = archive::update(&ctx, *id, if_match.0, body.into_inner().into()).await?;
    respond(&state, archive, false).await
}

/// Reveal a household member's ID number.
///
/// Returns the plaintext ID number of one member of an archive in your subtree (for example to
/// check the identity of a student applying for tuition aid, 金秋助学). Only `id_number` can be
/// asked for; it is absent from the answer when none is recorded. Needs its own permission and a
/// written reason, and leaves an audit event (`beneficiary.member_reveal`, with the reason, never
/// the value). The answer is marked `Cache-Control: no-store`.
#[utoipa::path(
    tag = tags::ARCHIVE,
    operation_id = "reveal_household_member",
    params(
        ("id" = Uuid, Path, description = "Archive id"),
        ("member_id" = Uuid, Path, description = "Household member id"),
    ),
    request_body = RevealRequest,
    extensions(("x-permission" = json!(archive::REVEAL))),
    responses(
        (status = 200, description = "The plaintext (`id` is the member's)", body = RevealResponse),
        (status = 404, response = crate::http::responses::NotFound),
    ),
)]
#[post("/beneficiaries/{id}/members/{member_id}/reveal")]
pub async fn reveal_member(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
    body: Json<RevealRequest>,
) -> Result<HttpResponse, ApiError> {
    let (archive_id, member_id) = path.into_inner();
    let b = body.into_inner();
    let ctx = caller.context(&state);
    let (id, id_number) =
        archive::reveal_member(&ctx, archive_id, member_id, &b.fields, &b.reason).await?;
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(RevealResponse {
            id,
            id_number,
            phone: None,
        }))
}

/// Verify an archive (入户核实).
///
/// Records the verification home visit of a `temporary` archive. It must be recorded by someone
/// other than the archive's creator (four-eyes rule, 403). Confirmed → `formal`, due for
/// re-verification a year after the visit; not confirmed → stays `temporary`. Honours `If-Match`.
#[utoipa::path(
    tag = tags::ARCHIVE,
    operation_id = "verify_beneficiary",
    params(("id" = Uuid, Path, description = "Archive id"), ("If-Match" = Option<String>, Header, description = "The `ETag` you read")),
    request_body = VerifyRequest,
    extensions(("x-permission" = json!(archive::VERIFY))),
    responses(
        (status = 200, description = "Verification recorded", body = BeneficiaryResponse),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 412, response = crate::http::responses::PreconditionFailed),
    ),
)]
#[post("/beneficiaries/{id}/verify")]
pub async fn verify(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<VerifyRequest>,
) -> Result<HttpResponse, ApiError> {
    let ctx = caller.context(&state);
    let archive = archive::verify(&ctx, *id, if_match.0, body.into_inner().into()).await?;
    respond(&state, archive, false).await
}

/// Re-verify a formal archive.
///
/// The yearly verification visit of a `formal` archive: moves the due date a year past the
/// visit. Honours `If-Match`.
#[utoipa::path(
    tag = tags::ARCHIVE,
    operation_id = "reverify_beneficiary",
    params(("id" = Uuid, Path, description = "Archive id"), ("If-Match" = Option<String>, Header, description = "The `ETag` you read")),
    request_body = VerifyRequest,
    extensions(("x-permission" = json!(archive::VERIFY))),
    responses(
        (status = 200, description = "Re-verified", body = BeneficiaryResponse),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 412, response = crate::http::responses::PreconditionFailed),
    ),
)]
#[post("/beneficiaries/{id}/reverify")]
pub async fn reverify(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<VerifyRequest>,
) -> Result<HttpResponse, ApiError> {
    let ctx = caller.context(&state);
    let archive = archive::reverify(&ctx, *id, if_match.0, body.into_inner().into()).await?;
    respond(&state, archive, false).await
}

/// Lift a household out of hardship (解困脱困).
///
/// `formal` → `lifted_out`, with the reason. The household keeps getting follow-up contacts and
/// can be reopened if it falls back. Honours `If-Match`.
#[utoipa::path(
    tag = tags::ARCHIVE,
    operation_id = "lift_out_beneficiary",
    params(("id" = Uuid, Path, description = "Archive id"), ("If-Match" = Option<String>, Header, description = "The `ETag` you read")),
    request_body = LiftOutRequest,
    extensions(("x-permission" = json!(archive::WRITE))),
    responses(
        (status = 200, description = "Lifted out", body = BeneficiaryResponse),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 412, response = crate::http::responses::PreconditionFailed),
    ),
)]
#[post("/beneficiaries/{id}/lift-out")]
pub async fn lift_out(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<LiftOutRequest>,
) -> Result<HttpResponse, ApiError> {
    let r = body.into_inner();
    let ctx = caller.context(&state);
    let archive = archive::lift_out(&ctx, *id, if_match.0, r.reason, r.note).await?;
    respond(&state, archive, false).await
}

/// Cancel an archive (销档).
///
/// From any live or lifted-out state to `cancelled`, with the reason (retired, moved away,
/// deceased, duplicate, fraud). Honours `If-Match`.
#[utoipa::path(
    tag = tags::ARCHIVE,
    operation_id = "cancel_beneficiary",
    params(("id" = Uuid, Path, description = "Archive id"), ("If-Match" = Option<String>, Header, description = "The `ETag` you read")),
    request_body = CancelRequest,
    extensions(("x-permission" = json!(archive::WRITE))),
    responses(
        (status = 200, description = "Cancelled", body = BeneficiaryResponse),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 412, response = crate::http::responses::PreconditionFailed),
    ),
)]
#[post("/beneficiaries/{id}/cancel")]
pub async fn cancel(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<CancelRequest>,
) -> Result<HttpResponse, ApiError> {
    let r = body.into_inner();
    let ctx = caller.context(&state);
    let archive = archive::cancel(&ctx, *id, if_match.0, r.reason, r.note).await?;
    respond(&state, archive, false).await
}

/// Record a follow-up contact with a lifted-out household.
#[utoipa::path(
    tag = tags::ARCHIVE,
    operation_id = "follow_up_beneficiary",
    params(("id" = Uuid, Path, description = "Archive id")),
    request_body = FollowUpRequest,
    extensions(("x-permission" = json!(archive::WRITE))),
    responses(
        (status = 200, description = "Recorded", body = BeneficiaryResponse),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
    ),
)]
#[post("/beneficiaries/{id}/follow-ups")]
pub async fn follow_up(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<FollowUpRequest>,
) -> Result<HttpResponse, ApiError> {
    let ctx = caller.context(&state);
    let archive = archive::follow_up(&ctx, *id, body.into_inner().into()).await?;
    respond(&state, archive, false).await
}

/// Reopen a lifted-out household that fell back into hardship (返困).
///
/// `lifted_out` → `formal`, on the same archive with its history intact (no duplicate), due for
/// re-verification now. Refused (409) if the head meanwhile heads another live archive.
/// Honours `If-Match`.
#[utoipa::path(
    tag = tags::ARCHIVE,
    operation_id = "reopen_beneficiary",
    params(("id" = Uuid, Path, description = "Archive id"), ("If-Match" = Option<String>, Header, description = "The `ETag` you read")),
    request_body = ReopenRequest,
    extensions(("x-permission" = json!(archive::WRITE))),
    responses(
        (status = 200, description = "Reopened", body = BeneficiaryResponse),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 412, response = crate::http::responses::PreconditionFailed),
    ),
)]
#[post("/beneficiaries/{id}/reopen")]
pub async fn reopen(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<ReopenRequest>,
) -> Result<HttpResponse, ApiError> {
    let ctx = caller.context(&state);
    let archive = archive::reopen(&ctx, *id, if_match.0, body.into_inner().note).await?;
    respond(&state, archive, false).await
}

/// One cell of the dashboard: archives of a category with a cause in a county.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ArchiveCount {
    /// County org id (the organisation one level below the city; the city itself for archives it keeps).
    pub county_id: Uuid,
    pub county: String,
    pub category: Category,
    pub cause: Cause,
    pub count: u64,
}

/// Counts of live archives by category × cause × county.
///
/// For the dashboard: live (temporary and formal) archives of your subtree, counted by hardship
/// category, cause (an archive with several causes counts under each) and county.
#[utoipa::path(
    tag = tags::STATS,
    operation_id = "beneficiary_counts",
    extensions(("x-permission" = json!(archive::READ))),
    responses((status = 200, description = "The counts", body = Vec<ArchiveCount>, example = json!([
        {"county_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12", "county": "任城区总工会", "category": "deep", "cause": "illness", "count": 42}
    ]))),
)]
#[get("/stats/beneficiaries")]
pub async fn counts(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let body: Vec<ArchiveCount> = queries::counts_by_county(&caller.context(&state))
        .await?
        .into_iter()
        .map(|c| ArchiveCount {
            county_id: c.county_id,
            county: c.county,
            category: c.category,
            cause: c.cause,
            count: c.count,
        })
        .collect();
    Ok(HttpResponse::Ok().json(body))
}
