//! Payout batches: building one from approved grants that have a card, approving it (never by
//! its builder), cancelling a draft, settling a payout's outcome with the ledger, and the
//! follow-up batch that pays a failed or returned payout again once the card is corrected.
//!
//! Why a grant cannot be paid twice, in order of strength: the partial unique index on
//! `payouts (grant_id)` for live payouts refuses a second live one whatever the code does;
//! builders of one campaign serialise on the campaign's row ([`lock_campaign`]: `SELECT … FOR
//! UPDATE`, and the one writer on SQLite), so the second sees what the first took instead of
//! failing on the index; the rejection of an approved grant takes the same lock before it looks
//! for the grant's payouts, so it either comes first (the grant is not taken) or finds the
//! payout and is refused — one row lock per build, not one per grant; and `pay` refuses a grant
//! the ledger shows paid already.

use std::collections::HashMap;

use entity::{campaigns as campaign_rows, grants, payout_batches, payouts};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Select,
};
use serde_json::json;
use uuid::Uuid;

use super::{BatchStatus, PayoutStatus, READ, WRITE, cards, ended};
use crate::access::Permission;
use crate::audit::Event;
use crate::campaigns::{self, CampaignStatus, money};
use crate::context::Context;
use crate::grants::GrantStatus;
use crate::registry::orgs;
use crate::tenancy::Scope;
use crate::uow::Work;
use crate::{CoreError, versioning};

/// What to build a batch from.
#[derive(Debug, Clone, Default)]
pub struct NewBatch {
    pub campaign_id: Uuid,
    /// Only grants of this organisation's subtree (a county); the principal's own by default.
    pub within_org_id: Option<Uuid>,
    /// A follow-up batch: pay again the failed and returned payouts of this batch, for payees
    /// whose card has since been replaced.
    pub follow_up_of: Option<Uuid>,
}

/// A batch just built, and what was left out.
#[derive(Debug, Clone)]
pub struct Built {
    pub batch: payout_batches::Model,
    /// Approved, unpaid grants whose payee has no active card (the "awaiting a card" worklist).
    pub awaiting_card: u64,
    /// In a follow-up: failed or returned payouts whose payee still has the card they failed on.
    pub awaiting_corrected_card: u64,
}

/// Open the unit of work a money operation runs in, the permission first (a denial is audited
/// before any write lock is held); the HTTP layer commits its `Idempotency-Key` in it too.
pub async fn begin<'c>(
    ctx: &'c Context<'_>,
    permission: Permission,
) -> Result<Work<'c>, CoreError> {
    ctx.require(permission).await?;
    ctx.begin().await
}

/// Take the campaign's row lock for the rest of the unit of work: builders of one campaign, and
/// the rejections of its approved grants, take turns on it, and each sees what the one before
/// committed (every statement reads afresh after the lock is granted).
pub(crate) async fn lock_campaign(
    work: &Work<'_>,
    campaign: Uuid,
) -> Result<campaign_rows::Model, CoreError> {
    campaign_rows::Entity::find_by_id(campaign)
        .lock_exclusive()
        .one(work.conn())
        .await?
        .ok_or(CoreError::NotFound)
}

/// How many of the campaign's payouts still wait on the bank (pending, sent or unclear): money
/// in flight, which a campaign is not settled or cancelled with.
pub(crate) async fn in_flight(work: &Work<'_>, campaign: Uuid) -> Result<u64, CoreError> {
    use sea_orm::PaginatorTrait;
    Ok(payouts::Entity::find()
        .filter(payouts::Column::CampaignId.eq(campaign))
        .filter(payouts::Column::Status.is_in([
            PayoutStatus::Pending.as_str(),
            PayoutStatus::Sent.as_str(),
            PayoutStatus::Unknown.as_str(),
        ]))
        .count(work.conn())
        .await?)
}

