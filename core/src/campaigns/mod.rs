//! Aid campaigns (帮扶活动): the "Four Seasons" (四季服务) — spring jobs, summer cool relief,
//! autumn tuition aid, winter warmth — and the campaigns that work the same way. A campaign is
//! run by one organisation (the city, or a county for its own) in one year, draws its money from
//! named fund sources, and moves through an explicit lifecycle:
//!
//! `draft` → `open` (applications accepted) → `closed` → `settled`, or `cancelled` from any state
//! before `settled`. Only a draft can be changed; opening needs a budget and a quota, and puts
//! both in the running organisation's hands through the ledger (`money`), from which they are
//! allocated down the tree. Each transition is its own operation, conditional on the state and
//! the version in one `UPDATE … WHERE`, and audited. Grants and payouts will hang off a
//! campaign; until they exist nothing can be approved, so cancelling is always allowed before
//! settlement.

pub mod money;
pub mod queries;
pub mod rule;

use chrono::NaiveDate;
use entity::{campaign_fund_sources as sources, campaigns};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use uuid::Uuid;

use crate::access::Permission;
use crate::audit::Event;
use crate::context::Context;
use crate::enums::string_enum;
use crate::registry::orgs;
use crate::uow::Work;
use crate::versioning;
use crate::{CoreError, FieldError};
pub use rule::GrantRule;

/// What these operations need, declared once: the operations check it and the HTTP layer's
/// document (`x-permission`) is written from it.
pub const WRITE: Permission = Permission::CampaignsWrite;
pub const READ: Permission = Permission::CampaignsRead;

/// The notice period (公示期) when none is given, in days.
pub const DEFAULT_NOTICE_DAYS: i32 = 5;
/// At most this many fund sources per campaign.
pub const MAX_SOURCES: usize = 20;

string_enum!(
    /// What a campaign is: the four seasons and the campaigns run the same way.
    CampaignKind {
        /// Spring jobs (春送岗位): job fairs and placements for workers out of work.
        SpringJobs = "spring_jobs",
        /// Summer cool relief (夏送清凉) for frontline and high-temperature workers.
        SummerCool = "summer_cool",
        /// Autumn tuition aid (金秋助学) for the children of families in hardship.
        AutumnTuition = "autumn_tuition",
        /// Winter warmth (冬送温暖) for families in hardship.
        WinterWarmth = "winter_warmth",
        /// School aid (帮扶送教育) for pupils of families in hardship.
        SchoolAid = "school_aid",
        /// Long-term assistance (长效救助) paid to archived families over the year.
        LongTermAssistance = "long_term_assistance",
        /// Recuperation for frontline workers (疗休养).
        Recuperation = "recuperation",
        /// Workers' accident insurance (职工意外保险).
        AccidentInsurance = "accident_insurance",
        /// The model workers' special fund (劳模专项资金).
        ModelWorkerFund = "model_worker_fund",
        /// Targeted poverty relief (精准扶贫).
        PovertyRelief = "poverty_relief",
    }
);

string_enum!(
    /// Where a campaign is in its life.
    CampaignStatus {
        /// Being prepared (草稿): may still be changed.
        Draft = "draft",
        /// Accepting applications (进行中).
        Open = "open",
        /// No longer accepting applications (已截止); approvals and payouts go on.
        Closed = "closed",
        /// Everything paid and reconciled (已结算).
        Settled = "settled",
        /// Called off (已取消).
        Cancelled = "cancelled",
    }
);

string_enum!(
    /// Where a campaign's money comes from. Fiscal special funds are reported apart from the
    /// federation's own money and donations.
    FundSourceKind {
        /// Central fiscal special assistance funds (中央财政专项帮扶资金).
        CentralFiscal = "central_fiscal",
        /// Provincial fiscal special assistance funds (省财政专项帮扶资金).
        ProvincialFiscal = "provincial_fiscal",
        /// City fiscal special assistance funds (市财政专项帮扶资金).
        CityFiscal = "city_fiscal",
        /// County fiscal funds (县级财政资金).
        CountyFiscal = "county_fiscal",
        /// The federation's own funds (工会经费).
        Federation = "federation",
        /// Donations from society (社会捐助).
        Donation = "donation",
        /// A partner's contribution in kind, at its value (合作方实物捐赠).
        InKind = "in_kind",
    }
);

/// One source of a campaign's money.
#[derive(Debug, Clone)]
pub struct FundSource {
    pub source: FundSourceKind,
    /// Who gave it, where that matters (the donor, the partner).
    pub name: Option<String>,
    pub amount_fen: i64,
}

