//! Archive handlers. The lifecycle is explicit operations, each checked against the current
//! status, conditional on the version (`If-Match`), and audited with the visit it records.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{Datelike, Months, NaiveDate, Utc};
use entity::{beneficiaries, beneficiary_visits, household_members};
use sea_orm::sea_query::{Expr, ExprTrait, Query as SqlQuery};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, Order, QueryFilter, TransactionTrait, UpdateMany,
};
use serde_json::json;
use siji_openapi::tags;
use uuid::Uuid;

use super::dto::*;
use super::queries;
use crate::audit::{self, Event};
use crate::auth::tokens::PrincipalKind;
use crate::auth::{Caller, Permission};
use crate::domain::eligibility::{self, Household};

use crate::domain::money::yuan;
use crate::enums::{label, labels};
use crate::http::concurrency::{created_versioned, ok_versioned};
use crate::http::pagination::page_by_id;
use crate::http::{ApiError, ErrorCode, IfMatch, Json, Page, PageRequest, Query};
use crate::pii::{DataProtector, PiiField};
use crate::resources::orgs::queries as orgs;
use crate::resources::workers::dto::{RevealField, RevealRequest, RevealResponse};
use crate::resources::workers::queries::{self as workers, protect_id_number};
use crate::spreadsheet::export::{self, Export, Names, Refs, yes_no};
use crate::state::AppState;
use crate::versioning;

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn a_year_after(day: NaiveDate) -> NaiveDate {
    day.checked_add_months(Months::new(12)).unwrap_or(day)
}

async fn respond(
    state: &AppState,
    b: beneficiaries::Model,
    created: bool,
) -> Result<HttpResponse, ApiError> {
    let (id, version) = (b.id, b.version);
    let body = queries::responses(&state.db, vec![b])
        .await?
        .pop()
        .ok_or(ApiError::NotFound)?;
    Ok(if created {
        created_versioned(format!("/api/v1/beneficiaries/{id}"), version, &body)
    } else {
        ok_versioned(version, &body)
    })
}

fn visit(
    archive: Uuid,
    caller: &Caller,
    kind: &str,
    on: NaiveDate,
    findings: String,
    result: Option<&str>,
    channel: Option<&str>,
) -> beneficiary_visits::ActiveModel {
    beneficiary_visits::ActiveModel {
        id: Set(Uuid::now_v7()),
        beneficiary_id: Set(archive),
        kind: Set(kind.to_owned()),
        visited_on: Set(on),
        visitor_id: Set(caller.id),
        visitor_name: Set(caller.name.clone()),
        channel: Set(channel.map(str::to_owned)),
        findings: Set(findings),
        result: Set(result.map(str::to_owned)),
        created_at: Set(Utc::now()),
    }
}

/// Create an archive.
///
/// A `temporary` archive for a household, created after a first home visit. The hardship
/// category is computed (see `Eligibility`): deep (深度困难) when (annual income − rigid expenses)
/// ÷ 12 ÷ household size is below the county's minimum living standard (低保标准) for the year;
/// relative (相对困难) below twice it; sudden (意外致困) when accident or disaster costs exceed 80%
/// of the year's income; migrant workers need a year of employment on record. A household the
/// rules find not eligible needs `category_override` with a written reason (audited). A worker
/// heads at most one live archive city-wide (409 `duplicate`, with `existing_id` when visible).
#[utoipa::path(
    tag = tags::ARCHIVE,
    operation_id = "create_beneficiary",
    request_body = CreateBeneficiaryRequest,
    extensions(("x-permission" = json!("archive.write"))),
    responses(
        (status = 201, description = "Created (temporary)", body = BeneficiaryResponse,
            headers(("Location" = String, description = "URL of the archive"), ("ETag" = String, description = "Its version"))),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
    ),
)]
#[post("/beneficiaries")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<CreateBeneficiaryRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&state.db, Permission::ArchiveWrite).await?;
    let archive = register(&state, &caller, body.into_inner(), "api").await?;
    respond(&state, archive, true).await
}