/// `SJ` and 18 characters of Crockford base32: the payout id's millisecond timestamp and 42 of
/// its random bits. Unique by the database's index; short enough for any bank's remark field.
fn reference(id: Uuid) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let v = id.as_u128();
    let millis = v >> 80;
    let rand_a = (v >> 64) & 0xFFF;
    let rand_b = v & ((1 << 62) - 1);
    let bits = (millis << 42) | (rand_a << 30) | (rand_b >> 32);
    let mut out = String::from("SJ");
    for i in (0..18).rev() {
        out.push(char::from(ALPHABET[((bits >> (i * 5)) & 31) as usize]));
    }
    out
}

/// A grant to pay, and the payout it pays again (in a follow-up).
struct Candidate {
    grant: Payable,
    retry_of: Option<payouts::Model>,
}

/// What building a payout reads of a grant: four columns of a wide row, 83,000 times over.
#[derive(Debug, FromQueryResult)]
struct Payable {
    id: Uuid,
    org_id: Uuid,
    person_key: String,
    amount_fen: i64,
}

/// `select` of grants, reading only what a payout needs.
fn payable(select: Select<grants::Entity>) -> sea_orm::Selector<sea_orm::SelectModel<Payable>> {
    use grants::Column as G;
    select
        .select_only()
        .columns([G::Id, G::OrgId, G::PersonKey, G::AmountFen])
        .into_model::<Payable>()
}

/// The subquery of grants that have a payout not cancelled (in any state, ended or not).
fn with_payouts(campaign: Uuid) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(payouts::Column::GrantId)
        .from(payouts::Entity)
        .and_where(Expr::col(payouts::Column::CampaignId).eq(campaign))
        .and_where(Expr::col(payouts::Column::Status).ne(PayoutStatus::Cancelled.as_str()))
        .to_owned()
}

/// The subquery of grants that have a live payout (not failed, returned or cancelled).
fn with_live_payouts(campaign: Uuid) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(payouts::Column::GrantId)
        .from(payouts::Entity)
        .and_where(Expr::col(payouts::Column::CampaignId).eq(campaign))
        .and_where(Expr::col(payouts::Column::Status).is_not_in(ended()))
        .to_owned()
}

/// Approved grants of the campaign within `within` that no payout has taken yet.
fn unpaid(campaign: Uuid, within: &Scope) -> Select<grants::Entity> {
    use grants::Column as G;
    grants::Entity::find()
        .filter(G::CampaignId.eq(campaign))
        .filter(G::Status.eq(GrantStatus::Approved.as_str()))
        .filter(within.owns(G::OrgId))
        .filter(G::Id.not_in_subquery(with_payouts(campaign)))
}

/// `SELECT person_key` of [`unpaid`].
fn candidate_keys(campaign: Uuid, within: &Scope) -> sea_orm::sea_query::SelectStatement {
    unpaid(campaign, within)
        .select_only()
        .column(grants::Column::PersonKey)
        .into_query()
}

async fn first_payments(
    conn: &impl ConnectionTrait,
    campaign: Uuid,
    within: &Scope,
) -> Result<Vec<Candidate>, CoreError> {
    Ok(
        payable(unpaid(campaign, within).order_by_asc(grants::Column::Id))
            .all(conn)
            .await?
            .into_iter()
            .map(|grant| Candidate {
                grant,
                retry_of: None,
            })
            .collect(),
    )
}