/// A campaign to prepare (as a draft).
pub struct NewCampaign {
    pub org_id: Uuid,
    pub kind: CampaignKind,
    pub year: i32,
    pub title: String,
    pub applications_from: Option<NaiveDate>,
    pub applications_until: Option<NaiveDate>,
    pub notice_days: Option<i32>,
    /// How many recipients (名额) the campaign plans for.
    pub quota: Option<i32>,
    /// Who may receive and how much.
    pub rule: Option<GrantRule>,
    pub fund_sources: Vec<FundSource>,
}

/// Changes to a draft; `None` leaves a field as it is, `Some(None)` clears it. New fund sources
/// replace the old ones whole.
#[derive(Default)]
pub struct CampaignChanges {
    pub kind: Option<CampaignKind>,
    pub year: Option<i32>,
    pub title: Option<String>,
    pub applications_from: Option<Option<NaiveDate>>,
    pub applications_until: Option<Option<NaiveDate>>,
    pub notice_days: Option<i32>,
    pub quota: Option<Option<i32>>,
    pub rule: Option<Option<GrantRule>>,
    pub fund_sources: Option<Vec<FundSource>>,
}

/// A campaign with its fund sources, as the operations answer it.
#[derive(Debug, Clone)]
pub struct Campaign {
    pub campaign: campaigns::Model,
    pub fund_sources: Vec<sources::Model>,
}

impl Campaign {
    /// The budget: the sum of the sources (checked when they were written).
    pub fn budget_fen(&self) -> i64 {
        self.fund_sources.iter().map(|s| s.amount_fen).sum()
    }

    /// The grant rule, as checked when it was written.
    pub fn rule(&self) -> Result<Option<GrantRule>, CoreError> {
        self.campaign
            .rule
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|e| CoreError::Internal(format!("a stored grant rule does not parse: {e}")))
    }
}

fn store_rule(rule: Option<&GrantRule>) -> Result<Option<String>, CoreError> {
    rule.map(serde_json::to_string)
        .transpose()
        .map_err(|e| CoreError::Internal(e.to_string()))
}

/// The window must not end before it starts.
fn check_window(from: Option<NaiveDate>, until: Option<NaiveDate>) -> Result<(), FieldError> {
    match (from, until) {
        (Some(from), Some(until)) if until < from => Err(FieldError::new(
            "applications_until",
            "before_start",
            "ends before the application window opens",
        )),
        _ => Ok(()),
    }
}

