//! Exporting a filtered list: CSV streamed in keyset-ordered chunks (memory stays flat however
//! long the list), or XLSX written in constant-memory mode. Values are whatever the resource's
//! row function gives: personal data is already masked there. Rows show the names of the
//! organisation, enterprise and worker they refer to (staff read names, not ids), looked up once
//! per chunk within the caller's subtree.

use actix_web::HttpResponse;
use actix_web::http::header;
use actix_web::web::Bytes;
use futures_util::{Stream, StreamExt, stream};
use sea_orm::sea_query::{
    Alias, Condition, Expr, ExprTrait, JoinType, Query, SelectStatement, UnionType,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, QueryOrder, QueryResult, QuerySelect, QueryTrait, Select, Statement,
};
use std::collections::{HashMap, HashSet};

use entity::{enterprises, orgs, workers};
use uuid::Uuid;

use super::Format;
use crate::http::{ApiError, Page};
use crate::tenancy::Scope;

const CHUNK: u64 = 500;

/// What a resource tells the exporter.
pub struct Export<E: EntityTrait, C: ColumnTrait> {
    pub file_stem: &'static str,
    pub headers: &'static [&'static str],
    pub select: Select<E>,
    pub id_column: C,
    pub id_of: fn(&E::Model) -> Uuid,
    /// What a row refers to, for the names.
    pub refers_to: fn(&E::Model) -> Refs,
    pub row: fn(E::Model, &Names) -> Vec<String>,
    /// Names are looked up only within this subtree: nothing outside it is shown.
    pub scope: Scope,
}

/// A flag as a cell: 是 / 否.
pub fn yes_no(flag: bool) -> String {
    if flag { "是" } else { "否" }.to_owned()
}

/// The records one row refers to.
pub struct Refs {
    pub org: Uuid,
    pub enterprise: Option<Uuid>,
    pub worker: Option<Uuid>,
}

impl Refs {
    pub fn org(org: Uuid) -> Self {
        Self {
            org,
            enterprise: None,
            worker: None,
        }
    }
}

/// How a kind of record becomes a response with the names a screen shows beside its ids: what it
/// refers to, and how it is shaped. A read (a get, a page) reads the names in its own statement,
/// joined to its rows ([`Presenter::naming`]); a record already at hand (just written) has its
/// names looked up in one more statement ([`Names::of`]).
pub struct Presenter<M, R> {
    pub refers_to: fn(&M) -> Refs,
    /// The same references as columns of the record's query.
    pub columns: fn() -> RefColumns,
    pub respond: fn(M, &Names) -> R,
}

/// The columns of a record's table that refer to named records (qualified by the table).
pub struct RefColumns {
    pub org: Expr,
    pub enterprise: Option<Expr>,
}

impl<M, R> Presenter<M, R> {
    /// `select`, each row read with the names it shows, in the same statement: the organisation
    /// and the enterprise joined (`LEFT JOIN`, under aliases of their own, so that the statement
    /// may name their tables itself), each limited to the subtree as [`Names::of`] is (a
    /// reference outside it reads as no name). With a `confirmation` (a
    /// [`Reader`](crate::auth::Reader)'s) each row also says whether it finds its row: an
    /// uncorrelated `EXISTS`, evaluated once for the statement. Read the rows as [`Named<M>`].
    ///
    /// One statement instead of the page's query and then its names: measured on the
    /// million-worker city, the joins' lookups (one per row) cost PostgreSQL about what the
    /// second statement did, and the server one round trip less.
    pub fn naming<E: EntityTrait>(
        &self,
        scope: &Scope,
        mut select: Select<E>,
        confirmation: Option<SelectStatement>,
    ) -> Select<E> {
        let columns = (self.columns)();
        let (low, high) = scope.path_range();
        let org = Alias::new("presented_org");
        let query = QueryTrait::query(&mut select);
        query
            .join_as(
                JoinType::LeftJoin,
                orgs::Entity,
                org.clone(),
                Condition::all()
                    .add(ExprTrait::eq(
                        Expr::col((org.clone(), orgs::Column::Id)),
                        columns.org,
                    ))
                    .add(Expr::col((org.clone(), orgs::Column::Path)).gte(low))
                    .add(Expr::col((org.clone(), orgs::Column::Path)).lt(high)),
            )
            .expr_as(Expr::col((org, orgs::Column::Name)), ORG_NAME);
        match columns.enterprise {
            Some(enterprise) => {
                let alias = Alias::new("presented_enterprise");
                query
                    .join_as(
                        JoinType::LeftJoin,
                        enterprises::Entity,
                        alias.clone(),
                        Condition::all()
                            .add(ExprTrait::eq(
                                Expr::col((alias.clone(), enterprises::Column::Id)),
                                enterprise,
                            ))
                            .add(
                                scope.holds(Expr::col((alias.clone(), enterprises::Column::OrgId))),
                            ),
                    )
                    .expr_as(
                        Expr::col((alias, enterprises::Column::Name)),
                        ENTERPRISE_NAME,
                    );
            }
            None => {
                query.expr_as(Expr::cust("CAST(NULL AS TEXT)"), ENTERPRISE_NAME);
            }
        }
        let confirmed = match confirmation {
            Some(statement) => Expr::exists(statement),
            None => Expr::val(true),
        };
        query.expr_as(confirmed, CONFIRMED);
        select
    }

