//! The work of a webhook delivery job: post the notification, signed, and keep what the endpoint
//! answered. A refusal or an unreachable endpoint is a failed attempt the runner retries with
//! backoff; after the last one the delivery is given up (`failed`), and the client still finds
//! every change in the feed.

use std::time::{Duration, Instant};

use siji_core::pii::PiiField;
use siji_core::sync::webhooks::{self, Attempt};

use crate::auth::Caller;
use crate::http::ApiError;
use crate::state::AppState;

/// Post the delivery named by the job's params, as the client that owns it.
pub async fn run(
    state: &AppState,
    caller: &Caller,
    job: &entity::jobs::Model,
) -> Result<serde_json::Value, ApiError> {
    let params: serde_json::Value = serde_json::from_str(&job.params)
        .map_err(|e| ApiError::Internal(format!("delivery job params: {e}")))?;
    let id = params["delivery_id"]
        .as_str()
        .and_then(|s| uuid::Uuid::parse_str(s).ok())
        .ok_or_else(|| ApiError::Internal("a delivery job without its delivery".into()))?;
    let (delivery, hook) = webhooks::delivery(&state.db, caller.id, id).await?;
    if delivery.status != webhooks::PENDING {
        return Ok(serde_json::json!({ "delivery_id": id, "status": delivery.status }));
    }
    if !hook.active {
        webhooks::cancel(&state.db, id).await?;
        return Ok(serde_json::json!({ "delivery_id": id, "status": webhooks::CANCELLED }));
    }
    let secret = state
        .pii
        .decrypt(PiiField::SigningSecret, &hook.signing_secret_enc)?;
    let now = state.clock.now();
    let signature = webhooks::signature(&secret, now.timestamp(), &delivery.payload)?;
    let settings = &state.settings.sync;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(settings.webhook_timeout_secs.max(1)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("Siji-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| ApiError::Internal(format!("the webhook client: {e}")))?;
    let started = Instant::now();
    let sent = client
        .post(&hook.url)
        .header("content-type", "application/json")
        .header("siji-signature", signature)
        .header("siji-delivery", id.to_string())
        .header("siji-webhook", hook.id.to_string())
        .body(delivery.payload.clone())
        .send()
        .await;
    let attempt = Attempt {
        at: now,
        status_code: sent.as_ref().ok().map(|r| r.status().as_u16()),
        // What went wrong, without the URL (it may carry a token of the client's).
        error: sent.as_ref().err().map(|e| {
            if e.is_timeout() {
                "the endpoint did not answer in time".to_owned()
            } else if e.is_connect() {
                "the endpoint could not be reached".to_owned()
            } else {
                "the request to the endpoint failed".to_owned()
            }
        }),
        duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    };
    let last = job.attempts >= job.max_attempts;
    webhooks::record_attempt(&state.db, id, &attempt, last).await?;
    if attempt.succeeded() {
        return Ok(serde_json::json!({
            "delivery_id": id, "status": webhooks::DELIVERED, "status_code": attempt.status_code,
        }));
    }
    Err(ApiError::Unavailable(match attempt.status_code {
        Some(code) => format!("the webhook endpoint answered {code}"),
        None => attempt.error.unwrap_or_default(),
    }))
}
