//! Worker handlers: extract, call the registry's operation in the core, respond. Personal data
//! goes in through the core's protection and comes out masked; the only plaintext path is
//! `reveal`, which needs `pii.reveal`, a reason, and is audited.

use actix_web::http::header;
use actix_web::{HttpResponse, get, patch, post, web};
use entity::workers::Column;
use sea_orm::Order;
use sea_orm::sea_query::Expr;
use siji_core::registry::lists::{self, PersonKey};
use siji_core::registry::{RECORD_ACTIVE, RECORD_ARCHIVED, RecordStatus, workers};
use siji_openapi::tags;
use uuid::Uuid;

use super::dto::*;
use crate::auth::{Caller, Reader};
use crate::enums::{label, labels};
use crate::http::concurrency::{created_versioned, ok_versioned};
use crate::http::pagination::{
    PageParams, Sort, Sortable, by_id, encode_cursor, limited, page_by_id_as, page_of, page_sorted,
};
use crate::http::{ApiError, IfMatch, Json, Page, PageRequest, Query};
use crate::spreadsheet::export::{self, Export, Named, Names, Refs, yes_no};
use crate::state::AppState;

/// Register a worker.
///
/// The ID number is validated in full (GB 11643: format, a real birth date, the check digit);
/// sex and birth date are derived from it. One ID number is one person city-wide: a second
/// registration answers 409 `duplicate`, with `existing_id` only if you may see the existing
/// record. ID number and phone are stored encrypted and answered masked.
#[utoipa::path(
    tag = tags::WORKERS,
    operation_id = "create_worker",
    request_body = CreateWorkerRequest,
    extensions(("x-permission" = json!(workers::WRITE))),
    responses(
        (status = 201, description = "Registered", body = WorkerResponse,
            headers(("Location" = String, description = "URL of the new record"), ("ETag" = String, description = "Its version"))),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
    ),
)]
#[post("/workers")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<CreateWorkerRequest>,
) -> Result<HttpResponse, ApiError> {
    let w = workers::register(&caller.context(&state), body.into_inner().into(), "api").await?;
    Ok(created_versioned(
        format!("/api/v1/workers/{}", w.id),
        w.version,
        &PRESENT.one(&state.db, &caller.scope(), w.into()).await?,
    ))
}

/// Get a worker.
#[utoipa::path(
    tag = tags::WORKERS,
    operation_id = "get_worker",
    params(("id" = Uuid, Path, description = "Worker id")),
    extensions(("x-permission" = json!(workers::READ))),
    responses(
        (status = 200, description = "The worker (personal data masked)", body = WorkerResponse, headers(("ETag" = String, description = "Its version"))),
        (status = 404, response = crate::http::responses::NotFound),
    ),
)]
#[get("/workers/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    reader: Reader,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let scope = reader.scope();
    let backend = state.db.get_database_backend();
    let statement = reader.statement(&state, "workers.get", String::new(), &[*id], |ids| {
        let select = WorkerView::narrow(scope.by_id::<entity::workers::Entity>(ids[0]));
        let select = PRESENT.naming(&scope, select, reader.confirmation());
        sea_orm::QueryTrait::build(&select, backend)
    });
    let found = async {
        PRESENT
            .find(&state.db, statement)
            .await?
            .map(|(found, confirmed)| (found, Some(confirmed)))
            .ok_or(ApiError::NotFound)
    };
    let (w, names) = reader.read(&state.db, workers::READ, found).await?;
    Ok(ok_versioned(w.version, &PRESENT.named((w, names))))
}

