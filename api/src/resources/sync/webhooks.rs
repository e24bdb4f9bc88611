//! The webhook handlers: a machine client registers, lists and removes its endpoints, and reads
//! each delivery with its tries. The notifications themselves are cut and posted by the job
//! runners (`jobs::runner`, `sync::delivery`).

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, post, web};
use siji_core::sync::webhooks::{self, NewWebhook};
use siji_openapi::tags;
use uuid::Uuid;

use super::dto::*;
use crate::auth::Caller;
use crate::http::pagination::{decode_cursor, encode_cursor};
use crate::http::{ApiError, Json, Page, Query};
use crate::state::AppState;

/// Register a webhook (变更通知).
///
/// Siji posts a notification to `url` whenever changes of `kinds` commit in your subtree: a JSON
/// body naming each change (`kind`, `id`, `op`, `version`, `cursor`) and the `next_cursor` — never
/// a record, never personal data; read the records from `GET /api/v1/sync/changes` as usual.
/// Notifications start with the changes that commit after registration, at most 500 changes
/// each, cut in commit order (the body is the `Notification` schema). A retried notification
/// can arrive after a later one: treat them as hints and read the feed with your own cursor.
/// Should notifications stop for longer than the log keeps changes, the next one says
/// `cursor_expired: true` (with no changes, if none came since): resync from `resync`.
///
/// **Verify every notification.** The request carries `Siji-Signature: t=<unix seconds>,v1=<hex>`,
/// where `v1` is HMAC-SHA256 under the `signing_secret` (shown only in this answer) of
/// `<t>.<raw body>`; compare in constant time and refuse a `t` more than five minutes old. It
/// also carries `Siji-Delivery` (the delivery's id: take each once) and `Siji-Webhook`.
///
/// **Answer 2xx within 10 seconds**; anything else, or no answer, is tried again with a doubling
/// wait (8 tries by default), then given up — the changes stay in the feed, so a client that
/// missed a notification loses nothing. `GET /api/v1/sync/webhooks/{id}/deliveries` shows every
/// delivery and each try. HTTPS only. Only machine clients; at most 10 active webhooks each.
#[utoipa::path(
    tag = tags::SYNC,
    operation_id = "sync_create_webhook",
    request_body = CreateWebhookRequest,
    extensions(("x-permission" = json!(siji_core::registry::workers::READ))),
    responses(
        (status = 201, description = "Registered; `signing_secret` is shown this once", body = WebhookResponse,
            headers(("Location" = String, description = "URL of the new webhook"))),
        (status = 409, response = crate::http::responses::Conflict),
    ),
)]
#[post("/sync/webhooks")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<CreateWebhookRequest>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let ctx = caller.context(&state);
    let (hook, secret) = webhooks::register(
        &ctx,
        NewWebhook {
            url: b.url,
            kinds: b.kinds,
        },
        state.settings.sync.webhook_allow_http,
    )
    .await?;
    let location = format!("/api/v1/sync/webhooks/{}", hook.id);
    let mut shown = WebhookResponse::from(hook);
    shown.signing_secret = Some(secret);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(shown))
}

/// List your webhooks.
///
/// Your webhooks, removed ones too, oldest first. The signing secret is never shown again.
#[utoipa::path(
    tag = tags::SYNC,
    operation_id = "sync_list_webhooks",
    params(WebhookPageQuery),
    extensions(("x-permission" = json!(siji_core::registry::workers::READ))),
    responses((status = 200, description = "One page", body = Page<WebhookResponse>)),
)]
#[get("/sync/webhooks")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<WebhookPageQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let after: Option<Uuid> = q.cursor.as_deref().map(decode_cursor).transpose()?;
    let limit = u64::from(q.limit.unwrap_or(50));
    let rows = webhooks::list(&caller.context(&state), after, limit).await?;
    let next_cursor = match rows.last() {
        Some(last) if rows.len() as u64 == limit => Some(encode_cursor(&last.id)),
        _ => None,
    };
    Ok(HttpResponse::Ok().json(Page {
        items: rows.into_iter().map(WebhookResponse::from).collect(),
        next_cursor,
        total: None,
    }))
}

/// Remove a webhook.
///
/// Nothing more is sent to it; deliveries not yet taken are `cancelled`. Its deliveries stay
/// readable. The client itself, or an administrator over its organisation (`clients.write`),
/// may remove it; another client's webhook is not found.
#[utoipa::path(
    tag = tags::SYNC,
    operation_id = "sync_remove_webhook",
    params(("id" = Uuid, Path, description = "Webhook id")),
    extensions(("x-permission" = json!(siji_core::registry::workers::READ))),
    responses(
        (status = 200, description = "Removed", body = WebhookResponse),
        (status = 404, response = crate::http::responses::NotFound),
    ),
)]
#[delete("/sync/webhooks/{id}")]
pub async fn remove(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let hook = webhooks::remove(&caller.context(&state), path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(WebhookResponse::from(hook)))
}

/// List a webhook's deliveries.
///
/// Its notifications, newest first, each with its status (`pending`, `delivered`, `failed`,
/// `cancelled`), the body posted and every try (when, the endpoint's status or why it could not
/// be reached, how long it took). For the client itself, or an administrator over its
/// organisation (`clients.read`) finding out why a connector misses notifications.
#[utoipa::path(
    tag = tags::SYNC,
    operation_id = "sync_webhook_deliveries",
    params(("id" = Uuid, Path, description = "Webhook id"), WebhookPageQuery),
    extensions(("x-permission" = json!(siji_core::registry::workers::READ))),
    responses(
        (status = 200, description = "One page, newest first", body = Page<DeliveryResponse>),
        (status = 404, response = crate::http::responses::NotFound),
    ),
)]
#[get("/sync/webhooks/{id}/deliveries")]
pub async fn deliveries(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
    query: Query<WebhookPageQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let before: Option<Uuid> = q.cursor.as_deref().map(decode_cursor).transpose()?;
    let limit = u64::from(q.limit.unwrap_or(50));
    let ctx = caller.context(&state);
    let rows = webhooks::deliveries(&ctx, path.into_inner(), before, limit).await?;
    let next_cursor = match rows.last() {
        Some((last, _)) if rows.len() as u64 == limit => Some(encode_cursor(&last.id)),
        _ => None,
    };
    let items = rows
        .into_iter()
        .map(|(d, attempts)| DeliveryResponse {
            id: d.id,
            status: match d.status.as_str() {
                webhooks::DELIVERED => DeliveryStatus::Delivered,
                webhooks::FAILED => DeliveryStatus::Failed,
                webhooks::CANCELLED => DeliveryStatus::Cancelled,
                _ => DeliveryStatus::Pending,
            },
            changes: d.changes,
            attempts: d.attempts,
            created_at: d.created_at,
            delivered_at: d.delivered_at,
            payload: serde_json::from_str(&d.payload).unwrap_or_default(),
            attempt_log: attempts
                .into_iter()
                .map(|a| AttemptResponse {
                    attempted_at: a.attempted_at,
                    status_code: a.status_code,
                    error: a.error,
                    duration_ms: a.duration_ms,
                })
                .collect(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(Page {
        items,
        next_cursor,
        total: None,
    }))
}