/// The failed and returned payouts of `previous` within `within` not yet paid again, with their
/// grants (still approved, with no live payout).
async fn retries(
    conn: &impl ConnectionTrait,
    campaign: Uuid,
    previous: &payout_batches::Model,
    within: &Scope,
) -> Result<Vec<Candidate>, CoreError> {
    use payouts::Column as P;
    let retried = Query::select()
        .column(P::RetryOf)
        .from(payouts::Entity)
        .and_where(Expr::col(P::RetryOf).is_not_null())
        .and_where(Expr::col(P::Status).ne(PayoutStatus::Cancelled.as_str()))
        .to_owned();
    let failed = payouts::Entity::find()
        .filter(P::BatchId.eq(previous.id))
        .filter(P::Status.is_in([
            PayoutStatus::Failed.as_str(),
            PayoutStatus::Returned.as_str(),
        ]))
        .filter(within.owns(P::OrgId))
        .filter(P::Id.not_in_subquery(retried))
        .order_by_asc(P::Id)
        .all(conn)
        .await?;
    let mut by_grant: HashMap<Uuid, payouts::Model> =
        failed.into_iter().map(|p| (p.grant_id, p)).collect();
    let mut out = Vec::with_capacity(by_grant.len());
    let ids: Vec<Uuid> = by_grant.keys().copied().collect();
    for chunk in ids.chunks(500) {
        let grants = payable(
            grants::Entity::find()
                .filter(grants::Column::Id.is_in(chunk.iter().copied()))
                .filter(grants::Column::Status.eq(GrantStatus::Approved.as_str()))
                .filter(grants::Column::Id.not_in_subquery(with_live_payouts(campaign)))
                .order_by_asc(grants::Column::Id),
        )
        .all(conn)
        .await?;
        for grant in grants {
            let retry_of = by_grant.remove(&grant.id);
            out.push(Candidate { grant, retry_of });
        }
    }
    out.sort_by_key(|c| c.grant.id);
    Ok(out)
}

