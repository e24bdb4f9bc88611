//! Enterprise handlers: extract, call the registry's operation in the core, respond.

use actix_web::{HttpResponse, get, patch, post, web};
use entity::enterprises::Column;
use sea_orm::sea_query::Expr;
use siji_core::registry::{RECORD_ACTIVE, RECORD_ARCHIVED, RecordStatus, enterprises, lists};
use siji_openapi::tags;
use uuid::Uuid;

use super::dto::*;
use crate::auth::{Caller, Reader};
use crate::enums::label;
use crate::http::concurrency::{created_versioned, ok_versioned};
use crate::http::pagination::{PageParams, Sortable, page_sorted};
use crate::http::{ApiError, IfMatch, Json, Page, Query};
use crate::spreadsheet::export::{self, Export, Named, Names, Refs, yes_no};
use crate::state::AppState;

/// Register an enterprise.
///
/// The USCC is checked in full (GB 32100-2015) and is unique city-wide: registering it twice
/// answers 409 `duplicate`. The owning organisation must be in your subtree.
#[utoipa::path(
    tag = tags::ENTERPRISES,
    operation_id = "create_enterprise",
    request_body = CreateEnterpriseRequest,
    extensions(("x-permission" = json!(enterprises::WRITE))),
    responses(
        (status = 201, description = "Registered", body = EnterpriseResponse,
            headers(("Location" = String, description = "URL of the new record"), ("ETag" = String, description = "Its version"))),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
    ),
)]
#[post("/enterprises")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<CreateEnterpriseRequest>,
) -> Result<HttpResponse, ApiError> {
    let e = enterprises::register(&caller.context(&state), body.into_inner().into(), "api").await?;
    Ok(created_versioned(
        format!("/api/v1/enterprises/{}", e.id),
        e.version,
        &PRESENT.one(&state.db, &caller.scope(), e).await?,
    ))
}

/// Get an enterprise.
#[utoipa::path(
    tag = tags::ENTERPRISES,
    operation_id = "get_enterprise",
    params(("id" = Uuid, Path, description = "Enterprise id")),
    extensions(("x-permission" = json!(enterprises::READ))),
    responses(
        (status = 200, description = "The enterprise", body = EnterpriseResponse, headers(("ETag" = String, description = "Its version"))),
        (status = 404, response = crate::http::responses::NotFound),
    ),
)]
#[get("/enterprises/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    reader: Reader,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let scope = reader.scope();
    let backend = state.db.get_database_backend();
    let statement = reader.statement(&state, "enterprises.get", String::new(), &[*id], |ids| {
        let select = scope.by_id::<entity::enterprises::Entity>(ids[0]);
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
    let (e, names) = reader.read(&state.db, enterprises::READ, found).await?;
    Ok(ok_versioned(e.version, &PRESENT.named((e, names))))
}

/// List enterprises.
///
/// Enterprises of your subtree, oldest registration first, keyset-paginated; archived ones only
/// when asked for (`status`). Every filter is served by an index. The whole filtered list as a
/// spreadsheet is `GET /api/v1/enterprises/export`.
#[utoipa::path(
    tag = tags::ENTERPRISES,
    operation_id = "list_enterprises",
    params(EnterpriseListQuery),
    extensions(("x-permission" = json!(enterprises::READ))),
    responses((status = 200, description = "One page", body = Page<EnterpriseResponse>)),
)]
#[get("/enterprises")]
pub async fn list(
    state: web::Data<AppState>,
    reader: Reader,
    query: Query<EnterpriseListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let found = async {
        let select = lists::enterprises(&reader.context(&state), &q.filter()).await?;
        let page = PageParams {
            limit: q.limit,
            cursor: q.cursor.as_deref(),
            count: q.count,
        };
        let keys = |row: &Named<entity::enterprises::Model>| {
            entity::enterprises::Entity::sort_keys(&row.model)
        };
        let named = |select| PRESENT.naming(&reader.scope(), select, reader.confirmation());
        let sort = q.sort.unwrap_or_default();
        let page = page_sorted(&state.db, select, sort, page, keys, named).await?;
        Ok(PRESENT.named_page(page))
    };
    let page = reader.read(&state.db, enterprises::READ, found).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Export enterprises (企业名册).
///
/// The whole filtered list of `GET /api/v1/enterprises` as a spreadsheet for county staff, in
/// registration order, with Chinese headers and labels and the organisation's name. CSV is
/// streamed as it is read.
#[utoipa::path(
    tag = tags::ENTERPRISES,
    operation_id = "export_enterprises",
    params(EnterpriseExportQuery),
    extensions(("x-permission" = json!(enterprises::READ))),
    responses((status = 200, description = "The file, named in `Content-Disposition`", content(
        (crate::spreadsheet::FileBytes = "text/csv"),
        (crate::spreadsheet::FileBytes = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ), headers(("Content-Disposition" = String, description = "`attachment; filename=\"enterprises.csv\"` (or `.xlsx`)")))),
)]
#[get("/enterprises/export")]
pub async fn export_list(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<EnterpriseExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let select = lists::enterprises(&caller.context(&state), &q.filter()).await?;
    let file = Export {
        file_stem: "enterprises",
        headers: EXPORT_HEADERS,
        select,
        id_column: Column::Id,
        id_of: |e| e.id,
        refers_to: |e| Refs::org(e.org_id),
        row: export_row,
        scope: caller.scope(),
    };
    export::respond(state.db.clone(), q.format.unwrap_or_default(), file).await
}

