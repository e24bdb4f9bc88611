//! Keyset pagination: `limit` (default 50, at most 200), an opaque `cursor`, and the page shape
//! `{items, next_cursor, total?}`. Cursors encode the last row's sort key and id, so a page is
//! stable under concurrent inserts (no offsets), and are opaque to clients (base64url JSON).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, Order, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Select,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
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
    let total = if page.count {
        Some(select.clone().count(db).await?)
    } else {
        None
    };
    let mut query = select.order_by(id_column, order.clone());
    if let Some(after) = page.after {
        query = match order {
            Order::Desc => query.filter(id_column.lt(after)),
            _ => query.filter(id_column.gt(after)),
        };
    }
    let mut items = query.limit(u64::from(page.limit) + 1).all(db).await?;
    let next_cursor = if items.len() > page.limit as usize {
        items.truncate(page.limit as usize);
        items.last().map(|last| encode_cursor(&id_of(last)))
    } else {
        None
    };
    Ok(Page {
        items,
        next_cursor,
        total,
    })
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