    /// The one record a statement built with [`naming`](Self::naming) finds, with the names it
    /// shows, and whether it confirmed the confirmation (true without one).
    pub async fn find(
        &self,
        db: &impl ConnectionTrait,
        statement: Statement,
    ) -> Result<Option<((M, Names), bool)>, DbErr>
    where
        M: FromQueryResult + Send + Sync,
    {
        let row = Named::<M>::find_by_statement(statement).one(db).await?;
        Ok(row.map(|row| {
            let mut names = Names::default();
            let confirmed = row.confirmed;
            let model = names.take(row, self.refers_to);
            ((model, names), confirmed)
        }))
    }

    /// The rows of a page read through [`naming`](Self::naming), its statement built already.
    pub async fn rows(
        &self,
        db: &impl ConnectionTrait,
        statement: Statement,
    ) -> Result<Vec<Named<M>>, DbErr>
    where
        M: FromQueryResult + Send + Sync,
    {
        Named::<M>::find_by_statement(statement).all(db).await
    }

    /// The response for a record read with its names ([`find`](Self::find)).
    pub fn named(&self, (model, names): (M, Names)) -> R {
        (self.respond)(model, &names)
    }

    /// A page read through [`naming`](Self::naming) as responses, and whether its statement
    /// confirmed the confirmation: `None` for an empty page, which had no row to say so.
    pub fn named_page(&self, page: Page<Named<M>>) -> (Page<R>, Option<bool>) {
        let confirmed = page.items.first().map(|row| row.confirmed);
        let mut names = Names::default();
        let models: Vec<M> = page
            .items
            .into_iter()
            .map(|row| names.take(row, self.refers_to))
            .collect();
        let items = models
            .into_iter()
            .map(|m| (self.respond)(m, &names))
            .collect();
        (
            Page {
                items,
                next_cursor: page.next_cursor,
                total: page.total,
            },
            confirmed,
        )
    }

    pub async fn many(
        &self,
        db: &DatabaseConnection,
        scope: &Scope,
        models: Vec<M>,
    ) -> Result<Vec<R>, ApiError> {
        let names = Names::of(db, scope, &models, self.refers_to).await?;
        Ok(models
            .into_iter()
            .map(|m| (self.respond)(m, &names))
            .collect())
    }

    pub async fn one(
        &self,
        db: &DatabaseConnection,
        scope: &Scope,
        model: M,
    ) -> Result<R, ApiError> {
        self.many(db, scope, vec![model])
            .await?
            .pop()
            .ok_or_else(|| ApiError::Internal("a presented record vanished".into()))
    }

    pub async fn page(
        &self,
        db: &DatabaseConnection,
        scope: &Scope,
        page: Page<M>,
    ) -> Result<Page<R>, ApiError> {
        let Page {
            items,
            next_cursor,
            total,
        } = page;
        Ok(Page {
            items: self.many(db, scope, items).await?,
            next_cursor,
            total,
        })
    }
}

const ORG_NAME: &str = "presented_org_name";
const ENTERPRISE_NAME: &str = "presented_enterprise_name";
const CONFIRMED: &str = "presented_confirmed";

/// A record and the names read beside it ([`Presenter::naming`]).
pub struct Named<M> {
    pub model: M,
    org: Option<String>,
    enterprise: Option<String>,
    confirmed: bool,
}

