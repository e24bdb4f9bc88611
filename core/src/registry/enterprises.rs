//! Enterprises (建会企业): registering, correcting, archiving. The USCC is unique city-wide (a
//! unique index decides); members never exceed headcount.

use chrono::NaiveDate;
use entity::enterprises::{self, Column};
use sea_orm::sea_query::Expr;
use std::collections::HashSet;

use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter, QuerySelect,
    Select,
};
use serde_json::json;
use uuid::Uuid;

use super::{RECORD_ACTIVE, RecordKind, orgs};
use crate::access::Permission;
use crate::audit::Event;
use crate::context::Context;
use crate::domain::uscc;
use crate::enums::string_enum;
use crate::tenancy::Scope;
use crate::uow::Work;
use crate::versioning;
use crate::{CoreError, FieldError};

/// What these operations need, declared once: the operations check it and the HTTP layer's
/// document (`x-permission`) is written from it.
pub const WRITE: Permission = Permission::RegistryWrite;
pub const READ: Permission = Permission::RegistryRead;

string_enum!(
    /// Ownership type (所有制类型).
    Ownership {
        /// State-owned (国有).
        State = "state",
        /// Collectively owned (集体).
        Collective = "collective",
        /// Private, non-public economy (私营/非公).
        Private = "private",
        /// Foreign-invested (外商投资).
        Foreign = "foreign",
        /// Hong Kong, Macao or Taiwan invested (港澳台投资).
        HkMacaoTaiwan = "hk_macao_taiwan",
        /// Mixed ownership / joint-stock (混合所有制/股份制).
        Mixed = "mixed",
        /// Other (其他).
        Other = "other",
    }
);

pub fn scoped(scope: &Scope) -> Select<enterprises::Entity> {
    scope.select()
}

pub async fn find(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
) -> Result<Option<enterprises::Model>, DbErr> {
    scope.find::<enterprises::Entity>(db, id).await
}

/// Union members cannot outnumber the employees, and neither count is negative.
pub fn members_within_headcount(
    headcount: Option<i32>,
    members: Option<i32>,
) -> Result<(), FieldError> {
    match (headcount, members) {
        (Some(h), Some(m)) if m > h || h < 0 || m < 0 => Err(FieldError::new(
            "member_count",
            "exceeds_headcount",
            "cannot exceed headcount (and neither may be negative)",
        )),
        _ => Ok(()),
    }
}

/// An enterprise to register.
#[derive(Clone)]
pub struct NewEnterprise {
    pub org_id: Uuid,
    pub name: String,
    pub uscc: String,
    pub ownership: Ownership,
    pub industry: String,
    pub address: Option<String>,
    pub union_founded_on: Option<NaiveDate>,
    pub headcount: Option<i32>,
    pub member_count: Option<i32>,
    pub overcapacity: bool,
}

/// Register one enterprise (from the API, an import row or a sync), with its audit event.
pub async fn register(
    ctx: &Context<'_>,
    new: NewEnterprise,
    via: &str,
) -> Result<enterprises::Model, CoreError> {
    ctx.require(WRITE).await?;
    let work = ctx.begin().await?;
    let e = register_in(ctx, &work, new, via).await?;
    work.commit().await?;
    Ok(e)
}

/// [`register`] inside a unit of work the caller holds (a sync push registers many in one, each
/// in its own savepoint, beside its mapping). The caller has checked the permission.
pub async fn register_in(
    ctx: &Context<'_>,
    work: &Work<'_>,
    new: NewEnterprise,
    via: &str,
) -> Result<enterprises::Model, CoreError> {
    members_within_headcount(new.headcount, new.member_count)
        .map_err(|e| CoreError::Validation(vec![e]))?;
    orgs::find(work.conn(), ctx.scope(), new.org_id)
        .await?
        .ok_or(CoreError::NotFound)?;
    let row = new_row(new, ctx.clock.now());
    let e = enterprises::Entity::insert(row.into_active_model())
        .exec_with_returning(work.conn())
        .await?;
    work.record(created(&e, via)).await?;
    Ok(e)
}

fn new_row(new: NewEnterprise, now: chrono::DateTime<chrono::Utc>) -> enterprises::Model {
    enterprises::Model {
        id: Uuid::now_v7(),
        org_id: new.org_id,
        name: new.name.trim().to_owned(),
        uscc: uscc::normalise(&new.uscc),
        ownership: new.ownership.as_str().to_owned(),
        industry: new.industry,
        address: new.address,
        union_founded_on: new.union_founded_on,
        headcount: new.headcount,
        member_count: new.member_count,
        overcapacity: new.overcapacity,
        status: RECORD_ACTIVE.to_owned(),
        created_at: now,
        updated_at: now,
        version: 1,
    }
}

