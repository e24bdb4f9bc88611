//! What every handler can reach: the database pool and the settings the server started with.

use sea_orm::DatabaseConnection;

use crate::config::Settings;

pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Settings,
}
