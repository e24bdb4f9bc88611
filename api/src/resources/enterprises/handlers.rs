//! Enterprise handlers: extract, authorise, call scoped queries, respond.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::Utc;
use entity::enterprises::{self, Column};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, Order, QueryFilter, TransactionTrait};
use serde_json::json;
use siji_openapi::tags;
use uuid::Uuid;

use super::dto::*;
use super::queries;
use crate::audit::{self, Event};
use crate::auth::{Caller, Permission};
use crate::domain::uscc;
use crate::enums::label;
use crate::http::concurrency::{created_versioned, ok_versioned};
use crate::http::pagination::page_by_id;
use crate::http::{ApiError, IfMatch, Json, Page, PageRequest, Query};
use crate::listing::{RECORD_ACTIVE, RECORD_ARCHIVED, name_prefix};
use crate::listing::{RecordKind, RecordStatus, set_record_status};
use crate::resources::orgs::queries as orgs;
use crate::spreadsheet::export::{self, Export, Names, Refs, yes_no};
use crate::state::AppState;
use crate::versioning;

/// Register an enterprise.
///
/// The USCC is checked in full (GB 32100-2015) and is unique city-wide: registering it twice
/// answers 409 `duplicate`. The owning organisation must be in your subtree.
#[utoipa::path(
    tag = tags::ENTERPRISES,
    operation_id = "create_enterprise",
    request_body = CreateEnterpriseRequest,
    extensions(("x-permission" = json!("registry.write"))),
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
    caller.require(&state.db, Permission::RegistryWrite).await?;
    let e = register(&state, &caller, body.into_inner(), "api").await?;
    Ok(created_versioned(
        format!("/api/v1/enterprises/{}", e.id),
        e.version,
        &PRESENT.one(&state.db, &caller.scope(), e).await?,
    ))
}

/// Register one enterprise (from the API or an import row), with its audit event.
pub async fn register(
    state: &AppState,
    caller: &Caller,
    b: CreateEnterpriseRequest,
    via: &str,
) -> Result<enterprises::Model, ApiError> {
    let org = orgs::find(&state.db, &caller.scope(), b.org_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let now = Utc::now();
    let row = enterprises::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(org.id),
        name: Set(b.name.trim().to_owned()),
        uscc: Set(uscc::normalise(&b.uscc)),
        ownership: Set(b.ownership.as_str().to_owned()),
        industry: Set(b.industry),
        address: Set(b.address),
        union_founded_on: Set(b.union_founded_on),
        headcount: Set(b.headcount),
        member_count: Set(b.member_count),
        overcapacity: Set(b.overcapacity),
        status: Set(RECORD_ACTIVE.to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    };
    let txn = state.db.begin().await?;
    let e = enterprises::Entity::insert(row)
        .exec_with_returning(&txn)
        .await?;
    let changes = json!({ "name": e.name, "uscc": e.uscc, "org_id": e.org_id, "via": via });
    audit::record(
        &txn,
        &caller.actor(),
        Event::new("enterprise.create")
            .on("enterprise", e.id)
            .changes(changes),
    )
    .await?;
    txn.commit().await?;
    Ok(e)
}

/// Get an enterprise.
#[utoipa::path(
    tag = tags::ENTERPRISES,
    operation_id = "get_enterprise",
    params(("id" = Uuid, Path, description = "Enterprise id")),
    extensions(("x-permission" = json!("registry.read"))),
    responses(
        (status = 200, description = "The enterprise", body = EnterpriseResponse, headers(("ETag" = String, description = "Its version"))),
        (status = 404, response = crate::http::responses::NotFound),
    ),
)]
#[get("/enterprises/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&state.db, Permission::RegistryRead).await?;
    let e = queries::find(&state.db, &caller.scope(), *id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(ok_versioned(
        e.version,
        &PRESENT.one(&state.db, &caller.scope(), e).await?,
    ))
}

/// List enterprises.
///
/// Enterprises of your subtree, oldest registration first, keyset-paginated; archived ones only
/// when asked for (`status`). Every filter is served by an index.
#[utoipa::path(
    tag = tags::ENTERPRISES,
    operation_id = "list_enterprises",
    params(EnterpriseListQuery),
    extensions(("x-permission" = json!("registry.read"))),
    responses((status = 200, description = "One page as JSON; or, when `Accept` asks for `text/csv` or XLSX, the whole filtered list as a file (streamed)", content(
        (Page<EnterpriseResponse> = "application/json"),
        (String = "text/csv"),
        (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ))),
)]
#[get("/enterprises")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    req: actix_web::HttpRequest,
    query: Query<EnterpriseListQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&state.db, Permission::RegistryRead).await?;
    let q = query.into_inner();
    let export_format = export::requested_list(&req, q.limit, q.cursor.as_deref(), q.count)?;
    let page = PageRequest::new(q.limit, q.cursor.as_deref(), q.count)?;
    let scope = caller.scope();
    let mut select =
        queries::scoped(&scope).filter(q.status.unwrap_or_default().condition(Column::Status));
    if let Some(org) = q.org_id {
        select = select.filter(Column::OrgId.eq(org));
    }
    if let Some(within) = q.within_org_id {
        select =
            select.filter(orgs::subtree_condition(&state.db, &scope, within, Column::OrgId).await?);
    }
    if let Some(o) = q.ownership {
        select = select.filter(Column::Ownership.eq(o.as_str()));
    }
    if let Some(i) = q.industry {
        select = select.filter(Column::Industry.eq(i));
    }
    if let Some(o) = q.overcapacity {
        select = select.filter(Column::Overcapacity.eq(o));
    }
    if let Some(p) = q.name_prefix {
        select = select.filter(name_prefix(Column::Name, &p));
    }
    if let Some(code) = q.uscc {
        select = select.filter(Column::Uscc.eq(uscc::normalise(&code)));
    }
    if let Some(since) = q.updated_since {
        select = select.filter(Column::UpdatedAt.gte(since));
    }
    if let Some(format) = export_format {
        let file = Export {
            file_stem: "enterprises",
            headers: EXPORT_HEADERS,
            select,
            id_column: Column::Id,
            id_of: |e| e.id,
            refers_to: |e| Refs::org(e.org_id),
            row: export_row,
            scope,
        };
        return export::respond(state.db.clone(), format, file).await;
    }
    let page = page_by_id(&state.db, select, Column::Id, |e| e.id, &page, Order::Asc).await?;
    Ok(HttpResponse::Ok().json(PRESENT.page(&state.db, &caller.scope(), page).await?))
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