/// Amounts are positive and their sum fits (no budget wraps around).
fn check_sources(list: &[FundSource]) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    if list.len() > MAX_SOURCES {
        errors.push(FieldError::new(
            "fund_sources",
            "length",
            format!("at most {MAX_SOURCES} fund sources"),
        ));
    }
    let mut total: i64 = 0;
    for (i, source) in list.iter().enumerate() {
        if source.amount_fen <= 0 {
            errors.push(FieldError::new(
                format!("fund_sources[{i}].amount_fen"),
                "range",
                "must be a positive amount in fen",
            ));
        }
        match total.checked_add(source.amount_fen.max(0)) {
            Some(sum) => total = sum,
            None => {
                errors.push(FieldError::new(
                    "fund_sources",
                    "range",
                    "the sources add up to more than a budget can hold",
                ));
                break;
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

async fn write_sources(
    work: &Work<'_>,
    campaign: Uuid,
    list: Vec<FundSource>,
) -> Result<(), CoreError> {
    sources::Entity::delete_many()
        .filter(sources::Column::CampaignId.eq(campaign))
        .exec(work.conn())
        .await?;
    if list.is_empty() {
        return Ok(());
    }
    let rows = list
        .into_iter()
        .zip(0..)
        .map(|(s, position)| sources::ActiveModel {
            id: Set(Uuid::now_v7()),
            campaign_id: Set(campaign),
            position: Set(position),
            source: Set(s.source.as_str().to_owned()),
            name: Set(s.name.map(|n| n.trim().to_owned())),
            amount_fen: Set(s.amount_fen),
        });
    sources::Entity::insert_many(rows).exec(work.conn()).await?;
    Ok(())
}

/// Prepare a campaign (`draft`) for an organisation of the scope: the city for a city-wide
/// campaign, a county for its own.
pub async fn create(ctx: &Context<'_>, new: NewCampaign) -> Result<Campaign, CoreError> {
    ctx.require(WRITE).await?;
    let mut errors = Vec::new();
    errors.extend(check_window(new.applications_from, new.applications_until).err());
    errors.extend(check_sources(&new.fund_sources).err().into_iter().flatten());
    if let Some(rule) = &new.rule {
        errors.extend(rule::check(rule, "rule").err().into_iter().flatten());
    }
    if !errors.is_empty() {
        return Err(CoreError::Validation(errors));
    }
    let work = ctx.begin().await?;
    orgs::find(work.conn(), ctx.scope(), new.org_id)
        .await?
        .ok_or(CoreError::NotFound)?;
    let now = ctx.clock.now();
    let row = campaigns::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(new.org_id),
        kind: Set(new.kind.as_str().to_owned()),
        year: Set(new.year),
        title: Set(new.title.trim().to_owned()),
        applications_from: Set(new.applications_from),
        applications_until: Set(new.applications_until),
        notice_days: Set(new.notice_days.unwrap_or(DEFAULT_NOTICE_DAYS)),
        quota: Set(new.quota),
        rule: Set(store_rule(new.rule.as_ref())?),
        status: Set(CampaignStatus::Draft.as_str().to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    };
    let c = campaigns::Entity::insert(row)
        .exec_with_returning(work.conn())
        .await?;
    let budget: i64 = new.fund_sources.iter().map(|s| s.amount_fen).sum();
    write_sources(&work, c.id, new.fund_sources).await?;
    work.record(Event::new("campaign.create").on("campaign", c.id).changes(json!({
        "kind": c.kind, "year": c.year, "title": c.title, "org_id": c.org_id, "budget_fen": budget,
        "quota": c.quota,
    })))
    .await?;
    let c = queries::load(work.conn(), c).await?;
    work.commit().await?;
    Ok(c)
}

/// The campaign run in the scope at the version the principal read, inside the unit of work.
/// Taking part in another organisation's campaign (holding an allocation) does not make it
/// one's own to change: such a campaign is `NotFound` here.
async fn current(
    ctx: &Context<'_>,
    work: &Work<'_>,
    id: Uuid,
    expected_version: Option<i32>,
) -> Result<campaigns::Model, CoreError> {
    let c = ctx
        .scope()
        .find::<campaigns::Entity>(work.conn(), id)
        .await?
        .ok_or(CoreError::NotFound)?;
    versioning::expect(expected_version, c.version)?;
    Ok(c)
}

/// Change a draft.
pub async fn update(
    ctx: &Context<'_>,
    id: Uuid,
    expected_version: Option<i32>,
    changes: CampaignChanges,
) -> Result<Campaign, CoreError> {
    use campaigns::Column as C;
    ctx.require(WRITE).await?;
    let work = ctx.begin().await?;
    let c = current(ctx, &work, id, expected_version).await?;
    if c.status != CampaignStatus::Draft.as_str() {
        return Err(CoreError::conflict(
            "only a draft campaign can be changed; it has moved on",
        ));
    }
    let from = changes.applications_from.unwrap_or(c.applications_from);
    let until = changes.applications_until.unwrap_or(c.applications_until);
    let mut errors = Vec::new();
    errors.extend(check_window(from, until).err());
    if let Some(list) = &changes.fund_sources {
        errors.extend(check_sources(list).err().into_iter().flatten());
    }
    if let Some(Some(rule)) = &changes.rule {
        errors.extend(rule::check(rule, "rule").err().into_iter().flatten());
    }
    if !errors.is_empty() {
        return Err(CoreError::Validation(errors));
    }
    let mut change = versioning::update::<campaigns::Entity>(c.id, c.version, ctx.clock.now());
    let mut summary = serde_json::Map::new();
    if let Some(kind) = changes.kind {
        change = change.col_expr(C::Kind, Expr::value(kind.as_str()));
        summary.insert("kind".into(), json!(kind.as_str()));
    }
    if let Some(year) = changes.year {
        change = change.col_expr(C::Year, Expr::value(year));
        summary.insert("year".into(), json!(year));
    }
    if let Some(title) = &changes.title {
        change = change.col_expr(C::Title, Expr::value(title.trim()));
        summary.insert("title".into(), json!(title.trim()));
    }
    if changes.applications_from.is_some() {
        change = change.col_expr(C::ApplicationsFrom, Expr::value(from));
        summary.insert("applications_from".into(), json!(from));
    }
    if changes.applications_until.is_some() {
        change = change.col_expr(C::ApplicationsUntil, Expr::value(until));
        summary.insert("applications_until".into(), json!(until));
    }
    if let Some(days) = changes.notice_days {
        change = change.col_expr(C::NoticeDays, Expr::value(days));
        summary.insert("notice_days".into(), json!(days));
    }
    if let Some(quota) = changes.quota {
        change = change.col_expr(C::Quota, Expr::value(quota));
        summary.insert("quota".into(), json!(quota));
    }
    if let Some(rule) = &changes.rule {
        change = change.col_expr(C::Rule, Expr::value(store_rule(rule.as_ref())?));
        summary.insert("rule".into(), json!(rule));
    }
    if let Some(list) = changes.fund_sources {
        let budget: i64 = list.iter().map(|s| s.amount_fen).sum();
        summary.insert("budget_fen".into(), json!(budget));
        write_sources(&work, c.id, list).await?;
    }
    let event = Event::new("campaign.update")
        .on("campaign", c.id)
        .changes(serde_json::Value::Object(summary));
    let c = versioning::save_work(&work, change, c.id, expected_version, event).await?;
    let c = queries::load(work.conn(), c).await?;
    work.commit().await?;
    Ok(c)
}

/// A lifecycle step: from which states, to which, and what it is called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Open,
    Close,
    Settle,
    Cancel,
}

impl Transition {
    fn from(self) -> &'static [CampaignStatus] {
        use CampaignStatus::*;
        match self {
            Transition::Open => &[Draft],
            Transition::Close => &[Open],
            Transition::Settle => &[Closed],
            Transition::Cancel => &[Draft, Open, Closed],
        }
    }

    fn to(self) -> CampaignStatus {
        match self {
            Transition::Open => CampaignStatus::Open,
            Transition::Close => CampaignStatus::Closed,
            Transition::Settle => CampaignStatus::Settled,
            Transition::Cancel => CampaignStatus::Cancelled,
        }
    }

    fn action(self) -> &'static str {
        match self {
            Transition::Open => "campaign.open",
            Transition::Close => "campaign.close",
            Transition::Settle => "campaign.settle",
            Transition::Cancel => "campaign.cancel",
        }
    }
}

