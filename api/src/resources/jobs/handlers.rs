use actix_web::{HttpResponse, get, web};
use siji_openapi::tags;
use uuid::Uuid;

use super::dto::JobResponse;
use crate::auth::Caller;
use crate::http::ApiError;
use crate::jobs;
use crate::state::AppState;

/// Get a job.
///
/// The state, progress and (when done) the result or the failure of long work you started, such
/// as an import. Poll it until `status` is `succeeded` or `failed` (every second or two is
/// plenty). Only the account that started a job sees it, and administrators
/// (`users.write`) of an organisation above the starter's; any other job answers 404.
#[utoipa::path(
    tag = tags::JOBS,
    operation_id = "get_job",
    params(("id" = Uuid, Path, description = "Job id (from the `Location` of a `202 Accepted`)")),
    extensions(("x-permission" = json!(siji_core::access::AUTHENTICATED))),
    responses(
        (status = 200, description = "The job", body = JobResponse),
        (status = 404, response = crate::http::responses::NotFound),
    ),
)]
#[get("/jobs/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let job = jobs::find_visible(&caller.context(&state), *id).await?;
    Ok(HttpResponse::Ok()
        // A job changes until it ends; never serve it from a cache.
        .insert_header(("Cache-Control", "no-store"))
        .json(JobResponse::from_model(&job)?))
}