fn export_row(e: enterprises::Model, names: &Names) -> Vec<String> {
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
    extensions(("x-permission" = json!("registry.write"))),
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
    caller.require(&state.db, Permission::RegistryWrite).await?;
    let b = body.into_inner();
    let scope = caller.scope();
    let e = queries::find(&state.db, &scope, *id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if_match.check(e.version)?;
    let headcount = b.headcount.unwrap_or(e.headcount);
    let members = b.member_count.unwrap_or(e.member_count);
    if let (Some(h), Some(m)) = (headcount, members)
        && (m > h || h < 0 || m < 0)
    {
        return Err(ApiError::field(
            "member_count",
            "member_count",
            "cannot exceed headcount (and neither may be negative)",
        ));
    }

    let mut change = versioning::update::<enterprises::Entity>(e.id, e.version, Utc::now());
    let mut changes = serde_json::Map::new();
    if let Some(org) = b.org_id {
        let org = orgs::find(&state.db, &scope, org)
            .await?
            .ok_or(ApiError::NotFound)?;
        changes.insert("org_id".into(), json!(org.id));
        change = change.col_expr(Column::OrgId, Expr::value(org.id));
    }
    if let Some(v) = b.name {
        changes.insert("name".into(), json!(v));
        change = change.col_expr(Column::Name, Expr::value(v.trim().to_owned()));
    }
    if let Some(v) = b.uscc {
        let v = uscc::normalise(&v);
        changes.insert("uscc".into(), json!(v));
        change = change.col_expr(Column::Uscc, Expr::value(v));
    }
    if let Some(v) = b.ownership {
        changes.insert("ownership".into(), json!(v));
        change = change.col_expr(Column::Ownership, Expr::value(v.as_str()));
    }
    if let Some(v) = b.industry {
        changes.insert("industry".into(), json!(v));
        change = change.col_expr(Column::Industry, Expr::value(v));
    }
    if let Some(v) = b.address {
        changes.insert("address".into(), json!(v));
        change = change.col_expr(Column::Address, Expr::value(v));
    }
    if let Some(v) = b.union_founded_on {
        changes.insert("union_founded_on".into(), json!(v));
        change = change.col_expr(Column::UnionFoundedOn, Expr::value(v));
    }
    if let Some(v) = b.headcount {
        changes.insert("headcount".into(), json!(v));
        change = change.col_expr(Column::Headcount, Expr::value(v));
    }
    if let Some(v) = b.member_count {
        changes.insert("member_count".into(), json!(v));
        change = change.col_expr(Column::MemberCount, Expr::value(v));
    }
    if let Some(v) = b.overcapacity {
        changes.insert("overcapacity".into(), json!(v));
        change = change.col_expr(Column::Overcapacity, Expr::value(v));
    }
    let e = versioning::save(
        &state.db,
        &caller.actor(),
        change,
        e.id,
        Event::new("enterprise.update")
            .on("enterprise", e.id)
            .changes(changes.into()),
    )
    .await?;
    Ok(ok_versioned(
        e.version,
        &PRESENT.one(&state.db, &caller.scope(), e).await?,
    ))
}

const KIND: RecordKind = RecordKind {
    resource: "enterprise",
    archive: "enterprise.archive",
    restore: "enterprise.restore",
};

async fn set_status(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    if_match: IfMatch,
    to: &'static str,
) -> Result<HttpResponse, ApiError> {
    caller.require(&state.db, Permission::RegistryWrite).await?;
    let e = queries::find(&state.db, &caller.scope(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let e = set_record_status::<enterprises::Entity>(
        &state.db,
        caller,
        (e.id, e.version, &e.status),
        if_match,
        Column::Status,
        to,
        &KIND,
    )
    .await?;
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
    extensions(("x-permission" = json!("registry.write"))),
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
    extensions(("x-permission" = json!("registry.write"))),
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
pub const PRESENT: export::Presenter<enterprises::Model, EnterpriseResponse> = export::Presenter {
    refers_to: |e| Refs::org(e.org_id),
    respond: |e, names| EnterpriseResponse::from(e).named(names),
};
