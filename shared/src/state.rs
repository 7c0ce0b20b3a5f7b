//! What every handler can reach: the database and the configuration.

use std::sync::Arc;

use axum::extract::FromRef;

use crate::{config::Config, db::Database};

/// The router's state, cloned into every request (both fields are shared handles).
#[derive(Clone)]
pub struct AppState {
    pub db: Database,
    pub config: Arc<Config>,
}

impl FromRef<AppState> for Database {
    fn from_ref(state: &AppState) -> Self {
        state.db.clone()
    }
}