/// List workers.
///
/// Workers of your subtree, oldest registration first, keyset-paginated; archived ones only
/// when asked for. Personal data is masked. Every filter is served by an index. The whole
/// filtered list as a spreadsheet is `GET /api/v1/workers/export`.
#[utoipa::path(
    tag = tags::WORKERS,
    operation_id = "list_workers",
    params(WorkerListQuery),
    extensions(("x-permission" = json!(workers::READ))),
    responses((status = 200, description = "One page", body = Page<WorkerResponse>)),
)]
#[get("/workers")]
pub async fn list(
    state: web::Data<AppState>,
    reader: Reader,
    query: Query<WorkerListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let found = async {
        let sort = q.sort.unwrap_or_default();
        if let Some(filter) = templated(&q, sort) {
            return page_by_template(&state, &reader, &filter, sort, q.limit, q.cursor.as_deref())
                .await;
        }
        let select = lists::workers(&reader.context(&state), &q.filter()).await?;
        let page = PageParams {
            limit: q.limit,
            cursor: q.cursor.as_deref(),
            count: q.count,
        };
        let sort = q.sort.unwrap_or_default();
        let keys = |row: &Named<WorkerView>| entity::workers::Entity::sort_keys(&row.model);
        let named = |select| PRESENT.naming(&reader.scope(), select, reader.confirmation());
        let select = WorkerView::narrow(select);
        let page = page_sorted(&state.db, select, sort, page, keys, named).await?;
        Ok(PRESENT.named_page(page))
    };
    let page = reader.read(&state.db, workers::READ, found).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// The filter of a list request whose page is one kept statement ([`page_by_template`]): in
/// registration order, uncounted, filtered by nothing that must be read first (`within_org_id`)
/// or that is free text (a name, a time), which would make a statement of each value.
fn templated(q: &WorkerListQuery, sort: Sort) -> Option<lists::WorkerFilter> {
    let filter = q.filter();
    let plain = filter.within_org_id.is_none()
        && filter.name_prefix.is_none()
        && filter.q.is_none()
        && filter.updated_since.is_none();
    let by_id = matches!(sort, Sort::Created | Sort::CreatedDesc);
    (plain && by_id && q.count != Some(true)).then_some(filter)
}

/// A page of `filter` in registration order, as [`list`] reads it otherwise, from the statement
/// kept for this caller and shape: the organisation, the enterprise and the cursor are the ids
/// swapped in, and the shape spells out the rest of what the statement is built from.
async fn page_by_template(
    state: &AppState,
    reader: &Reader,
    filter: &lists::WorkerFilter,
    sort: Sort,
    limit: Option<u32>,
    cursor: Option<&str>,
) -> Result<(Page<WorkerResponse>, Option<bool>), ApiError> {
    let page = PageRequest::new(limit, cursor, None)?;
    let order = sort.order();
    let ids: Vec<Uuid> = [filter.org_id, filter.enterprise_id, page.after]
        .into_iter()
        .flatten()
        .collect();
    let shape = format!(
        "{:?} {:?} {:?} {:?} {:?} {:?} {} org:{} enterprise:{} after:{}",
        filter.status,
        filter.kind.map(|k| k.as_str()),
        filter.employment_status.map(|e| e.as_str()),
        filter.frontline,
        filter.high_temperature,
        order,
        page.limit,
        filter.org_id.is_some(),
        filter.enterprise_id.is_some(),
        page.after.is_some(),
    );
    let scope = reader.scope();
    let backend = state.db.get_database_backend();
    let statement = reader.statement(state, "workers.list", shape, &ids, |ids| {
        // In the order `ids` was made: each present one takes the next.
        let mut ids = ids.iter().copied();
        let org_id = filter.org_id.and_then(|_| ids.next());
        let enterprise_id = filter.enterprise_id.and_then(|_| ids.next());
        let after = page.after.and_then(|_| ids.next());
        let filter = lists::WorkerFilter {
            org_id,
            enterprise_id,
            ..filter.clone()
        };
        let select = WorkerView::narrow(lists::workers_in(&scope, &filter, None));
        let select = PRESENT.naming(&scope, select, reader.confirmation());
        let select = limited(by_id(select, Column::Id, order.clone(), after), page.limit);
        sea_orm::QueryTrait::build(&select, backend)
    });
    let rows = PRESENT.rows(&state.db, statement).await?;
    let page = page_of(rows, page.limit, None, |row| encode_cursor(&row.model.id));
    Ok(PRESENT.named_page(page))
}

/// Export workers (职工名册).
///
/// The whole filtered list of `GET /api/v1/workers` as a spreadsheet for county staff, in
/// registration order: Chinese headers and labels, the organisation's and the enterprise's
/// names, ID numbers and phones masked as in every response. CSV is streamed as it is read, so
/// a county of a hundred thousand workers starts downloading at once.
#[utoipa::path(
    tag = tags::WORKERS,
    operation_id = "export_workers",
    params(WorkerExportQuery),
    extensions(("x-permission" = json!(workers::READ))),
    responses((status = 200, description = "The file, named in `Content-Disposition`", content(
        (crate::spreadsheet::FileBytes = "text/csv"),
        (crate::spreadsheet::FileBytes = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ), headers(("Content-Disposition" = String, description = "`attachment; filename=\"workers.csv\"` (or `.xlsx`)")))),
)]
#[get("/workers/export")]
pub async fn export_list(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<WorkerExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let select = lists::workers(&caller.context(&state), &q.filter()).await?;
    let file = Export {
        file_stem: "workers",
        headers: EXPORT_HEADERS,
        select,
        id_column: Column::Id,
        id_of: |w| w.id,
        refers_to: |w| Refs {
            org: w.org_id,
            enterprise: w.enterprise_id,
            worker: None,
        },
        row: export_row,
        scope: caller.scope(),
    };
    export::respond(state.db.clone(), q.format.unwrap_or_default(), file).await
}