/// Create one archive (from the API or an import): scope, the living standard, eligibility,
/// the one-live-archive rule, members' personal data protected; the archive, its members, the
/// first visit and the audit event in one transaction.
pub async fn register(
    state: &AppState,
    caller: &Caller,
    b: CreateBeneficiaryRequest,
    via: &str,
) -> Result<beneficiaries::Model, ApiError> {
    let scope = caller.scope();
    let org = orgs::find(&state.db, &scope, b.org_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let head = workers::find(&state.db, &scope, b.head_worker_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let standard = standard_this_year(state, &org).await?;
    let household = Household {
        size: household_size(b.household_size)?,
        annual_income_fen: b.annual_income_fen,
        rigid_expenses_fen: b.rigid_expenses_fen,
        accident_costs_fen: b.accident_costs_fen,
        migrant_worker: b.migrant_worker,
        employment_started_on: b.employment_started_on,
    };
    let assessment = eligibility::assess(&household, standard, today());
    let (category, computed, override_reason) = decide(&assessment, b.category_override.as_ref())?;
    // One live archive per worker, city-wide (the unique index guards the race).
    if let Some(existing) = beneficiaries::Entity::find()
        .filter(beneficiaries::Column::LiveHeadWorkerId.eq(head.id))
        .one(&state.db)
        .await?
    {
        let visible = queries::find(&state.db, &scope, existing.id)
            .await?
            .is_some();
        return Err(ApiError::Duplicate {
            detail: "this worker already heads a live archive".into(),
            existing_id: visible.then_some(existing.id),
        });
    }
    // A household that fell back is reopened, not archived twice.
    if let Some(previous) = beneficiaries::Entity::find()
        .filter(beneficiaries::Column::HeadWorkerId.eq(head.id))
        .filter(beneficiaries::Column::Status.eq(ArchiveStatus::LiftedOut.as_str()))
        .one(&state.db)
        .await?
    {
        let visible = queries::find(&state.db, &scope, previous.id)
            .await?
            .is_some();
        return Err(ApiError::Duplicate {
            detail: "this worker's household was lifted out; reopen that archive instead".into(),
            existing_id: visible.then_some(previous.id),
        });
    }
    check_member_count(&b.members)?;
    let id = Uuid::now_v7();
    let mut members = Vec::new();
    for (i, m) in b.members.into_iter().enumerate() {
        if m.id.is_some() {
            return Err(ApiError::field(
                format!("members[{i}].id"),
                "not_allowed",
                "a new archive has no members to keep yet",
            ));
        }
        members.push(member_row(&state.pii, i, m, id, None)?);
    }
    let (actor_id, now) = (caller.id, Utc::now());
    let row = beneficiaries::ActiveModel {
        id: Set(id),
        org_id: Set(org.id),
        head_worker_id: Set(head.id),
        live_head_worker_id: Set(Some(head.id)),
        status: Set(ArchiveStatus::Temporary.as_str().to_owned()),
        category: Set(category.as_str().to_owned()),
        computed_category: Set(computed.as_str().to_owned()),
        eligibility_rule: Set(assessment.rule.clone()),
        override_reason: Set(override_reason.clone()),
        causes: Set(store_causes(&b.causes)),
        needs: Set(b.needs),
        household_size: Set(b.household_size),
        annual_income_fen: Set(b.annual_income_fen),
        rigid_expenses_fen: Set(b.rigid_expenses_fen),
        accident_costs_fen: Set(b.accident_costs_fen),
        per_capita_monthly_fen: Set(assessment.per_capita_monthly_fen),
        migrant_worker: Set(b.migrant_worker),
        employment_started_on: Set(b.employment_started_on),
        long_term_assistance: Set(b.long_term_assistance),
        created_by: Set(actor_id),
        last_verified_on: Set(None),
        reverify_due_on: Set(None),
        closed_reason: Set(None),
        closed_note: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    };
    let txn = state.db.begin().await?;
    let archive = beneficiaries::Entity::insert(row)
        .exec_with_returning(&txn)
        .await?;
    if !members.is_empty() {
        household_members::Entity::insert_many(members)
            .exec_without_returning(&txn)
            .await?;
    }
    beneficiary_visits::Entity::insert(visit(
        id,
        caller,
        "first",
        b.first_visit.visited_on,
        b.first_visit.findings,
        None,
        None,
    ))
    .exec_without_returning(&txn)
    .await?;
    let changes = json!({ "category": category, "computed_category": computed, "override_reason": override_reason,
                          "household_size": b.household_size, "head_worker_id": head.id, "via": via });
    audit::record(
        &txn,
        &caller.actor(),
        Event::new("beneficiary.create")
            .on("beneficiary", id)
            .changes(changes),
    )
    .await?;
    txn.commit().await?;
    Ok(archive)
}

/// Get an archive, with its members (ID numbers masked), visits and eligibility explanation.
#[utoipa::path(
    tag = tags::ARCHIVE,
    operation_id = "get_beneficiary",
    params(("id" = Uuid, Path, description = "Archive id")),
    extensions(("x-permission" = json!("archive.read"))),
    responses(
        (status = 200, description = "The archive", body = BeneficiaryResponse, headers(("ETag" = String, description = "Its version"))),
        (status = 404, response = crate::http::responses::NotFound),
    ),
)]
#[get("/beneficiaries/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&state.db, Permission::ArchiveRead).await?;
    let b = queries::find(&state.db, &caller.scope(), *id)
        .await?
        .ok_or(ApiError::NotFound)?;
    respond(&state, b, false).await
}

