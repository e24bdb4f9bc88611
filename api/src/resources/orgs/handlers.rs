//! Organisation handlers: extract, call the core's organisation operation, respond.

use std::collections::HashMap;

use actix_web::{HttpResponse, get, patch, post, web};
use entity::orgs::{self, Column};
use sea_orm::{ColumnTrait, QueryFilter};
use siji_openapi::tags;
use uuid::Uuid;

use super::dto::*;
use crate::auth::Caller;
use crate::http::concurrency::{created_versioned, ok_versioned};
use crate::http::pagination::page_by_id;
use crate::http::{ApiError, IfMatch, Json, Page, PageRequest, Query};
use crate::state::AppState;
use sea_orm::Order;
use siji_core::registry::orgs as queries;

/// Create an organisation.
///
/// Adds a county/district federation, township/street union or enterprise union under a parent
/// in your subtree. The level must be below the parent's (城市 → 县市区 → 乡镇街道 → 企业).
#[utoipa::path(
    tag = tags::ORGS,
    operation_id = "create_org",
    request_body = CreateOrgRequest,
    extensions(("x-permission" = json!(queries::WRITE))),
    responses(
        (status = 201, description = "Created", body = OrgResponse,
            headers(("Location" = String, description = "URL of the new organisation"), ("ETag" = String, description = "Its version"))),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
    ),
)]
#[post("/orgs")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<CreateOrgRequest>,
) -> Result<HttpResponse, ApiError> {
    let org = queries::create(&caller.context(&state), body.into_inner().into()).await?;
    Ok(created_versioned(
        format!("/api/v1/orgs/{}", org.id),
        org.version,
        &OrgResponse::from(org),
    ))
}

/// Get an organisation.
///
/// Organisations outside your subtree answer 404, exactly like ones that do not exist.
#[utoipa::path(
    tag = tags::ORGS,
    operation_id = "get_org",
    params(("id" = Uuid, Path, description = "Organisation id")),
    extensions(("x-permission" = json!(queries::READ))),
    responses(
        (status = 200, description = "The organisation", body = OrgResponse, headers(("ETag" = String, description = "Its version"))),
        (status = 404, response = crate::http::responses::NotFound),
    ),
)]
#[get("/orgs/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&state.db, queries::READ).await?;
    let org = queries::find(&state.db, &caller.scope(), *id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(ok_versioned(org.version, &OrgResponse::from(org)))
}

/// List organisations.
///
/// A flat, keyset-paginated list of your subtree (your own organisation included), oldest
/// first. Filter by parent or level.
#[utoipa::path(
    tag = tags::ORGS,
    operation_id = "list_orgs",
    params(OrgListQuery),
    extensions(("x-permission" = json!(queries::READ))),
    responses((status = 200, description = "One page", body = Page<OrgResponse>)),
)]
#[get("/orgs")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<OrgListQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&state.db, queries::READ).await?;
    let q = query.into_inner();
    let page = PageRequest::new(q.limit, q.cursor.as_deref(), q.count)?;
    let mut select = caller.scope().orgs();
    if let Some(parent) = q.parent_id {
        select = select.filter(Column::ParentId.eq(parent));
    }
    if let Some(level) = q.level {
        select = select.filter(Column::Level.eq(level.as_str()));
    }
    let page = page_by_id(&state.db, select, Column::Id, |o| o.id, &page, Order::Asc).await?;
    Ok(HttpResponse::Ok().json(page.map(OrgResponse::from)))
}