const EXPORT_HEADERS: &[&str] = &[
    "记录ID",
    "姓名",
    "身份证号",
    "性别",
    "出生日期",
    "手机号",
    "所属组织ID",
    "所属组织",
    "所属企业ID",
    "所属企业",
    "职工类别",
    "就业状态",
    "入会日期",
    "一线职工",
    "高温作业",
    "荣誉",
    "状态",
];

/// One export row: the same masks as every response.
fn export_row(w: entity::workers::Model, names: &Names) -> Vec<String> {
    vec![
        w.id.to_string(),
        w.name,
        w.id_number_masked,
        label::<Sex>(&w.sex).to_owned(),
        w.birth_date.to_string(),
        w.phone_masked.unwrap_or_default(),
        w.org_id.to_string(),
        names.org(w.org_id),
        w.enterprise_id.map(|e| e.to_string()).unwrap_or_default(),
        names.enterprise(w.enterprise_id),
        label::<WorkerKind>(&w.kind).to_owned(),
        label::<EmploymentStatus>(&w.employment_status).to_owned(),
        w.member_since.map(|d| d.to_string()).unwrap_or_default(),
        yes_no(w.frontline),
        yes_no(w.high_temperature),
        labels::<Honour>(&w.honours),
        label::<RecordStatus>(&w.status).to_owned(),
    ]
}

/// Find workers by ID number or phone.
///
/// Exact match through the keyed blind index; the value is sent in the body so that it never
/// appears in a URL or an access log. Answers a single page (`next_cursor` is null) of the
/// matches in your subtree.
#[utoipa::path(
    tag = tags::WORKERS,
    operation_id = "search_workers",
    request_body = WorkerSearchRequest,
    extensions(("x-permission" = json!(workers::READ))),
    responses((status = 200, description = "The matches (personal data masked)", body = Page<WorkerResponse>)),
)]
#[post("/workers/search")]
pub async fn search(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<WorkerSearchRequest>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let key = match (b.id_number, b.phone) {
        (Some(raw), _) => PersonKey::IdNumber(raw),
        (_, Some(raw)) => PersonKey::Phone(raw),
        _ => {
            return Err(ApiError::field(
                "",
                "one_of",
                "give exactly one of id_number and phone",
            ));
        }
    };
    let select = lists::search_workers(&caller.context(&state), &key, b.include_archived).await?;
    let page = PageRequest {
        limit: 200,
        after: None,
        count: false,
    };
    let mut found = page_by_id_as(
        &state.db,
        WorkerView::narrow(select),
        Column::Id,
        |w: &WorkerView| w.id,
        &page,
        Order::Asc,
    )
    .await?;
    found.next_cursor = None;
    Ok(HttpResponse::Ok().json(PRESENT.page(&state.db, &caller.scope(), found).await?))
}