/// List archives: the worklists staff live in.
///
/// Archives of your subtree, oldest first, keyset-paginated, filtered by category, cause,
/// status, county, re-verification due or overdue, not updated for a year, creation period,
/// migrant workers, or households with a child entering university this year (金秋助学). With
/// `Accept: text/csv` or the XLSX media type, the whole filtered list as a spreadsheet for
/// county staff (head's name and masked ID number, Chinese labels, amounts in yuan), streamed.
#[utoipa::path(
    tag = tags::ARCHIVE,
    operation_id = "list_beneficiaries",
    params(BeneficiaryListQuery),
    extensions(("x-permission" = json!("archive.read"))),
    responses((status = 200, description = "One page as JSON; or, when `Accept` asks for `text/csv` or XLSX, the whole filtered list as a file (streamed, personal data masked)", content(
        (Page<BeneficiaryResponse> = "application/json"),
        (String = "text/csv"),
        (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ))),
)]
#[get("/beneficiaries")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    req: actix_web::HttpRequest,
    query: Query<BeneficiaryListQuery>,
) -> Result<HttpResponse, ApiError> {
    use beneficiaries::Column as B;
    caller.require(&state.db, Permission::ArchiveRead).await?;
    let q = query.into_inner();
    let export_format = export::requested_list(&req, q.limit, q.cursor.as_deref(), q.count)?;
    let page = PageRequest::new(q.limit, q.cursor.as_deref(), q.count)?;
    let scope = caller.scope();
    let day = today();
    let live = [
        ArchiveStatus::Temporary.as_str(),
        ArchiveStatus::Formal.as_str(),
    ];
    let mut select = queries::scoped(&scope);
    if let Some(s) = q.status {
        select = select.filter(B::Status.eq(s.as_str()));
    }
    if let Some(c) = q.category {
        select = select.filter(B::Category.eq(c.as_str()));
    }
    if let Some(c) = q.cause {
        select = select.filter(queries::has_cause(c.as_str()));
    }
    if let Some(within) = q.within_org_id {
        select = select.filter(orgs::subtree_condition(&state.db, &scope, within, B::OrgId).await?);
    }
    if let Some(head) = q.head_worker_id {
        select = select.filter(B::HeadWorkerId.eq(head));
    }
    if let Some(days) = q.reverify_due_within_days {
        let until = day + chrono::Days::new(u64::from(days));
        select = select
            .filter(B::Status.eq(ArchiveStatus::Formal.as_str()))
            .filter(B::ReverifyDueOn.lte(until));
    }
    if q.reverify_overdue == Some(true) {
        select = select
            .filter(B::Status.eq(ArchiveStatus::Formal.as_str()))
            .filter(B::ReverifyDueOn.lt(day));
    }
    if q.stale == Some(true) {
        let year_ago = Utc::now()
            .checked_sub_months(Months::new(12))
            .unwrap_or_else(Utc::now);
        select = select
            .filter(B::Status.is_in(live))
            .filter(B::UpdatedAt.lt(year_ago));
    }
    if let Some(from) = q.created_from {
        select = select
            .filter(B::CreatedAt.gte(from.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()));
    }
    if let Some(to) = q.created_to {
        select =
            select.filter(B::CreatedAt.lt(to.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()));
    }
    if let Some(m) = q.migrant_worker {
        select = select.filter(B::MigrantWorker.eq(m));
    }
    if q.entering_university == Some(true) {
        let entering = SqlQuery::select()
            .column(household_members::Column::BeneficiaryId)
            .from(household_members::Entity)
            .and_where(
                Expr::col(household_members::Column::Stage).eq(Stage::Undergraduate.as_str()),
            )
            .and_where(Expr::col(household_members::Column::AdmissionYear).eq(day.year()))
            .to_owned();
        select = select
            .filter(B::Id.in_subquery(entering))
            .filter(B::Status.is_in(live));
    }
    if let Some(format) = export_format {
        let file = Export {
            file_stem: "beneficiaries",
            headers: EXPORT_HEADERS,
            select,
            id_column: B::Id,
            id_of: |b| b.id,
            refers_to: |b| Refs {
                org: b.org_id,
                enterprise: None,
                worker: Some(b.head_worker_id),
            },
            row: export_row,
            scope,
        };
        return export::respond(state.db.clone(), format, file).await;
    }
    let page = page_by_id(&state.db, select, B::Id, |b| b.id, &page, Order::Asc).await?;
    let items = queries::responses(&state.db, page.items).await?;
    Ok(HttpResponse::Ok().json(Page {
        items,
        next_cursor: page.next_cursor,
        total: page.total,
    }))
}

const EXPORT_HEADERS: &[&str] = &[
    "记录ID",
    "户主姓名",
    "户主身份证号",
    "所属组织ID",
    "所属组织",
    "档案状态",
    "困难类别",
    "致困原因",
    "家庭人口",
    "家庭年收入(元)",
    "刚性支出(元)",
    "意外支出(元)",
    "人均月收入(元)",
    "农民工",
    "长效帮扶",
    "最近核实日期",
    "复核到期日",
    "困难需求",
    "建档时间",
    "更新时间",
];

/// One export row: labels instead of codes, yuan instead of fen, the head's ID number masked.
fn export_row(b: beneficiaries::Model, names: &Names) -> Vec<String> {
    let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let (head_name, head_id_number) = names.worker(b.head_worker_id);
    vec![
        b.id.to_string(),
        head_name,
        head_id_number,
        b.org_id.to_string(),
        names.org(b.org_id),
        label::<ArchiveStatus>(&b.status).to_owned(),
        label::<Category>(&b.category).to_owned(),
        labels::<Cause>(&b.causes),
        b.household_size.to_string(),
        yuan(b.annual_income_fen),
        yuan(b.rigid_expenses_fen),
        yuan(b.accident_costs_fen),
        yuan(b.per_capita_monthly_fen),
        yes_no(b.migrant_worker),
        yes_no(b.long_term_assistance),
        date(b.last_verified_on),
        date(b.reverify_due_on),
        b.needs.unwrap_or_default(),
        b.created_at.to_rfc3339(),
        b.updated_at.to_rfc3339(),
    ]
}

/// Apply a transition: status check, versioned update, the visit it records, audit; one
/// transaction.
/// A row written in the same transaction as an archive's change.
enum Write {
    Visit(beneficiary_visits::ActiveModel),
    AddMember(household_members::ActiveModel),
    UpdateMember(household_members::ActiveModel),
    RemoveMembers(Vec<Uuid>),
}

fn check_member_count(members: &[MemberRequest]) -> Result<(), ApiError> {
    if members.len() > 30 {
        return Err(ApiError::field("members", "length", "at most 30 members"));
    }
    Ok(())
}

