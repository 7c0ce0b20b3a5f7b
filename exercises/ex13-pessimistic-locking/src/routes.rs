//! Lesson 13's API: lesson 12's, with `POST /api/v1/tasks/{id}/toggle`.

use std::time::Duration;

use axum::{
    Router,
    extract::State,
    routing::{get, post},
};
use ex12_optimistic_locking::prelude::{
    self as previous, Tagged, not_found, task::Entity as Tasks,
};
use shared::{ApiError, AppState, extract::PathId, faults::Faults};

use crate::{caller::ReadCaller, repo as tasks};

/// The longest `X-Fault-Hold-Lock-Ms` honoured, as for lesson 1's delay.
const MAX_HOLD_MS: u64 = 30_000;

/// The lesson's API: its own handlers, and the previous lesson's (`previous::`).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/users", post(previous::create_user))
        .route("/api/v1/users/{id}", get(previous::get_user))
        .route(
            "/api/v1/tasks",
            get(previous::list_tasks::<Tasks>).post(previous::create_task),
        )
        .route(
            "/api/v1/tasks/{id}",
            get(previous::get_task)
                .put(previous::put_task)
                .patch(previous::update_task)
                .delete(previous::delete_task::<Tasks>),
        )
        .route(
            "/api/v1/tasks/{id}/activities",
            get(previous::list_activities),
        )
        .route("/api/v1/tasks/{id}/toggle", post(toggle_task))
}

/// `POST /api/v1/tasks/{id}/toggle` (no body, no `If-Match`): 200 the task
/// with `done` flipped and its new `ETag`; 404 if missing or another user's;
/// 409 `LOCK_TIMEOUT` if its lock was not granted within `LOCK_TIMEOUT_MS`.
/// With `X-Fault-Hold-Lock-Ms: N` the lock is held N ms before the change.
pub async fn toggle_task(
    State(state): State<AppState>,
    ReadCaller(caller): ReadCaller,
    faults: Faults,
    id: PathId,
) -> Result<Tagged, ApiError> {
    let hold = faults
        .number("x-fault-hold-lock-ms")
        .map(|ms| Duration::from_millis(ms.min(MAX_HOLD_MS)));
    let lock_timeout = state.config.lock_timeout_ms;
    let task = tasks::toggle(state.db.write(), caller.id, id.uuid()?, lock_timeout, hold)
        .await?
        .ok_or_else(not_found)?;
    Ok(Tagged(task))
}
