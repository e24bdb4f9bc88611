//! Agreement handlers: extract, call the core's agreement operation, respond. State changes are
//! explicit operations (sign, file, terminate); their rules live in `siji_core::agreements`.

use actix_web::{HttpResponse, get, post, web};
use entity::wage_agreements;
use sea_orm::Order;
use siji_openapi::tags;
use uuid::Uuid;

use super::dto::*;
use crate::auth::Caller;
use crate::http::concurrency::{created_versioned, ok_versioned};
use crate::http::pagination::page_by_id;
use crate::http::{ApiError, IfMatch, Json, Page, PageRequest, Query};
use crate::state::AppState;
use siji_core::agreements::{self, queries};

async fn respond_one(
    state: &AppState,
    a: wage_agreements::Model,
    status: u16,
) -> Result<HttpResponse, ApiError> {
    let (mut covered, mut rounds) = queries::details(&state.db, &[a.id]).await?;
    let (id, version) = (a.id, a.version);
    let body = AgreementResponse::new(
        a,
        covered.remove(&id).unwrap_or_default(),
        rounds.remove(&id).unwrap_or_default(),
        state.clock.today(),
    );
    Ok(if status == 201 {
        created_versioned(format!("/api/v1/wage-agreements/{id}"), version, &body)
    } else {
        ok_versioned(version, &body)
    })
}

/// Open an agreement.
///
/// Starts an agreement in `negotiating` for one enterprise (`scope: enterprise`) or, for an
/// industry-wide (行业性) or regional (区域性) agreement, for the enterprises it will cover. The
/// keeping organisation and every enterprise must be in your subtree.
#[utoipa::path(
    tag = tags::AGREEMENTS,
    operation_id = "create_wage_agreement",
    request_body = CreateAgreementRequest,
    extensions(("x-permission" = json!(agreements::WRITE))),
    responses(
        (status = 201, description = "Opened", body = AgreementResponse,
            headers(("Location" = String, description = "URL of the agreement"), ("ETag" = String, description = "Its version"))),
        (status = 404, response = crate::http::responses::NotFound),
    ),
)]
#[post("/wage-agreements")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<CreateAgreementRequest>,
) -> Result<HttpResponse, ApiError> {
    let a = agreements::open(
        &caller.context(&state),
        body.into_inner().into(),
        None,
        "api",
    )
    .await?;
    respond_one(&state, a, 201).await
}

/// Get an agreement, with the enterprises it covers and its negotiation rounds.
#[utoipa::path(
    tag = tags::AGREEMENTS,
    operation_id = "get_wage_agreement",
    params(("id" = Uuid, Path, description = "Agreement id")),
    extensions(("x-permission" = json!(agreements::READ))),
    responses(
        (status = 200, description = "The agreement", body = AgreementResponse, headers(("ETag" = String, description = "Its version"))),
        (status = 404, response = crate::http::responses::NotFound),
    ),
)]
#[get("/wage-agreements/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&state.db, agreements::READ).await?;
    let a = queries::find(&state.db, &caller.scope(), *id)
        .await?
        .ok_or(ApiError::NotFound)?;
    respond_one(&state, a, 200).await
}

/// List agreements.
///
/// Agreements kept in your subtree, oldest first, keyset-paginated. `expiring_within_days` is
/// the worklist of agreements about to run out; `status=expired` those that have.
#[utoipa::path(
    tag = tags::AGREEMENTS,
    operation_id = "list_wage_agreements",
    params(AgreementListQuery),
    extensions(("x-permission" = json!(agreements::READ))),
    responses((status = 200, description = "One page", body = Page<AgreementResponse>)),
)]
#[get("/wage-agreements")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<AgreementListQuery>,
) -> Result<HttpResponse, ApiError> {
    use wage_agreements::Column as A;
    let q = query.into_inner();
    let select = queries::list(&caller.context(&state), &q.filter()).await?;
    let page = PageRequest::new(q.limit, q.cursor.as_deref(), q.count)?;
    let day = state.clock.today();
    let page = page_by_id(&state.db, select, A::Id, |a| a.id, &page, Order::Asc).await?;
    let ids: Vec<Uuid> = page.items.iter().map(|a| a.id).collect();
    let (mut covered, mut rounds) = queries::details(&state.db, &ids).await?;
    let page = page.map(|a| {
        let id = a.id;
        AgreementResponse::new(
            a,
            covered.remove(&id).unwrap_or_default(),
            rounds.remove(&id).unwrap_or_default(),
            day,
        )
    });
    Ok(HttpResponse::Ok().json(page))
}

