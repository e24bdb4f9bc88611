//! Workers (职工): registering, correcting, archiving and revealing. Personal data enters through
//! [`protect_id_number`] and [`protect_phone`] (ciphertext, blind index, mask) and leaves masked;
//! the one plaintext path is [`reveal`], permissioned, with a reason, audited. One ID number is
//! one person city-wide ([`ensure_new_person`]), and the unique index on the blind index settles
//! two registrations that race past that check.

use std::collections::HashSet;

use chrono::NaiveDate;
use entity::workers::{self, Column};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter, QuerySelect,
    Select,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::{RECORD_ACTIVE, RecordKind, enterprises, orgs};
use crate::CoreError;
use crate::access::Permission;
use crate::audit::Event;
use crate::context::Context;
use crate::domain::{id_number, phone};
use crate::enums::string_enum;
use crate::pii::{DataProtector, PiiField, mask};
use crate::tenancy::Scope;
use crate::uow::Work;
use crate::versioning;

/// What the worker operations need, declared once: the operations check it and the HTTP layer's
/// document (`x-permission`) is written from it.
pub const WRITE: Permission = Permission::RegistryWrite;
pub const READ: Permission = Permission::RegistryRead;
pub const REVEAL: Permission = Permission::PiiReveal;

string_enum!(
    /// Kind of worker.
    WorkerKind {
        /// Regular staff (职工).
        Staff = "staff",
        /// Rural migrant worker (农民工).
        MigrantWorker = "migrant_worker",
        /// Agency (dispatched) worker (劳务派遣).
        Dispatched = "dispatched",
        /// Flexible employment (灵活就业).
        Flexible = "flexible",
        /// Other (其他).
        Other = "other",
    }
);

string_enum!(
    /// Employment status.
    EmploymentStatus {
        /// Employed (在岗).
        Employed = "employed",
        /// Laid off (下岗).
        LaidOff = "laid_off",
        /// Unemployed (失业).
        Unemployed = "unemployed",
        /// Retired (退休).
        Retired = "retired",
    }
);

string_enum!(
    /// An honour the worker holds.
    Honour {
        /// Model worker (劳动模范).
        ModelWorker = "model_worker",
        /// Craftsman (工匠).
        Craftsman = "craftsman",
        /// May Day Labour Medal (五一劳动奖章).
        MayDayMedal = "may_day_medal",
    }
);

string_enum!(
    /// Sex, derived from the ID number (17th digit: odd male, even female).
    Sex {
        /// Male (男).
        Male = "male",
        /// Female (女).
        Female = "female",
    }
);

pub fn parse_honours(stored: &str) -> Vec<Honour> {
    stored.split(',').filter_map(Honour::parse).collect()
}

