//! Re-encrypting stored personal data under the current key.
//!
//! Rotating `SIJI_DATA_KEY` makes new writes use the new key at once, but every value written
//! before stays readable only while its old key sits in `SIJI_DATA_KEYS_PREVIOUS`. This rewrites
//! those values under the current key, in small transactions, so that an old (perhaps leaked) key
//! can be retired. It changes ciphertext only: plaintext, blind indexes, masks and record
//! versions stay as they are, so no one's open edit is invalidated. Run it again at any time;
//! values already under the current key are skipped.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, Statement, TransactionTrait,
};
use uuid::Uuid;

use super::{DataProtector, PiiField};
use crate::audit::{self, Actor, Event};

/// One encrypted column: table, column, and the field it is bound to (associated data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptedColumn {
    pub table: String,
    pub column: String,
    pub field: PiiField,
}

/// Every encrypted column, read from the schema itself rather than kept by hand: by the naming
/// rule every migration follows, a column `<field>_enc` holds that field's ciphertext. A new
/// table with personal data is covered the day it is created; a `_enc` column of a field this
/// build does not know stops the rotation instead of being skipped.
pub async fn encrypted_columns(
    db: &impl ConnectionTrait,
) -> Result<Vec<EncryptedColumn>, RotationError> {
    let sql = match db.get_database_backend() {
        DatabaseBackend::Sqlite => {
            "SELECT m.name AS t, p.name AS c FROM sqlite_master m, pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND p.name LIKE '%\\_enc' ESCAPE '\\' ORDER BY 1, 2"
        }
        _ => {
            "SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns \
             WHERE table_schema = current_schema() AND column_name LIKE '%\\_enc' ESCAPE '\\' \
             ORDER BY 1, 2"
        }
    };
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?;
    let mut columns = Vec::with_capacity(rows.len());
    for row in rows {
        let table: String = row.try_get("", "t")?;
        let column: String = row.try_get("", "c")?;
        let Some(field) = PiiField::of_column(&column) else {
            return Err(RotationError::UnknownField { table, column });
        };
        columns.push(EncryptedColumn {
            table,
            column,
            field,
        });
    }
    Ok(columns)
}

/// How many values of one column were (or, in a dry run, would be) rewritten.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnReport {
    pub table: String,
    pub column: String,
    pub rewritten: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum RotationError {
    /// A value is under a key this process was not given; nothing of that batch was written.
    #[error(
        "{table}.{column} of row {row} is encrypted under key `{key_id}`, which is neither \
         SIJI_DATA_KEY nor in SIJI_DATA_KEYS_PREVIOUS"
    )]
    UnknownKey {
        table: String,
        column: String,
        row: Uuid,
        key_id: String,
    },
    #[error("{table}.{column} of row {row} cannot be decrypted (damaged, or the wrong key)")]
    Undecryptable {
        table: String,
        column: String,
        row: Uuid,
    },
    /// An encrypted column whose field this build does not know.
    #[error("{table}.{column} looks encrypted, but no personal-data field is named `{column}`")]
    UnknownField { table: String, column: String },
    #[error("database: {0}")]
    Database(#[from] DbErr),
}

/// Rewrite every value not under the current key; `dry_run` only counts them.
pub async fn reencrypt(
    db: &DatabaseConnection,
    pii: &DataProtector,
    batch_size: u64,
    dry_run: bool,
) -> Result<Vec<ColumnReport>, RotationError> {
    let columns = encrypted_columns(db).await?;
    let mut reports = Vec::with_capacity(columns.len());
    for EncryptedColumn {
        table,
        column,
        field,
    } in columns
    {
        let mut rewritten = 0;
        let mut after: Option<Uuid> = None;
        loop {
            let rows =
                stale_values(db, pii, &table, &column, after, Ord::max(batch_size, 1)).await?;
            let Some((last, _)) = rows.last() else { break };
            after = Some(*last);
            if dry_run {
                rewritten += rows.len() as u64;
                continue;
            }
            let txn = db.begin().await?;
            for (row, stored) in &rows {
                let plain = pii.decrypt(field, stored).map_err(|_| {
                    match stored.split_once(':').map(|(id, _)| id) {
                        Some(key_id) if !pii.has_key(key_id) => RotationError::UnknownKey {
                            table: table.clone(),
                            column: column.clone(),
                            row: *row,
                            key_id: key_id.to_owned(),
                        },
                        _ => RotationError::Undecryptable {
                            table: table.clone(),
                            column: column.clone(),
                            row: *row,
                        },
                    }
                })?;
                let fresh =
                    pii.encrypt(field, &plain)
                        .map_err(|_| RotationError::Undecryptable {
                            table: table.clone(),
                            column: column.clone(),
                            row: *row,
                        })?;
                // Conditional on the old ciphertext: a value changed meanwhile by a request is
                // already under the current key and must not be overwritten with older data.
                let update = Query::update()
                    .table(Alias::new(&table))
                    .value(Alias::new(&column), fresh)
                    .and_where(Expr::col(Alias::new("id")).eq(*row))
                    .and_where(Expr::col(Alias::new(&column)).eq(stored.as_str()))
                    .to_owned();
                rewritten += txn.execute(&update).await?.rows_affected();
            }
            txn.commit().await?;
        }
        reports.push(ColumnReport {
            table,
            column,
            rewritten,
        });
    }
    if !dry_run {
        let total: u64 = reports.iter().map(|r| r.rewritten).sum();
        let actor = Actor {
            kind: "system",
            name: Some("siji admin reencrypt".to_owned()),
            ..Actor::default()
        };
        let event = Event::new("pii.reencrypt").changes(serde_json::json!({
            "key_id": pii.current_key_id(),
            "rewritten": total,
        }));
        audit::record(db, &actor, event).await?;
    }
    Ok(reports)
}

/// The next batch of (row id, stored value) of one column not under the current key, by id.
async fn stale_values(
    db: &DatabaseConnection,
    pii: &DataProtector,
    table: &str,
    column: &str,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<(Uuid, String)>, DbErr> {
    // Key ids are ASCII alphanumerics, so the prefix holds no LIKE wildcard.
    let current = format!("{}:%", pii.current_key_id());
    let mut select = Query::select()
        .columns([Alias::new("id"), Alias::new(column)])
        .from(Alias::new(table))
        .and_where(Expr::col(Alias::new(column)).is_not_null())
        .and_where(Expr::col(Alias::new(column)).not_like(current))
        .order_by(Alias::new("id"), sea_orm::Order::Asc)
        .limit(limit)
        .to_owned();
    if let Some(after) = after {
        select.and_where(Expr::col(Alias::new("id")).gt(after));
    }
    let rows = db.query_all(&select).await?;
    rows.iter()
        .map(|row| Ok((row.try_get::<Uuid>("", "id")?, row.try_get("", column)?)))
        .collect()
}