/// Build a batch in a unit of work from [`begin`] with `payouts.write`: every approved grant of
/// the campaign within the organisation that has not been paid (or, for a follow-up, every
/// failed or returned payout of the earlier batch) whose payee has an active card — a corrected
/// one for a follow-up. The rest are counted, not taken. Nothing to pay is a conflict.
pub async fn build(ctx: &Context<'_>, work: &Work<'_>, new: NewBatch) -> Result<Built, CoreError> {
    let conn = work.conn();
    let visible = campaigns::queries::find(conn, ctx.scope(), new.campaign_id)
        .await?
        .ok_or(CoreError::NotFound)?;
    // Read again under the lock: a settlement that committed meanwhile is seen.
    let campaign = lock_campaign(work, visible.id).await?;
    if ![CampaignStatus::Open, CampaignStatus::Closed]
        .iter()
        .any(|s| s.as_str() == campaign.status)
    {
        return Err(CoreError::conflict(format!(
            "a campaign pays while it is open or closed; this one is `{}`",
            campaign.status
        )));
    }
    let within_id = new.within_org_id.unwrap_or(ctx.scope().org_id());
    let within = orgs::find(conn, ctx.scope(), within_id)
        .await?
        .ok_or_else(|| {
            CoreError::field(
                "within_org_id",
                "not_found",
                "no such organisation in your subtree",
            )
        })?;
    let within = ctx.scope().at(&within);
    let candidates = match new.follow_up_of {
        None => first_payments(conn, campaign.id, &within).await?,
        Some(previous) => {
            let previous = ctx
                .scope()
                .find::<payout_batches::Entity>(conn, previous)
                .await?
                .filter(|b| b.campaign_id == campaign.id)
                .ok_or_else(|| {
                    CoreError::field(
                        "follow_up_of",
                        "not_found",
                        "no such batch of this campaign in your subtree",
                    )
                })?;
            if ![BatchStatus::Exported, BatchStatus::Reconciled]
                .iter()
                .any(|s| s.as_str() == previous.status)
            {
                return Err(CoreError::conflict(format!(
                    "a follow-up pays again what an exported batch failed to pay; that batch is `{}`",
                    previous.status
                )));
            }
            retries(conn, campaign.id, &previous, &within).await?
        }
    };
    let cards: HashMap<String, entity::bank_cards::Model> = match new.follow_up_of {
        // One query for the cards of every candidate, however many.
        None => cards::active_cards_of(conn, candidate_keys(campaign.id, &within)).await?,
        Some(_) => {
            let keys: Vec<String> = candidates
                .iter()
                .map(|c| c.grant.person_key.clone())
                .collect();
            cards::active_cards(conn, &keys).await?
        }
    }
    .into_iter()
    .map(|c| (c.person_key.clone(), c))
    .collect();
    let now = ctx.clock.now();
    let batch_id = Uuid::now_v7();
    let (mut awaiting_card, mut awaiting_corrected_card) = (0, 0);
    let mut rows = Vec::new();
    for c in candidates {
        let Some(card) = cards.get(&c.grant.person_key) else {
            awaiting_card += 1;
            continue;
        };
        if c.retry_of.as_ref().is_some_and(|p| p.card_id == card.id) {
            awaiting_corrected_card += 1;
            continue;
        }
        let id = Uuid::now_v7();
        rows.push(payouts::ActiveModel {
            id: Set(id),
            batch_id: Set(batch_id),
            campaign_id: Set(campaign.id),
            grant_id: Set(c.grant.id),
            org_id: Set(c.grant.org_id),
            card_id: Set(card.id),
            holder_name: Set(card.holder_name.clone()),
            bank_code: Set(card.bank_code.clone()),
            bank_name: Set(card.bank_name.clone()),
            bank_card_enc: Set(card.bank_card_enc.clone()),
            bank_card_masked: Set(card.bank_card_masked.clone()),
            amount_fen: Set(c.grant.amount_fen),
            reference: Set(reference(id)),
            status: Set(PayoutStatus::Pending.as_str().to_owned()),
            reason: Set(None),
            retry_of: Set(c.retry_of.map(|p| p.id)),
            settled_by: Set(None),
            settled_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
        });
    }
    if rows.is_empty() {
        return Err(CoreError::conflict(format!(
            "nothing to pay: {awaiting_card} approved grant(s) await a card and \
             {awaiting_corrected_card} a corrected card; none is ready"
        )));
    }
    let total: i64 = rows.iter().map(|r| *r.amount_fen.as_ref()).sum();
    let count = i32::try_from(rows.len())
        .map_err(|_| CoreError::conflict("a batch holds at most 2,147,483,647 payouts"))?;
    let batch = payout_batches::Entity::insert(payout_batches::ActiveModel {
        id: Set(batch_id),
        campaign_id: Set(campaign.id),
        org_id: Set(within.org_id()),
        follow_up_of: Set(new.follow_up_of),
        status: Set(BatchStatus::Draft.as_str().to_owned()),
        payout_count: Set(count),
        total_fen: Set(total),
        built_by: Set(ctx.actor().id.unwrap_or_default()),
        approved_by: Set(None),
        approved_at: Set(None),
        exported_by: Set(None),
        exported_at: Set(None),
        reason: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    })
    .exec_with_returning(conn)
    .await?;
    // As many rows a statement as both databases' parameter limits allow (SQLite's 32,766 is
    // the lower; a row is 21 of them).
    let per_statement = 32_766
        / <payouts::Column as sea_orm::Iterable>::iter()
            .count()
            .max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(per_statement).collect();
        payouts::Entity::insert_many(chunk)
            .exec_without_returning(conn)
            .await?;
    }
    // Until autovacuum next analyses the table, the planner would take a batch this large for a
    // handful of rows and page through it by sorting the whole batch (150 ms a page of the
    // batch's payouts instead of 0.2 ms). ANALYZE counts this transaction's own rows.
    if count >= 10_000 && conn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        conn.execute_unprepared("ANALYZE payouts").await?;
    }
    work.record(Event::new("payout_batch.build").on("payout_batch", batch.id).changes(json!({
        "campaign_id": campaign.id, "within_org_id": within.org_id(), "follow_up_of": new.follow_up_of,
        "payout_count": count, "total_fen": total, "awaiting_card": awaiting_card,
        "awaiting_corrected_card": awaiting_corrected_card,
    })))
    .await?;
    Ok(Built {
        batch,
        awaiting_card,
        awaiting_corrected_card,
    })
}