/// A member row from a request entry: its ID number protected (birth date derived from it), or,
/// for a kept member given no new number, the stored one left as it is.
fn member_row(
    pii: &DataProtector,
    i: usize,
    m: MemberRequest,
    beneficiary_id: Uuid,
    kept: Option<&household_members::Model>,
) -> Result<household_members::ActiveModel, ApiError> {
    let stored = m
        .id_number
        .as_deref()
        .map(|raw| protect_id_number(pii, &format!("members[{i}].id_number"), raw))
        .transpose()?;
    let (enc, idx, masked, birth_date) = match (stored, kept) {
        (Some(s), _) => (Some(s.enc), Some(s.idx), Some(s.masked), Some(s.birth_date)),
        (None, Some(k)) if k.id_number_enc.is_some() => (
            k.id_number_enc.clone(),
            k.id_number_idx.clone(),
            k.id_number_masked.clone(),
            k.birth_date,
        ),
        (None, _) => (None, None, None, m.birth_date),
    };
    Ok(household_members::ActiveModel {
        id: Set(kept.map_or_else(Uuid::now_v7, |k| k.id)),
        beneficiary_id: Set(beneficiary_id),
        name: Set(m.name),
        relation: Set(m.relation.as_str().to_owned()),
        id_number_enc: Set(enc),
        id_number_idx: Set(idx),
        id_number_masked: Set(masked),
        birth_date: Set(birth_date),
        health: Set(m.health.as_str().to_owned()),
        employment_status: Set(m.employment_status.map(|e| e.as_str().to_owned())),
        school: Set(m.school),
        stage: Set(m.stage.map(|s| s.as_str().to_owned())),
        grade: Set(m.grade),
        admission_year: Set(m.admission_year),
    })
}

/// The writes that turn an archive's members into `wanted`, and a summary for the audit event.
async fn member_changes(
    state: &AppState,
    archive: Uuid,
    wanted: Vec<MemberRequest>,
) -> Result<(Vec<Write>, serde_json::Value), ApiError> {
    check_member_count(&wanted)?;
    let existing = household_members::Entity::find()
        .filter(household_members::Column::BeneficiaryId.eq(archive))
        .all(&state.db)
        .await?;
    let mut kept_ids = std::collections::HashSet::new();
    let mut writes = Vec::new();
    let (mut added, mut updated) = (0, 0);
    for (i, m) in wanted.into_iter().enumerate() {
        let kept = match m.id {
            None => None,
            Some(member_id) => {
                if !kept_ids.insert(member_id) {
                    return Err(ApiError::field(
                        format!("members[{i}].id"),
                        "duplicate",
                        "the same member is listed twice",
                    ));
                }
                let found = existing.iter().find(|e| e.id == member_id);
                Some(found.ok_or_else(|| {
                    ApiError::field(
                        format!("members[{i}].id"),
                        "unknown_member",
                        "is not a member of this archive",
                    )
                })?)
            }
        };
        let row = member_row(&state.pii, i, m, archive, kept)?;
        if kept.is_some() {
            updated += 1;
            writes.push(Write::UpdateMember(row));
        } else {
            added += 1;
            writes.push(Write::AddMember(row));
        }
    }
    let removed: Vec<Uuid> = existing
        .iter()
        .map(|e| e.id)
        .filter(|id| !kept_ids.contains(id))
        .collect();
    let summary = json!({ "kept": updated, "added": added, "removed": removed.len() });
    if !removed.is_empty() {
        writes.push(Write::RemoveMembers(removed));
    }
    Ok((writes, summary))
}

async fn transition(
    state: &AppState,
    caller: &Caller,
    archive: &beneficiaries::Model,
    change: UpdateMany<beneficiaries::Entity>,
    writes: Vec<Write>,
    event: Event,
) -> Result<HttpResponse, ApiError> {
    let txn = state.db.begin().await?;
    // The versioned update goes first: a concurrent change makes it miss (412) before any
    // dependent row is written.
    if change.exec(&txn).await?.rows_affected != 1 {
        return Err(ApiError::PreconditionFailed);
    }
    for write in writes {
        match write {
            Write::Visit(v) => {
                beneficiary_visits::Entity::insert(v)
                    .exec_without_returning(&txn)
                    .await?;
            }
            Write::AddMember(m) => {
                household_members::Entity::insert(m)
                    .exec_without_returning(&txn)
                    .await?;
            }
            Write::UpdateMember(m) => {
                household_members::Entity::update(m).exec(&txn).await?;
            }
            Write::RemoveMembers(ids) => {
                household_members::Entity::delete_many()
                    .filter(household_members::Column::BeneficiaryId.eq(archive.id))
                    .filter(household_members::Column::Id.is_in(ids))
                    .exec(&txn)
                    .await?;
            }
        }
    }
    audit::record(&txn, &caller.actor(), event).await?;
    let archive = beneficiaries::Entity::find_by_id(archive.id)
        .one(&txn)
        .await?
        .ok_or(ApiError::NotFound)?;
    txn.commit().await?;
    respond(state, archive, false).await
}

