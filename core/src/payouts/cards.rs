//! Payees' bank cards: registering, replacing (the old card kept as history), reading masked,
//! revealing one number with a reason, and the cards whose number is also another payee's.

use std::collections::HashSet;

use entity::{bank_cards, household_members};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Select};
use serde_json::json;
use uuid::Uuid;

use super::{PayeeKind, READ, WRITE};
use crate::audit::Event;
use crate::context::Context;
use crate::domain::bank_card::{self, CardError};
use crate::grants::member_key;
use crate::pii::{PiiField, mask};
use crate::registry::workers as registry_workers;
use crate::uow::Work;
use crate::{CoreError, FieldError, archive, versioning};

pub const REVEAL: crate::access::Permission = crate::access::Permission::PiiReveal;

/// Whose card: a worker (an archive's head is one) or a household member.
#[derive(Debug, Clone, Copy)]
pub enum Payee {
    Worker(Uuid),
    Member(Uuid),
}

/// A card as typed from the card and the payee's documents.
#[derive(Debug, Clone)]
pub struct CardDetails {
    pub holder_name: String,
    pub bank_code: String,
    /// The bank itself where the code is a family (313 city commercial banks: 济宁银行); the
    /// list's name otherwise.
    pub bank_name: Option<String>,
    pub card_number: String,
    /// Why a number that fails the Luhn check is right all the same (checked against the card
    /// itself); kept on the card and in the audit trail.
    pub luhn_override: Option<String>,
}

/// A card and whether its number is also on another payee's active card.
#[derive(Debug, Clone)]
pub struct Card {
    pub card: bank_cards::Model,
    pub shared: bool,
}

/// The payee as the card needs it.
struct PayeeFacts {
    kind: PayeeKind,
    org_id: Uuid,
    worker_id: Option<Uuid>,
    member_id: Option<Uuid>,
    person_key: String,
    name: String,
}

async fn payee(ctx: &Context<'_>, work: &Work<'_>, which: Payee) -> Result<PayeeFacts, CoreError> {
    let conn = work.conn();
    match which {
        Payee::Worker(id) => {
            let w = registry_workers::find(conn, ctx.scope(), id)
                .await?
                .ok_or(CoreError::NotFound)?;
            Ok(PayeeFacts {
                kind: PayeeKind::Worker,
                org_id: w.org_id,
                worker_id: Some(w.id),
                member_id: None,
                person_key: w.id_number_idx,
                name: w.name,
            })
        }
        Payee::Member(id) => {
            let m = household_members::Entity::find_by_id(id)
                .one(conn)
                .await?
                .ok_or(CoreError::NotFound)?;
            let archive = archive::queries::find(conn, ctx.scope(), m.beneficiary_id)
                .await?
                .ok_or(CoreError::NotFound)?;
            Ok(PayeeFacts {
                kind: PayeeKind::Member,
                org_id: archive.org_id,
                worker_id: None,
                member_id: Some(m.id),
                person_key: member_key(&m),
                name: m.name,
            })
        }
    }
}

/// A card's details checked before anything is read: the bank, the number, the override.
struct Checked {
    digits: String,
    bank_code: String,
    bank_name: String,
    luhn_override: Option<String>,
}

fn check(details: &CardDetails) -> Result<Checked, CoreError> {
    let mut errors = Vec::new();
    let bank = bank_card::bank(details.bank_code.trim());
    if bank.is_none() {
        errors.push(FieldError::new(
            "bank_code",
            "unknown_bank",
            "not a bank type Siji pays through (see GET /api/v1/banks)",
        ));
    }
    let reason = details
        .luhn_override
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let digits = match bank_card::check(&details.card_number, reason.is_some()) {
        Ok(digits) => Some(digits),
        Err(CardError::Format) => {
            errors.push(FieldError::new(
                "card_number",
                "format",
                "a card number is 16 to 19 digits",
            ));
            None
        }
        Err(CardError::Luhn) => {
            errors.push(FieldError::new(
                "card_number",
                "checksum",
                "the number fails the Luhn check: most often a typo; if the card really reads \
                 so, say why in `luhn_override`",
            ));
            None
        }
    };
    let (Some(bank), Some(digits)) = (bank, digits) else {
        return Err(CoreError::Validation(errors));
    };
    let luhn_override = reason
        .filter(|_| !bank_card::luhn(&digits))
        .map(str::to_owned);
    let bank_name = details
        .bank_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(bank.name)
        .to_owned();
    Ok(Checked {
        digits,
        bank_code: bank.code.to_owned(),
        bank_name,
        luhn_override,
    })
}