const EXPORT_HEADERS: &[&str] = &[
    "记录ID",
    "企业名称",
    "统一社会信用代码",
    "所有制类型",
    "行业门类",
    "地址",
    "建会日期",
    "职工人数",
    "会员人数",
    "过剩产能企业",
    "所属组织ID",
    "所属组织",
    "状态",
];

fn export_row(e: entity::enterprises::Model, names: &Names) -> Vec<String> {
    let number = |n: Option<i32>| n.map(|n| n.to_string()).unwrap_or_default();
    vec![
        e.id.to_string(),
        e.name,
        e.uscc,
        label::<Ownership>(&e.ownership).to_owned(),
        e.industry,
        e.address.unwrap_or_default(),
        e.union_founded_on
            .map(|d| d.to_string())
            .unwrap_or_default(),
        number(e.headcount),
        number(e.member_count),
        yes_no(e.overcapacity),
        e.org_id.to_string(),
        names.org(e.org_id),
        label::<RecordStatus>(&e.status).to_owned(),
    ]
}

/// Update an enterprise.
///
/// Partial update; honours `If-Match` (412 when stale). A changed USCC is checked again and
/// must stay unique.
#[utoipa::path(
    tag = tags::ENTERPRISES,
    operation_id = "update_enterprise",
    params(("id" = Uuid, Path, description = "Enterprise id"), ("If-Match" = Option<String>, Header, description = "The `ETag` you read")),
    request_body = UpdateEnterpriseRequest,
    extensions(("x-permission" = json!(enterprises::WRITE))),
    responses(
        (status = 200, description = "Updated", body = EnterpriseResponse, headers(("ETag" = String, description = "The new version"))),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 412, response = crate::http::responses::PreconditionFailed),
    ),
)]
#[patch("/enterprises/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<UpdateEnterpriseRequest>,
) -> Result<HttpResponse, ApiError> {
    let e = enterprises::update(
        &caller.context(&state),
        *id,
        if_match.0,
        body.into_inner().into(),
    )
    .await?;
    Ok(ok_versioned(
        e.version,
        &PRESENT.one(&state.db, &caller.scope(), e).await?,
    ))
}

async fn set_status(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    if_match: IfMatch,
    to: &'static str,
) -> Result<HttpResponse, ApiError> {
    let e = enterprises::set_status(&caller.context(state), id, if_match.0, to).await?;
    Ok(ok_versioned(
        e.version,
        &PRESENT.one(&state.db, &caller.scope(), e).await?,
    ))
}

/// Archive an enterprise.
///
/// Records that money or agreements point to are never deleted: an archived enterprise is
/// hidden from lists (unless `status=archived` or `all`) but stays readable. Honours `If-Match`.
#[utoipa::path(
    tag = tags::ENTERPRISES,
    operation_id = "archive_enterprise",
    params(("id" = Uuid, Path, description = "Enterprise id"), ("If-Match" = Option<String>, Header, description = "The `ETag` you read")),
    extensions(("x-permission" = json!(enterprises::WRITE))),
    responses(
        (status = 200, description = "Archived", body = EnterpriseResponse),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 412, response = crate::http::responses::PreconditionFailed),
    ),
)]
#[post("/enterprises/{id}/archive")]
pub async fn archive(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    set_status(&state, &caller, *id, if_match, RECORD_ARCHIVED).await
}

/// Restore an archived enterprise.
#[utoipa::path(
    tag = tags::ENTERPRISES,
    operation_id = "restore_enterprise",
    params(("id" = Uuid, Path, description = "Enterprise id"), ("If-Match" = Option<String>, Header, description = "The `ETag` you read")),
    extensions(("x-permission" = json!(enterprises::WRITE))),
    responses(
        (status = 200, description = "Restored", body = EnterpriseResponse),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 412, response = crate::http::responses::PreconditionFailed),
    ),
)]
#[post("/enterprises/{id}/restore")]
pub async fn restore(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    set_status(&state, &caller, *id, if_match, RECORD_ACTIVE).await
}

/// Enterprises as responses, with the names a screen shows beside their ids.
pub const PRESENT: export::Presenter<entity::enterprises::Model, EnterpriseResponse> =
    export::Presenter {
        refers_to: |e| Refs::org(e.org_id),
        columns: || export::RefColumns {
            org: Expr::col((
                entity::enterprises::Entity,
                entity::enterprises::Column::OrgId,
            )),
            enterprise: None,
        },
        respond: |e, names| EnterpriseResponse::from(e).named(names),
    };