async fn load(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    if_match: IfMatch,
    allowed: &[ArchiveStatus],
    what: &str,
) -> Result<beneficiaries::Model, ApiError> {
    let b = queries::find(&state.db, &caller.scope(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if_match.check(b.version)?;
    if !allowed.iter().any(|s| s.as_str() == b.status) {
        return Err(ApiError::Conflict {
            code: ErrorCode::Conflict,
            detail: format!("an archive that is {} cannot be {what}", b.status),
        });
    }
    Ok(b)
}

/// A household's size as the eligibility rule counts it (validation keeps it at least 1).
fn household_size(size: i32) -> Result<u32, ApiError> {
    u32::try_from(size)
        .ok()
        .filter(|s| *s >= 1)
        .ok_or_else(|| ApiError::field("household_size", "range", "must be at least 1"))
}

/// The county's minimum living standard (低保标准) for the current year; 409 when none is kept.
async fn standard_this_year(state: &AppState, org: &entity::orgs::Model) -> Result<i64, ApiError> {
    let year = today().year();
    queries::living_standard(&state.db, org, year)
        .await?
        .ok_or_else(|| ApiError::Conflict {
            code: ErrorCode::LivingStandardMissing,
            detail: format!(
                "no minimum living standard (低保标准) is recorded for this county in {year}; \
                 an administrator records it at POST /api/v1/living-standards"
            ),
        })
}

/// Which category applies, from the assessment and an optional override; 400 when the household
/// is not eligible and nothing overrides that.
fn decide(
    assessment: &eligibility::Assessment,
    category_override: Option<&CategoryOverride>,
) -> Result<(Category, Category, Option<String>), ApiError> {
    let computed = match assessment.category {
        Some(eligibility::Category::Deep) => Category::Deep,
        Some(eligibility::Category::Relative) => Category::Relative,
        Some(eligibility::Category::Sudden) => Category::Sudden,
        None => Category::NotEligible,
    };
    let (category, reason) = match category_override {
        Some(o) => (o.category, Some(o.reason.clone())),
        None if computed == Category::NotEligible => {
            return Err(ApiError::field(
                "category_override",
                "not_eligible",
                format!("{}; an override needs a written reason", assessment.rule),
            ));
        }
        None => (computed, None),
    };
    if category == Category::NotEligible {
        return Err(ApiError::field(
            "category_override.category",
            "not_eligible",
            "an archive needs a hardship category",
        ));
    }
    Ok((category, computed, reason))
}

/// Correct an archive.
///
/// Changes the household figures and members of a `temporary` or `formal` archive and assesses
/// the category again against the county's minimum living standard for the current year; the
/// answer explains the new placement. A household no longer eligible needs `category_override`
/// with a written reason (or lifting out). `members`, when given, is the whole list as it should
/// now be: keep a member by its `id` (a child starting university gets its new school, stage and
/// `admission_year` this way), add one without an `id`, remove one by leaving it out. Honours
/// `If-Match`; audited with the old and new category and the member counts, never member data.
#[utoipa::path(
    tag = tags::ARCHIVE,
    operation_id = "update_beneficiary",
    params(("id" = Uuid, Path, description = "Archive id"), ("If-Match" = Option<String>, Header, description = "The `ETag` you read")),
    request_body = UpdateBeneficiaryRequest,
    extensions(("x-permission" = json!("archive.write"))),
    responses(
        (status = 200, description = "Updated and re-assessed", body = BeneficiaryResponse),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 412, response = crate::http::responses::PreconditionFailed),
    ),
)]
#[patch("/beneficiaries/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<UpdateBeneficiaryRequest>,
) -> Result<HttpResponse, ApiError> {
    use beneficiaries::Column as B;
    caller.require(&state.db, Permission::ArchiveWrite).await?;
    let u = body.into_inner();
    let b = load(
        &state,
        &caller,
        *id,
        if_match,
        &[ArchiveStatus::Temporary, ArchiveStatus::Formal],
        "corrected",
    )
    .await?;
    let org = orgs::find(&state.db, &caller.scope(), b.org_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let standard = standard_this_year(&state, &org).await?;
    let household = Household {
        size: household_size(u.household_size.unwrap_or(b.household_size))?,
        annual_income_fen: u.annual_income_fen.unwrap_or(b.annual_income_fen),
        rigid_expenses_fen: u.rigid_expenses_fen.unwrap_or(b.rigid_expenses_fen),
        accident_costs_fen: u.accident_costs_fen.unwrap_or(b.accident_costs_fen),
        migrant_worker: u.migrant_worker.unwrap_or(b.migrant_worker),
        employment_started_on: u.employment_started_on.or(b.employment_started_on),
    };
    let assessment = eligibility::assess(&household, standard, today());
    let (category, computed, override_reason) = decide(&assessment, u.category_override.as_ref())?;
    let mut change = versioning::update::<beneficiaries::Entity>(b.id, b.version, Utc::now())
        .col_expr(
            B::HouseholdSize,
            Expr::value(i32::try_from(household.size).unwrap_or(i32::MAX)),
        )
        .col_expr(B::AnnualIncomeFen, Expr::value(household.annual_income_fen))
        .col_expr(
            B::RigidExpensesFen,
            Expr::value(household.rigid_expenses_fen),
        )
        .col_expr(
            B::AccidentCostsFen,
            Expr::value(household.accident_costs_fen),
        )
        .col_expr(B::MigrantWorker, Expr::value(household.migrant_worker))
        .col_expr(
            B::EmploymentStartedOn,
            Expr::value(household.employment_started_on),
        )
        .col_expr(
            B::PerCapitaMonthlyFen,
            Expr::value(assessment.per_capita_monthly_fen),
        )
        .col_expr(B::Category, Expr::value(category.as_str()))
        .col_expr(B::ComputedCategory, Expr::value(computed.as_str()))
        .col_expr(B::EligibilityRule, Expr::value(assessment.rule.clone()))
        .col_expr(B::OverrideReason, Expr::value(override_reason.clone()));
    if let Some(causes) = &u.causes {
        change = change.col_expr(B::Causes, Expr::value(store_causes(causes)));
    }
    if let Some(needs) = &u.needs {
        change = change.col_expr(B::Needs, Expr::value(needs.clone()));
    }
    if let Some(long_term) = u.long_term_assistance {
        change = change.col_expr(B::LongTermAssistance, Expr::value(long_term));
    }
    let (writes, members) = match u.members {
        Some(wanted) => {
            let (writes, summary) = member_changes(&state, b.id, wanted).await?;
            (writes, Some(summary))
        }
        None => (vec![], None),
    };
    let changes = json!({ "from_category": b.category, "category": category, "computed_category": computed,
                          "override_reason": override_reason, "per_capita_monthly_fen": assessment.per_capita_monthly_fen,
                          "members": members });
    let event = Event::new("beneficiary.update")
        .on("beneficiary", b.id)
        .changes(changes);
    transition(&state, &caller, &b, change, writes, event).await
}

/// Reveal a household member's ID number.
///
/// Returns the plaintext ID number of one member of an archive in your subtree (for example to
/// check the identity of a student applying for tuition aid, 金秋助学). Only `id_number` can be
/// asked for; it is absent from the answer when none is recorded. Needs its own permission and a
/// written reason, and leaves an audit event (`beneficiary.member_reveal`, with the reason, never
/// the value). The answer is marked `Cache-Control: no-store`.
#[utoipa::path(
    tag = tags::ARCHIVE,
    operation_id = "reveal_household_member",
    params(
        ("id" = Uuid, Path, description = "Archive id"),
        ("member_id" = Uuid, Path, description = "Household member id"),
    ),
    request_body = RevealRequest,
    extensions(("x-permission" = json!("pii.reveal"))),
    responses(
        (status = 200, description = "The plaintext (`id` is the member's)", body = RevealResponse),
        (status = 404, response = crate::http::responses::NotFound),
    ),
)]
#[post("/beneficiaries/{id}/members/{member_id}/reveal")]
pub async fn reveal_member(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
    body: Json<RevealRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&state.db, Permission::PiiReveal).await?;
    let (archive_id, member_id) = path.into_inner();
    let b = body.into_inner();
    if b.fields.contains(&RevealField::Phone) {
        return Err(ApiError::field(
            "fields",
            "not_recorded",
            "household members have no phone on record; only `id_number` can be revealed",
        ));
    }
    let archive = queries::find(&state.db, &caller.scope(), archive_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let member = household_members::Entity::find_by_id(member_id)
        .filter(household_members::Column::BeneficiaryId.eq(archive.id))
        .one(&state.db)
        .await?
        .ok_or(ApiError::NotFound)?;
    let id_number = member
        .id_number_enc
        .as_deref()
        .map(|enc| state.pii.decrypt(PiiField::IdNumber, enc))
        .transpose()?;
    let event = Event::new("beneficiary.member_reveal")
        .on("household_member", member.id)
        .changes(json!({ "beneficiary_id": archive.id, "fields": b.fields, "reason": b.reason }));
    audit::record(&state.db, &caller.actor(), event).await?;
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(RevealResponse {
            id: member.id,
            id_number,
            phone: None,
        }))
}