fn same_name(details: &CardDetails, payee: &PayeeFacts) -> Result<(), CoreError> {
    if details.holder_name.trim() != payee.name.trim() {
        return Err(CoreError::field(
            "holder_name",
            "name_mismatch",
            "the card holder's name must be the payee's name as registered",
        ));
    }
    Ok(())
}

fn row(
    ctx: &Context<'_>,
    payee: &PayeeFacts,
    checked: Checked,
    holder_name: &str,
) -> Result<bank_cards::ActiveModel, CoreError> {
    let now = ctx.clock.now();
    Ok(bank_cards::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(payee.org_id),
        payee_kind: Set(payee.kind.as_str().to_owned()),
        worker_id: Set(payee.worker_id),
        member_id: Set(payee.member_id),
        person_key: Set(payee.person_key.clone()),
        holder_name: Set(holder_name.trim().to_owned()),
        bank_code: Set(checked.bank_code),
        bank_name: Set(checked.bank_name),
        bank_card_enc: Set(ctx.pii.encrypt(PiiField::BankCard, &checked.digits)?),
        bank_card_idx: Set(ctx.pii.blind_index(PiiField::BankCard, &checked.digits)),
        bank_card_masked: Set(mask::bank_card(&checked.digits)),
        luhn_override: Set(checked.luhn_override),
        status: Set(ACTIVE.to_owned()),
        replaced_by: Set(None),
        replaced_reason: Set(None),
        created_by: Set(ctx.actor().id.unwrap_or_default()),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    })
}

pub(crate) const ACTIVE: &str = "active";
const REPLACED: &str = "replaced";

fn registered(card: &bank_cards::Model) -> serde_json::Value {
    json!({
        "payee_kind": card.payee_kind, "bank_code": card.bank_code, "bank_name": card.bank_name,
        "card": card.bank_card_masked, "luhn_override": card.luhn_override,
    })
}

/// Register a payee's card: the payee read in the scope, the holder's name equal to theirs, one
/// active card per payee (409 `duplicate` naming the active one: replace it instead).
pub async fn register(
    ctx: &Context<'_>,
    payee_ref: Payee,
    details: CardDetails,
) -> Result<Card, CoreError> {
    ctx.require(WRITE).await?;
    let checked = check(&details)?;
    let work = ctx.begin().await?;
    let p = payee(ctx, &work, payee_ref).await?;
    same_name(&details, &p)?;
    if let Some(active) = active_card(work.conn(), &p.person_key).await? {
        return Err(CoreError::Duplicate {
            detail: "this payee has an active card: replace it (the old one is kept as history)"
                .into(),
            existing_id: Some(active.id),
        });
    }
    let card = bank_cards::Entity::insert(row(ctx, &p, checked, &details.holder_name)?)
        .exec_with_returning(work.conn())
        .await?;
    work.record(
        Event::new("bank_card.register")
            .on("bank_card", card.id)
            .changes(registered(&card)),
    )
    .await?;
    let card = flagged(work.conn(), card).await?;
    work.commit().await?;
    Ok(card)
}

