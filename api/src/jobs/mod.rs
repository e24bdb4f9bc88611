//! Running jobs: the runner loop and the table of job kinds. The queue itself (enqueue inside a
//! unit of work, claim under a lease, progress, finish, release) is the core's
//! (`siji_core::jobs`), re-exported here.

pub mod kinds;
pub mod runner;

pub use kinds::JobKind;
pub use siji_core::jobs::*;

use crate::auth::tokens::PrincipalKind;

/// The principal a stored job runs as.
pub fn parse_principal_kind(kind: &str) -> Option<PrincipalKind> {
    match kind {
        "user" => Some(PrincipalKind::User),
        "client" => Some(PrincipalKind::Client),
        _ => None,
    }
}

use actix_web::HttpResponse;
use actix_web::http::StatusCode;

use crate::auth::Caller;
use crate::http::ApiError;
use crate::http::idempotency::{self, Key, Replayable};
use crate::resources::jobs::dto::JobResponse;
use crate::state::AppState;

/// Accept long work as a job of `kind`, once per `Idempotency-Key`: the key, the job and the
/// `202 Accepted` that names it (its URL in `Location`) commit together; then the runners are
/// woken. A repeated key answers the same job.
pub async fn accept(
    state: &AppState,
    caller: &Caller,
    key: Option<Key>,
    kind: JobKind,
    params: serde_json::Value,
    payload: Option<Vec<u8>>,
) -> Result<HttpResponse, ApiError> {
    let ctx = caller.context(state);
    let now = ctx.clock.now();
    let response = idempotency::once(key, &state.db, now, ctx.begin(), async |work| {
        let job = enqueue(
            work.conn(),
            &caller.actor(),
            NewJob {
                kind: kind.as_str(),
                params,
                payload,
                max_attempts: state.settings.jobs.max_attempts,
            },
            now,
        )
        .await?;
        let body = JobResponse::from_model(&job)?;
        Replayable::with_status(StatusCode::ACCEPTED, &body, Some(body.url.clone()))
    })
    .await?;
    state.jobs.wake();
    Ok(response)
}