/// Update a worker.
///
/// Partial update; honours `If-Match` (412 when stale). A corrected ID number is validated
/// again, re-derives sex and birth date, and must still be unique city-wide.
#[utoipa::path(
    tag = tags::WORKERS,
    operation_id = "update_worker",
    params(("id" = Uuid, Path, description = "Worker id"), ("If-Match" = Option<String>, Header, description = "The `ETag` you read")),
    request_body = UpdateWorkerRequest,
    extensions(("x-permission" = json!(workers::WRITE))),
    responses(
        (status = 200, description = "Updated", body = WorkerResponse, headers(("ETag" = String, description = "The new version"))),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 412, response = crate::http::responses::PreconditionFailed),
    ),
)]
#[patch("/workers/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<UpdateWorkerRequest>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    b.phone_valid()
        .map_err(|_| ApiError::field("phone", "format", "must be a mainland mobile number"))?;
    let w = workers::update(&caller.context(&state), *id, if_match.0, b.into()).await?;
    Ok(ok_versioned(
        w.version,
        &PRESENT.one(&state.db, &caller.scope(), w.into()).await?,
    ))
}

async fn set_status(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    if_match: IfMatch,
    to: &'static str,
) -> Result<HttpResponse, ApiError> {
    let w = workers::set_status(&caller.context(state), id, if_match.0, to).await?;
    Ok(ok_versioned(
        w.version,
        &PRESENT.one(&state.db, &caller.scope(), w.into()).await?,
    ))
}

/// Archive a worker.
///
/// Records that money points to are never deleted: an archived worker is hidden from lists
/// (unless asked for) but stays readable, and still counts for the one-person rule. Honours
/// `If-Match`.
#[utoipa::path(
    tag = tags::WORKERS,
    operation_id = "archive_worker",
    params(("id" = Uuid, Path, description = "Worker id"), ("If-Match" = Option<String>, Header, description = "The `ETag` you read")),
    extensions(("x-permission" = json!(workers::WRITE))),
    responses(
        (status = 200, description = "Archived", body = WorkerResponse),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 412, response = crate::http::responses::PreconditionFailed),
    ),
)]
#[post("/workers/{id}/archive")]
pub async fn archive(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    set_status(&state, &caller, *id, if_match, RECORD_ARCHIVED).await
}

/// Restore an archived worker.
#[utoipa::path(
    tag = tags::WORKERS,
    operation_id = "restore_worker",
    params(("id" = Uuid, Path, description = "Worker id"), ("If-Match" = Option<String>, Header, description = "The `ETag` you read")),
    extensions(("x-permission" = json!(workers::WRITE))),
    responses(
        (status = 200, description = "Restored", body = WorkerResponse),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 412, response = crate::http::responses::PreconditionFailed),
    ),
)]
#[post("/workers/{id}/restore")]
pub async fn restore(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    set_status(&state, &caller, *id, if_match, RECORD_ACTIVE).await
}

/// Reveal a worker's personal data.
///
/// Returns the plaintext ID number and/or phone of one worker. Needs its own permission, a
/// written reason, and leaves an audit event (`worker.reveal`, with the fields and the reason,
/// never the values). The answer is marked `Cache-Control: no-store`.
#[utoipa::path(
    tag = tags::WORKERS,
    operation_id = "reveal_worker",
    params(("id" = Uuid, Path, description = "Worker id")),
    request_body = RevealRequest,
    extensions(("x-permission" = json!(workers::REVEAL))),
    responses(
        (status = 200, description = "The plaintext", body = RevealResponse),
        (status = 404, response = crate::http::responses::NotFound),
    ),
)]
#[post("/workers/{id}/reveal")]
pub async fn reveal(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<RevealRequest>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let revealed = workers::reveal(&caller.context(&state), *id, &b.fields, &b.reason).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(RevealResponse::from(revealed)))
}

/// Workers as responses, with the names a screen shows beside their ids.
pub const PRESENT: export::Presenter<WorkerView, WorkerResponse> = export::Presenter {
    refers_to: |w| Refs {
        org: w.org_id,
        enterprise: w.enterprise_id,
        worker: None,
    },
    columns: || export::RefColumns {
        org: Expr::col((entity::workers::Entity, Column::OrgId)),
        enterprise: Some(Expr::col((entity::workers::Entity, Column::EnterpriseId))),
    },
    respond: |w, names| WorkerResponse::from(w).named(names),
};