/// Replace a payee's active card (lost, closed, or the number was wrong): the old card becomes
/// `replaced`, pointing at the new one, with the reason; both in one unit of work.
pub async fn replace(
    ctx: &Context<'_>,
    id: Uuid,
    expected_version: Option<i32>,
    details: CardDetails,
    reason: &str,
) -> Result<Card, CoreError> {
    use bank_cards::Column as C;
    ctx.require(WRITE).await?;
    let checked = check(&details)?;
    let work = ctx.begin().await?;
    let old = ctx
        .scope()
        .find::<bank_cards::Entity>(work.conn(), id)
        .await?
        .ok_or(CoreError::NotFound)?;
    versioning::expect(expected_version, old.version)?;
    if old.status != ACTIVE {
        return Err(CoreError::conflict(
            "only the active card is replaced; this one is already history",
        ));
    }
    let which = match (old.worker_id, old.member_id) {
        (Some(w), _) => Payee::Worker(w),
        (None, Some(m)) => Payee::Member(m),
        (None, None) => return Err(CoreError::Internal("a card has no payee".into())),
    };
    let p = payee(ctx, &work, which).await?;
    same_name(&details, &p)?;
    let new = row(ctx, &p, checked, &details.holder_name)?;
    let new_id = *new.id.as_ref();
    let change = versioning::update::<bank_cards::Entity>(old.id, old.version, ctx.clock.now())
        .filter(C::Status.eq(ACTIVE))
        .col_expr(C::Status, Expr::value(REPLACED))
        .col_expr(C::ReplacedBy, Expr::value(new_id))
        .col_expr(C::ReplacedReason, Expr::value(reason.trim()));
    let event = Event::new("bank_card.replace")
        .on("bank_card", old.id)
        .changes(json!({ "replaced_by": new_id, "reason": reason.trim() }));
    versioning::save_work(&work, change, old.id, expected_version, event).await?;
    let card = bank_cards::Entity::insert(new)
        .exec_with_returning(work.conn())
        .await?;
    work.record(
        Event::new("bank_card.register")
            .on("bank_card", card.id)
            .changes(registered(&card)),
    )
    .await?;
    let card = flagged(work.conn(), card).await?;
    work.commit().await?;
    Ok(card)
}

async fn active_card(
    conn: &impl ConnectionTrait,
    person_key: &str,
) -> Result<Option<bank_cards::Model>, CoreError> {
    Ok(bank_cards::Entity::find()
        .filter(bank_cards::Column::PersonKey.eq(person_key))
        .filter(bank_cards::Column::Status.eq(ACTIVE))
        .one(conn)
        .await?)
}

/// The active cards of these people, by person key (for building a batch).
pub(crate) async fn active_cards(
    conn: &impl ConnectionTrait,
    person_keys: &[String],
) -> Result<Vec<bank_cards::Model>, CoreError> {
    let mut cards = Vec::with_capacity(person_keys.len());
    for chunk in person_keys.chunks(500) {
        cards.extend(
            bank_cards::Entity::find()
                .filter(bank_cards::Column::PersonKey.is_in(chunk.iter().cloned()))
                .filter(bank_cards::Column::Status.eq(ACTIVE))
                .all(conn)
                .await?,
        );
    }
    Ok(cards)
}

/// The active cards of the people `person_keys` selects, in one query.
pub(crate) async fn active_cards_of(
    conn: &impl ConnectionTrait,
    person_keys: sea_orm::sea_query::SelectStatement,
) -> Result<Vec<bank_cards::Model>, CoreError> {
    Ok(bank_cards::Entity::find()
        .filter(bank_cards::Column::Status.eq(ACTIVE))
        .filter(bank_cards::Column::PersonKey.in_subquery(person_keys))
        .all(conn)
        .await?)
}

/// `SELECT bank_card_idx` of numbers on the active cards of more than one person, among
/// `numbers` when given (a page of cards; every number for the review list). Deliberately
/// unscoped: the signal is that the number is someone else's too, wherever they are; what
/// comes back is the caller's own cards, flagged.
fn shared_numbers(numbers: Option<Vec<String>>) -> sea_orm::sea_query::SelectStatement {
    use bank_cards::Column as C;
    let mut query = Query::select()
        .column(C::BankCardIdx)
        .from(bank_cards::Entity)
        .and_where(Expr::col(C::Status).eq(ACTIVE))
        .group_by_col(C::BankCardIdx)
        .and_having(Expr::cust("COUNT(DISTINCT person_key) > 1"))
        .to_owned();
    if let Some(numbers) = numbers {
        query.and_where(Expr::col(C::BankCardIdx).is_in(numbers));
    }
    query
}

