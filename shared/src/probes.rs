//! Probes for orchestrators: `/health` says the process runs, `/ready` says it
//! can serve (the database answers `SELECT 1` within a second).

use std::{collections::BTreeMap, time::Duration};

use axum::{Json, Router, extract::State, http::StatusCode, routing::get};
use sea_orm::DatabaseConnection;
use serde::Serialize;

use crate::{
    db::{self, Database},
    state::AppState,
};

/// `/health`, `/healthz`, `/ready` and `/readyz`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route("/healthz", get(health))
        .route("/ready", get(ready))
        .route("/readyz", get(ready))
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
}

/// Touches no database: a process that answers is alive.
async fn health() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// The answer of a readiness probe: each named check and whether it passed.
#[derive(Debug, Serialize)]
pub struct Readiness {
    status: &'static str,
    checks: BTreeMap<&'static str, bool>,
}

impl Readiness {
    /// Ready only if every check passed: 200, else 503 naming what failed.
    pub fn from_checks(checks: BTreeMap<&'static str, bool>) -> (StatusCode, Json<Self>) {
        if checks.values().all(|passed| *passed) {
            (
                StatusCode::OK,
                Json(Self {
                    status: "ready",
                    checks,
                }),
            )
        } else {
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(Self {
                    status: "not_ready",
                    checks,
                }),
            )
        }
    }
}

/// `SELECT 1` answered within a second; driver errors stay in the log.
pub async fn database_answers(db: &DatabaseConnection) -> bool {
    match tokio::time::timeout(Duration::from_secs(1), db::select_one(db)).await {
        Ok(Ok(())) => true,
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "readiness: database check failed");
            false
        }
        Err(_) => {
            tracing::warn!("readiness: database did not answer within 1 s");
            false
        }
    }
}

async fn ready(State(db): State<Database>) -> (StatusCode, Json<Readiness>) {
    Readiness::from_checks(BTreeMap::from([("db", database_answers(db.read()).await)]))
}
