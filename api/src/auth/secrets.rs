//! Keys the server needs: the token signing secret and the personal-data keys. Each comes from
//! its environment variable when set. On the embedded SQLite default without it, a random key is
//! generated once and kept in the database, with a warning; production (PostgreSQL) must
//! configure every key, so that all instances agree and a database dump does not carry them.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::Utc;
use entity::server_secrets;
use rand::RngCore;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, DatabaseBackend, DatabaseConnection, DbErr, EntityTrait};

use super::tokens::MIN_SECRET_BYTES;

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("{0} is invalid: {1}")]
    Invalid(&'static str, &'static str),
    #[error("{0} must be set when the database is not the embedded SQLite")]
    Missing(&'static str),
    #[error("cannot read or store a generated key: {0}")]
    Database(#[from] DbErr),
}

/// A random key of `len` bytes stored under `name`, generated on first use (SQLite only).
pub async fn generated(
    db: &DatabaseConnection,
    name: &str,
    env: &'static str,
    len: usize,
) -> Result<Vec<u8>, SecretError> {
    if db.get_database_backend() != DatabaseBackend::Sqlite {
        return Err(SecretError::Missing(env));
    }
    if let Some(row) = server_secrets::Entity::find_by_id(name.to_owned())
        .one(db)
        .await?
    {
        return STANDARD
            .decode(row.value)
            .map_err(|_| SecretError::Invalid(env, "the stored key is corrupt"));
    }
    let mut bytes = vec![0u8; len];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let row = server_secrets::ActiveModel {
        name: Set(name.to_owned()),
        value: Set(STANDARD.encode(&bytes)),
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
        "{env} is not set: generated a key and stored it in the database; set {env} for production"
    );
    let stored = server_secrets::Entity::find_by_id(name.to_owned())
        .one(db)
        .await?;
    Ok(stored
        .and_then(|r| STANDARD.decode(r.value).ok())
        .unwrap_or(bytes))
}

/// The token signing secret (`SIJI_JWT_SECRET`, at least 32 bytes).
pub async fn jwt_secret(
    db: &DatabaseConnection,
    configured: Option<&str>,
) -> Result<Vec<u8>, SecretError> {
    match configured {
        Some(secret) if secret.len() >= MIN_SECRET_BYTES => Ok(secret.as_bytes().to_vec()),
        Some(_) => Err(SecretError::Invalid(
            "SIJI_JWT_SECRET",
            "it must be at least 32 bytes",
        )),
        None => generated(db, "jwt_secret", "SIJI_JWT_SECRET", 48).await,
    }
}

/// The personal-data protector from `SIJI_DATA_KEY`, `SIJI_DATA_KEYS_PREVIOUS` and
/// `SIJI_INDEX_KEY` (or keys generated on the embedded default).
pub async fn data_protector(
    db: &DatabaseConnection,
    settings: &crate::config::DataSettings,
) -> Result<crate::pii::DataProtector, SecretError> {
    use crate::pii::protector::parse_key;
    let invalid = |env| move |_| SecretError::Invalid(env, "expected `<id>:<base64 of 32 bytes>`");
    let current = match &settings.data_key {
        Some(spec) => parse_key(&spec.0).map_err(invalid("SIJI_DATA_KEY"))?,
        None => (
            "k1".to_owned(),
            generated(db, "data_key", "SIJI_DATA_KEY", 32).await?,
        ),
    };
    let previous = match &settings.previous_data_keys {
        Some(list) => list
            .0
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(|s| parse_key(s.trim()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(invalid("SIJI_DATA_KEYS_PREVIOUS"))?,
        None => Vec::new(),
    };
    let index_key = match &settings.index_key {
        Some(b64) => STANDARD
            .decode(b64.0.trim())
            .ok()
            .filter(|k| k.len() == 32)
            .ok_or(SecretError::Invalid(
                "SIJI_INDEX_KEY",
                "expected base64 of 32 bytes",
            ))?,
        None => generated(db, "index_key", "SIJI_INDEX_KEY", 32).await?,
    };
    crate::pii::DataProtector::new(current, previous, index_key).map_err(invalid("SIJI_DATA_KEY"))
}
