//! Keyset pagination: `limit` (default 50, at most 200), an opaque `cursor`, and the page shape
//! `{items, next_cursor, total?}`. Cursors encode the last row's sort key and id, so a page is
//! stable under concurrent inserts (no offsets), and are opaque to clients (base64url JSON).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, Order,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::problem::{ApiError, ErrorCode, FieldError};

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    /// Each item, by reference to its own schema (one model per item type in generated clients).
    #[schema(inline = false)]
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page. Always present.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
    /// The number of matching items over all pages; only with `count=true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
            total: self.total,
        }
    }
}

pub fn encode_cursor<K: Serialize>(key: &K) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(key).unwrap_or_default())
}

pub fn decode_cursor<K: DeserializeOwned>(cursor: &str) -> Result<K, ApiError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| ApiError::BadRequest {
            code: ErrorCode::InvalidQuery,
            detail: "1 query parameter(s) invalid".to_owned(),
            errors: vec![FieldError::new(
                "cursor",
                "invalid_cursor",
                "is not a cursor this API issued",
            )],
        })
}

/// The paging part of a list request, checked.
#[derive(Debug, Clone)]
pub struct PageRequest {
    pub limit: u32,
    pub after: Option<Uuid>,
    pub count: bool,
}

impl PageRequest {
    /// `limit` is range-checked by the query type's validation; this decodes the cursor.
    pub fn new(
        limit: Option<u32>,
        cursor: Option<&str>,
        count: Option<bool>,
    ) -> Result<Self, ApiError> {
        Ok(Self {
            limit: limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT),
            after: cursor.map(decode_cursor::<Uuid>).transpose()?,
            count: count.unwrap_or(false),
        })
    }
}

/// Fetch one page of `select` ordered by a UUIDv7 id column, i.e. by creation time: oldest
/// first (`Order::Asc`) or newest first (`Order::Desc`).
pub async fn page_by_id<E, C>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    id_column: C,
    id_of: impl Fn(&E::Model) -> Uuid,
    page: &PageRequest,
    order: Order,
) -> Result<Page<E::Model>, DbErr>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ColumnTrait,
{
    page_by_id_as(db, select, id_column, id_of, page, order).await
}

/// As [`page_by_id`], each row read as `M`: a partial model whose columns `select` names.
pub async fn page_by_id_as<E, C, M>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    id_column: C,
    id_of: impl Fn(&M) -> Uuid,
    page: &PageRequest,
    order: Order,
) -> Result<Page<M>, DbErr>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ColumnTrait,
    M: FromQueryResult + Send + Sync,
{
    let total = if page.count {
        Some(select.clone().count(db).await?)
    } else {
        None
    };
    let query = by_id(select, id_column, order, page.after);
    fetch(db, query, page.limit, total, |last| {
        encode_cursor(&id_of(last))
    })
    .await
}

/// `select` in the order of its id column, after the id `after` if given: a page of
/// [`page_by_id`] once limited ([`limited`]).
pub fn by_id<E: EntityTrait, C: ColumnTrait>(
    select: Select<E>,
    id_column: C,
    order: Order,
    after: Option<Uuid>,
) -> Select<E> {
    let query = select.order_by(id_column, order.clone());
    match (after, order) {
        (None, _) => query,
        (Some(after), Order::Desc) => query.filter(id_column.lt(after)),
        (Some(after), _) => query.filter(id_column.gt(after)),
    }
}

/// `query` limited to a page of `limit` rows and one more, which tells whether a next page
/// exists.
pub fn limited<E: EntityTrait>(query: Select<E>, limit: u32) -> Select<E> {
    query.limit(u64::from(limit) + 1)
}

/// `limit` rows of `query` (one more is read to know whether a next page exists) and the
/// cursor of the last one.
async fn fetch<E: EntityTrait, M: FromQueryResult + Send + Sync>(
    db: &impl ConnectionTrait,
    query: Select<E>,
    limit: u32,
    total: Option<u64>,
    cursor_of: impl Fn(&M) -> String,
) -> Result<Page<M>, DbErr> {
    let items = limited(query, limit).into_model::<M>().all(db).await?;
    Ok(page_of(items, limit, total, cursor_of))
}

/// The page made of `items`, the rows of a statement [`limited`] to `limit`.
pub fn page_of<M>(
    mut items: Vec<M>,
    limit: u32,
    total: Option<u64>,
    cursor_of: impl Fn(&M) -> String,
) -> Page<M> {
    let next_cursor = if items.len() > limit as usize {
        items.truncate(limit as usize);
        items.last().map(cursor_of)
    } else {
        None
    };
    Page {
        items,
        next_cursor,
        total,
    }
}

/// The order of a list (`sort`): by creation (the default, oldest first), by name, or by last
/// update; `-` first for descending. Keyset-paginated like every list: a page is stable while
/// records are added, and its cursor belongs to its order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
pub enum Sort {
    #[default]
    #[serde(rename = "created")]
    Created,
    #[serde(rename = "-created")]
    CreatedDesc,
    #[serde(rename = "name")]
    Name,
    #[serde(rename = "-name")]
    NameDesc,
    #[serde(rename = "updated")]
    Updated,
    #[serde(rename = "-updated")]
    UpdatedDesc,
}

