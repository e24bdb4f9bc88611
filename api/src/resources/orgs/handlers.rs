//! Organisation handlers: extract, authorise, call the scoped queries, respond.

use std::collections::HashMap;

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::Utc;
use entity::orgs::{self, Column};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use serde_json::json;
use siji_openapi::tags;
use uuid::Uuid;

use super::dto::*;
use crate::audit::{self, Event};
use crate::auth::{Caller, Permission};
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
    extensions(("x-permission" = json!("orgs.write"))),
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
    caller.require(&state.db, Permission::OrgsWrite).await?;
    let body = body.into_inner();
    let parent = queries::find(&state.db, &caller.scope(), body.parent_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let parent_level = OrgLevel::parse(&parent.level).unwrap_or(OrgLevel::Enterprise);
    if !body.level.may_be_child_of(parent_level) {
        return Err(ApiError::field(
            "level",
            "below_parent",
            format!(
                "must be below the parent's level ({})",
                parent_level.as_str()
            ),
        ));
    }
    let row = queries::new_org(
        &parent,
        body.level.as_str(),
        body.name,
        body.division_code,
        body.uscc.map(|u| u.to_uppercase()),
    );
    let txn = state.db.begin().await?;
    let org = orgs::Entity::insert(row).exec_with_returning(&txn).await?;
    let changes = json!({ "parent_id": parent.id, "level": org.level, "name": org.name, "division_code": org.division_code });
    audit::record(
        &txn,
        &caller.actor(),
        Event::new("org.create").on("org", org.id).changes(changes),
    )
    .await?;
    txn.commit().await?;
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
    extensions(("x-permission" = json!("orgs.read"))),
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
    caller.require(&state.db, Permission::OrgsRead).await?;
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
    extensions(("x-permission" = json!("orgs.read"))),
    responses((status = 200, description = "One page", body = Page<OrgResponse>)),
)]
#[get("/orgs")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<OrgListQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&state.db, Permission::OrgsRead).await?;
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
    extensions(("x-permission" = json!("orgs.read"))),
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
    caller.require(&state.db, Permission::OrgsRead).await?;
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
    extensions(("x-permission" = json!("orgs.write"))),
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
    caller.require(&state.db, Permission::OrgsWrite).await?;
    let body = body.into_inner();
    body.uscc_valid().map_err(|e| {
        ApiError::field(
            "uscc",
            e.code.to_string(),
            e.message.map(|m| m.to_string()).unwrap_or_default(),
        )
    })?;
    let org = queries::find(&state.db, &caller.scope(), *id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if_match.check(org.version)?;

    let mut change = orgs::Entity::update_many()
        .col_expr(Column::UpdatedAt, Expr::value(Utc::now()))
        .col_expr(Column::Version, Expr::col(Column::Version).add(1));
    let mut changes = serde_json::Map::new();
    if let Some(name) = body.name {
        changes.insert("name".into(), json!(name));
        change = change.col_expr(Column::Name, Expr::value(name));
    }
    if let Some(code) = body.division_code {
        changes.insert("division_code".into(), json!(code));
        change = change.col_expr(Column::DivisionCode, Expr::value(code));
    }
    if let Some(uscc) = body.uscc {
        let uscc = uscc.map(|u| u.to_uppercase());
        changes.insert("uscc".into(), json!(uscc));
        change = change.col_expr(Column::Uscc, Expr::value(uscc));
    }
    let txn = state.db.begin().await?;
    let res = change
        .filter(Column::Id.eq(org.id))
        .filter(Column::Version.eq(org.version))
        .exec(&txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(ApiError::PreconditionFailed);
    }
    audit::record(
        &txn,
        &caller.actor(),
        Event::new("org.update")
            .on("org", org.id)
            .changes(changes.into()),
    )
    .await?;
    let org = orgs::Entity::find_by_id(org.id)
        .one(&txn)
        .await?
        .ok_or(ApiError::NotFound)?;
    txn.commit().await?;
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
    extensions(("x-permission" = json!("orgs.write"))),
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
    caller.require(&state.db, Permission::OrgsWrite).await?;
    let scope = caller.scope();
    let org = queries::find(&state.db, &scope, *id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if_match.check(org.version)?;
    if org.id == caller.org.id {
        return Err(ApiError::Forbidden(
            "you cannot move your own organisation".into(),
        ));
    }
    let parent = queries::find(&state.db, &scope, body.0.parent_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if parent.path.starts_with(&org.path) {
        return Err(ApiError::Conflict {
            code: crate::http::ErrorCode::Conflict,
            detail: "an organisation cannot be moved below itself".into(),
        });
    }
    let level = OrgLevel::parse(&org.level).unwrap_or(OrgLevel::Enterprise);
    let parent_level = OrgLevel::parse(&parent.level).unwrap_or(OrgLevel::Enterprise);
    if !level.may_be_child_of(parent_level) {
        return Err(ApiError::field(
            "parent_id",
            "below_parent",
            format!(
                "a {} cannot sit under a {}",
                level.as_str(),
                parent_level.as_str()
            ),
        ));
    }
    let txn = state.db.begin().await?;
    if !queries::move_subtree(&txn, &org, &parent).await? {
        return Err(ApiError::PreconditionFailed);
    }
    let changes = json!({ "from_parent_id": org.parent_id, "to_parent_id": parent.id });
    audit::record(
        &txn,
        &caller.actor(),
        Event::new("org.move").on("org", org.id).changes(changes),
    )
    .await?;
    let org = orgs::Entity::find_by_id(org.id)
        .one(&txn)
        .await?
        .ok_or(ApiError::NotFound)?;
    txn.commit().await?;
    Ok(ok_versioned(org.version, &OrgResponse::from(org)))
}