/// Of these cards, the blind indexes of those whose number another payee's active card has too:
/// one grouped query over these numbers only.
pub async fn shared_among(
    conn: &impl ConnectionTrait,
    cards: &[bank_cards::Model],
) -> Result<HashSet<String>, CoreError> {
    let numbers: Vec<String> = cards
        .iter()
        .filter(|c| c.status == ACTIVE)
        .map(|c| c.bank_card_idx.clone())
        .collect();
    if numbers.is_empty() {
        return Ok(HashSet::new());
    }
    let query = shared_numbers(Some(numbers));
    let rows = conn
        .query_all(&query)
        .await?
        .iter()
        .map(|row| row.try_get::<String>("", "bank_card_idx"))
        .collect::<Result<HashSet<_>, _>>()?;
    Ok(rows)
}

/// A card and its flag.
async fn flagged(conn: &impl ConnectionTrait, card: bank_cards::Model) -> Result<Card, CoreError> {
    let shared = shared_among(conn, std::slice::from_ref(&card))
        .await?
        .contains(&card.bank_card_idx);
    Ok(Card { card, shared })
}

/// A card of the principal's scope.
pub async fn get(ctx: &Context<'_>, id: Uuid) -> Result<Card, CoreError> {
    ctx.require(READ).await?;
    let card = ctx
        .scope()
        .find::<bank_cards::Entity>(ctx.db, id)
        .await?
        .ok_or(CoreError::NotFound)?;
    flagged(ctx.db, card).await
}

/// The filters of the card list.
#[derive(Debug, Clone, Default)]
pub struct CardFilter {
    pub worker_id: Option<Uuid>,
    pub member_id: Option<Uuid>,
    /// Only active cards (or, `false`, only replaced ones).
    pub active: Option<bool>,
    /// Only active cards whose number is also on another payee's active card (the fraud signal
    /// the city reviews).
    pub shared: bool,
}

/// The cards of the principal's scope that pass `filter`, unordered.
pub async fn list(
    ctx: &Context<'_>,
    filter: &CardFilter,
) -> Result<Select<bank_cards::Entity>, CoreError> {
    use bank_cards::Column as C;
    ctx.require(READ).await?;
    let mut select = ctx.scope().select::<bank_cards::Entity>();
    if let Some(w) = filter.worker_id {
        select = select.filter(C::WorkerId.eq(w));
    }
    if let Some(m) = filter.member_id {
        select = select.filter(C::MemberId.eq(m));
    }
    if let Some(active) = filter.active {
        select = select.filter(C::Status.eq(if active { ACTIVE } else { REPLACED }));
    }
    if filter.shared {
        select = select
            .filter(C::Status.eq(ACTIVE))
            .filter(C::BankCardIdx.in_subquery(shared_numbers(None)));
    }
    Ok(select)
}

/// Reveal a card's full number: needs `pii.reveal` and a reason, and is audited
/// (`bank_card.reveal`, with the reason, never the number).
pub async fn reveal(ctx: &Context<'_>, id: Uuid, reason: &str) -> Result<String, CoreError> {
    ctx.require(REVEAL).await?;
    let card = ctx
        .scope()
        .find::<bank_cards::Entity>(ctx.db, id)
        .await?
        .ok_or(CoreError::NotFound)?;
    let number = ctx.pii.decrypt(PiiField::BankCard, &card.bank_card_enc)?;
    let work = ctx.begin().await?;
    work.record(
        Event::new("bank_card.reveal")
            .on("bank_card", card.id)
            .changes(json!({ "fields": ["card_number"], "reason": reason.trim() })),
    )
    .await?;
    work.commit().await?;
    Ok(number)
}