/// Close an archive (lifted out or cancelled): it is no longer its head's live archive.
async fn close(
    state: &AppState,
    caller: &Caller,
    b: &beneficiaries::Model,
    to: ArchiveStatus,
    reason: &str,
    note: Option<String>,
    action: &'static str,
) -> Result<HttpResponse, ApiError> {
    use beneficiaries::Column as B;
    let change = versioning::update::<beneficiaries::Entity>(b.id, b.version, Utc::now())
        .col_expr(B::Status, Expr::value(to.as_str()))
        .col_expr(B::LiveHeadWorkerId, Expr::value(Option::<Uuid>::None))
        .col_expr(B::ClosedReason, Expr::value(reason))
        .col_expr(B::ClosedNote, Expr::value(note));
    let event = Event::new(action)
        .on("beneficiary", b.id)
        .changes(json!({ "reason": reason }));
    transition(state, caller, b, change, vec![], event).await
}

/// Verify an archive (入户核实).
///
/// Records the verification home visit of a `temporary` archive. It must be recorded by someone
/// other than the archive's creator (four-eyes rule, 403). Confirmed → `formal`, due for
/// re-verification a year after the visit; not confirmed → stays `temporary`. Honours `If-Match`.
#[utoipa::path(
    tag = tags::ARCHIVE,
    operation_id = "verify_beneficiary",
    params(("id" = Uuid, Path, description = "Archive id"), ("If-Match" = Option<String>, Header, description = "The `ETag` you read")),
    request_body = VerifyRequest,
    extensions(("x-permission" = json!("archive.verify"))),
    responses(
        (status = 200, description = "Verification recorded", body = BeneficiaryResponse),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 412, response = crate::http::responses::PreconditionFailed),
    ),
)]
#[post("/beneficiaries/{id}/verify")]
pub async fn verify(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<VerifyRequest>,
) -> Result<HttpResponse, ApiError> {
    use beneficiaries::Column as B;
    caller.require(&state.db, Permission::ArchiveVerify).await?;
    let v = body.into_inner();
    let b = load(
        &state,
        &caller,
        *id,
        if_match,
        &[ArchiveStatus::Temporary],
        "verified",
    )
    .await?;
    if b.created_by == caller.id || caller.kind != PrincipalKind::User {
        return Err(ApiError::Forbidden("the verification visit must be recorded by a staff member other than the archive's creator".into()));
    }
    let mut change = versioning::update::<beneficiaries::Entity>(b.id, b.version, Utc::now());
    if v.confirmed {
        change = change
            .col_expr(B::Status, Expr::value(ArchiveStatus::Formal.as_str()))
            .col_expr(B::LastVerifiedOn, Expr::value(v.visited_on))
            .col_expr(B::ReverifyDueOn, Expr::value(a_year_after(v.visited_on)));
    }
    record_verification(
        &state,
        &caller,
        &b,
        change,
        v,
        "beneficiary.verify",
        "verification",
    )
    .await
}

