//! Fault injection for the checks: with `WORKBOOK_FAULTS=1`, and never
//! otherwise, a request's headers can make it fail in known ways.
//!
//! | header | effect |
//! |---|---|
//! | `X-Fault-Delay-Ms: N` | hold one pooled connection for N ms (at most 30000) before handling |
//! | `X-Fault-Panic: 1` | the handler panics: a 500 envelope, and the server lives on |
//! | `X-Fault-Slow-Query-Ms: N` | PostgreSQL: run `SELECT pg_sleep(N/1000.0)` so `statement_timeout` can cut it |
//!
//! Later lessons read their own fault headers with [`Faults`].

use std::time::Duration;

use axum::{
    extract::{FromRequestParts, Request, State},
    http::{HeaderMap, request::Parts},
    middleware::Next,
    response::{IntoResponse, Response},
};
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};

use crate::{error::ApiError, state::AppState};

/// The longest delay a fault header may ask for.
const MAX_DELAY_MS: u64 = 30_000;

/// The fault headers of one request; all empty unless `WORKBOOK_FAULTS=1`.
#[derive(Debug, Clone, Default)]
pub struct Faults(Option<HeaderMap>);

impl Faults {
    /// A whole-number header, if faults are on and the header is present.
    pub fn number(&self, name: &str) -> Option<u64> {
        let value = self.0.as_ref()?.get(name)?.to_str().ok()?;
        match value.trim().parse() {
            Ok(number) => Some(number),
            Err(_) => {
                tracing::warn!(
                    header = name,
                    value,
                    "ignoring a fault header that is not a whole number"
                );
                None
            }
        }
    }

    /// True if faults are on and the header is `1`.
    pub fn flag(&self, name: &str) -> bool {
        self.number(name) == Some(1)
    }
}

impl FromRequestParts<AppState> for Faults {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(
            state.config.workbook_faults.then(|| parts.headers.clone()),
        ))
    }
}

/// Middleware applying the lesson 1 faults before the handler runs.
pub async fn inject(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let faults = Faults(
        state
            .config
            .workbook_faults
            .then(|| request.headers().clone()),
    );
    if let Some(ms) = faults.number("x-fault-delay-ms")
        && let Err(err) = hold_connection(&state, Duration::from_millis(ms.min(MAX_DELAY_MS))).await
    {
        return err.into_response();
    }
    if let Some(ms) = faults.number("x-fault-slow-query-ms")
        && let Err(err) = slow_query(&state, ms).await
    {
        return err.into_response();
    }
    if faults.flag("x-fault-panic") {
        panic!("fault injected by X-Fault-Panic");
    }
    next.run(request).await
}

/// Takes a connection from the pool (as a transaction) and keeps it busy.
async fn hold_connection(state: &AppState, delay: Duration) -> Result<(), ApiError> {
    let transaction = state.db.read().begin().await?;
    tokio::time::sleep(delay).await;
    transaction.rollback().await?;
    Ok(())
}

async fn slow_query(state: &AppState, ms: u64) -> Result<(), ApiError> {
    if state.db.read().get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let seconds = ms.min(MAX_DELAY_MS) as f64 / 1000.0;
    state
        .db
        .read()
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_sleep($1)",
            [seconds.into()],
        ))
        .await?;
    Ok(())
}
