//! Decoding the rows of the hot reads (a page of workers, one worker) by position. sea-orm's
//! derived decoding asks the driver for each column by name, and on PostgreSQL the driver then
//! hashes the name to find its position and checks the column's type against the field's for
//! every value of every row: measured with callgrind on a page of 50 workers, a fifth of the
//! server's instructions per request. The columns of a partial model are selected in the order
//! of its fields, so [`Columns`] reads the next position and only compares its name; a column
//! found elsewhere (another statement's order, a prefixed read) or another backend is read by
//! name as before. The value is decoded without sqlx's type check: the entity fixes the
//! column's type, and the suites' worker reads on PostgreSQL decode through here.

use std::sync::Arc;

use sea_orm::sqlx::postgres::{PgRow, Postgres};
use sea_orm::sqlx::{Column, Decode, Row, Type};
use sea_orm::{DbErr, QueryResult, RuntimeErr, TryGetable};

/// The columns of one row, read in order.
pub struct Columns<'r> {
    row: &'r QueryResult,
    pg: Option<&'r PgRow>,
    pre: &'r str,
    next: usize,
}

impl<'r> Columns<'r> {
    pub fn new(row: &'r QueryResult, pre: &'r str) -> Self {
        Self {
            row,
            pg: row.try_as_pg_row().filter(|_| pre.is_empty()),
            pre,
            next: 0,
        }
    }

    /// The last `count` columns of `row`, read in order: the columns a statement adds after its
    /// model's (the names [`Presenter::naming`](crate::spreadsheet::export::Presenter::naming)
    /// joins).
    pub fn last(row: &'r QueryResult, pre: &'r str, count: usize) -> Self {
        let mut columns = Self::new(row, pre);
        columns.next = columns
            .pg
            .map_or(0, |pg| pg.columns().len().saturating_sub(count));
        columns
    }

    /// The column `name`, expected next.
    pub fn next<T>(&mut self, name: &str) -> Result<T, DbErr>
    where
        T: TryGetable + Decode<'r, Postgres> + Type<Postgres>,
    {
        let at = self.next;
        self.next += 1;
        if let Some(pg) = self.pg
            && pg.columns().get(at).is_some_and(|c| c.name() == name)
        {
            return pg
                .try_get_unchecked(at)
                .map_err(|e| DbErr::Query(RuntimeErr::SqlxError(Arc::new(e))));
        }
        self.row.try_get(self.pre, name)
    }
}

/// `FromQueryResult` for a partial model whose fields are its columns, listed in the order of
/// its fields (the order it selects them in): `positional!(WorkerView { id, org_id, … })`.
#[macro_export]
macro_rules! positional {
    ($model:ty { $($field:ident),* $(,)? }) => {
        impl sea_orm::FromQueryResult for $model {
            fn from_query_result(
                row: &sea_orm::QueryResult,
                pre: &str,
            ) -> Result<Self, sea_orm::DbErr> {
                let mut columns = $crate::rows::Columns::new(row, pre);
                Ok(Self {
                    $($field: columns.next(stringify!($field))?,)*
                })
            }
        }
    };
}