/// Re-verify a formal archive.
///
/// The yearly verification visit of a `formal` archive: moves the due date a year past the
/// visit. Honours `If-Match`.
#[utoipa::path(
    tag = tags::ARCHIVE,
    operation_id = "reverify_beneficiary",
    params(("id" = Uuid, Path, description = "Archive id"), ("If-Match" = Option<String>, Header, description = "The `ETag` you read")),
    request_body = VerifyRequest,
    extensions(("x-permission" = json!("archive.verify"))),
    responses(
        (status = 200, description = "Re-verified", body = BeneficiaryResponse),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 412, response = crate::http::responses::PreconditionFailed),
    ),
)]
#[post("/beneficiaries/{id}/reverify")]
pub async fn reverify(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<VerifyRequest>,
) -> Result<HttpResponse, ApiError> {
    use beneficiaries::Column as B;
    caller.require(&state.db, Permission::ArchiveVerify).await?;
    let v = body.into_inner();
    let b = load(
        &state,
        &caller,
        *id,
        if_match,
        &[ArchiveStatus::Formal],
        "re-verified",
    )
    .await?;
    let change = versioning::update::<beneficiaries::Entity>(b.id, b.version, Utc::now())
        .col_expr(B::LastVerifiedOn, Expr::value(v.visited_on))
        .col_expr(B::ReverifyDueOn, Expr::value(a_year_after(v.visited_on)));
    record_verification(
        &state,
        &caller,
        &b,
        change,
        v,
        "beneficiary.reverify",
        "reverification",
    )
    .await
}

/// The end of a (re-)verification: the visit with its result, the audit event, the change.
async fn record_verification(
    state: &AppState,
    caller: &Caller,
    b: &beneficiaries::Model,
    change: UpdateMany<beneficiaries::Entity>,
    v: VerifyRequest,
    action: &'static str,
    kind: &str,
) -> Result<HttpResponse, ApiError> {
    let result = if v.confirmed {
        "confirmed"
    } else {
        "not_confirmed"
    };
    let event = Event::new(action)
        .on("beneficiary", b.id)
        .changes(json!({ "visited_on": v.visited_on, "result": result }));
    let recorded = visit(
        b.id,
        caller,
        kind,
        v.visited_on,
        v.findings,
        Some(result),
        None,
    );
    transition(
        state,
        caller,
        b,
        change,
        vec![Write::Visit(recorded)],
        event,
    )
    .await
}

/// Lift a household out of hardship (解困脱困).
///
/// `formal` → `lifted_out`, with the reason. The household keeps getting follow-up contacts and
/// can be reopened if it falls back. Honours `If-Match`.
#[utoipa::path(
    tag = tags::ARCHIVE,
    operation_id = "lift_out_beneficiary",
    params(("id" = Uuid, Path, description = "Archive id"), ("If-Match" = Option<String>, Header, description = "The `ETag` you read")),
    request_body = LiftOutRequest,
    extensions(("x-permission" = json!("archive.write"))),
    responses(
        (status = 200, description = "Lifted out", body = BeneficiaryResponse),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 412, response = crate::http::responses::PreconditionFailed),
    ),
)]
#[post("/beneficiaries/{id}/lift-out")]
pub async fn lift_out(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<LiftOutRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&state.db, Permission::ArchiveWrite).await?;
    let r = body.into_inner();
    let b = load(
        &state,
        &caller,
        *id,
        if_match,
        &[ArchiveStatus::Formal],
        "lifted out",
    )
    .await?;
    close(
        &state,
        &caller,
        &b,
        ArchiveStatus::LiftedOut,
        r.reason.as_str(),
        r.note,
        "beneficiary.lift_out",
    )
    .await
}

/// Cancel an archive (销档).
///
/// From any live or lifted-out state to `cancelled`, with the reason (retired, moved away,
/// deceased, duplicate, fraud). Honours `If-Match`.
#[utoipa::path(
    tag = tags::ARCHIVE,
    operation_id = "cancel_beneficiary",
    params(("id" = Uuid, Path, description = "Archive id"), ("If-Match" = Option<String>, Header, description = "The `ETag` you read")),
    request_body = CancelRequest,
    extensions(("x-permission" = json!("archive.write"))),
    responses(
        (status = 200, description = "Cancelled", body = BeneficiaryResponse),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 412, response = crate::http::responses::PreconditionFailed),
    ),
)]
#[post("/beneficiaries/{id}/cancel")]
pub async fn cancel(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<CancelRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&state.db, Permission::ArchiveWrite).await?;
    let r = body.into_inner();
    let allowed = [
        ArchiveStatus::Temporary,
        ArchiveStatus::Formal,
        ArchiveStatus::LiftedOut,
    ];
    let b = load(&state, &caller, *id, if_match, &allowed, "cancelled").await?;
    close(
        &state,
        &caller,
        &b,
        ArchiveStatus::Cancelled,
        r.reason.as_str(),
        r.note,
        "beneficiary.cancel",
    )
    .await
}

