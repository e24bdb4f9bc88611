//! A campaign's money and quota as they move down the organisation tree: the append-only ledger
//! (`campaign_ledger`) and the balances derived from it.
//!
//! Every movement appends ledger rows — signed changes to what an organisation has available,
//! per fund source, with the quota alongside — and changes `campaign_balances` /
//! `campaign_quotas` in the same unit of work. Taking money is a conditional `UPDATE … SET
//! available = available − x WHERE available >= x`: when two allocations race for the last
//! yuan, the database lets one take it and the other finds nothing to update (and, behind
//! that, `CHECK (available >= 0)` refuses any write that would go below zero). The balance check
//! recomputes every balance from the ledger and reports any difference.
//!
//! Opening a campaign funds its running organisation (`fund` rows, one per source, and the
//! quota); an allocation (下拨) moves money and quota from an organisation to one of its
//! children (`allocate` rows, out of the parent and into the child). Grants will commit and
//! release, payouts pay and return, through the same ledger.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{
    campaign_allocations as allocations, campaign_balances as balances,
    campaign_fund_sources as sources, campaign_ledger as ledger, campaign_quotas as quotas,
    campaigns, orgs as org_rows,
};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, Select,
};
use serde_json::json;
use uuid::Uuid;

use super::{Campaign, CampaignStatus, WRITE, queries};
use crate::audit::Event;
use crate::context::Context;
use crate::enums::string_enum;
use crate::error::ConflictKind;
use crate::registry::orgs;
use crate::uow::Work;
use crate::{CoreError, FieldError};

string_enum!(
    /// What a ledger row records.
    LedgerKind {
        /// The campaign opened: its running organisation receives a fund source's amount (and
        /// the quota) (资金到位).
        Fund = "fund",
        /// An allocation (下拨): out of the parent (negative) and into the child (positive).
        Allocate = "allocate",
        /// A grant approved: its amount (and one of the quota) taken from what its organisation
        /// holds (承诺/占用).
        Commit = "commit",
        /// An approved grant rejected: its commitment given back (释放).
        Release = "release",
        /// A payout confirmed paid by the bank (已发放): the grant's commitment, per organisation
        /// and source, marked paid. What is available does not move (the money left it at
        /// approval); the row is positive.
        Pay = "pay",
        /// A paid payout bounced back (退票): its `pay` rows undone, negative; the commitment is
        /// held again for a follow-up payout.
        Return = "return",
    }
);

/// One source's share of an allocation.
#[derive(Debug, Clone)]
pub struct Amount {
    pub fund_source_id: Uuid,
    pub amount_fen: i64,
}

/// Money and quota for a child organisation.
#[derive(Debug, Clone)]
pub struct NewAllocation {
    pub to_org_id: Uuid,
    pub quota: i32,
    pub amounts: Vec<Amount>,
}

/// A row for the ledger, filled in with who and when by [`append`].
struct Entry {
    org_id: Uuid,
    fund_source_id: Option<Uuid>,
    kind: LedgerKind,
    amount_fen: i64,
    quota: i32,
    allocation_id: Option<Uuid>,
    grant_id: Option<Uuid>,
    counterparty_org_id: Option<Uuid>,
    payout_id: Option<Uuid>,
}

async fn append(
    ctx: &Context<'_>,
    work: &Work<'_>,
    campaign: Uuid,
    entries: Vec<Entry>,
    now: DateTime<Utc>,
) -> Result<(), CoreError> {
    if entries.is_empty() {
        return Ok(());
    }
    let actor = ctx.actor();
    let rows = entries.into_iter().map(|e| ledger::ActiveModel {
        id: Set(Uuid::now_v7()),
        campaign_id: Set(campaign),
        org_id: Set(e.org_id),
        fund_source_id: Set(e.fund_source_id),
        kind: Set(e.kind.as_str().to_owned()),
        amount_fen: Set(e.amount_fen),
        quota: Set(e.quota),
        allocation_id: Set(e.allocation_id),
        grant_id: Set(e.grant_id),
        counterparty_org_id: Set(e.counterparty_org_id),
        payout_id: Set(e.payout_id),
        actor_id: Set(actor.id),
        actor_name: Set(actor.name.clone()),
        created_at: Set(now),
    });
    ledger::Entity::insert_many(rows).exec(work.conn()).await?;
    Ok(())
}