/// Record a negotiation round.
///
/// Only while the agreement is being negotiated. Audited.
#[utoipa::path(
    tag = tags::AGREEMENTS,
    operation_id = "add_negotiation_round",
    params(("id" = Uuid, Path, description = "Agreement id")),
    request_body = RoundRequest,
    extensions(("x-permission" = json!(agreements::WRITE))),
    responses(
        (status = 201, description = "Recorded; the agreement with its rounds", body = AgreementResponse),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
    ),
)]
#[post("/wage-agreements/{id}/rounds")]
pub async fn add_round(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<RoundRequest>,
) -> Result<HttpResponse, ApiError> {
    let a = agreements::add_round(&caller.context(&state), *id, body.into_inner().into()).await?;
    respond_one(&state, a, 201).await
}

/// Sign an agreement.
///
/// `negotiating` → `signed`. The term may run at most three years; the agreed minimum wage may
/// not be below the local statutory minimum (最低工资标准) of any covered enterprise's county on
/// the first day of the term; and no covered enterprise may already have an agreement of the
/// same text type in force during the term (409). Honours `If-Match`.
#[utoipa::path(
    tag = tags::AGREEMENTS,
    operation_id = "sign_wage_agreement",
    params(("id" = Uuid, Path, description = "Agreement id"), ("If-Match" = Option<String>, Header, description = "The `ETag` you read")),
    request_body = SignRequest,
    extensions(("x-permission" = json!(agreements::WRITE))),
    responses(
        (status = 200, description = "Signed", body = AgreementResponse),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 412, response = crate::http::responses::PreconditionFailed),
    ),
)]
#[post("/wage-agreements/{id}/sign")]
pub async fn sign(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<SignRequest>,
) -> Result<HttpResponse, ApiError> {
    let a = agreements::sign(
        &caller.context(&state),
        *id,
        if_match.0,
        body.into_inner().into(),
    )
    .await?;
    respond_one(&state, a, 200).await
}

/// File an agreement with the labour bureau (备案).
///
/// `signed` → `filed`, with the filing date and number. Honours `If-Match`.
#[utoipa::path(
    tag = tags::AGREEMENTS,
    operation_id = "file_wage_agreement",
    params(("id" = Uuid, Path, description = "Agreement id"), ("If-Match" = Option<String>, Header, description = "The `ETag` you read")),
    request_body = FileRequest,
    extensions(("x-permission" = json!(agreements::WRITE))),
    responses(
        (status = 200, description = "Filed", body = AgreementResponse),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 412, response = crate::http::responses::PreconditionFailed),
    ),
)]
#[post("/wage-agreements/{id}/file")]
pub async fn file(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<FileRequest>,
) -> Result<HttpResponse, ApiError> {
    let a = agreements::file(
        &caller.context(&state),
        *id,
        if_match.0,
        body.into_inner().into(),
    )
    .await?;
    respond_one(&state, a, 200).await
}

/// Terminate an agreement.
///
/// `signed` or `filed` (also after its term, to record a past termination) → `terminated`, on a
/// day within its term and with a reason. It covers its enterprises until that day. Honours
/// `If-Match`.
#[utoipa::path(
    tag = tags::AGREEMENTS,
    operation_id = "terminate_wage_agreement",
    params(("id" = Uuid, Path, description = "Agreement id"), ("If-Match" = Option<String>, Header, description = "The `ETag` you read")),
    request_body = TerminateRequest,
    extensions(("x-permission" = json!(agreements::WRITE))),
    responses(
        (status = 200, description = "Terminated", body = AgreementResponse),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 412, response = crate::http::responses::PreconditionFailed),
    ),
)]
#[post("/wage-agreements/{id}/terminate")]
pub async fn terminate(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<TerminateRequest>,
) -> Result<HttpResponse, ApiError> {
    let a = agreements::terminate(
        &caller.context(&state),
        *id,
        if_match.0,
        body.into_inner().into(),
    )
    .await?;
    respond_one(&state, a, 200).await
}
