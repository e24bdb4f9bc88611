//! Bank card handlers: extract, call `siji_core::payouts::cards`, respond.

use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use entity::bank_cards::Column;
use sea_orm::Order;
use siji_core::domain::bank_card::BANKS;
use siji_core::payouts::{self, cards};
use siji_openapi::tags;
use uuid::Uuid;

use super::dto::*;
use crate::auth::Caller;
use crate::http::concurrency::{created_versioned, ok_versioned};
use crate::http::pagination::page_by_id;
use crate::http::{ApiError, IfMatch, Json, Page, PageRequest, Query};
use crate::state::AppState;

/// List the banks Siji pays through.
///
/// The CNAPS bank-type codes (行别代码) a card may name, with their names: 102 工商银行, 103
/// 农业银行, 104 中国银行, 105 建设银行, 301 交通银行, 403 邮储银行, the families 313 (city
/// commercial banks such as 济宁银行), 314 (rural commercial banks) and 402 (rural credit
/// cooperatives), and the national joint-stock banks.
#[utoipa::path(
    tag = tags::BANK_CARDS,
    operation_id = "list_banks",
    extensions(("x-permission" = json!(payouts::READ))),
    responses((status = 200, description = "Every bank type, by code", body = Vec<BankResponse>)),
)]
#[get("/banks")]
pub async fn banks(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    caller.context(&state).require(payouts::READ).await?;
    let banks: Vec<BankResponse> = BANKS
        .iter()
        .map(|b| BankResponse {
            code: b.code,
            name: b.name,
        })
        .collect();
    Ok(HttpResponse::Ok().json(banks))
}

/// Register a payee's bank card.
///
/// The card aid is paid to (以银行卡的形式发放), for a worker (an archive's head included) or a
/// household member (a student of 金秋助学), read in your subtree. The holder's name must be the
/// payee's (400 `name_mismatch`); the number is 16–19 digits (400 `format`) with a valid Luhn
/// check digit (400 `checksum`; for the rare card that really fails it, say why in
/// `luhn_override` — kept and audited); the bank is a code of `GET /api/v1/banks` (400
/// `unknown_bank`). One active card per payee: a second answers 409 `duplicate` naming the
/// active one — replace that instead. The number is stored encrypted and answered masked; a
/// number already on another payee's active card is accepted and flagged `shared`.
#[utoipa::path(
    tag = tags::BANK_CARDS,
    operation_id = "register_bank_card",
    request_body = RegisterCardRequest,
    extensions(("x-permission" = json!(payouts::WRITE))),
    responses(
        (status = 201, description = "Registered", body = CardResponse,
            headers(("Location" = String, description = "URL of the card"), ("ETag" = String, description = "Its version"))),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
    ),
)]
#[post("/bank-cards")]
pub async fn register(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<RegisterCardRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let payee = body.payee()?;
    let card = cards::register(&caller.context(&state), payee, body.details()).await?;
    Ok(created_versioned(
        format!("/api/v1/bank-cards/{}", card.card.id),
        card.card.version,
        &CardResponse::from(card),
    ))
}

/// List bank cards.
///
/// Cards of payees in your subtree, oldest first, keyset-paginated: one payee's cards (active
/// and replaced, its history) by `worker_id` or `member_id`, only active or only replaced ones,
/// or `shared=true` for the active cards whose number is also on another payee's active card —
/// the list the city reviews for fraud.
#[utoipa::path(
    tag = tags::BANK_CARDS,
    operation_id = "list_bank_cards",
    params(CardListQuery),
    extensions(("x-permission" = json!(payouts::READ))),
    responses((status = 200, description = "One page", body = Page<CardResponse>)),
)]
#[get("/bank-cards")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<CardListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let ctx = caller.context(&state);
    let select = cards::list(&ctx, &q.filter()).await?;
    let page = PageRequest::new(q.limit, q.cursor.as_deref(), q.count)?;
    let page = page_by_id(&state.db, select, Column::Id, |c| c.id, &page, Order::Asc).await?;
    let shared = cards::shared_among(&state.db, &page.items).await?;
    Ok(HttpResponse::Ok().json(page.map(|card| {
        let shared = shared.contains(&card.bank_card_idx);
        CardResponse::from(cards::Card { card, shared })
    })))
}

/// Get a bank card.
#[utoipa::path(
    tag = tags::BANK_CARDS,
    operation_id = "get_bank_card",
    params(("id" = Uuid, Path, description = "Card id")),
    extensions(("x-permission" = json!(payouts::READ))),
    responses(
        (status = 200, description = "The card, masked", body = CardResponse, headers(("ETag" = String, description = "Its version"))),
        (status = 404, response = crate::http::responses::NotFound),
    ),
)]
#[get("/bank-cards/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let card = cards::get(&caller.context(&state), *id).await?;
    Ok(ok_versioned(card.card.version, &CardResponse::from(card)))
}

/// Replace a bank card.
///
/// 换卡: the active card becomes `replaced` (kept as history, pointing at its successor, with
/// the reason) and the new card is the payee's active one, in one step. The same checks as
/// registering. A payout already built keeps the card it was built with; a follow-up batch
/// pays a failed or returned payout again only to a replaced card. Honours `If-Match`.
#[utoipa::path(
    tag = tags::BANK_CARDS,
    operation_id = "replace_bank_card",
    params(("id" = Uuid, Path, description = "The active card's id"), ("If-Match" = Option<String>, Header, description = "The `ETag` you read")),
    request_body = ReplaceCardRequest,
    extensions(("x-permission" = json!(payouts::WRITE))),
    responses(
        (status = 201, description = "The new card", body = CardResponse,
            headers(("Location" = String, description = "URL of the new card"), ("ETag" = String, description = "Its version"))),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 412, response = crate::http::responses::PreconditionFailed),
    ),
)]
#[post("/bank-cards/{id}/replace")]
pub async fn replace(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<ReplaceCardRequest>,
) -> Result<HttpResponse, ApiError> {
    let (details, reason) = body.into_inner().details();
    let card = cards::replace(&caller.context(&state), *id, if_match.0, details, &reason).await?;
    Ok(created_versioned(
        format!("/api/v1/bank-cards/{}", card.card.id),
        card.card.version,
        &CardResponse::from(card),
    ))
}

/// Reveal a card's full number.
///
/// Needs `pii.reveal` and a written reason, and leaves an audit event (`bank_card.reveal`,
/// with the reason, never the number). The answer is marked `Cache-Control: no-store`.
#[utoipa::path(
    tag = tags::BANK_CARDS,
    operation_id = "reveal_bank_card",
    params(("id" = Uuid, Path, description = "Card id")),
    request_body = RevealCardRequest,
    extensions(("x-permission" = json!(cards::REVEAL))),
    responses(
        (status = 200, description = "The plaintext", body = RevealCardResponse),
        (status = 404, response = crate::http::responses::NotFound),
    ),
)]
#[post("/bank-cards/{id}/reveal")]
pub async fn reveal(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<RevealCardRequest>,
) -> Result<HttpResponse, ApiError> {
    let number = cards::reveal(&caller.context(&state), *id, &body.into_inner().reason).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(RevealCardResponse {
            id: *id,
            card_number: number,
        }))
}