impl<M: FromQueryResult> FromQueryResult for Named<M> {
    fn from_query_result(row: &QueryResult, pre: &str) -> Result<Self, DbErr> {
        // `naming` adds the three last, in this order.
        let mut names = crate::rows::Columns::last(row, pre, 3);
        Ok(Self {
            model: M::from_query_result(row, pre)?,
            org: names.next(ORG_NAME)?,
            enterprise: names.next(ENTERPRISE_NAME)?,
            confirmed: names.next(CONFIRMED)?,
        })
    }
}

/// The names of the organisations, enterprises and workers one chunk of rows refers to.
#[derive(Debug, Default)]
pub struct Names {
    orgs: HashMap<Uuid, String>,
    enterprises: HashMap<Uuid, String>,
    /// A worker's name and masked ID number.
    workers: HashMap<Uuid, (String, String)>,
}

impl Names {
    pub fn org(&self, id: Uuid) -> String {
        self.orgs.get(&id).cloned().unwrap_or_default()
    }

    pub fn enterprise(&self, id: Option<Uuid>) -> String {
        id.and_then(|id| self.enterprises.get(&id).cloned())
            .unwrap_or_default()
    }

    /// A worker's name and masked ID number.
    pub fn worker(&self, id: Uuid) -> (String, String) {
        self.workers.get(&id).cloned().unwrap_or_default()
    }

    /// One statement per chunk (or page), however many rows it holds and whatever kinds they
    /// refer to: the organisations', enterprises' and workers' names in one `UNION ALL`, each
    /// part limited to the subtree.
    pub async fn of<M>(
        db: &DatabaseConnection,
        scope: &Scope,
        models: &[M],
        refers_to: fn(&M) -> Refs,
    ) -> Result<Self, sea_orm::DbErr> {
        let (mut org_ids, mut enterprise_ids, mut worker_ids) =
            (HashSet::new(), HashSet::new(), HashSet::new());
        for model in models {
            let refs = refers_to(model);
            org_ids.insert(refs.org);
            enterprise_ids.extend(refs.enterprise);
            worker_ids.extend(refs.worker);
        }
        // Each part: (kind, id, name, masked ID number or NULL).
        let part = |kind: &str, id: Expr, name: Expr, masked: Expr| {
            Query::select()
                .expr_as(Expr::val(kind), "kind")
                .expr_as(id, "id")
                .expr_as(name, "name")
                .expr_as(masked, "masked")
                .to_owned()
        };
        let no_text = || Expr::cust("CAST(NULL AS TEXT)");
        let mut parts = Vec::new();
        if !org_ids.is_empty() {
            parts.push(
                part(
                    "o",
                    Expr::col((orgs::Entity, orgs::Column::Id)),
                    Expr::col((orgs::Entity, orgs::Column::Name)),
                    no_text(),
                )
                .from(orgs::Entity)
                .cond_where(scope.orgs_condition())
                .and_where(orgs::Column::Id.is_in(org_ids))
                .to_owned(),
            );
        }
        if !enterprise_ids.is_empty() {
            parts.push(
                part(
                    "e",
                    Expr::col((enterprises::Entity, enterprises::Column::Id)),
                    Expr::col((enterprises::Entity, enterprises::Column::Name)),
                    no_text(),
                )
                .from(enterprises::Entity)
                .and_where(scope.owns(enterprises::Column::OrgId))
                .and_where(enterprises::Column::Id.is_in(enterprise_ids))
                .to_owned(),
            );
        }
        if !worker_ids.is_empty() {
            parts.push(
                part(
                    "w",
                    Expr::col((workers::Entity, workers::Column::Id)),
                    Expr::col((workers::Entity, workers::Column::Name)),
                    Expr::col((workers::Entity, workers::Column::IdNumberMasked)),
                )
                .from(workers::Entity)
                .and_where(scope.owns(workers::Column::OrgId))
                .and_where(workers::Column::Id.is_in(worker_ids))
                .to_owned(),
            );
        }
        let mut names = Names::default();
        let mut parts = parts.into_iter();
        let Some(mut query) = parts.next() else {
            return Ok(names);
        };
        for other in parts {
            query.union(UnionType::All, other);
        }
        let statement = db.get_database_backend().build(&query);
        for row in db.query_all_raw(statement).await? {
            let kind: String = row.try_get("", "kind")?;
            let id: Uuid = row.try_get("", "id")?;
            let name: String = row.try_get("", "name")?;
            match kind.as_str() {
                "o" => {
                    names.orgs.insert(id, name);
                }
                "e" => {
                    names.enterprises.insert(id, name);
                }
                _ => {
                    let masked: Option<String> = row.try_get("", "masked")?;
                    names.workers.insert(id, (name, masked.unwrap_or_default()));
                }
            }
        }
        Ok(names)
    }

