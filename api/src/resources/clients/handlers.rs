//! Machine clients: created for an organisation, with a secret shown exactly once.

use actix_web::{HttpResponse, get, post, web};
use chrono::Utc;
use entity::api_clients::{self, Column};
use sea_orm::{ColumnTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use siji_openapi::tags;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::Caller;
use crate::http::concurrency::{created_versioned, ok_versioned};
use crate::http::pagination::page_by_id;
use crate::http::{ApiError, IfMatch, Json, Page, PageRequest, Query};
use crate::state::AppState;
use sea_orm::Order;
use siji_core::accounts::clients;

/// A machine client. It acts with the `integration` role within its organisation's subtree.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0fab", "client_id": "sc_0193a5b27c1e7d3a9f1e", "name": "任城区职工服务系统",
    "org_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12", "active": true,
    "created_at": "2026-11-24T09:00:00Z", "updated_at": "2026-11-24T09:00:00Z", "version": 1
}))]
pub struct ClientResponse {
    pub id: Uuid,
    /// Send as `client_id` to `POST /api/v1/auth/token`.
    pub client_id: String,
    pub name: String,
    pub org_id: Uuid,
    pub active: bool,
    pub created_at: chrono::DateTime<Utc>,
    pub updated_at: chrono::DateTime<Utc>,
    pub version: i32,
    /// Only in the answer to creation and secret rotation: store it now, it is not shown again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

impl From<api_clients::Model> for ClientResponse {
    fn from(c: api_clients::Model) -> Self {
        Self {
            id: c.id,
            client_id: c.client_id,
            name: c.name,
            org_id: c.org_id,
            active: c.active,
            created_at: c.created_at,
            updated_at: c.updated_at,
            version: c.version,
            client_secret: None,
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "任城区职工服务系统", "org_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12"}))]
pub struct CreateClientRequest {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// The organisation whose subtree the client may reach.
    pub org_id: Uuid,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ClientListQuery {
    /// Only clients of this organisation.
    pub org_id: Option<Uuid>,
    /// Page size, 1–200 (default 50).
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Also return `total`.
    pub count: Option<bool>,
}

/// Create a machine client.
///
/// For a county system that syncs its records. The answer carries `client_secret` once; only
/// its digest is stored.
#[utoipa::path(
    tag = tags::CLIENTS,
    operation_id = "create_client",
    request_body = CreateClientRequest,
    extensions(("x-permission" = json!(clients::WRITE))),
    responses(
        (status = 201, description = "Created; the secret is in this answer only", body = ClientResponse,
            headers(("Location" = String, description = "URL of the new client"), ("ETag" = String, description = "Its version"))),
        (status = 404, response = crate::http::responses::NotFound),
    ),
)]
#[post("/clients")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<CreateClientRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let issued = clients::create(&caller.context(&state), body.name, body.org_id).await?;
    let location = format!("/api/v1/clients/{}", issued.client.id);
    let version = issued.client.version;
    let body = ClientResponse {
        client_secret: Some(issued.secret),
        ..ClientResponse::from(issued.client)
    };
    Ok(created_versioned(location, version, &body))
}

/// List machine clients.
///
/// Clients of your subtree, oldest first, keyset-paginated.
#[utoipa::path(
    tag = tags::CLIENTS,
    operation_id = "list_clients",
    params(ClientListQuery),
    extensions(("x-permission" = json!(clients::READ))),
    responses((status = 200, description = "One page", body = Page<ClientResponse>)),
)]
#[get("/clients")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<ClientListQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&state.db, clients::READ).await?;
    let q = query.into_inner();
    let page = PageRequest::new(q.limit, q.cursor.as_deref(), q.count)?;
    let mut select = clients::scoped(&caller.scope());
    if let Some(org) = q.org_id {
        select = select.filter(Column::OrgId.eq(org));
    }
    let page = page_by_id(&state.db, select, Column::Id, |c| c.id, &page, Order::Asc).await?;
    Ok(HttpResponse::Ok().json(page.map(ClientResponse::from)))
}

/// Get a machine client.
#[utoipa::path(
    tag = tags::CLIENTS,
    operation_id = "get_client",
    params(("id" = Uuid, Path, description = "Client id (not `client_id`)")),
    extensions(("x-permission" = json!(clients::READ))),
    responses(
        (status = 200, description = "The client", body = ClientResponse, headers(("ETag" = String, description = "Its version"))),
        (status = 404, response = crate::http::responses::NotFound),
    ),
)]
#[get("/clients/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&state.db, clients::READ).await?;
    let client = clients::find(&state.db, &caller.scope(), *id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(ok_versioned(client.version, &ClientResponse::from(client)))
}

/// Disable a machine client.
///
/// It can no longer get tokens, and tokens it holds are refused from now on; its webhooks'
/// pending deliveries are cancelled (nothing more is sent to it). Honours `If-Match`.
#[utoipa::path(
    tag = tags::CLIENTS,
    operation_id = "disable_client",
    params(("id" = Uuid, Path, description = "Client id"), ("If-Match" = Option<String>, Header, description = "The `ETag` you read")),
    extensions(("x-permission" = json!(clients::WRITE))),
    responses(
        (status = 200, description = "Disabled", body = ClientResponse),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 412, response = crate::http::responses::PreconditionFailed),
    ),
)]
#[post("/clients/{id}/disable")]
pub async fn disable(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let client = clients::disable(&caller.context(&state), *id, if_match.0).await?;
    Ok(ok_versioned(client.version, &ClientResponse::from(client)))
}

/// Rotate a machine client's secret.
///
/// Issues a new secret (in this answer only) and refuses tokens obtained with the old one.
/// Honours `If-Match`.
#[utoipa::path(
    tag = tags::CLIENTS,
    operation_id = "rotate_client_secret",
    params(("id" = Uuid, Path, description = "Client id"), ("If-Match" = Option<String>, Header, description = "The `ETag` you read")),
    extensions(("x-permission" = json!(clients::WRITE))),
    responses(
        (status = 200, description = "The client with its new secret", body = ClientResponse),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 412, response = crate::http::responses::PreconditionFailed),
    ),
)]
#[post("/clients/{id}/rotate-secret")]
pub async fn rotate_secret(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let issued = clients::rotate_secret(&caller.context(&state), *id, if_match.0).await?;
    Ok(ok_versioned(
        issued.client.version,
        &ClientResponse {
            client_secret: Some(issued.secret),
            ..ClientResponse::from(issued.client)
        },
    ))
}
