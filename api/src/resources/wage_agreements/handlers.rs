//! Agreement handlers. State changes are explicit operations (sign, file, terminate), each
//! checked, conditional on the version (`If-Match`), and audited.

use std::collections::HashSet;

use actix_web::{HttpResponse, get, post, web};
use chrono::{Datelike, NaiveDate, Utc};
use entity::{negotiation_rounds, wage_agreement_enterprises as links, wage_agreements};
use sea_orm::sea_query::{Expr, ExprTrait, Query as SqlQuery};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, Order, PaginatorTrait, QueryFilter,
    TransactionTrait,
};
use serde_json::json;
use siji_openapi::tags;
use uuid::Uuid;

use super::dto::*;
use super::queries;
use crate::audit::{self, Event};
use crate::auth::{Caller, Permission};
use crate::http::concurrency::{created_versioned, ok_versioned};
use crate::http::pagination::page_by_id;
use crate::http::{ApiError, ErrorCode, FieldError, IfMatch, Json, Page, PageRequest, Query};
use crate::resources::enterprises::queries as enterprises;
use crate::resources::orgs::queries as orgs;
use crate::state::AppState;
use crate::versioning;

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

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
        today(),
    );
    Ok(if status == 201 {
        created_versioned(format!("/api/v1/wage-agreements/{id}"), version, &body)
    } else {
        ok_versioned(version, &body)
    })
}

fn wrong_state(detail: &str) -> ApiError {
    ApiError::Conflict {
        code: ErrorCode::Conflict,
        detail: detail.to_owned(),
    }
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
    extensions(("x-permission" = json!("agreements.write"))),
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
    caller
        .require(&state.db, Permission::AgreementsWrite)
        .await?;
    let a = register(&state, &caller, body.into_inner(), None, "api").await?;
    respond_one(&state, a, 201).await
}

/// Record one agreement (from the API or an import row), optionally already signed and filed:
/// every rule of `sign` and `file` is checked first, then the agreement, its enterprises and
/// its audit event are written in one transaction.
pub async fn register(
    state: &AppState,
    caller: &Caller,
    b: CreateAgreementRequest,
    signed: Option<(SignRequest, Option<FileRequest>)>,
    via: &str,
) -> Result<wage_agreements::Model, ApiError> {
    let ids: Vec<Uuid> = b
        .enterprise_ids
        .iter()
        .copied()
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    if b.scope == AgreementScope::Enterprise && ids.len() != 1 {
        return Err(ApiError::field(
            "enterprise_ids",
            "one_enterprise",
            "a single-enterprise agreement covers exactly one enterprise",
        ));
    }
    let scope = caller.scope();
    let org = orgs::find(&state.db, &scope, b.org_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let visible = enterprises::scoped(&scope)
        .filter(entity::enterprises::Column::Id.is_in(ids.clone()))
        .count(&state.db)
        .await?;
    if visible != ids.len() as u64 {
        return Err(ApiError::NotFound);
    }
    let mut status = AgreementStatus::Negotiating;
    // Recorded as signed: the rules of signing are checked in the transaction that writes it,
    // under the covered enterprises' lock, so two agreements cannot both pass the overlap rule.
    let txn = state.db.begin().await?;
    if let Some((terms, filing)) = &signed {
        queries::lock_enterprises(&txn, &ids).await?;
        check_terms(&txn, None, b.text_type.as_str(), &ids, terms).await?;
        status = AgreementStatus::Signed;
        if let Some(filing) = filing {
            if filing.filed_on < terms.signed_on {
                return Err(ApiError::field(
                    "filed_on",
                    "before_signing",
                    "must not be before the agreement was signed",
                ));
            }
            status = AgreementStatus::Filed;
        }
    }
    let (terms, filing) = match signed {
        Some((terms, filing)) => (Some(terms), filing),
        None => (None, None),
    };
    let now = Utc::now();
    let row = wage_agreements::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(org.id),
        title: Set(b.title.trim().to_owned()),
        scope: Set(b.scope.as_str().to_owned()),
        mode: Set(b.mode.as_str().to_owned()),
        text_type: Set(b.text_type.as_str().to_owned()),
        industry: Set(b.industry),
        status: Set(status.as_str().to_owned()),
        signed_on: Set(terms.as_ref().map(|t| t.signed_on)),
        effective_from: Set(terms.as_ref().map(|t| t.effective_from)),
        effective_to: Set(terms.as_ref().map(|t| t.effective_to)),
        wage_rise_bp: Set(terms.as_ref().map(|t| t.wage_rise_bp)),
        minimum_wage_fen: Set(terms.as_ref().map(|t| t.minimum_wage_fen)),
        workers_covered: Set(terms.as_ref().map(|t| t.workers_covered)),
        filed_on: Set(filing.as_ref().map(|f| f.filed_on)),
        filing_number: Set(filing.map(|f| f.filing_number)),
        terminated_on: Set(None),
        termination_reason: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    };
    let a = wage_agreements::Entity::insert(row)
        .exec_with_returning(&txn)
        .await?;
    let links = ids.iter().map(|e| links::ActiveModel {
        agreement_id: Set(a.id),
        enterprise_id: Set(*e),
    });
    links::Entity::insert_many(links)
        .exec_without_returning(&txn)
        .await?;
    let changes = json!({ "title": a.title, "scope": a.scope, "mode": a.mode, "text_type": a.text_type, "status": a.status,
                          "effective_from": a.effective_from, "effective_to": a.effective_to, "enterprises": ids.len(), "via": via });
    audit::record(
        &txn,
        &caller.actor(),
        Event::new("wage_agreement.create")
            .on("wage_agreement", a.id)
            .changes(changes),
    )
    .await?;
    txn.commit().await?;
    Ok(a)
}