    /// The names a row read through [`Presenter::naming`] carries, added to these; its model.
    fn take<M>(&mut self, row: Named<M>, refers_to: fn(&M) -> Refs) -> M {
        let refs = refers_to(&row.model);
        if let Some(name) = row.org {
            self.orgs.entry(refs.org).or_insert(name);
        }
        if let (Some(id), Some(name)) = (refs.enterprise, row.enterprise) {
            self.enterprises.entry(id).or_insert(name);
        }
        row.model
    }
}

fn disposition(stem: &str, format: Format) -> String {
    format!("attachment; filename=\"{stem}.{}\"", format.extension())
}

/// The next chunk of rows after `after`, with the names they refer to.
async fn chunk<E: EntityTrait, C: ColumnTrait>(
    db: &DatabaseConnection,
    export: &Export<E, C>,
    after: Option<Uuid>,
) -> Result<(Vec<E::Model>, Names), sea_orm::DbErr> {
    let mut query = export.select.clone().order_by_asc(export.id_column);
    if let Some(after) = after {
        query = query.filter(export.id_column.gt(after));
    }
    let models = query.limit(CHUNK).all(db).await?;
    let names = Names::of(db, &export.scope, &models, export.refers_to).await?;
    Ok((models, names))
}

/// A cell as a spreadsheet will not evaluate it: text starting with `=`, `+`, `-`, `@` (or a
/// tab or carriage return) would be taken for a formula when staff open the CSV in Excel, so it
/// gets a leading apostrophe (OWASP "CSV injection").
fn inert(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => std::borrow::Cow::Owned(format!("'{cell}")),
        _ => std::borrow::Cow::Borrowed(cell),
    }
}

fn csv_line(cells: &[String]) -> Bytes {
    let mut writer = csv::WriterBuilder::new().from_writer(Vec::new());
    let _ = writer.write_record(cells.iter().map(|c| inert(c).into_owned()));
    Bytes::from(writer.into_inner().unwrap_or_default())
}

/// A small table as a CSV file (UTF-8 with a byte-order mark, so that Excel reads the Chinese),
/// every cell made inert.
pub fn csv_table(headers: &[&str], rows: &[Vec<String>]) -> Vec<u8> {
    let mut out = "\u{feff}".as_bytes().to_vec();
    let headers: Vec<String> = headers.iter().map(|h| (*h).to_owned()).collect();
    out.extend_from_slice(&csv_line(&headers));
    for row in rows {
        out.extend_from_slice(&csv_line(row));
    }
    out
}

pub async fn respond<E, C>(
    db: DatabaseConnection,
    format: Format,
    export: Export<E, C>,
) -> Result<HttpResponse, ApiError>
where
    E: EntityTrait,
    E::Model: Send + Sync,
    C: ColumnTrait + 'static,
{
    let mut response = download(export.file_stem, format);
    match format {
        Format::Csv => {
            let headers: Vec<String> = export.headers.iter().map(|h| (*h).to_owned()).collect();
            // A BOM so that Excel opens the UTF-8 file with the right encoding.
            let mut first = b"\xEF\xBB\xBF".to_vec();
            first.extend_from_slice(&csv_line(&headers));
            let body = stream::once(async move { Ok::<Bytes, ApiError>(Bytes::from(first)) })
                .chain(csv_rows(db, export));
            Ok(response.streaming(body))
        }
        Format::Xlsx => {
            let bytes = xlsx(&db, export).await?;
            Ok(response.body(bytes))
        }
    }
}