/// Stored in the order of `Honour::ALL`, each once.
pub fn store_honours(honours: &[Honour]) -> String {
    Honour::ALL
        .iter()
        .filter(|h| honours.contains(h))
        .map(|h| h.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

pub fn scoped(scope: &Scope) -> Select<workers::Entity> {
    scope.select()
}

pub async fn find(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
) -> Result<Option<workers::Model>, DbErr> {
    scope.find::<workers::Entity>(db, id).await
}

/// An ID number as it is stored: ciphertext, blind index, mask, and what it says.
pub struct StoredIdNumber {
    pub enc: String,
    pub idx: String,
    pub masked: String,
    pub sex: Sex,
    pub birth_date: NaiveDate,
}

/// Validate an ID number (as of `today`) and turn it into its stored forms; `field` names it in
/// the validation error.
pub fn protect_id_number(
    pii: &DataProtector,
    field: &str,
    raw: &str,
    today: NaiveDate,
) -> Result<StoredIdNumber, CoreError> {
    let number = id_number::normalise(raw);
    let facts = id_number::parse(&number, today)
        .map_err(|_| CoreError::field(field, "invalid", "is not a valid resident ID number"))?;
    Ok(StoredIdNumber {
        enc: pii.encrypt(PiiField::IdNumber, &number)?,
        idx: pii.blind_index(PiiField::IdNumber, &number),
        masked: mask::id_number(&number),
        sex: match facts.sex {
            id_number::Sex::Male => Sex::Male,
            id_number::Sex::Female => Sex::Female,
        },
        birth_date: facts.birth_date,
    })
}

/// A phone as it is stored: ciphertext, blind index, mask.
pub struct StoredPhone {
    pub enc: String,
    pub idx: String,
    pub masked: String,
}

pub fn protect_phone(
    pii: &DataProtector,
    field: &str,
    raw: &str,
) -> Result<StoredPhone, CoreError> {
    let number = phone::normalise(raw)
        .map_err(|_| CoreError::field(field, "format", "must be a mainland mobile number"))?;
    Ok(StoredPhone {
        enc: pii.encrypt(PiiField::Phone, &number)?,
        idx: pii.blind_index(PiiField::Phone, &number),
        masked: mask::phone(&number),
    })
}

/// One ID number is one person city-wide. The lookup is deliberately not scoped (the rule spans
/// every county); what the principal learns is: the existing record's id if it may see it, else
/// only that the person is registered somewhere.
pub async fn ensure_new_person(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id_number_idx: &str,
    except: Option<Uuid>,
) -> Result<(), CoreError> {
    let Some(existing) = workers::Entity::find()
        .filter(Column::IdNumberIdx.eq(id_number_idx))
        .one(db)
        .await?
    else {
        return Ok(());
    };
    if Some(existing.id) == except {
        return Ok(());
    }
    let visible = orgs::find(db, scope, existing.org_id).await?.is_some();
    Err(CoreError::Duplicate {
        detail: "a worker with this ID number is already registered".to_owned(),
        existing_id: visible.then_some(existing.id),
    })
}

/// The organisation and employer a worker is registered under must lie in the scope.
async fn check_refs(
    db: &impl ConnectionTrait,
    scope: &Scope,
    org_id: Option<Uuid>,
    enterprise_id: Option<Uuid>,
) -> Result<(), CoreError> {
    if let Some(org) = org_id {
        orgs::find(db, scope, org)
            .await?
            .ok_or(CoreError::NotFound)?;
    }
    if let Some(enterprise) = enterprise_id {
        enterprises::find(db, scope, enterprise)
            .await?
            .ok_or(CoreError::NotFound)?;
    }
    Ok(())
}

/// A worker to register. Sex and birth date come from the ID number.
#[derive(Clone)]
pub struct NewWorker {
    pub org_id: Uuid,
    pub enterprise_id: Option<Uuid>,
    pub name: String,
    pub id_number: String,
    pub phone: Option<String>,
    pub kind: WorkerKind,
    pub employment_status: EmploymentStatus,
    pub member_since: Option<NaiveDate>,
    pub frontline: bool,
    pub high_temperature: bool,
    pub honours: Vec<Honour>,
}

/// Register one worker (from the API, an import row or a sync): scope checks, the one-person
/// rule, personal data protected, the row and its audit event in one unit of work. `via` says
/// which path it came by, for the audit trail.
pub async fn register(
    ctx: &Context<'_>,
    new: NewWorker,
    via: &str,
) -> Result<workers::Model, CoreError> {
    ctx.require(WRITE).await?;
    let work = ctx.begin().await?;
    let w = register_in(ctx, &work, new, via).await?;
    work.commit().await?;
    Ok(w)
}

/// [`register`] inside a unit of work the caller holds (a sync push registers many in one, each
/// in its own savepoint, beside its mapping). The caller has checked the permission.
pub async fn register_in(
    ctx: &Context<'_>,
    work: &Work<'_>,
    new: NewWorker,
    via: &str,
) -> Result<workers::Model, CoreError> {
    let id_number = protect_id_number(ctx.pii, "id_number", &new.id_number, ctx.clock.today())?;
    let phone = new
        .phone
        .as_deref()
        .map(|p| protect_phone(ctx.pii, "phone", p))
        .transpose()?;
    check_refs(
        work.conn(),
        ctx.scope(),
        Some(new.org_id),
        new.enterprise_id,
    )
    .await?;
    ensure_new_person(work.conn(), ctx.scope(), &id_number.idx, None).await?;

    let row = new_row(new, id_number, phone, ctx.clock.now());
    let w = workers::Entity::insert(row.into_active_model())
        .exec_with_returning(work.conn())
        .await
        .map_err(|e| duplicate_person(e.into()))?;
    work.record(created(&w, via)).await?;
    Ok(w)
}

/// The row of a worker to register, its personal numbers protected.
fn new_row(
    new: NewWorker,
    id_number: StoredIdNumber,
    phone: Option<StoredPhone>,
    now: chrono::DateTime<chrono::Utc>,
) -> workers::Model {
    workers::Model {
        id: Uuid::now_v7(),
        org_id: new.org_id,
        enterprise_id: new.enterprise_id,
        name: new.name.trim().to_owned(),
        id_number_enc: id_number.enc,
        id_number_idx: id_number.idx,
        id_number_masked: id_number.masked,
        sex: id_number.sex.as_str().to_owned(),
        birth_date: id_number.birth_date,
        phone_enc: phone.as_ref().map(|p| p.enc.clone()),
        phone_idx: phone.as_ref().map(|p| p.idx.clone()),
        phone_masked: phone.map(|p| p.masked),
        kind: new.kind.as_str().to_owned(),
        employment_status: new.employment_status.as_str().to_owned(),
        member_since: new.member_since,
        frontline: new.frontline,
        high_temperature: new.high_temperature,
        honours: store_honours(&new.honours),
        status: RECORD_ACTIVE.to_owned(),
        created_at: now,
        updated_at: now,
        version: 1,
    }
}

/// The audit event of a registration; its change summary names fields and masked values only.
fn created(w: &workers::Model, via: &str) -> Event {
    let changes = json!({ "name": w.name, "id_number": w.id_number_masked, "org_id": w.org_id, "enterprise_id": w.enterprise_id, "via": via });
    Event::new("worker.create")
        .on("worker", w.id)
        .changes(changes)
}

/// Register many workers in `work` with a handful of statements however many they are: the
/// checks of [`register_in`] made for all at once (one query for the one-person rule, one each
/// for the organisations and the employers), then the rows, their audit events and change-log
/// entries in multi-row statements. A worker the batch cannot take as it is — a number that
/// fails, a person already registered or earlier in the batch, a reference outside the scope —
/// is `None`, for the caller to give [`register_in`], which registers or refuses it with its
/// exact reason. Run it in a savepoint: should a concurrent registration win a race these checks
/// could not see, the insert fails, and the caller registers each alone instead.
pub async fn register_many_in(
    ctx: &Context<'_>,
    work: &Work<'_>,
    news: Vec<NewWorker>,
    via: &str,
) -> Result<Vec<Option<workers::Model>>, CoreError> {
    let protected = protect_all(ctx.pii, news, ctx.clock.today()).await?;
    let idxs: Vec<String> = protected
        .iter()
        .filter_map(|p| p.as_ref().map(|(_, id, _)| id.idx.clone()))
        .collect();
    let org_ids: Vec<Uuid> = protected
        .iter()
        .filter_map(|p| p.as_ref().map(|(n, _, _)| n.org_id))
        .collect();
    let enterprise_ids: Vec<Uuid> = protected
        .iter()
        .filter_map(|p| p.as_ref().and_then(|(n, _, _)| n.enterprise_id))
        .collect();
    let mut registered = HashSet::new();
    let (mut orgs_in, mut enterprises_in) = (HashSet::new(), HashSet::new());
    for chunk in idxs.chunks(500) {
        let found: Vec<String> = workers::Entity::find()
            .select_only()
            .column(Column::IdNumberIdx)
            .filter(Column::IdNumberIdx.is_in(chunk.iter().cloned()))
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
    enterprises_in.extend(
        crate::tenancy::ids_within(
            work.conn(),
            enterprises::scoped(ctx.scope()),
            entity::enterprises::Column::Id,
            &enterprise_ids,
        )
        .await?,
    );
    let now = ctx.clock.now();
    let mut out = Vec::with_capacity(protected.len());
    let mut rows = Vec::new();
    for p in protected {
        let Some((new, id, phone)) = p else {
            out.push(None);
            continue;
        };
        let refs_in = orgs_in.contains(&new.org_id)
            && new
                .enterprise_id
                .is_none_or(|e| enterprises_in.contains(&e));
        // A person already registered, or met earlier in this batch, goes alone.
        if !refs_in || !registered.insert(id.idx.clone()) {
            out.push(None);
            continue;
        }
        let row = new_row(new, id, phone, now);
        rows.push(row.clone());
        out.push(Some(row));
    }
    work.insert_all(rows.iter().cloned().map(IntoActiveModel::into_active_model))
        .await
        .map_err(|e| duplicate_person(e.into()))?;
    crate::audit::record_created(
        work.conn(),
        work.actor(),
        rows.iter()
            .map(|w| (created(w, via), w.org_id, w.version))
            .collect(),
    )
    .await?;
    Ok(out)
}

/// A worker with its ID number and phone in their stored forms; `None` where either fails.
type Protected = Option<(NewWorker, StoredIdNumber, Option<StoredPhone>)>;

/// The stored forms of a batch's personal numbers, in the batch's order. A batch of 500 is
/// milliseconds of AES and HMAC: done on the executor it would stall every request that thread
/// serves, so it runs on blocking threads, one slice of the batch per core.
async fn protect_all(
    pii: &DataProtector,
    news: Vec<NewWorker>,
    today: NaiveDate,
) -> Result<Vec<Protected>, CoreError> {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let slice = news.len().div_ceil(cores).max(1);
    let mut news = news.into_iter().peekable();
    let mut slices = Vec::new();
    while news.peek().is_some() {
        let part: Vec<NewWorker> = news.by_ref().take(slice).collect();
        let pii = pii.clone();
        slices.push(tokio::task::spawn_blocking(move || {
            part.into_iter()
                .map(|new| {
                    let id = protect_id_number(&pii, "id_number", &new.id_number, today);
                    let phone = new
                        .phone
                        .as_deref()
                        .map(|p| protect_phone(&pii, "phone", p))
                        .transpose();
                    match (id, phone) {
                        (Ok(id), Ok(phone)) => Some((new, id, phone)),
                        _ => None,
                    }
                })
                .collect::<Vec<Protected>>()
        }));
    }
    let mut out = Vec::new();
    for part in slices {
        out.extend(
            part.await
                .map_err(|e| CoreError::Internal(format!("protecting a batch failed: {e}")))?,
        );
    }
    Ok(out)
}

/// A concurrent registration of the same person that passed the check at the same time is
/// stopped by the unique index; it answers like the check would (without the id).
fn duplicate_person(err: CoreError) -> CoreError {
    match err {
        CoreError::Duplicate { .. } => CoreError::Duplicate {
            detail: "a worker with this ID number is already registered".to_owned(),
            existing_id: None,
        },
        other => other,
    }
}

/// Changes to a worker; `None` leaves a field as it is, `Some(None)` clears an optional one.
#[derive(Default)]
pub struct WorkerChanges {
    pub org_id: Option<Uuid>,
    pub enterprise_id: Option<Option<Uuid>>,
    pub name: Option<String>,
    pub id_number: Option<String>,
    pub phone: Option<Option<String>>,
    pub kind: Option<WorkerKind>,
    pub employment_status: Option<EmploymentStatus>,
    pub member_since: Option<Option<NaiveDate>>,
    pub frontline: Option<bool>,
    pub high_temperature: Option<bool>,
    pub honours: Option<Vec<Honour>>,
}

impl WorkerChanges {
    pub fn is_empty(&self) -> bool {
        self.org_id.is_none()
            && self.enterprise_id.is_none()
            && self.name.is_none()
            && self.id_number.is_none()
            && self.phone.is_none()
            && self.kind.is_none()
            && self.employment_status.is_none()
            && self.member_since.is_none()
            && self.frontline.is_none()
            && self.high_temperature.is_none()
            && self.honours.is_none()
    }
}

/// What writing `new` over `w` would change, field by field (personal numbers compared by their
/// blind index): a sync push that brings nothing new writes nothing and keeps the version. A
/// number that does not parse counts as changed, so that the update reports it.
pub fn changes_to(pii: &DataProtector, w: &workers::Model, new: NewWorker) -> WorkerChanges {
    let differs = |old: &str, new: &str| (old != new).then(|| new.to_owned());
    let id_number = id_number::normalise(&new.id_number);
    let phone = match &new.phone {
        None => w.phone_idx.is_some().then_some(None),
        Some(raw) => match phone::normalise(raw) {
            Ok(number)
                if w.phone_idx.as_deref()
                    == Some(pii.blind_index(PiiField::Phone, &number).as_str()) =>
            {
                None
            }
            _ => Some(Some(raw.clone())),
        },
    };
    WorkerChanges {
        org_id: (new.org_id != w.org_id).then_some(new.org_id),
        enterprise_id: (new.enterprise_id != w.enterprise_id).then_some(new.enterprise_id),
        name: differs(&w.name, new.name.trim()),
        id_number: (pii.blind_index(PiiField::IdNumber, &id_number) != w.id_number_idx)
            .then_some(new.id_number),
        phone,
        kind: (new.kind.as_str() != w.kind).then_some(new.kind),
        employment_status: (new.employment_status.as_str() != w.employment_status)
            .then_some(new.employment_status),
        member_since: (new.member_since != w.member_since).then_some(new.member_since),
        frontline: (new.frontline != w.frontline).then_some(new.frontline),
        high_temperature: (new.high_temperature != w.high_temperature)
            .then_some(new.high_temperature),
        honours: (store_honours(&new.honours) != w.honours).then_some(new.honours),
    }
}

/// Change a worker at the version the principal read. A corrected ID number is validated again,
/// re-derives sex and birth date, and must still be unique city-wide.
pub async fn update(
    ctx: &Context<'_>,
    id: Uuid,
    expected_version: Option<i32>,
    c: WorkerChanges,
) -> Result<workers::Model, CoreError> {
    ctx.require(WRITE).await?;
    let work = ctx.begin().await?;
    let w = update_in(ctx, &work, id, expected_version, c).await?;
    work.commit().await?;
    Ok(w)
}

/// [`update`] inside a unit of work the caller holds; the caller has checked the permission.
pub async fn update_in(
    ctx: &Context<'_>,
    work: &Work<'_>,
    id: Uuid,
    expected_version: Option<i32>,
    c: WorkerChanges,
) -> Result<workers::Model, CoreError> {
    let id_number = c
        .id_number
        .as_deref()
        .map(|raw| protect_id_number(ctx.pii, "id_number", raw, ctx.clock.today()))
        .transpose()?;
    let phone = c
        .phone
        .map(|p| {
            p.as_deref()
                .map(|p| protect_phone(ctx.pii, "phone", p))
                .transpose()
        })
        .transpose()?;
    let w = find(work.conn(), ctx.scope(), id)
        .await?
        .ok_or(CoreError::NotFound)?;
    versioning::expect(expected_version, w.version)?;
    check_refs(
        work.conn(),
        ctx.scope(),
        c.org_id,
        c.enterprise_id.flatten(),
    )
    .await?;

    let mut change = versioning::update::<workers::Entity>(w.id, w.version, ctx.clock.now());
    let mut changes = serde_json::Map::new();
    if let Some(org) = c.org_id {
        changes.insert("org_id".into(), json!(org));
        change = change.col_expr(Column::OrgId, Expr::value(org));
    }
    if let Some(enterprise) = c.enterprise_id {
        changes.insert("enterprise_id".into(), json!(enterprise));
        change = change.col_expr(Column::EnterpriseId, Expr::value(enterprise));
    }
    if let Some(v) = c.name {
        changes.insert("name".into(), json!(v));
        change = change.col_expr(Column::Name, Expr::value(v.trim().to_owned()));
    }
    if let Some(stored) = id_number {
        ensure_new_person(work.conn(), ctx.scope(), &stored.idx, Some(w.id)).await?;
        changes.insert("id_number".into(), json!(stored.masked));
        change = change
            .col_expr(Column::IdNumberEnc, Expr::value(stored.enc))
            .col_expr(Column::IdNumberIdx, Expr::value(stored.idx))
            .col_expr(Column::IdNumberMasked, Expr::value(stored.masked))
            .col_expr(Column::Sex, Expr::value(stored.sex.as_str()))
            .col_expr(Column::BirthDate, Expr::value(stored.birth_date));
    }
    if let Some(stored) = phone {
        changes.insert(
            "phone".into(),
            json!(stored.as_ref().map(|p| p.masked.clone())),
        );
        change = change
            .col_expr(
                Column::PhoneEnc,
                Expr::value(stored.as_ref().map(|p| p.enc.clone())),
            )
            .col_expr(
                Column::PhoneIdx,
                Expr::value(stored.as_ref().map(|p| p.idx.clone())),
            )
            .col_expr(Column::PhoneMasked, Expr::value(stored.map(|p| p.masked)));
    }
    if let Some(v) = c.kind {
        changes.insert("kind".into(), json!(v));
        change = change.col_expr(Column::Kind, Expr::value(v.as_str()));
    }
    if let Some(v) = c.employment_status {
        changes.insert("employment_status".into(), json!(v));
        change = change.col_expr(Column::EmploymentStatus, Expr::value(v.as_str()));
    }
    if let Some(v) = c.member_since {
        changes.insert("member_since".into(), json!(v));
        change = change.col_expr(Column::MemberSince, Expr::value(v));
    }
    if let Some(v) = c.frontline {
        changes.insert("frontline".into(), json!(v));
        change = change.col_expr(Column::Frontline, Expr::value(v));
    }
    if let Some(v) = c.high_temperature {
        changes.insert("high_temperature".into(), json!(v));
        change = change.col_expr(Column::HighTemperature, Expr::value(v));
    }
    if let Some(v) = c.honours {
        changes.insert("honours".into(), json!(v));
        change = change.col_expr(Column::Honours, Expr::value(store_honours(&v)));
    }
    let event = Event::new("worker.update")
        .on("worker", w.id)
        .changes(changes.into());
    versioning::save_work(work, change, w.id, expected_version, event)
        .await
        .map_err(duplicate_person)
}

const KIND: RecordKind = RecordKind {
    resource: "worker",
    archive: "worker.archive",
    restore: "worker.restore",
    permission: WRITE,
};

/// Archive (`to` = archived) or restore (`to` = active) a worker. An archived worker still
/// counts for the one-person rule.
pub async fn set_status(
    ctx: &Context<'_>,
    id: Uuid,
    expected_version: Option<i32>,
    to: &'static str,
) -> Result<workers::Model, CoreError> {
    super::change_status::<workers::Entity>(ctx, &KIND, Column::Status, id, expected_version, to)
        .await
}

/// A personal field that can be revealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RevealField {
    IdNumber,
    Phone,
}

/// Plaintext personal data of one person. Never stored, logged or cached.
pub struct Revealed {
    pub id: Uuid,
    pub id_number: Option<String>,
    pub phone: Option<String>,
}

/// Reveal a worker's ID number and/or phone: needs `pii.reveal` and a reason, and is audited
/// (`worker.reveal`, with the fields and the reason, never the values).
pub async fn reveal(
    ctx: &Context<'_>,
    id: Uuid,
    fields: &[RevealField],
    reason: &str,
) -> Result<Revealed, CoreError> {
    ctx.require(REVEAL).await?;
    let w = find(ctx.db, ctx.scope(), id)
        .await?
        .ok_or(CoreError::NotFound)?;
    let mut out = Revealed {
        id: w.id,
        id_number: None,
        phone: None,
    };
    if fields.contains(&RevealField::IdNumber) {
        out.id_number = Some(ctx.pii.decrypt(PiiField::IdNumber, &w.id_number_enc)?);
    }
    if fields.contains(&RevealField::Phone) {
        out.phone = w
            .phone_enc
            .as_deref()
            .map(|p| ctx.pii.decrypt(PiiField::Phone, p))
            .transpose()?;
    }
    let work = ctx.begin().await?;
    work.record(
        Event::new("worker.reveal")
            .on("worker", w.id)
            .changes(json!({ "fields": fields, "reason": reason })),
    )
    .await?;
    work.commit().await?;
    Ok(out)
}