fn created(e: &enterprises::Model, via: &str) -> Event {
    let changes = json!({ "name": e.name, "uscc": e.uscc, "org_id": e.org_id, "via": via });
    Event::new("enterprise.create")
        .on("enterprise", e.id)
        .changes(changes)
}

/// Register many enterprises in `work` with a handful of statements however many they are: the
/// checks of [`register_in`] made for all at once (one query for the USCCs already registered,
/// one for the organisations), then the rows, their audit events and change-log entries in
/// multi-row statements. One the batch cannot take as it is (counts that disagree, a USCC
/// registered or earlier in the batch, an organisation outside the scope) is `None`, for the
/// caller to give [`register_in`], which registers or refuses it with its exact reason. Run it in
/// a savepoint: should a concurrent registration win a race these checks could not see, the
/// insert fails, and the caller registers each alone instead.
pub async fn register_many_in(
    ctx: &Context<'_>,
    work: &Work<'_>,
    news: Vec<NewEnterprise>,
    via: &str,
) -> Result<Vec<Option<enterprises::Model>>, CoreError> {
    let usccs: Vec<String> = news.iter().map(|n| uscc::normalise(&n.uscc)).collect();
    let org_ids: Vec<Uuid> = news.iter().map(|n| n.org_id).collect();
    let mut registered = HashSet::new();
    let mut orgs_in = HashSet::new();
    for chunk in usccs.chunks(500) {
        let found: Vec<String> = enterprises::Entity::find()
            .select_only()
            .column(Column::Uscc)
            .filter(Column::Uscc.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(work.conn())
            .await?;
        registered.extend(found);
    }
    orgs_in.extend(
        crate::tenancy::ids_within(
            work.conn(),
            ctx.scope().orgs(),
            entity::orgs::Column::Id,
            &org_ids,
        )
        .await?,
    );
    let now = ctx.clock.now();
    let mut out = Vec::with_capacity(news.len());
    let mut rows = Vec::new();
    for (new, code) in news.into_iter().zip(usccs) {
        let takes = members_within_headcount(new.headcount, new.member_count).is_ok()
            && orgs_in.contains(&new.org_id)
            && registered.insert(code);
        if !takes {
            out.push(None);
            continue;
        }
        let row = new_row(new, now);
        rows.push(row.clone());
        out.push(Some(row));
    }
    work.insert_all(rows.iter().cloned().map(IntoActiveModel::into_active_model))
        .await?;
    crate::audit::record_created(
        work.conn(),
        work.actor(),
        rows.iter()
            .map(|e| (created(e, via), e.org_id, e.version))
            .collect(),
    )
    .await?;
    Ok(out)
}

/// Changes to an enterprise; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Default)]
pub struct EnterpriseChanges {
    pub org_id: Option<Uuid>,
    pub name: Option<String>,
    pub uscc: Option<String>,
    pub ownership: Option<Ownership>,
    pub industry: Option<String>,
    pub address: Option<Option<String>>,
    pub union_founded_on: Option<Option<NaiveDate>>,
    pub headcount: Option<Option<i32>>,
    pub member_count: Option<Option<i32>>,
    pub overcapacity: Option<bool>,
}

impl EnterpriseChanges {
    pub fn is_empty(&self) -> bool {
        self.org_id.is_none()
            && self.name.is_none()
            && self.uscc.is_none()
            && self.ownership.is_none()
            && self.industry.is_none()
            && self.address.is_none()
            && self.union_founded_on.is_none()
            && self.headcount.is_none()
            && self.member_count.is_none()
            && self.overcapacity.is_none()
    }
}

/// What writing `new` over `e` would change, field by field: a sync push that brings nothing new
/// writes nothing and keeps the version.
pub fn changes_to(e: &enterprises::Model, new: NewEnterprise) -> EnterpriseChanges {
    EnterpriseChanges {
        org_id: (new.org_id != e.org_id).then_some(new.org_id),
        name: (new.name.trim() != e.name).then(|| new.name.trim().to_owned()),
        uscc: (uscc::normalise(&new.uscc) != e.uscc).then_some(new.uscc),
        ownership: (new.ownership.as_str() != e.ownership).then_some(new.ownership),
        industry: (new.industry != e.industry).then_some(new.industry),
        address: (new.address != e.address).then_some(new.address),
        union_founded_on: (new.union_founded_on != e.union_founded_on)
            .then_some(new.union_founded_on),
        headcount: (new.headcount != e.headcount).then_some(new.headcount),
        member_count: (new.member_count != e.member_count).then_some(new.member_count),
        overcapacity: (new.overcapacity != e.overcapacity).then_some(new.overcapacity),
    }
}

/// Change an enterprise at the version the principal read. The member rule is checked against
/// the record as it will be.
pub async fn update(
    ctx: &Context<'_>,
    id: Uuid,
    expected_version: Option<i32>,
    c: EnterpriseChanges,
) -> Result<enterprises::Model, CoreError> {
    ctx.require(WRITE).await?;
    let work = ctx.begin().await?;
    let e = update_in(ctx, &work, id, expected_version, c).await?;
    work.commit().await?;
    Ok(e)
}

/// [`update`] inside a unit of work the caller holds; the caller has checked the permission.
pub async fn update_in(
    ctx: &Context<'_>,
    work: &Work<'_>,
    id: Uuid,
    expected_version: Option<i32>,
    c: EnterpriseChanges,
) -> Result<enterprises::Model, CoreError> {
    let e = find(work.conn(), ctx.scope(), id)
        .await?
        .ok_or(CoreError::NotFound)?;
    versioning::expect(expected_version, e.version)?;
    members_within_headcount(
        c.headcount.unwrap_or(e.headcount),
        c.member_count.unwrap_or(e.member_count),
    )
    .map_err(|e| CoreError::Validation(vec![e]))?;

    let mut change = versioning::update::<enterprises::Entity>(e.id, e.version, ctx.clock.now());
    let mut changes = serde_json::Map::new();
    if let Some(org) = c.org_id {
        orgs::find(work.conn(), ctx.scope(), org)
            .await?
            .ok_or(CoreError::NotFound)?;
        changes.insert("org_id".into(), json!(org));
        change = change.col_expr(Column::OrgId, Expr::value(org));
    }
    if let Some(v) = c.name {
        changes.insert("name".into(), json!(v));
        change = change.col_expr(Column::Name, Expr::value(v.trim().to_owned()));
    }
    if let Some(v) = c.uscc {
        let v = uscc::normalise(&v);
        changes.insert("uscc".into(), json!(v));
        change = change.col_expr(Column::Uscc, Expr::value(v));
    }
    if let Some(v) = c.ownership {
        changes.insert("ownership".into(), json!(v));
        change = change.col_expr(Column::Ownership, Expr::value(v.as_str()));
    }
    if let Some(v) = c.industry {
        changes.insert("industry".into(), json!(v));
        change = change.col_expr(Column::Industry, Expr::value(v));
    }
    if let Some(v) = c.address {
        changes.insert("address".into(), json!(v));
        change = change.col_expr(Column::Address, Expr::value(v));
    }
    if let Some(v) = c.union_founded_on {
        changes.insert("union_founded_on".into(), json!(v));
        change = change.col_expr(Column::UnionFoundedOn, Expr::value(v));
    }
    if let Some(v) = c.headcount {
        changes.insert("headcount".into(), json!(v));
        change = change.col_expr(Column::Headcount, Expr::value(v));
    }
    if let Some(v) = c.member_count {
        changes.insert("member_count".into(), json!(v));
        change = change.col_expr(Column::MemberCount, Expr::value(v));
    }
    if let Some(v) = c.overcapacity {
        changes.insert("overcapacity".into(), json!(v));
        change = change.col_expr(Column::Overcapacity, Expr::value(v));
    }
    let event = Event::new("enterprise.update")
        .on("enterprise", e.id)
        .changes(changes.into());
    versioning::save_work(work, change, e.id, expected_version, event).await
}

const KIND: RecordKind = RecordKind {
    resource: "enterprise",
    archive: "enterprise.archive",
    restore: "enterprise.restore",
    permission: WRITE,
};

/// Archive (`to` = archived) or restore (`to` = active) an enterprise.
pub async fn set_status(
    ctx: &Context<'_>,
    id: Uuid,
    expected_version: Option<i32>,
    to: &'static str,
) -> Result<enterprises::Model, CoreError> {
    super::change_status::<enterprises::Entity>(
        ctx,
        &KIND,
        Column::Status,
        id,
        expected_version,
        to,
    )
    .await
}