/// Get an agreement, with the enterprises it covers and its negotiation rounds.
#[utoipa::path(
    tag = tags::AGREEMENTS,
    operation_id = "get_wage_agreement",
    params(("id" = Uuid, Path, description = "Agreement id")),
    extensions(("x-permission" = json!("agreements.read"))),
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
    caller
        .require(&state.db, Permission::AgreementsRead)
        .await?;
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
    extensions(("x-permission" = json!("agreements.read"))),
    responses((status = 200, description = "One page", body = Page<AgreementResponse>)),
)]
#[get("/wage-agreements")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<AgreementListQuery>,
) -> Result<HttpResponse, ApiError> {
    use wage_agreements::Column as A;
    caller
        .require(&state.db, Permission::AgreementsRead)
        .await?;
    let q = query.into_inner();
    let page = PageRequest::new(q.limit, q.cursor.as_deref(), q.count)?;
    let day = today();
    let mut select = queries::scoped(&caller.scope());
    if let Some(status) = q.status {
        let live = [
            AgreementStatus::Signed.as_str(),
            AgreementStatus::Filed.as_str(),
        ];
        select = match status {
            AgreementStatus::Expired => select
                .filter(A::Status.is_in(live))
                .filter(A::EffectiveTo.lt(day)),
            AgreementStatus::Signed | AgreementStatus::Filed => select
                .filter(A::Status.eq(status.as_str()))
                .filter(A::EffectiveTo.gte(day)),
            other => select.filter(A::Status.eq(other.as_str())),
        };
    }
    if let Some(s) = q.scope {
        select = select.filter(A::Scope.eq(s.as_str()));
    }
    if let Some(m) = q.mode {
        select = select.filter(A::Mode.eq(m.as_str()));
    }
    if let Some(t) = q.text_type {
        select = select.filter(A::TextType.eq(t.as_str()));
    }
    if let Some(e) = q.enterprise_id {
        let covering = SqlQuery::select()
            .column(links::Column::AgreementId)
            .from(links::Entity)
            .and_where(Expr::col(links::Column::EnterpriseId).eq(e))
            .to_owned();
        select = select.filter(A::Id.in_subquery(covering));
    }
    if let Some(days) = q.expiring_within_days {
        let until = day + chrono::Days::new(u64::from(days));
        select = select
            .filter(A::Status.is_in([
                AgreementStatus::Signed.as_str(),
                AgreementStatus::Filed.as_str(),
            ]))
            .filter(A::EffectiveTo.gte(day))
            .filter(A::EffectiveTo.lte(until));
    }
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
    extensions(("x-permission" = json!("agreements.write"))),
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
    caller
        .require(&state.db, Permission::AgreementsWrite)
        .await?;
    let b = body.into_inner();
    let a = queries::find(&state.db, &caller.scope(), *id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if a.status != AgreementStatus::Negotiating.as_str() {
        return Err(wrong_state(
            "rounds are recorded while the agreement is being negotiated",
        ));
    }
    let round = negotiation_rounds::ActiveModel {
        id: Set(Uuid::now_v7()),
        agreement_id: Set(a.id),
        held_on: Set(b.held_on),
        parties: Set(b.parties),
        outcome: Set(b.outcome),
        created_at: Set(Utc::now()),
    };
    let txn = state.db.begin().await?;
    negotiation_rounds::Entity::insert(round)
        .exec_without_returning(&txn)
        .await?;
    audit::record(
        &txn,
        &caller.actor(),
        Event::new("wage_agreement.round")
            .on("wage_agreement", a.id)
            .changes(json!({ "held_on": b.held_on })),
    )
    .await?;
    txn.commit().await?;
    respond_one(&state, a, 201).await
}

/// The rules of signing: the term (at most three years, in order, signed by today), the
/// statutory minimum wage of every covered enterprise, and no overlapping agreement of the same
/// text type (409). Used by `sign` and by the import.
pub async fn check_terms(
    db: &impl sea_orm::ConnectionTrait,
    exclude: Option<Uuid>,
    text_type: &str,
    enterprise_ids: &[Uuid],
    b: &SignRequest,
) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    if b.effective_to < b.effective_from {
        errors.push(FieldError::new(
            "effective_to",
            "before_start",
            "must not be before effective_from",
        ));
    } else if b.effective_to > longest_term_end(b.effective_from) {
        errors.push(FieldError::new(
            "effective_to",
            "term_too_long",
            "the term may run at most three years",
        ));
    }
    if b.signed_on > today() {
        errors.push(FieldError::new(
            "signed_on",
            "in_future",
            "must not be in the future",
        ));
    }
    if let Some(required) = queries::statutory_minimum(db, enterprise_ids, b.effective_from).await?
        && b.minimum_wage_fen < required
    {
        errors.push(FieldError::new(
            "minimum_wage_fen",
            "below_statutory_minimum",
            format!("must be at least the local statutory minimum of {required} fen"),
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    if queries::overlapping(
        db,
        exclude,
        text_type,
        enterprise_ids,
        b.effective_from,
        b.effective_to,
    )
    .await?
    {
        return Err(wrong_state(
            "a covered enterprise already has an agreement of this text type in force during this term",
        ));
    }
    Ok(())
}

/// The day before the third anniversary of `from`: the longest term allowed.
fn longest_term_end(from: NaiveDate) -> NaiveDate {
    let anniversary = from
        .with_year(from.year() + 3)
        .unwrap_or_else(|| from + chrono::Days::new(3 * 365));
    anniversary.pred_opt().unwrap_or(anniversary)
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
    extensions(("x-permission" = json!("agreements.write"))),
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
    use wage_agreements::Column as A;
    caller
        .require(&state.db, Permission::AgreementsWrite)
        .await?;
    let b = body.into_inner();
    let a = queries::find(&state.db, &caller.scope(), *id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if_match.check(a.version)?;
    if a.status != AgreementStatus::Negotiating.as_str() {
        return Err(wrong_state(
            "only an agreement under negotiation can be signed",
        ));
    }
    let (covered, _) = queries::details(&state.db, &[a.id]).await?;
    let enterprise_ids = covered.get(&a.id).cloned().unwrap_or_default();
    // The overlap rule and the write in one transaction, under the covered enterprises' lock.
    let txn = state.db.begin().await?;
    queries::lock_enterprises(&txn, &enterprise_ids).await?;
    check_terms(&txn, Some(a.id), &a.text_type, &enterprise_ids, &b).await?;
    let change = versioning::update::<wage_agreements::Entity>(a.id, a.version, Utc::now())
        .col_expr(A::Status, Expr::value(AgreementStatus::Signed.as_str()))
        .col_expr(A::SignedOn, Expr::value(b.signed_on))
        .col_expr(A::EffectiveFrom, Expr::value(b.effective_from))
        .col_expr(A::EffectiveTo, Expr::value(b.effective_to))
        .col_expr(A::WageRiseBp, Expr::value(b.wage_rise_bp))
        .col_expr(A::MinimumWageFen, Expr::value(b.minimum_wage_fen))
        .col_expr(A::WorkersCovered, Expr::value(b.workers_covered));
    let changes = json!({ "signed_on": b.signed_on, "effective_from": b.effective_from, "effective_to": b.effective_to,
                          "wage_rise_bp": b.wage_rise_bp, "minimum_wage_fen": b.minimum_wage_fen });
    let event = Event::new("wage_agreement.sign")
        .on("wage_agreement", a.id)
        .changes(changes);
    let a = versioning::save_in(&txn, &caller.actor(), change, a.id, event).await?;
    txn.commit().await?;
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
    extensions(("x-permission" = json!("agreements.write"))),
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
    use wage_agreements::Column as A;
    caller
        .require(&state.db, Permission::AgreementsWrite)
        .await?;
    let b = body.into_inner();
    let a = queries::find(&state.db, &caller.scope(), *id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if_match.check(a.version)?;
    if a.status != AgreementStatus::Signed.as_str() {
        return Err(wrong_state("only a signed agreement can be filed"));
    }
    if a.signed_on.is_some_and(|signed| b.filed_on < signed) {
        return Err(ApiError::field(
            "filed_on",
            "before_signing",
            "must not be before the agreement was signed",
        ));
    }
    let change = versioning::update::<wage_agreements::Entity>(a.id, a.version, Utc::now())
        .col_expr(A::Status, Expr::value(AgreementStatus::Filed.as_str()))
        .col_expr(A::FiledOn, Expr::value(b.filed_on))
        .col_expr(A::FilingNumber, Expr::value(b.filing_number.clone()));
    let event = Event::new("wage_agreement.file")
        .on("wage_agreement", a.id)
        .changes(json!({ "filed_on": b.filed_on, "filing_number": b.filing_number }));
    let a = versioning::save(&state.db, &caller.actor(), change, a.id, event).await?;
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
    extensions(("x-permission" = json!("agreements.write"))),
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
    use wage_agreements::Column as A;
    caller
        .require(&state.db, Permission::AgreementsWrite)
        .await?;
    let b = body.into_inner();
    let a = queries::find(&state.db, &caller.scope(), *id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if_match.check(a.version)?;
    // Stored status, not the derived `expired`: staff also record terminations after the fact.
    if ![
        AgreementStatus::Signed.as_str(),
        AgreementStatus::Filed.as_str(),
    ]
    .contains(&a.status.as_str())
    {
        return Err(wrong_state(
            "only a signed or filed agreement can be terminated",
        ));
    }
    let within = a.effective_from.is_some_and(|f| b.terminated_on >= f)
        && a.effective_to.is_some_and(|t| b.terminated_on <= t);
    if !within {
        return Err(ApiError::field(
            "terminated_on",
            "outside_term",
            "must lie within the agreement's term",
        ));
    }
    let change = versioning::update::<wage_agreements::Entity>(a.id, a.version, Utc::now())
        .col_expr(A::Status, Expr::value(AgreementStatus::Terminated.as_str()))
        .col_expr(A::TerminatedOn, Expr::value(b.terminated_on))
        .col_expr(A::TerminationReason, Expr::value(b.reason.clone()));
    let event = Event::new("wage_agreement.terminate")
        .on("wage_agreement", a.id)
        .changes(json!({ "terminated_on": b.terminated_on, "reason": b.reason }));
    let a = versioning::save(&state.db, &caller.actor(), change, a.id, event).await?;
    respond_one(&state, a, 200).await
}