/// Record a follow-up contact with a lifted-out household.
#[utoipa::path(
    tag = tags::ARCHIVE,
    operation_id = "follow_up_beneficiary",
    params(("id" = Uuid, Path, description = "Archive id")),
    request_body = FollowUpRequest,
    extensions(("x-permission" = json!("archive.write"))),
    responses(
        (status = 200, description = "Recorded", body = BeneficiaryResponse),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
    ),
)]
#[post("/beneficiaries/{id}/follow-ups")]
pub async fn follow_up(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<FollowUpRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&state.db, Permission::ArchiveWrite).await?;
    let f = body.into_inner();
    let b = load(
        &state,
        &caller,
        *id,
        IfMatch(None),
        &[ArchiveStatus::LiftedOut],
        "followed up",
    )
    .await?;
    let change = versioning::update::<beneficiaries::Entity>(b.id, b.version, Utc::now());
    let event = Event::new("beneficiary.follow_up")
        .on("beneficiary", b.id)
        .changes(json!({ "contacted_on": f.contacted_on, "channel": f.channel }));
    let recorded = visit(
        b.id,
        &caller,
        "follow_up",
        f.contacted_on,
        f.outcome,
        None,
        Some(f.channel.as_str()),
    );
    transition(
        &state,
        &caller,
        &b,
        change,
        vec![Write::Visit(recorded)],
        event,
    )
    .await
}

/// Reopen a lifted-out household that fell back into hardship (返困).
///
/// `lifted_out` → `formal`, on the same archive with its history intact (no duplicate), due for
/// re-verification now. Refused (409) if the head meanwhile heads another live archive.
/// Honours `If-Match`.
#[utoipa::path(
    tag = tags::ARCHIVE,
    operation_id = "reopen_beneficiary",
    params(("id" = Uuid, Path, description = "Archive id"), ("If-Match" = Option<String>, Header, description = "The `ETag` you read")),
    request_body = ReopenRequest,
    extensions(("x-permission" = json!("archive.write"))),
    responses(
        (status = 200, description = "Reopened", body = BeneficiaryResponse),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 412, response = crate::http::responses::PreconditionFailed),
    ),
)]
#[post("/beneficiaries/{id}/reopen")]
pub async fn reopen(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<ReopenRequest>,
) -> Result<HttpResponse, ApiError> {
    use beneficiaries::Column as B;
    caller.require(&state.db, Permission::ArchiveWrite).await?;
    let r = body.into_inner();
    let b = load(
        &state,
        &caller,
        *id,
        if_match,
        &[ArchiveStatus::LiftedOut],
        "reopened",
    )
    .await?;
    let change = versioning::update::<beneficiaries::Entity>(b.id, b.version, Utc::now())
        .col_expr(B::Status, Expr::value(ArchiveStatus::Formal.as_str()))
        .col_expr(B::LiveHeadWorkerId, Expr::value(Some(b.head_worker_id)))
        .col_expr(B::ReverifyDueOn, Expr::value(today()))
        .col_expr(B::ClosedReason, Expr::value(Option::<String>::None))
        .col_expr(B::ClosedNote, Expr::value(Option::<String>::None));
    let event = Event::new("beneficiary.reopen")
        .on("beneficiary", b.id)
        .changes(json!({ "note": r.note }));
    transition(&state, &caller, &b, change, vec![], event).await
}

/// One cell of the dashboard: archives of a category with a cause in a county.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ArchiveCount {
    /// County org id (the organisation one level below the city; the city itself for archives it keeps).
    pub county_id: Uuid,
    pub county: String,
    pub category: Category,
    pub cause: Cause,
    pub count: u64,
}

/// Counts of live archives by category × cause × county.
///
/// For the dashboard: live (temporary and formal) archives of your subtree, counted by hardship
/// category, cause (an archive with several causes counts under each) and county.
#[utoipa::path(
    tag = tags::STATS,
    operation_id = "beneficiary_counts",
    extensions(("x-permission" = json!("archive.read"))),
    responses((status = 200, description = "The counts", body = Vec<ArchiveCount>, example = json!([
        {"county_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12", "county": "任城区总工会", "category": "deep", "cause": "illness", "count": 42}
    ]))),
)]
#[get("/stats/beneficiaries")]
pub async fn counts(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    use std::collections::BTreeMap;
    caller.require(&state.db, Permission::ArchiveRead).await?;
    let scope = caller.scope();
    let live = [
        ArchiveStatus::Temporary.as_str(),
        ArchiveStatus::Formal.as_str(),
    ];
    let archives = queries::scoped(&scope)
        .filter(beneficiaries::Column::Status.is_in(live))
        .all(&state.db)
        .await?;
    let orgs: std::collections::HashMap<Uuid, entity::orgs::Model> = scope
        .orgs()
        .all(&state.db)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let county_of = |org: Uuid| {
        orgs.get(&org)
            .and_then(|o| crate::tenancy::county_of(&o.path))
    };
    let mut cells: BTreeMap<(Uuid, &'static str, &'static str), u64> = BTreeMap::new();
    for a in &archives {
        let Some(county) = county_of(a.org_id) else {
            continue;
        };
        let category = Category::parse(&a.category).unwrap_or(Category::NotEligible);
        for cause in parse_causes(&a.causes) {
            *cells
                .entry((county, category.as_str(), cause.as_str()))
                .or_default() += 1;
        }
    }
    let body: Vec<ArchiveCount> = cells
        .into_iter()
        .map(|((county_id, category, cause), count)| ArchiveCount {
            county_id,
            county: orgs
                .get(&county_id)
                .map(|o| o.name.clone())
                .unwrap_or_default(),
            category: Category::parse(category).unwrap_or(Category::NotEligible),
            cause: Cause::parse(cause).unwrap_or(Cause::Other),
            count,
        })
        .collect();
    Ok(HttpResponse::Ok().json(body))
}
