//! Import of hardship archives: a household head's row and the member rows after it make one
//! archive, registered exactly as `POST /api/v1/beneficiaries` would.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, post, web};
use serde_json::{Map, Value, json};
use siji_core::CoreError;
use siji_core::imports::{self, Imported};
use siji_openapi::tags;
use uuid::Uuid;

use super::dto::*;
use super::rows::{ImportKind, Report, Row, Rows, Upload, import, outside, parse_row, rejected};
use crate::auth::Caller;
use crate::http::{ApiError, FieldError, Query};
use crate::jobs::Progress;
use crate::resources::beneficiaries::dto::CreateBeneficiaryRequest;
use crate::state::AppState;

/// Columns of the head's row that describe the household.
const HOUSEHOLD_FIELDS: [&str; 9] = [
    "household_size",
    "annual_income_fen",
    "rigid_expenses_fen",
    "accident_costs_fen",
    "causes",
    "needs",
    "migrant_worker",
    "employment_started_on",
    "long_term_assistance",
];

/// Columns of every row (the head's too) that describe a person.
const MEMBER_FIELDS: [&str; 10] = [
    "name",
    "relation",
    "id_number",
    "birth_date",
    "health",
    "employment_status",
    "school",
    "stage",
    "grade",
    "admission_year",
];

/// A head row and the member rows after it, with the cells of any of them that could not be
/// read (a control character): such a household is rejected whole.
struct Household {
    head: Row,
    members: Vec<Row>,
    unreadable: Vec<(usize, Vec<FieldError>)>,
}

/// Import hardship archives.
///
/// One row per household head (与户主关系 = 户主, identified by the ID number of a worker already
/// in your registry) with the household's columns, followed by one row per member; see the
/// template. Each household goes through the same eligibility rules and registration as
/// `POST /api/v1/beneficiaries` (a household the rules find not eligible is rejected: overrides
/// need a written reason and are made through the API). A head who already has a live archive
/// in your subtree is `skipped`, so importing the same file again creates nothing new. Member
/// rows share their household's outcome, or are rejected with their own errors.
#[utoipa::path(
    tag = tags::IMPORTS,
    operation_id = "import_beneficiaries",
    params(ImportQuery, ("Idempotency-Key" = Option<String>, Header, description = "Send a fresh key (a UUID) with each import; sending the same request again with the same key answers the same job instead of importing again (kept 7 days)")),
    request_body(description = "The spreadsheet: the file itself as the body (CSV or XLSX by its media type; `application/octet-stream` is recognised by its content), or a browser form upload with the file in the field `file`", content(
        (crate::spreadsheet::FileBytes = "text/csv"),
        (crate::spreadsheet::FileBytes = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (crate::spreadsheet::FileBytes = "application/octet-stream"),
        (ImportForm = "multipart/form-data"),
    )),
    extensions(("x-permission" = json!(siji_core::archive::WRITE))),
    responses(
        (status = 202, description = "The file passed the checks and is being imported: the job (its URL also in `Location`), whose `result` is the per-row `ImportReport` when it has succeeded. Replayed with `Idempotent-Replayed: true` for a repeated `Idempotency-Key`", body = crate::resources::jobs::dto::JobResponse,
            headers(("Location" = String, description = "The job's URL"))),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::IdempotencyKeyInFlight),
        (status = 413, response = crate::http::responses::ImportTooLarge),
        (status = 422, response = crate::http::responses::IdempotencyKeyReused),
    ),
)]
#[post("/imports/beneficiaries")]
pub async fn import_beneficiaries(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    payload: web::Payload,
    query: Query<ImportQuery>,
) -> Result<HttpResponse, ApiError> {
    import(
        &state,
        &caller,
        &req,
        payload,
        query.0.org_id,
        ImportKind::Beneficiaries,
    )
    .await
}

/// The work of an archive import job: households, each registered as `POST /api/v1/beneficiaries` would.
pub async fn beneficiaries(
    state: &AppState,
    caller: &Caller,
    upload: &Upload,
    progress: Progress,
) -> Result<Value, ApiError> {
    let org_id = upload.org_id;
    let mut rows = Rows::open(state, upload, ImportKind::Beneficiaries, &progress).await?;
    let mut report = Report::new(progress);
    let mut seen: HashMap<Uuid, usize> = HashMap::new();
    let mut pending: Option<Household> = None;
    while let Some((number, fields, errors)) = rows.next_checked().await? {
        if fields.get("relation").and_then(Value::as_str) == Some("head") {
            if let Some(household) = pending.take() {
                import_household(
                    state,
                    caller,
                    org_id,
                    &rows,
                    &mut seen,
                    household,
                    &mut report,
                )
                .await?;
            }
            let unreadable = if errors.is_empty() {
                Vec::new()
            } else {
                vec![(number, errors)]
            };
            pending = Some(Household {
                head: (number, fields),
                members: Vec::new(),
                unreadable,
            });
        } else if let Some(household) = pending.as_mut() {
            if !errors.is_empty() {
                household.unreadable.push((number, errors));
            }
            household.members.push((number, fields));
        } else if !errors.is_empty() {
            report.push(rejected(number, errors));
        } else {
            report.push(rejected(
                number,
                vec![FieldError::new(
                    rows.header("relation"),
                    "no_head",
                    "a member row must follow its household head's row",
                )],
            ));
        }
    }
    if let Some(household) = pending.take() {
        import_household(
            state,
            caller,
            org_id,
            &rows,
            &mut seen,
            household,
            &mut report,
        )
        .await?;
    }
    report
        .finish(state, caller, "beneficiary.import", org_id)
        .await
}