/// Add to what `org` has received and has available (creating its balance on first receipt).
async fn credit(
    work: &Work<'_>,
    campaign: Uuid,
    org: Uuid,
    source: Uuid,
    amount: i64,
) -> Result<(), CoreError> {
    use balances::Column as B;
    let row = balances::ActiveModel {
        campaign_id: Set(campaign),
        org_id: Set(org),
        fund_source_id: Set(source),
        received_fen: Set(amount),
        available_fen: Set(amount),
    };
    let excluded = Alias::new("excluded");
    balances::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([B::CampaignId, B::OrgId, B::FundSourceId])
                .value(
                    B::ReceivedFen,
                    Expr::col((balances::Entity, B::ReceivedFen))
                        .add(Expr::col((excluded.clone(), B::ReceivedFen))),
                )
                .value(
                    B::AvailableFen,
                    Expr::col((balances::Entity, B::AvailableFen))
                        .add(Expr::col((excluded, B::AvailableFen))),
                )
                .to_owned(),
        )
        .exec_without_returning(work.conn())
        .await?;
    Ok(())
}

async fn credit_quota(
    work: &Work<'_>,
    campaign: Uuid,
    org: Uuid,
    quota: i32,
) -> Result<(), CoreError> {
    use quotas::Column as Q;
    let row = quotas::ActiveModel {
        campaign_id: Set(campaign),
        org_id: Set(org),
        received: Set(quota),
        available: Set(quota),
    };
    let excluded = Alias::new("excluded");
    quotas::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([Q::CampaignId, Q::OrgId])
                .value(
                    Q::Received,
                    Expr::col((quotas::Entity, Q::Received))
                        .add(Expr::col((excluded.clone(), Q::Received))),
                )
                .value(
                    Q::Available,
                    Expr::col((quotas::Entity, Q::Available))
                        .add(Expr::col((excluded, Q::Available))),
                )
                .to_owned(),
        )
        .exec_without_returning(work.conn())
        .await?;
    Ok(())
}

fn insufficient(detail: String) -> CoreError {
    CoreError::Conflict {
        kind: ConflictKind::InsufficientBalance,
        detail,
    }
}

/// Take `amount` of a source from what `org` has available, or refuse with what is left. The
/// condition is in the `UPDATE`: of two units racing for the same money, one finds it gone.
async fn debit(
    work: &Work<'_>,
    campaign: Uuid,
    org: &org_rows::Model,
    source: Uuid,
    amount: i64,
) -> Result<(), CoreError> {
    use balances::Column as B;
    let taken = balances::Entity::update_many()
        .col_expr(B::AvailableFen, Expr::col(B::AvailableFen).sub(amount))
        .filter(B::CampaignId.eq(campaign))
        .filter(B::OrgId.eq(org.id))
        .filter(B::FundSourceId.eq(source))
        .filter(B::AvailableFen.gte(amount))
        .exec(work.conn())
        .await?;
    if taken.rows_affected == 1 {
        return Ok(());
    }
    let left = balances::Entity::find_by_id((campaign, org.id, source))
        .one(work.conn())
        .await?
        .map_or(0, |b| b.available_fen);
    Err(insufficient(format!(
        "{} has {left} fen of this fund source available, {amount} asked for",
        org.name
    )))
}

async fn debit_quota(
    work: &Work<'_>,
    campaign: Uuid,
    org: &org_rows::Model,
    quota: i32,
) -> Result<(), CoreError> {
    use quotas::Column as Q;
    let taken = quotas::Entity::update_many()
        .col_expr(Q::Available, Expr::col(Q::Available).sub(quota))
        .filter(Q::CampaignId.eq(campaign))
        .filter(Q::OrgId.eq(org.id))
        .filter(Q::Available.gte(quota))
        .exec(work.conn())
        .await?;
    if taken.rows_affected == 1 {
        return Ok(());
    }
    let left = quotas::Entity::find_by_id((campaign, org.id))
        .one(work.conn())
        .await?
        .map_or(0, |q| q.available);
    Err(insufficient(format!(
        "{} has {left} recipients of quota available, {quota} asked for",
        org.name
    )))
}