impl Sort {
    pub fn order(self) -> Order {
        match self {
            Sort::Created | Sort::Name | Sort::Updated => Order::Asc,
            Sort::CreatedDesc | Sort::NameDesc | Sort::UpdatedDesc => Order::Desc,
        }
    }
}

/// The columns a sortable list is ordered by.
pub struct SortColumns<C> {
    pub id: C,
    pub name: C,
    pub updated_at: C,
}

/// A kind of record whose list takes `sort`: what a row of its list is read as (the model, or a
/// partial model of the columns a response shows), its id, name and update columns, and those
/// keys of a row (for the next page's cursor).
pub trait Sortable: EntityTrait {
    type Row: FromQueryResult + Send + Sync;
    fn sort_columns() -> SortColumns<Self::Column>;
    fn sort_keys(row: &Self::Row) -> SortKeys;
}

/// A list request's paging parameters as sent (the cursor undecoded: its shape depends on the
/// order).
pub struct PageParams<'a> {
    pub limit: Option<u32>,
    pub cursor: Option<&'a str>,
    pub count: Option<bool>,
}

/// The keys of a row a sorted page's cursor is made of.
pub struct SortKeys {
    pub id: Uuid,
    pub name: String,
    pub updated_at: DateTime<Utc>,
}

fn invalid_cursor() -> ApiError {
    ApiError::BadRequest {
        code: ErrorCode::InvalidQuery,
        detail: "1 query parameter(s) invalid".to_owned(),
        errors: vec![FieldError::new(
            "cursor",
            "invalid",
            "is not a cursor of this list in this order",
        )],
    }
}

/// One page of `select` in the order `sort` asks for, the id breaking ties. By creation it is
/// [`page_by_id`] (its cursors stay valid); by name or update the cursor carries the last row's
/// key and id, and the next page starts after that pair. `cursor` is the request's, undecoded.
/// The page is read through `present(select)`, each row as `M` (the record's
/// [`Sortable::Row`], or a row with more beside it, as a presenter's
/// [`Named`](crate::spreadsheet::export::Named) rows), `keys` giving its sort keys; the total
/// (`count`) is of `select` itself, so that it does not pay for what `present` joins on.
pub async fn page_sorted<E, M>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    sort: Sort,
    PageParams {
        limit,
        cursor,
        count,
    }: PageParams<'_>,
    keys: impl Fn(&M) -> SortKeys,
    present: impl FnOnce(Select<E>) -> Select<E>,
) -> Result<Page<M>, ApiError>
where
    E: Sortable,
    E::Model: Sync,
    M: FromQueryResult + Send + Sync,
{
    let order = sort.order();
    let columns = E::sort_columns();
    // The cursor is decoded before anything is read: a bad one costs no count.
    let (key, after): (Option<E::Column>, Option<(sea_orm::Value, Uuid)>) = match sort {
        Sort::Created | Sort::CreatedDesc => (None, None),
        Sort::Name | Sort::NameDesc => (
            Some(columns.name),
            cursor
                .map(|c| decode_cursor::<(String, Uuid)>(c).map_err(|_| invalid_cursor()))
                .transpose()?
                .map(|(name, id)| (name.into(), id)),
        ),
        Sort::Updated | Sort::UpdatedDesc => (
            Some(columns.updated_at),
            cursor
                .map(|c| decode_cursor::<(DateTime<Utc>, Uuid)>(c).map_err(|_| invalid_cursor()))
                .transpose()?
                .map(|(at, id)| (at.into(), id)),
        ),
    };
    let by_id = match key {
        None => PageRequest::new(limit, cursor, None)?,
        Some(_) => PageRequest::new(limit, None, None)?,
    };
    let total = if count.unwrap_or(false) {
        Some(select.clone().count(db).await?)
    } else {
        None
    };
    let select = present(select);
    let Some(key) = key else {
        let id_of = |m: &M| keys(m).id;
        let page = page_by_id_as(db, select, columns.id, id_of, &by_id, order).await?;
        return Ok(Page { total, ..page });
    };
    let mut query = select
        .order_by(key, order.clone())
        .order_by(columns.id, order.clone());
    if let Some((value, id)) = after {
        let (past, id_past) = match order {
            Order::Desc => (key.lt(value.clone()), columns.id.lt(id)),
            _ => (key.gt(value.clone()), columns.id.gt(id)),
        };
        query = query.filter(
            Condition::any()
                .add(past)
                .add(Condition::all().add(key.eq(value)).add(id_past)),
        );
    }
    let cursor_of = |last: &M| {
        let k = keys(last);
        match sort {
            Sort::Updated | Sort::UpdatedDesc => encode_cursor(&(k.updated_at, k.id)),
            _ => encode_cursor(&(k.name, k.id)),
        }
    };
    Ok(fetch(db, query, by_id.limit, total, cursor_of).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let id = Uuid::now_v7();
        assert_eq!(decode_cursor::<Uuid>(&encode_cursor(&id)).unwrap(), id);
        assert!(decode_cursor::<Uuid>("not-a-cursor").is_err());
        assert!(PageRequest::new(None, Some("@@"), None).is_err());
        assert_eq!(
            PageRequest::new(None, None, None).unwrap().limit,
            DEFAULT_LIMIT
        );
    }
}