/// The data rows as CSV, fetched chunk by chunk as the client reads.
fn csv_rows<E, C>(
    db: DatabaseConnection,
    export: Export<E, C>,
) -> impl Stream<Item = Result<Bytes, ApiError>> + 'static
where
    E: EntityTrait,
    E::Model: Send + Sync,
    C: ColumnTrait + 'static,
{
    stream::unfold(
        (db, export, None::<Uuid>, false),
        |(db, export, after, done)| async move {
            if done {
                return None;
            }
            match chunk(&db, &export, after).await {
                Ok((models, names)) => {
                    let finished = (models.len() as u64) < CHUNK;
                    let last = models.last().map(export.id_of).or(after);
                    let mut bytes = Vec::new();
                    for model in models {
                        bytes.extend_from_slice(&csv_line(&(export.row)(model, &names)));
                    }
                    Some((Ok(Bytes::from(bytes)), (db, export, last, finished)))
                }
                Err(err) => Some((Err(ApiError::from(err)), (db, export, after, true))),
            }
        },
    )
}

async fn xlsx<E, C>(db: &DatabaseConnection, export: Export<E, C>) -> Result<Vec<u8>, ApiError>
where
    E: EntityTrait,
    C: ColumnTrait,
{
    let fail = |e: rust_xlsxwriter::XlsxError| ApiError::Internal(format!("writing XLSX: {e}"));
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook
        .add_worksheet_with_constant_memory()
        .map_err(fail)?;
    for (col, header) in export.headers.iter().enumerate() {
        sheet.write_string(0, column(col)?, *header).map_err(fail)?;
    }
    let mut row_index: u32 = 1;
    let mut after = None;
    loop {
        let (models, names) = chunk(db, &export, after).await?;
        let finished = (models.len() as u64) < CHUNK;
        after = models.last().map(export.id_of).or(after);
        for model in models {
            for (col, value) in (export.row)(model, &names).iter().enumerate() {
                // Text cells: ID-like values must not turn into numbers.
                sheet
                    .write_string(row_index, column(col)?, value)
                    .map_err(fail)?;
            }
            row_index += 1;
        }
        if finished {
            break;
        }
    }
    workbook.save_to_buffer().map_err(fail)
}

/// The one parameter of an export that has no filters of its own.
#[derive(Debug, serde::Deserialize, validator::Validate, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `csv` (the default: UTF-8 with a byte-order mark, as Excel opens it) or `xlsx`.
    pub format: Option<Format>,
}

/// A small table (a report, not a list) as a download in either format.
pub fn table(
    file_stem: &str,
    format: Format,
    headers: &[&str],
    rows: &[Vec<String>],
) -> Result<HttpResponse, ApiError> {
    let body = match format {
        Format::Csv => csv_table(headers, rows),
        Format::Xlsx => xlsx_table(headers, rows)?,
    };
    Ok(download(file_stem, format).body(body))
}

/// The start of a file download: its media type, its name and no caching (it carries records).
pub fn download(file_stem: &str, format: Format) -> actix_web::HttpResponseBuilder {
    let mut response = HttpResponse::Ok();
    response
        .content_type(match format {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => Format::Xlsx.media_type(),
        })
        .insert_header((header::CONTENT_DISPOSITION, disposition(file_stem, format)))
        .insert_header((header::CACHE_CONTROL, "no-store"));
    response
}

/// A spreadsheet column index (XLSX has 16,384).
pub fn column(index: usize) -> Result<u16, ApiError> {
    u16::try_from(index).map_err(|_| ApiError::Internal("too many columns for XLSX".into()))
}

/// A spreadsheet row index (XLSX has 1,048,576).
pub fn sheet_row(index: usize) -> Result<u32, ApiError> {
    u32::try_from(index).map_err(|_| ApiError::Internal("too many rows for XLSX".into()))
}

/// A small table (a report, not a list) as an XLSX file.
pub fn xlsx_table(headers: &[&str], rows: &[Vec<String>]) -> Result<Vec<u8>, ApiError> {
    let fail = |e: rust_xlsxwriter::XlsxError| ApiError::Internal(format!("writing XLSX: {e}"));
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (col, header) in headers.iter().enumerate() {
        sheet.write_string(0, column(col)?, *header).map_err(fail)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (col, value) in row.iter().enumerate() {
            sheet
                .write_string(sheet_row(r + 1)?, column(col)?, value)
                .map_err(fail)?;
        }
    }
    workbook.save_to_buffer().map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_in_csv() {
        let line = csv_line(&[
            "=HYPERLINK(\"x\")".to_owned(),
            "张三".to_owned(),
            "-1".to_owned(),
            "a=b".to_owned(),
        ]);
        let text = String::from_utf8(line.to_vec()).unwrap();
        assert_eq!(text, "\"'=HYPERLINK(\"\"x\"\")\",张三,'-1,a=b\n");
    }
}