/// The organisation tree.
///
/// Your subtree (or the subtree under `root_id`) as nested nodes, children sorted by name.
/// Built from one indexed range query, however deep the tree.
#[utoipa::path(
    tag = tags::ORGS,
    operation_id = "org_tree",
    params(OrgTreeQuery),
    extensions(("x-permission" = json!(queries::READ))),
    responses(
        (status = 200, description = "The tree", body = OrgTreeNode, example = json!({
            "id": "0193a5b2-6a00-7000-8000-000000000001", "level": "city", "name": "济宁市总工会", "division_code": "370800",
            "children": [{"id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12", "level": "county", "name": "任城区总工会", "division_code": "370811", "children": []}]
        })),
        (status = 404, response = crate::http::responses::NotFound),
    ),
)]
#[get("/orgs/tree")]
pub async fn tree(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<OrgTreeQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&state.db, queries::READ).await?;
    let root = match query.0.root_id {
        Some(id) => queries::find(&state.db, &caller.scope(), id)
            .await?
            .ok_or(ApiError::NotFound)?,
        None => caller.org.clone(),
    };
    let nodes = queries::subtree(&state.db, &root).await?;
    Ok(HttpResponse::Ok().json(build_tree(root.id, nodes)))
}

fn build_tree(root_id: Uuid, nodes: Vec<orgs::Model>) -> Option<OrgTreeNode> {
    let mut children: HashMap<Uuid, Vec<orgs::Model>> = HashMap::new();
    let mut root = None;
    for node in nodes {
        if node.id == root_id {
            root = Some(node);
        } else if let Some(parent) = node.parent_id {
            children.entry(parent).or_default().push(node);
        }
    }
    fn attach(node: orgs::Model, children: &mut HashMap<Uuid, Vec<orgs::Model>>) -> OrgTreeNode {
        let mut kids: Vec<OrgTreeNode> = children
            .remove(&node.id)
            .unwrap_or_default()
            .into_iter()
            .map(|c| attach(c, children))
            .collect();
        kids.sort_by(|a, b| a.name.cmp(&b.name));
        OrgTreeNode {
            id: node.id,
            level: OrgLevel::parse(&node.level).unwrap_or(OrgLevel::Enterprise),
            name: node.name,
            division_code: node.division_code,
            children: kids,
        }
    }
    root.map(|r| attach(r, &mut children))
}

/// Update an organisation.
///
/// Rename it or correct its division code or USCC. Send `If-Match` with the `ETag` you read:
/// if the organisation changed since, the answer is 412 and nothing is written.
#[utoipa::path(
    tag = tags::ORGS,
    operation_id = "update_org",
    params(("id" = Uuid, Path, description = "Organisation id"), ("If-Match" = Option<String>, Header, description = "The `ETag` you read, e.g. `\"3\"`")),
    request_body = UpdateOrgRequest,
    extensions(("x-permission" = json!(queries::WRITE))),
    responses(
        (status = 200, description = "Updated", body = OrgResponse, headers(("ETag" = String, description = "The new version"))),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 412, response = crate::http::responses::PreconditionFailed),
    ),
)]
#[patch("/orgs/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<UpdateOrgRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    body.uscc_valid().map_err(|e| {
        ApiError::field(
            "uscc",
            e.code.to_string(),
            e.message.map(|m| m.to_string()).unwrap_or_default(),
        )
    })?;
    let org = queries::update(&caller.context(&state), *id, if_match.0, body.into()).await?;
    Ok(ok_versioned(org.version, &OrgResponse::from(org)))
}

/// Move an organisation.
///
/// Moves the organisation, with everything under it, below another parent. Both must be in
/// your subtree; your own organisation cannot be moved, nor an organisation below itself. The
/// new parent's level must be above the organisation's. Honours `If-Match`.
#[utoipa::path(
    tag = tags::ORGS,
    operation_id = "move_org",
    params(("id" = Uuid, Path, description = "Organisation id"), ("If-Match" = Option<String>, Header, description = "The `ETag` you read")),
    request_body = MoveOrgRequest,
    extensions(("x-permission" = json!(queries::WRITE))),
    responses(
        (status = 200, description = "Moved", body = OrgResponse, headers(("ETag" = String, description = "The new version"))),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 412, response = crate::http::responses::PreconditionFailed),
    ),
)]
#[post("/orgs/{id}/move")]
pub async fn move_org(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<MoveOrgRequest>,
) -> Result<HttpResponse, ApiError> {
    let ctx = caller.context(&state);
    let org = queries::move_to(&ctx, *id, if_match.0, body.into_inner().parent_id).await?;
    Ok(ok_versioned(org.version, &OrgResponse::from(org)))
}