/// Decide one household and report each of its rows.
async fn import_household(
    state: &AppState,
    caller: &Caller,
    org_id: Uuid,
    rows: &Rows,
    seen: &mut HashMap<Uuid, usize>,
    household: Household,
    report: &mut Report,
) -> Result<(), ApiError> {
    let Household {
        head: (head_row, head),
        members,
        unreadable,
    } = household;
    let member_rows: Vec<usize> = members.iter().map(|(n, _)| *n).collect();
    if !unreadable.is_empty() {
        let mut own: HashMap<usize, Vec<FieldError>> = unreadable.into_iter().collect();
        for n in std::iter::once(head_row).chain(member_rows.iter().copied()) {
            let errors = own.remove(&n).unwrap_or_else(|| {
                vec![FieldError::new(
                    "",
                    "household_rejected",
                    format!("a row of its household (row {head_row}) cannot be read"),
                )]
            });
            report.push(rejected(n, errors));
        }
        return Ok(());
    }
    let share = |outcome: RowOutcome, id: Option<Uuid>, report: &mut Report| {
        for n in &member_rows {
            let errors = if outcome == RowOutcome::Rejected {
                vec![FieldError::new(
                    "",
                    "household_rejected",
                    format!("its household (row {head_row}) was not saved"),
                )]
            } else {
                Vec::new()
            };
            report.push(RowReport {
                row: *n,
                outcome,
                id,
                errors,
            });
        }
    };
    let ctx = caller.context(state);
    let head_number = head
        .get("id_number")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let worker = match imports::archive_head(&ctx, head_number).await {
        Ok(worker) => worker,
        Err(CoreError::Validation(errors)) => {
            report.push(rejected(head_row, rows.rename(errors)));
            share(RowOutcome::Rejected, None, report);
            return Ok(());
        }
        Err(other) => return Err(other.into()),
    };
    if let Some(line) = rows.repeated(seen, worker, head_row, "id_number") {
        report.push(line);
        share(RowOutcome::Rejected, None, report);
        return Ok(());
    }

    let mut request = Map::new();
    request.insert("org_id".into(), json!(org_id));
    request.insert("head_worker_id".into(), json!(worker));
    for name in HOUSEHOLD_FIELDS {
        if let Some(v) = head.get(name) {
            request.insert(name.into(), v.clone());
        }
    }
    // An archive rests on a home visit (入户走访): the file must say when it was and what it
    // found; an import never makes one up.
    let mut missing = Vec::new();
    for (name, what) in [
        (
            "visited_on",
            "the date of the home visit that verified the household",
        ),
        ("findings", "what the home visit found"),
    ] {
        if head.get(name).is_none() {
            missing.push(FieldError::new(
                rows.header(name),
                "required",
                format!("is required: {what}"),
            ));
        }
    }
    if !missing.is_empty() {
        report.push(rejected(head_row, missing));
        share(RowOutcome::Rejected, None, report);
        return Ok(());
    }
    request.insert(
        "first_visit".into(),
        json!({ "visited_on": head.get("visited_on"), "findings": head.get("findings") }),
    );
    let member_values: Vec<Value> = members
        .iter()
        .map(|(_, m)| {
            let mut member: Map<String, Value> = MEMBER_FIELDS
                .iter()
                .filter_map(|f| m.get(*f).map(|v| ((*f).to_owned(), v.clone())))
                .collect();
            member.entry("health").or_insert(json!("healthy"));
            Value::Object(member)
        })
        .collect();
    request.insert("members".into(), Value::Array(member_values));

    let result = match parse_row::<CreateBeneficiaryRequest>(request) {
        Ok(r) => imports::archive(&ctx, r.into())
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(imported) => {
            let (outcome, id) = match imported {
                Imported::Created(id) => (RowOutcome::Created, id),
                Imported::Skipped(id) => (RowOutcome::Skipped, id),
            };
            report.push(RowReport {
                row: head_row,
                outcome,
                id: Some(id),
                errors: Vec::new(),
            });
            share(outcome, Some(id), report);
        }
        Err(ApiError::Validation(errors)) => {
            // `members[i].field` belongs on member i's row; the rest on the head's row.
            let mut head_errors = Vec::new();
            let mut by_member: HashMap<usize, Vec<FieldError>> = HashMap::new();
            for mut e in errors {
                let member = e
                    .field
                    .strip_prefix("members[")
                    .and_then(|rest| rest.split_once("]."))
                    .and_then(|(i, f)| i.parse::<usize>().ok().map(|i| (i, f.to_owned())));
                match member {
                    Some((i, field)) => {
                        e.field = field;
                        by_member.entry(i).or_default().push(e);
                    }
                    None => head_errors.push(e),
                }
            }
            if head_errors.is_empty() {
                head_errors.push(FieldError::new(
                    "",
                    "member_rejected",
                    "a member row of this household is invalid",
                ));
            }
            report.push(rejected(head_row, rows.rename(head_errors)));
            for (i, n) in member_rows.iter().enumerate() {
                let errors = by_member
                    .remove(&i)
                    .map(|e| rows.rename(e))
                    .unwrap_or_else(|| {
                        vec![FieldError::new(
                            "",
                            "household_rejected",
                            format!("its household (row {head_row}) was not saved"),
                        )]
                    });
                report.push(rejected(*n, errors));
            }
        }
        Err(ApiError::Conflict { detail, .. }) => {
            report.push(rejected(
                head_row,
                vec![FieldError::new("", "conflict", detail)],
            ));
            share(RowOutcome::Rejected, None, report);
        }
        Err(ApiError::NotFound) => {
            report.push(rejected(head_row, outside()));
            share(RowOutcome::Rejected, None, report);
        }
        Err(other) => return Err(other),
    }
    Ok(())
}
