//! The audit trail, newest first, scoped to the caller's subtree.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use entity::audit_events::{self, Column};
use sea_orm::Order;
use serde::{Deserialize, Serialize};
use siji_core::audit;
use siji_openapi::tags;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::Caller;
use crate::http::pagination::page_by_id;
use crate::http::{ApiError, Page, PageRequest, Query};
use crate::state::AppState;

/// One audit event.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0fcd", "occurred_at": "2026-11-24T09:00:00Z",
    "actor_kind": "user", "actor_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f99", "actor_name": "rencheng.admin",
    "org_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12", "action": "user.create", "outcome": "success",
    "resource_type": "user", "resource_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0faa",
    "request_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f00", "client_ip": "10.1.2.3",
    "changes": {"username": "rencheng.operator", "roles": "operator"}
}))]
pub struct AuditEventResponse {
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    /// `user`, `client`, `anonymous` (failed sign-ins) or `system` (start-up, command line).
    pub actor_kind: String,
    pub actor_id: Option<Uuid>,
    pub actor_name: Option<String>,
    /// The actor's organisation.
    pub org_id: Option<Uuid>,
    /// What happened, e.g. `auth.login`, `user.create`, `org.move`, `permission.denied`.
    pub action: String,
    /// `success`, `failure` or `denied`.
    pub outcome: String,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub request_id: Option<String>,
    pub client_ip: Option<String>,
    /// What changed. Never holds personal data in plaintext, passwords or secrets.
    pub changes: Option<serde_json::Value>,
}

impl From<audit_events::Model> for AuditEventResponse {
    fn from(e: audit_events::Model) -> Self {
        Self {
            id: e.id,
            occurred_at: e.occurred_at,
            actor_kind: e.actor_kind,
            actor_id: e.actor_id,
            actor_name: e.actor_name,
            org_id: e.org_id,
            action: e.action,
            outcome: e.outcome,
            resource_type: e.resource_type,
            resource_id: e.resource_id,
            request_id: e.request_id,
            client_ip: e.client_ip,
            changes: e.changes.and_then(|c| serde_json::from_str(&c).ok()),
        }
    }
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditListQuery {
    /// Only events by this user or client.
    pub actor_id: Option<Uuid>,
    /// Only this action, e.g. `auth.login`.
    #[validate(length(max = 64))]
    #[param(max_length = 64)]
    pub action: Option<String>,
    /// Only events on this kind of record, e.g. `user`.
    #[validate(length(max = 64))]
    #[param(max_length = 64)]
    pub resource_type: Option<String>,
    /// Only events on this record (use with `resource_type`).
    #[validate(length(max = 64))]
    #[param(max_length = 64)]
    pub resource_id: Option<String>,
    /// Only events at or after this time (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Only events before this time (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// Page size, 1–200 (default 50).
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Also return `total`.
    pub count: Option<bool>,
}

/// List audit events.
///
/// Newest first, keyset-paginated. Events are those of actors in your subtree; at the root,
/// also anonymous ones (failed sign-ins with unknown usernames). Filter by actor, action,
/// record and time range.
#[utoipa::path(
    tag = tags::AUDIT,
    operation_id = "list_audit_events",
    params(AuditListQuery),
    extensions(("x-permission" = json!(audit::READ))),
    responses((status = 200, description = "One page", body = Page<AuditEventResponse>)),
)]
#[get("/audit-events")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<AuditListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let filter = audit::AuditFilter {
        actor_id: q.actor_id,
        action: q.action,
        resource_type: q.resource_type,
        resource_id: q.resource_id,
        from: q.from,
        to: q.to,
    };
    let select = audit::list(&caller.context(&state), &filter).await?;
    let page = PageRequest::new(q.limit, q.cursor.as_deref(), q.count)?;
    let page = page_by_id(&state.db, select, Column::Id, |e| e.id, &page, Order::Desc).await?;
    let page = page.map(AuditEventResponse::from);
    Ok(HttpResponse::Ok().json(page))
}