/// Opening: the running organisation receives every fund source and the quota.
pub(super) async fn fund(
    ctx: &Context<'_>,
    work: &Work<'_>,
    campaign: &Campaign,
) -> Result<(), CoreError> {
    let c = &campaign.campaign;
    let quota = c.quota.unwrap_or(0);
    let mut entries = Vec::new();
    for source in &campaign.fund_sources {
        credit(work, c.id, c.org_id, source.id, source.amount_fen).await?;
        entries.push(Entry {
            org_id: c.org_id,
            fund_source_id: Some(source.id),
            kind: LedgerKind::Fund,
            amount_fen: source.amount_fen,
            quota: 0,
            allocation_id: None,
            grant_id: None,
            counterparty_org_id: None,
            payout_id: None,
        });
    }
    credit_quota(work, c.id, c.org_id, quota).await?;
    entries.push(Entry {
        org_id: c.org_id,
        fund_source_id: None,
        kind: LedgerKind::Fund,
        amount_fen: 0,
        quota,
        allocation_id: None,
        grant_id: None,
        counterparty_org_id: None,
        payout_id: None,
    });
    append(ctx, work, c.id, entries, ctx.clock.now()).await
}

/// The shape of an allocation, before anything is read: something to move, positive amounts,
/// each source once.
fn check_allocation(new: &NewAllocation) -> Result<(), CoreError> {
    let mut errors = Vec::new();
    if new.quota < 0 {
        errors.push(FieldError::new("quota", "range", "must not be negative"));
    }
    if new.quota == 0 && new.amounts.is_empty() {
        errors.push(FieldError::new(
            "amounts",
            "required",
            "an allocation moves money, quota or both",
        ));
    }
    let mut seen = HashSet::new();
    for (i, a) in new.amounts.iter().enumerate() {
        if a.amount_fen <= 0 {
            errors.push(FieldError::new(
                format!("amounts[{i}].amount_fen"),
                "range",
                "must be a positive amount in fen",
            ));
        }
        if !seen.insert(a.fund_source_id) {
            errors.push(FieldError::new(
                format!("amounts[{i}].fund_source_id"),
                "repeated",
                "each fund source once per allocation",
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(CoreError::Validation(errors))
    }
}

/// Open the unit of work an allocation runs in: the permission first, so that a denial is
/// audited before any write lock is held (on SQLite the audit would wait on the unit's own lock).
pub async fn begin<'c>(ctx: &'c Context<'_>) -> Result<Work<'c>, CoreError> {
    ctx.require(WRITE).await?;
    ctx.begin().await
}

/// Allocate (下拨) money and quota of a campaign from an organisation to one of its children, in
/// a unit of work from [`begin`] (the HTTP layer commits its `Idempotency-Key` in it too). The
/// parent must lie in the principal's scope — a city administrator allocates the city's money,
/// a county's administrator the county's — and hold enough of each source and of the quota;
/// the child must be the parent's direct child. The campaign must be open or closed.
pub async fn allocate(
    ctx: &Context<'_>,
    work: &Work<'_>,
    campaign_id: Uuid,
    new: NewAllocation,
) -> Result<allocations::Model, CoreError> {
    // Audited by `begin` when refused; checked again for a unit of work opened otherwise.
    if !crate::access::grants(ctx.roles(), WRITE) {
        return Err(CoreError::Forbidden(format!(
            "your roles do not grant `{}`",
            WRITE.as_str()
        )));
    }
    check_allocation(&new)?;
    let campaign = queries::visible(ctx.scope())
        .filter(campaigns::Column::Id.eq(campaign_id))
        .one(work.conn())
        .await?
        .ok_or(CoreError::NotFound)?;
    let child = orgs::find(work.conn(), ctx.scope(), new.to_org_id)
        .await?
        .ok_or(CoreError::NotFound)?;
    // The parent must be the principal's own to give from; a county cannot allocate itself the
    // city's money.
    let parent = match child.parent_id {
        Some(parent) => orgs::find(work.conn(), ctx.scope(), parent).await?,
        None => None,
    }
    .ok_or_else(|| {
        CoreError::field(
            "to_org_id",
            "not_allowed",
            "allocate to a child of an organisation in your subtree",
        )
    })?;
    let open = [
        CampaignStatus::Open.as_str(),
        CampaignStatus::Closed.as_str(),
    ];
    if !open.contains(&campaign.status.as_str()) {
        return Err(CoreError::conflict(format!(
            "money moves only while a campaign is open or closed; this one is `{}`",
            campaign.status
        )));
    }
    if quotas::Entity::find_by_id((campaign.id, parent.id))
        .one(work.conn())
        .await?
        .is_none()
    {
        return Err(insufficient(format!(
            "{} holds nothing of this campaign to allocate",
            parent.name
        )));
    }
    let known: HashSet<Uuid> = sources::Entity::find()
        .filter(sources::Column::CampaignId.eq(campaign.id))
        .all(work.conn())
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    let unknown: Vec<FieldError> = new
        .amounts
        .iter()
        .enumerate()
        .filter(|(_, a)| !known.contains(&a.fund_source_id))
        .map(|(i, _)| {
            FieldError::new(
                format!("amounts[{i}].fund_source_id"),
                "not_found",
                "is not a fund source of this campaign",
            )
        })
        .collect();
    if !unknown.is_empty() {
        return Err(CoreError::Validation(unknown));
    }
    let total = new
        .amounts
        .iter()
        .try_fold(0i64, |sum, a| sum.checked_add(a.amount_fen))
        .ok_or_else(|| CoreError::field("amounts", "range", "the amounts add up to too much"))?;

    let now = ctx.clock.now();
    let allocation = allocations::Entity::insert(allocations::ActiveModel {
        id: Set(Uuid::now_v7()),
        campaign_id: Set(campaign.id),
        from_org_id: Set(parent.id),
        to_org_id: Set(child.id),
        quota: Set(new.quota),
        amount_fen: Set(total),
        actor_id: Set(ctx.actor().id),
        actor_name: Set(ctx.actor().name.clone()),
        created_at: Set(now),
    })
    .exec_with_returning(work.conn())
    .await?;
    let mut entries = Vec::new();
    for a in &new.amounts {
        debit(work, campaign.id, &parent, a.fund_source_id, a.amount_fen).await?;
        credit(work, campaign.id, child.id, a.fund_source_id, a.amount_fen).await?;
        for (org, other, sign) in [(parent.id, child.id, -1), (child.id, parent.id, 1)] {
            entries.push(Entry {
                org_id: org,
                fund_source_id: Some(a.fund_source_id),
                kind: LedgerKind::Allocate,
                amount_fen: sign * a.amount_fen,
                quota: 0,
                allocation_id: Some(allocation.id),
                grant_id: None,
                counterparty_org_id: Some(other),
                payout_id: None,
            });
        }
    }
    debit_quota(work, campaign.id, &parent, new.quota).await?;
    // A child takes part in the campaign from its first allocation, even of money only.
    credit_quota(work, campaign.id, child.id, new.quota).await?;
    if new.quota > 0 {
        for (org, other, sign) in [(parent.id, child.id, -1), (child.id, parent.id, 1)] {
            entries.push(Entry {
                org_id: org,
                fund_source_id: None,
                kind: LedgerKind::Allocate,
                amount_fen: 0,
                quota: sign * new.quota,
                allocation_id: Some(allocation.id),
                grant_id: None,
                counterparty_org_id: Some(other),
                payout_id: None,
            });
        }
    }
    append(ctx, work, campaign.id, entries, now).await?;
    work.record(
        Event::new("campaign.allocate")
            .on("campaign", campaign.id)
            .changes(json!({
                "allocation_id": allocation.id, "from_org_id": parent.id, "to_org_id": child.id,
                "quota": new.quota, "amount_fen": total,
            })),
    )
    .await?;
    Ok(allocation)
}

/// Give back to what `org` has available (a released commitment); what it received is unchanged.
async fn restore(
    work: &Work<'_>,
    campaign: Uuid,
    org: Uuid,
    source: Uuid,
    amount: i64,
) -> Result<(), CoreError> {
    use balances::Column as B;
    balances::Entity::update_many()
        .col_expr(B::AvailableFen, Expr::col(B::AvailableFen).add(amount))
        .filter(B::CampaignId.eq(campaign))
        .filter(B::OrgId.eq(org))
        .filter(B::FundSourceId.eq(source))
        .exec(work.conn())
        .await?;
    Ok(())
}

async fn restore_quota(
    work: &Work<'_>,
    campaign: Uuid,
    org: Uuid,
    quota: i32,
) -> Result<(), CoreError> {
    use quotas::Column as Q;
    quotas::Entity::update_many()
        .col_expr(Q::Available, Expr::col(Q::Available).add(quota))
        .filter(Q::CampaignId.eq(campaign))
        .filter(Q::OrgId.eq(org))
        .exec(work.conn())
        .await?;
    Ok(())
}

/// Approving a grant: its amount and one recipient of the quota are taken from the nearest
/// organisation at or above the grant's own, within the principal's scope, that holds the
/// campaign — a township's grant from the township's allocation if it has one, else from its
/// county's. Money is taken source by source in the campaign's order; each take is a
/// conditional UPDATE, so approvals racing for the last yuan cannot both take it.
pub(crate) async fn commit(
    ctx: &Context<'_>,
    work: &Work<'_>,
    campaign: Uuid,
    grant: &entity::grants::Model,
) -> Result<(), CoreError> {
    let own = org_rows::Entity::find_by_id(grant.org_id)
        .one(work.conn())
        .await?
        .ok_or(CoreError::NotFound)?;
    let mut fund = None;
    for candidate in crate::tenancy::ancestors(&own.path).into_iter().rev() {
        let Some(org) = orgs::find(work.conn(), ctx.scope(), candidate).await? else {
            break;
        };
        if quotas::Entity::find_by_id((campaign, org.id))
            .one(work.conn())
            .await?
            .is_some()
        {
            fund = Some(org);
            break;
        }
    }
    let fund = fund.ok_or_else(|| {
        insufficient(format!(
            "no allocation of this campaign reaches {} within your organisation",
            own.name
        ))
    })?;
    debit_quota(work, campaign, &fund, 1).await?;
    let mut entries = vec![Entry {
        org_id: fund.id,
        fund_source_id: None,
        kind: LedgerKind::Commit,
        amount_fen: 0,
        quota: -1,
        allocation_id: None,
        grant_id: Some(grant.id),
        counterparty_org_id: None,
        payout_id: None,
    }];
    let held: HashMap<Uuid, i64> = balances::Entity::find()
        .filter(balances::Column::CampaignId.eq(campaign))
        .filter(balances::Column::OrgId.eq(fund.id))
        .all(work.conn())
        .await?
        .into_iter()
        .map(|b| (b.fund_source_id, b.available_fen))
        .collect();
    let order = sources::Entity::find()
        .filter(sources::Column::CampaignId.eq(campaign))
        .order_by_asc(sources::Column::Position)
        .all(work.conn())
        .await?;
    let mut remaining = grant.amount_fen;
    for source in order {
        if remaining == 0 {
            break;
        }
        let take = Ord::min(held.get(&source.id).copied().unwrap_or(0), remaining);
        if take <= 0 {
            continue;
        }
        debit(work, campaign, &fund, source.id, take).await?;
        entries.push(Entry {
            org_id: fund.id,
            fund_source_id: Some(source.id),
            kind: LedgerKind::Commit,
            amount_fen: -take,
            quota: 0,
            allocation_id: None,
            grant_id: Some(grant.id),
            counterparty_org_id: None,
            payout_id: None,
        });
        remaining -= take;
    }
    if remaining > 0 {
        let total: i64 = held.values().sum();
        return Err(insufficient(format!(
            "{} has {total} fen of this campaign available, {} asked for",
            fund.name, grant.amount_fen
        )));
    }
    append(ctx, work, campaign, entries, ctx.clock.now()).await
}

/// Rejecting an approved grant: whatever its commitment still holds, per organisation and
/// source, is given back, with `release` rows that say so.
pub(crate) async fn release(
    ctx: &Context<'_>,
    work: &Work<'_>,
    campaign: Uuid,
    grant: Uuid,
) -> Result<(), CoreError> {
    let rows = ledger::Entity::find()
        .filter(ledger::Column::GrantId.eq(grant))
        .all(work.conn())
        .await?;
    let mut money: BTreeMap<(Uuid, Uuid), i64> = BTreeMap::new();
    let mut quota: BTreeMap<Uuid, i64> = BTreeMap::new();
    for row in rows {
        if let Some(source) = row.fund_source_id {
            *money.entry((row.org_id, source)).or_default() += row.amount_fen;
        }
        *quota.entry(row.org_id).or_default() += i64::from(row.quota);
    }
    let mut entries = Vec::new();
    for ((org, source), held) in money {
        if held < 0 {
            restore(work, campaign, org, source, -held).await?;
            entries.push(Entry {
                org_id: org,
                fund_source_id: Some(source),
                kind: LedgerKind::Release,
                amount_fen: -held,
                quota: 0,
                allocation_id: None,
                grant_id: Some(grant),
                counterparty_org_id: None,
                payout_id: None,
            });
        }
    }
    for (org, held) in quota {
        if held < 0 {
            let back = i32::try_from(-held)
                .map_err(|_| CoreError::Internal("a grant holds too much quota".into()))?;
            restore_quota(work, campaign, org, back).await?;
            entries.push(Entry {
                org_id: org,
                fund_source_id: None,
                kind: LedgerKind::Release,
                amount_fen: 0,
                quota: back,
                allocation_id: None,
                grant_id: Some(grant),
                counterparty_org_id: None,
                payout_id: None,
            });
        }
    }
    append(ctx, work, campaign, entries, ctx.clock.now()).await
}

/// A payout confirmed paid: `pay` rows for what the grant's commitment holds, per organisation
/// and source, in the unit of work that marks the payout paid. Refused if the grant has already
/// been paid and not returned: its money reaches a bank once.
pub(crate) async fn pay(
    ctx: &Context<'_>,
    work: &Work<'_>,
    campaign: Uuid,
    grant: Uuid,
    payout: Uuid,
) -> Result<i64, CoreError> {
    let rows = ledger::Entity::find()
        .filter(ledger::Column::GrantId.eq(grant))
        .all(work.conn())
        .await?;
    let mut held: BTreeMap<(Uuid, Uuid), i64> = BTreeMap::new();
    let mut paid = 0;
    for row in rows {
        let Some(source) = row.fund_source_id else {
            continue;
        };
        match LedgerKind::parse(&row.kind) {
            Some(LedgerKind::Commit | LedgerKind::Release) => {
                *held.entry((row.org_id, source)).or_default() -= row.amount_fen;
            }
            Some(LedgerKind::Pay | LedgerKind::Return) => paid += row.amount_fen,
            _ => {}
        }
    }
    if paid != 0 {
        return Err(CoreError::conflict(
            "this grant has been paid already (and not returned): it is paid once",
        ));
    }
    let entries: Vec<Entry> = held
        .into_iter()
        .filter(|(_, amount)| *amount > 0)
        .map(|((org, source), amount)| Entry {
            org_id: org,
            fund_source_id: Some(source),
            kind: LedgerKind::Pay,
            amount_fen: amount,
            quota: 0,
            allocation_id: None,
            grant_id: Some(grant),
            counterparty_org_id: None,
            payout_id: Some(payout),
        })
        .collect();
    let total = entries.iter().map(|e| e.amount_fen).sum();
    append(ctx, work, campaign, entries, ctx.clock.now()).await?;
    Ok(total)
}

/// A paid payout returned by the bank (退票): its `pay` rows undone by `return` rows.
pub(crate) async fn unpay(
    ctx: &Context<'_>,
    work: &Work<'_>,
    campaign: Uuid,
    payout: Uuid,
) -> Result<i64, CoreError> {
    let rows = ledger::Entity::find()
        .filter(ledger::Column::PayoutId.eq(payout))
        .all(work.conn())
        .await?;
    let mut net: BTreeMap<(Uuid, Uuid, Uuid), i64> = BTreeMap::new();
    for row in rows {
        if let (Some(source), Some(grant)) = (row.fund_source_id, row.grant_id) {
            *net.entry((row.org_id, source, grant)).or_default() += row.amount_fen;
        }
    }
    let entries: Vec<Entry> = net
        .into_iter()
        .filter(|(_, amount)| *amount > 0)
        .map(|((org, source, grant), amount)| Entry {
            org_id: org,
            fund_source_id: Some(source),
            kind: LedgerKind::Return,
            amount_fen: -amount,
            quota: 0,
            allocation_id: None,
            grant_id: Some(grant),
            counterparty_org_id: None,
            payout_id: Some(payout),
        })
        .collect();
    let total = entries.iter().map(|e| -e.amount_fen).sum();
    append(ctx, work, campaign, entries, ctx.clock.now()).await?;
    Ok(total)
}

/// The ledger rows of a campaign the principal may read: those of organisations in its scope,
/// oldest first by id (the caller pages it).
pub async fn ledger(
    ctx: &Context<'_>,
    campaign_id: Uuid,
) -> Result<Select<ledger::Entity>, CoreError> {
    ctx.require(super::READ).await?;
    queries::get(ctx, campaign_id).await?;
    Ok(ledger::Entity::find()
        .filter(ledger::Column::CampaignId.eq(campaign_id))
        .filter(ctx.scope().owns(ledger::Column::OrgId))
        .order_by_asc(ledger::Column::Id))
}

/// What one organisation holds of a campaign, per fund source and in total.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holding {
    pub org_id: Uuid,
    pub org_name: String,
    /// Per fund source: (source id, figures).
    pub sources: Vec<(Uuid, Figures)>,
    pub total: Figures,
    pub quota_received: i64,
    pub quota_allocated: i64,
    /// Approved grants.
    pub quota_committed: i64,
    pub quota_available: i64,
}

/// Money figures, in fen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Figures {
    /// Funded or allocated to the organisation.
    pub received_fen: i64,
    /// Passed on to its children.
    pub allocated_fen: i64,
    /// Held by its approved grants.
    pub committed_fen: i64,
    /// Still its to allocate or commit.
    pub available_fen: i64,
    /// Of what is committed, confirmed paid by the bank (net of returns).
    pub paid_fen: i64,
}

impl Figures {
    fn add(&mut self, other: Figures) {
        self.received_fen += other.received_fen;
        self.allocated_fen += other.allocated_fen;
        self.committed_fen += other.committed_fen;
        self.available_fen += other.available_fen;
        self.paid_fen += other.paid_fen;
    }
}

/// The ledger of a campaign in the principal's scope summed in SQL per organisation, fund source
/// and kind, with what came in and what went out kept apart: the figures and the balance check
/// read a few rows per organisation, never the whole ledger.
#[derive(Debug, FromQueryResult)]
struct Sum {
    org_id: Uuid,
    fund_source_id: Option<Uuid>,
    kind: String,
    amount_in: i64,
    amount_out: i64,
    quota_in: i64,
    quota_out: i64,
}

async fn sums(ctx: &Context<'_>, campaign_id: Uuid) -> Result<Vec<Sum>, CoreError> {
    use ledger::Column as L;
    ctx.require(super::READ).await?;
    queries::get(ctx, campaign_id).await?;
    // PostgreSQL sums a bigint into a numeric; the casts bring the sums back.
    let part = |sql: &str| Expr::cust(format!("CAST(SUM({sql}) AS BIGINT)"));
    let query = Query::select()
        .column(L::OrgId)
        .column(L::FundSourceId)
        .column(L::Kind)
        .expr_as(
            part("CASE WHEN amount_fen > 0 THEN amount_fen ELSE 0 END"),
            "amount_in",
        )
        .expr_as(
            part("CASE WHEN amount_fen < 0 THEN -amount_fen ELSE 0 END"),
            "amount_out",
        )
        .expr_as(
            part("CASE WHEN quota > 0 THEN quota ELSE 0 END"),
            "quota_in",
        )
        .expr_as(
            part("CASE WHEN quota < 0 THEN -quota ELSE 0 END"),
            "quota_out",
        )
        .from(ledger::Entity)
        .and_where(Expr::col(L::CampaignId).eq(campaign_id))
        .and_where(ctx.scope().contains(Expr::col(L::OrgId)))
        .group_by_col(L::OrgId)
        .group_by_col(L::FundSourceId)
        .group_by_col(L::Kind)
        .to_owned();
    Ok(
        Sum::find_by_statement(ctx.db.get_database_backend().build(&query))
            .all(ctx.db)
            .await?,
    )
}

/// The campaign's figures for every organisation of the principal's scope that takes part in
/// it, computed from the ledger in one query: what each received (per source), passed on, and
/// has available, and the same for the quota.
pub async fn holdings(ctx: &Context<'_>, campaign_id: Uuid) -> Result<Vec<Holding>, CoreError> {
    let mut by_org: BTreeMap<Uuid, Holding> = BTreeMap::new();
    let mut per_source: HashMap<(Uuid, Uuid), Figures> = HashMap::new();
    for sum in sums(ctx, campaign_id).await? {
        let holding = by_org.entry(sum.org_id).or_insert_with(|| Holding {
            org_id: sum.org_id,
            ..Holding::default()
        });
        // Payments mark part of a commitment paid; they move nothing else.
        if matches!(
            LedgerKind::parse(&sum.kind),
            Some(LedgerKind::Pay | LedgerKind::Return)
        ) {
            if let Some(source) = sum.fund_source_id {
                let f = Figures {
                    paid_fen: sum.amount_in - sum.amount_out,
                    ..Figures::default()
                };
                per_source.entry((sum.org_id, source)).or_default().add(f);
                holding.total.add(f);
            }
            continue;
        }
        // Funding and allocations in are received, allocations out are passed on; commitments
        // net of releases are what approved grants hold.
        let held = matches!(
            LedgerKind::parse(&sum.kind),
            Some(LedgerKind::Commit | LedgerKind::Release)
        );
        let split = |into: i64, out: i64| -> (i64, i64, i64) {
            if held {
                (0, 0, out - into)
            } else {
                (into, out, 0)
            }
        };
        let (quota_in, quota_out, quota_held) = split(sum.quota_in, sum.quota_out);
        holding.quota_received += quota_in;
        holding.quota_allocated += quota_out;
        holding.quota_committed += quota_held;
        holding.quota_available += sum.quota_in - sum.quota_out;
        if let Some(source) = sum.fund_source_id {
            let (received, allocated, committed) = split(sum.amount_in, sum.amount_out);
            let f = Figures {
                received_fen: received,
                allocated_fen: allocated,
                committed_fen: committed,
                available_fen: sum.amount_in - sum.amount_out,
                paid_fen: 0,
            };
            per_source.entry((sum.org_id, source)).or_default().add(f);
            holding.total.add(f);
        }
    }
    let names: HashMap<Uuid, String> = org_rows::Entity::find()
        .filter(org_rows::Column::Id.is_in(by_org.keys().copied().collect::<Vec<_>>()))
        .all(ctx.db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let order: Vec<Uuid> = sources::Entity::find()
        .filter(sources::Column::CampaignId.eq(campaign_id))
        .order_by_asc(sources::Column::Position)
        .all(ctx.db)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    Ok(by_org
        .into_values()
        .map(|mut h| {
            h.org_name = names.get(&h.org_id).cloned().unwrap_or_default();
            h.sources = order
                .iter()
                .filter_map(|s| per_source.get(&(h.org_id, *s)).map(|f| (*s, *f)))
                .collect();
            h
        })
        .collect())
}

/// A balance that does not equal the sum of its ledger rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub org_id: Uuid,
    /// `None` for the quota.
    pub fund_source_id: Option<Uuid>,
    pub recorded: i64,
    pub from_ledger: i64,
}

/// Recompute every balance of the campaign in the principal's scope from the ledger and
/// compare it with the recorded one; an empty list means they agree to the fen.
pub async fn check(ctx: &Context<'_>, campaign_id: Uuid) -> Result<Vec<Difference>, CoreError> {
    let mut money: BTreeMap<(Uuid, Uuid), i64> = BTreeMap::new();
    let mut quota: BTreeMap<Uuid, i64> = BTreeMap::new();
    for sum in sums(ctx, campaign_id).await? {
        if matches!(
            LedgerKind::parse(&sum.kind),
            Some(LedgerKind::Pay | LedgerKind::Return)
        ) {
            continue;
        }
        if let Some(source) = sum.fund_source_id {
            *money.entry((sum.org_id, source)).or_default() += sum.amount_in - sum.amount_out;
        }
        *quota.entry(sum.org_id).or_default() += sum.quota_in - sum.quota_out;
    }
    let mut recorded_money: BTreeMap<(Uuid, Uuid), i64> = BTreeMap::new();
    for b in balances::Entity::find()
        .filter(balances::Column::CampaignId.eq(campaign_id))
        .filter(ctx.scope().owns(balances::Column::OrgId))
        .all(ctx.db)
        .await?
    {
        recorded_money.insert((b.org_id, b.fund_source_id), b.available_fen);
    }
    let mut recorded_quota: BTreeMap<Uuid, i64> = BTreeMap::new();
    for q in quotas::Entity::find()
        .filter(quotas::Column::CampaignId.eq(campaign_id))
        .filter(ctx.scope().owns(quotas::Column::OrgId))
        .all(ctx.db)
        .await?
    {
        recorded_quota.insert(q.org_id, i64::from(q.available));
    }
    let mut differences = Vec::new();
    let keys: HashSet<(Uuid, Uuid)> = money.keys().chain(recorded_money.keys()).copied().collect();
    let mut keys: Vec<_> = keys.into_iter().collect();
    keys.sort();
    for key in keys {
        let (recorded, from_ledger) = (
            recorded_money.get(&key).copied().unwrap_or(0),
            money.get(&key).copied().unwrap_or(0),
        );
        if recorded != from_ledger {
            differences.push(Difference {
                org_id: key.0,
                fund_source_id: Some(key.1),
                recorded,
                from_ledger,
            });
        }
    }
    let orgs: HashSet<Uuid> = quota.keys().chain(recorded_quota.keys()).copied().collect();
    let mut orgs: Vec<_> = orgs.into_iter().collect();
    orgs.sort();
    for org in orgs {
        let (recorded, from_ledger) = (
            recorded_quota.get(&org).copied().unwrap_or(0),
            quota.get(&org).copied().unwrap_or(0),
        );
        if recorded != from_ledger {
            differences.push(Difference {
                org_id: org,
                fund_source_id: None,
                recorded,
                from_ledger,
            });
        }
    }
    Ok(differences)
}
