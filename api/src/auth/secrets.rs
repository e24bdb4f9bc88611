//! The token signing secret: `SIJI_JWT_SECRET` when set (at least 32 bytes). On the embedded
//! SQLite default without it, a random secret is generated once and kept in the database, with a
//! warning; production (PostgreSQL) must configure one, so that every instance signs alike and a
//! database dump does not carry the key.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::Utc;
use entity::server_secrets;
use rand::RngCore;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, DatabaseBackend, DatabaseConnection, DbErr, EntityTrait};

use super::tokens::MIN_SECRET_BYTES;

const JWT_SECRET: &str = "jwt_secret";

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("SIJI_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes")]
    TooShort,
    #[error(
        "SIJI_JWT_SECRET must be set (at least {MIN_SECRET_BYTES} bytes) when the database is not the embedded SQLite"
    )]
    Missing,
    #[error("cannot read or store the generated secret: {0}")]
    Database(#[from] DbErr),
}

pub async fn jwt_secret(
    db: &DatabaseConnection,
    configured: Option<&str>,
) -> Result<Vec<u8>, SecretError> {
    if let Some(secret) = configured {
        return if secret.len() >= MIN_SECRET_BYTES {
            Ok(secret.as_bytes().to_vec())
        } else {
            Err(SecretError::TooShort)
        };
    }
    if db.get_database_backend() != DatabaseBackend::Sqlite {
        return Err(SecretError::Missing);
    }
    if let Some(row) = server_secrets::Entity::find_by_id(JWT_SECRET.to_owned())
        .one(db)
        .await?
    {
        return Ok(STANDARD.decode(row.value).unwrap_or_default()).and_then(|s: Vec<u8>| {
            if s.len() >= MIN_SECRET_BYTES {
                Ok(s)
            } else {
                Err(SecretError::TooShort)
            }
        });
    }
    let mut bytes = [0u8; 48];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let row = server_secrets::ActiveModel {
        name: Set(JWT_SECRET.to_owned()),
        value: Set(STANDARD.encode(bytes)),
        created_at: Set(Utc::now()),
    };
    // Another process may have won the race: keep whichever was stored first.
    server_secrets::Entity::insert(row)
        .on_conflict(
            OnConflict::column(server_secrets::Column::Name)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    tracing::warn!(
        "SIJI_JWT_SECRET is not set: generated a token signing secret and stored it in the database; \
         set SIJI_JWT_SECRET for production"
    );
    let stored = server_secrets::Entity::find_by_id(JWT_SECRET.to_owned())
        .one(db)
        .await?;
    Ok(stored
        .and_then(|r| STANDARD.decode(r.value).ok())
        .unwrap_or_else(|| bytes.to_vec()))
}