/// Move a campaign one step through its lifecycle. The state is checked in the `UPDATE`
/// itself, so two requests racing from the same state cannot both succeed.
pub async fn transition(
    ctx: &Context<'_>,
    id: Uuid,
    expected_version: Option<i32>,
    step: Transition,
    reason: Option<String>,
) -> Result<Campaign, CoreError> {
    use campaigns::Column as C;
    ctx.require(WRITE).await?;
    let work = ctx.begin().await?;
    let c = current(ctx, &work, id, expected_version).await?;
    let from: Vec<&str> = step.from().iter().map(|s| s.as_str()).collect();
    if !from.contains(&c.status.as_str()) {
        return Err(CoreError::conflict(format!(
            "a campaign that is `{}` cannot go to `{}` (only from {})",
            c.status,
            step.to().as_str(),
            from.join(", ")
        )));
    }
    if step == Transition::Open {
        let loaded = queries::load(work.conn(), c.clone()).await?;
        let mut missing = Vec::new();
        if loaded.budget_fen() <= 0 {
            missing.push(FieldError::new(
                "fund_sources",
                "required",
                "a campaign opens with a budget: give at least one fund source",
            ));
        }
        if loaded.campaign.rule.is_none() {
            missing.push(FieldError::new(
                "rule",
                "required",
                "a campaign opens with its grant rule: who may receive and how much",
            ));
        }
        if loaded.campaign.quota.is_none_or(|q| q < 1) {
            missing.push(FieldError::new(
                "quota",
                "required",
                "a campaign opens with a quota: how many recipients it plans for",
            ));
        }
        if !missing.is_empty() {
            return Err(CoreError::Validation(missing));
        }
        money::fund(ctx, &work, &loaded).await?;
    }
    if matches!(step, Transition::Settle | Transition::Cancel) {
        // Under the lock payout builders take: no batch can start while this looks.
        crate::payouts::batches::lock_campaign(&work, c.id).await?;
        let waiting = crate::payouts::batches::in_flight(&work, c.id).await?;
        if waiting > 0 {
            return Err(CoreError::conflict(format!(
                "{waiting} payout(s) of this campaign still wait on the bank (pending, sent or \
                 unclear): reconcile or cancel their batches first"
            )));
        }
    }
    if step == Transition::Cancel && reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
        return Err(CoreError::field(
            "reason",
            "required",
            "say why the campaign is cancelled",
        ));
    }
    let change = versioning::update::<campaigns::Entity>(c.id, c.version, ctx.clock.now())
        .col_expr(C::Status, Expr::value(step.to().as_str()))
        .filter(C::Status.is_in(from));
    let mut changes = json!({ "from": c.status, "to": step.to().as_str() });
    if let Some(reason) = reason {
        changes["reason"] = json!(reason.trim());
    }
    let event = Event::new(step.action())
        .on("campaign", c.id)
        .changes(changes);
    let c = versioning::save_work(&work, change, c.id, expected_version, event).await?;
    let c = queries::load(work.conn(), c).await?;
    work.commit().await?;
    Ok(c)
}