/// The batch of the scope at the version read, in a state the step starts from.
async fn open(
    ctx: &Context<'_>,
    work: &Work<'_>,
    id: Uuid,
    expected_version: Option<i32>,
    from: &[BatchStatus],
) -> Result<payout_batches::Model, CoreError> {
    let b = ctx
        .scope()
        .find::<payout_batches::Entity>(work.conn(), id)
        .await?
        .ok_or(CoreError::NotFound)?;
    versioning::expect(expected_version, b.version)?;
    if !from.iter().any(|s| s.as_str() == b.status) {
        return Err(CoreError::conflict(format!(
            "a batch that is `{}` cannot take this step (only from {})",
            b.status,
            from.iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(b)
}

#[derive(Debug, FromQueryResult)]
struct Totals {
    count: i64,
    total: Option<i64>,
}

/// The stored count and total, re-checked against the payouts themselves before the batch goes
/// further: a batch whose rows do not add up stops here.
pub(crate) async fn recheck(work: &Work<'_>, b: &payout_batches::Model) -> Result<(), CoreError> {
    use payouts::Column as P;
    let totals = payouts::Entity::find()
        .select_only()
        .expr_as(Expr::cust("COUNT(*)"), "count")
        .expr_as(Expr::cust("CAST(SUM(amount_fen) AS BIGINT)"), "total")
        .filter(P::BatchId.eq(b.id))
        .filter(P::Status.ne(PayoutStatus::Cancelled.as_str()))
        .into_model::<Totals>()
        .one(work.conn())
        .await?
        .ok_or_else(|| CoreError::Internal("COUNT returned no row".into()))?;
    let total = totals.total.unwrap_or(0);
    if totals.count != i64::from(b.payout_count) || total != b.total_fen {
        return Err(CoreError::conflict(format!(
            "the batch records {} payouts and {} fen, but its payouts come to {} and {total} fen: \
             it goes no further",
            b.payout_count, b.total_fen, totals.count
        )));
    }
    Ok(())
}

/// Approve a draft batch in a unit of work from [`begin`] with `payouts.approve`: by someone
/// other than its builder (maker-checker), its count and total re-checked.
pub async fn approve(
    ctx: &Context<'_>,
    work: &Work<'_>,
    id: Uuid,
    expected_version: Option<i32>,
) -> Result<payout_batches::Model, CoreError> {
    use payout_batches::Column as B;
    let b = open(ctx, work, id, expected_version, &[BatchStatus::Draft]).await?;
    if ctx.actor().id == Some(b.built_by) {
        return Err(CoreError::Forbidden(
            "maker-checker: a batch is approved by someone other than its builder".into(),
        ));
    }
    recheck(work, &b).await?;
    let now = ctx.clock.now();
    let change = versioning::update::<payout_batches::Entity>(b.id, b.version, now)
        .filter(B::Status.eq(BatchStatus::Draft.as_str()))
        .col_expr(B::Status, Expr::value(BatchStatus::Approved.as_str()))
        .col_expr(B::ApprovedBy, Expr::value(ctx.actor().id))
        .col_expr(B::ApprovedAt, Expr::value(now));
    let event = Event::new("payout_batch.approve")
        .on("payout_batch", b.id)
        .changes(json!({ "payout_count": b.payout_count, "total_fen": b.total_fen }));
    versioning::save_work(work, change, b.id, expected_version, event).await
}

/// Cancel a draft batch, with a reason: its payouts are cancelled and its grants free for
/// another batch.
pub async fn cancel(
    ctx: &Context<'_>,
    id: Uuid,
    expected_version: Option<i32>,
    reason: &str,
) -> Result<payout_batches::Model, CoreError> {
    use payout_batches::Column as B;
    ctx.require(WRITE).await?;
    let work = ctx.begin().await?;
    let b = open(ctx, &work, id, expected_version, &[BatchStatus::Draft]).await?;
    let now = ctx.clock.now();
    let change = versioning::update::<payout_batches::Entity>(b.id, b.version, now)
        .filter(B::Status.eq(BatchStatus::Draft.as_str()))
        .col_expr(B::Status, Expr::value(BatchStatus::Cancelled.as_str()))
        .col_expr(B::Reason, Expr::value(reason.trim()));
    let event = Event::new("payout_batch.cancel")
        .on("payout_batch", b.id)
        .changes(json!({ "reason": reason.trim() }));
    let b = versioning::save_work(&work, change, b.id, expected_version, event).await?;
    payouts::Entity::update_many()
        .col_expr(
            payouts::Column::Status,
            Expr::value(PayoutStatus::Cancelled.as_str()),
        )
        .col_expr(payouts::Column::UpdatedAt, Expr::value(now))
        .col_expr(
            payouts::Column::Version,
            Expr::col(payouts::Column::Version).add(1),
        )
        .filter(payouts::Column::BatchId.eq(b.id))
        .filter(payouts::Column::Status.eq(PayoutStatus::Pending.as_str()))
        .exec(work.conn())
        .await?;
    work.commit().await?;
    Ok(b)
}

crate::enums::string_enum!(
    /// An outcome a payout is given (发放结果), by the bank's result file or a staff decision.
    PayoutOutcome {
        /// The bank confirms it arrived (已到账): the ledger records the payment.
        Paid = "paid",
        /// The bank refused it (失败).
        Failed = "failed",
        /// It arrived and bounced (退票): the ledger takes the payment back.
        Returned = "returned",
        /// The bank's answer is unclear (待确认); settle it later.
        Unknown = "unknown",
    }
);

impl PayoutOutcome {
    /// The payout state the outcome puts it in.
    pub fn status(self) -> PayoutStatus {
        match self {
            PayoutOutcome::Paid => PayoutStatus::Paid,
            PayoutOutcome::Failed => PayoutStatus::Failed,
            PayoutOutcome::Returned => PayoutStatus::Returned,
            PayoutOutcome::Unknown => PayoutStatus::Unknown,
        }
    }

    /// The states it may follow: the bank answers what was sent; an unclear answer is settled
    /// later; only money that arrived can bounce.
    fn from(self) -> &'static [PayoutStatus] {
        match self {
            PayoutOutcome::Paid | PayoutOutcome::Failed => {
                &[PayoutStatus::Sent, PayoutStatus::Unknown]
            }
            PayoutOutcome::Unknown => &[PayoutStatus::Sent],
            PayoutOutcome::Returned => &[PayoutStatus::Paid],
        }
    }
}

/// Give a payout its outcome inside a unit of work from [`begin`] with `payouts.approve` (a
/// staff decision, with a reason; a line of a bank's result file goes the same way): the conditional state change, the ledger (`pay` when paid, `return` when
/// returned) and the audit event together; then the batch is `reconciled` once every payout in
/// it is final.
pub async fn settle(
    ctx: &Context<'_>,
    work: &Work<'_>,
    id: Uuid,
    expected_version: Option<i32>,
    outcome: PayoutOutcome,
    reason: &str,
) -> Result<payouts::Model, CoreError> {
    let settled = settle_one(ctx, work, id, expected_version, outcome, reason).await?;
    reconcile_if_final(ctx, work, settled.batch_id).await?;
    Ok(settled)
}

/// [`settle`] without looking at the batch afterwards: a result file settles many payouts and
/// asks once, at its end.
pub(crate) async fn settle_one(
    ctx: &Context<'_>,
    work: &Work<'_>,
    id: Uuid,
    expected_version: Option<i32>,
    outcome: PayoutOutcome,
    reason: &str,
) -> Result<payouts::Model, CoreError> {
    use payouts::Column as P;
    let p = ctx
        .scope()
        .find::<payouts::Entity>(work.conn(), id)
        .await?
        .ok_or(CoreError::NotFound)?;
    versioning::expect(expected_version, p.version)?;
    let from = outcome.from();
    if !from.iter().any(|s| s.as_str() == p.status) {
        return Err(CoreError::conflict(format!(
            "a payout that is `{}` cannot become `{}` (only from {})",
            p.status,
            outcome.status().as_str(),
            from.iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let moved = match outcome {
        PayoutOutcome::Paid => money::pay(ctx, work, p.campaign_id, p.grant_id, p.id).await?,
        PayoutOutcome::Returned => money::unpay(ctx, work, p.campaign_id, p.id).await?,
        PayoutOutcome::Failed | PayoutOutcome::Unknown => 0,
    };
    let now = ctx.clock.now();
    let change = versioning::update::<payouts::Entity>(p.id, p.version, now)
        .filter(P::Status.eq(p.status.as_str()))
        .col_expr(P::Status, Expr::value(outcome.status().as_str()))
        .col_expr(P::Reason, Expr::value(reason.trim()))
        .col_expr(P::SettledBy, Expr::value(ctx.actor().id))
        .col_expr(P::SettledAt, Expr::value(now));
    let event = Event::new("payout.settle")
        .on("payout", p.id)
        .changes(json!({
            "from": p.status, "to": outcome.status().as_str(), "reason": reason.trim(),
            "ledger_fen": moved,
        }));
    versioning::save_work(work, change, p.id, expected_version, event).await
}

/// `exported → reconciled` once no payout of the batch waits on the bank.
pub(crate) async fn reconcile_if_final(
    ctx: &Context<'_>,
    work: &Work<'_>,
    batch: Uuid,
) -> Result<(), CoreError> {
    use payout_batches::Column as B;
    let waiting = Query::select()
        .column(payouts::Column::Id)
        .from(payouts::Entity)
        .and_where(Expr::col(payouts::Column::BatchId).eq(batch))
        .and_where(Expr::col(payouts::Column::Status).is_in([
            PayoutStatus::Pending.as_str(),
            PayoutStatus::Sent.as_str(),
            PayoutStatus::Unknown.as_str(),
        ]))
        .to_owned();
    let done = payout_batches::Entity::update_many()
        .col_expr(B::Status, Expr::value(BatchStatus::Reconciled.as_str()))
        .col_expr(B::UpdatedAt, Expr::value(ctx.clock.now()))
        .col_expr(B::Version, Expr::col(B::Version).add(1))
        .filter(B::Id.eq(batch))
        .filter(B::Status.eq(BatchStatus::Exported.as_str()))
        .filter(Expr::exists(waiting).not())
        .exec(work.conn())
        .await?;
    if done.rows_affected == 1 {
        work.record(Event::new("payout_batch.reconcile").on("payout_batch", batch))
            .await?;
    }
    Ok(())
}

/// A batch of the principal's scope.
pub async fn get(ctx: &Context<'_>, id: Uuid) -> Result<payout_batches::Model, CoreError> {
    ctx.require(READ).await?;
    ctx.scope()
        .find::<payout_batches::Entity>(ctx.db, id)
        .await?
        .ok_or(CoreError::NotFound)
}

/// The filters of the batch list.
#[derive(Debug, Clone, Default)]
pub struct BatchFilter {
    pub campaign_id: Option<Uuid>,
    pub status: Option<BatchStatus>,
}

/// The batches of the principal's scope that pass `filter`, unordered.
pub async fn list(
    ctx: &Context<'_>,
    filter: &BatchFilter,
) -> Result<Select<payout_batches::Entity>, CoreError> {
    use payout_batches::Column as B;
    ctx.require(READ).await?;
    let mut select = ctx.scope().select::<payout_batches::Entity>();
    if let Some(c) = filter.campaign_id {
        select = select.filter(B::CampaignId.eq(c));
    }
    if let Some(s) = filter.status {
        select = select.filter(B::Status.eq(s.as_str()));
    }
    Ok(select)
}

/// The filters of the payout list.
#[derive(Debug, Clone, Default)]
pub struct PayoutFilter {
    pub batch_id: Option<Uuid>,
    pub campaign_id: Option<Uuid>,
    pub grant_id: Option<Uuid>,
    pub status: Option<PayoutStatus>,
}

/// The payouts of the principal's scope (by the grant's organisation) that pass `filter`.
pub async fn payouts(
    ctx: &Context<'_>,
    filter: &PayoutFilter,
) -> Result<Select<payouts::Entity>, CoreError> {
    use payouts::Column as P;
    ctx.require(READ).await?;
    let mut select = ctx.scope().select::<payouts::Entity>();
    if let Some(b) = filter.batch_id {
        select = select.filter(P::BatchId.eq(b));
    }
    if let Some(c) = filter.campaign_id {
        select = select.filter(P::CampaignId.eq(c));
    }
    if let Some(g) = filter.grant_id {
        select = select.filter(P::GrantId.eq(g));
    }
    if let Some(s) = filter.status {
        select = select.filter(P::Status.eq(s.as_str()));
    }
    Ok(select)
}

/// A payout of the principal's scope.
pub async fn payout(ctx: &Context<'_>, id: Uuid) -> Result<payouts::Model, CoreError> {
    ctx.require(READ).await?;
    ctx.scope()
        .find::<payouts::Entity>(ctx.db, id)
        .await?
        .ok_or(CoreError::NotFound)
}

/// The "awaiting a card" worklist: approved grants of the campaign in the scope (or within an
/// organisation of it) that no payout has taken and whose payee has no active card.
pub async fn awaiting_card(
    ctx: &Context<'_>,
    campaign_id: Uuid,
    within_org_id: Option<Uuid>,
) -> Result<Select<grants::Entity>, CoreError> {
    use grants::Column as G;
    ctx.require(READ).await?;
    campaigns::queries::find(ctx.db, ctx.scope(), campaign_id)
        .await?
        .ok_or(CoreError::NotFound)?;
    let carded = Query::select()
        .column(entity::bank_cards::Column::PersonKey)
        .from(entity::bank_cards::Entity)
        .and_where(Expr::col(entity::bank_cards::Column::Status).eq(cards::ACTIVE))
        .to_owned();
    let mut select = ctx
        .scope()
        .select::<grants::Entity>()
        .filter(G::CampaignId.eq(campaign_id))
        .filter(G::Status.eq(GrantStatus::Approved.as_str()))
        .filter(G::Id.not_in_subquery(with_payouts(campaign_id)))
        .filter(G::PersonKey.not_in_subquery(carded));
    if let Some(within) = within_org_id {
        select =
            select.filter(orgs::subtree_condition(ctx.db, ctx.scope(), within, G::OrgId).await?);
    }
    Ok(select)
}

/// Whether a grant has a payout that is not failed, returned or cancelled (it is being paid, or
/// has been): such a grant is not rejected.
pub(crate) async fn has_live_payout(work: &Work<'_>, grant: Uuid) -> Result<bool, CoreError> {
    Ok(payouts::Entity::find()
        .filter(payouts::Column::GrantId.eq(grant))
        .filter(payouts::Column::Status.is_not_in(ended()))
        .limit(1)
        .one(work.conn())
        .await?
        .is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_short_distinct_and_plain() {
        let a = reference(Uuid::now_v7());
        let b = reference(Uuid::now_v7());
        assert_eq!(a.len(), 20);
        assert_ne!(a, b);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        );
    }
}
