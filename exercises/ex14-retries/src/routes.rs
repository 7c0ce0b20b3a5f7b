//! Lesson 14's API: lesson 13's, with every write's database work retried.
//! Each handler extracts and answers exactly as lesson 12's or 13's did; what
//! changed is that the work between them is [`attempt`]ed by
//! [`retry::write`], one transaction per attempt.

use std::time::Duration;

use axum::{
    Router,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use ex13_pessimistic_locking::prelude::{
    self as previous, Caller, IfMatch, NewTask, Put, ReadCaller, Tagged, TaskPatch, created,
    not_found, refusal, task::Entity as Tasks, tasks::ActivityWrite,
};
use shared::{
    ApiError, AppState,
    db::Database,
    extract::{PathId, ValidJson},
    faults::Faults,
};

use crate::{attempt, fault::WriteFaults, retry};

/// The longest `X-Fault-Hold-Lock-Ms` honoured, as in lesson 13.
const MAX_HOLD_MS: u64 = 30_000;

/// The lesson's API: its own handlers, and the previous lesson's (`previous::`).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/users", post(previous::create_user))
        .route("/api/v1/users/{id}", get(previous::get_user))
        .route(
            "/api/v1/tasks",
            get(previous::list_tasks::<Tasks>).post(create_task),
        )
        .route(
            "/api/v1/tasks/{id}",
            get(previous::get_task)
                .put(put_task)
                .patch(update_task)
                .delete(delete_task),
        )
        .route(
            "/api/v1/tasks/{id}/activities",
            get(previous::list_activities),
        )
        .route("/api/v1/tasks/{id}/toggle", post(toggle_task))
}

/// `POST /api/v1/tasks`: lesson 12's create (`X-Fault-Fail-Activity`
/// included), retried.
pub async fn create_task(
    State(db): State<Database>,
    caller: Caller,
    faults: Faults,
    ValidJson(new): ValidJson<NewTask>,
) -> Result<Response, ApiError> {
    let activity_write = if faults.flag("x-fault-fail-activity") {
        ActivityWrite::Refused
    } else {
        ActivityWrite::Record
    };
    let faults = WriteFaults::from(&faults);
    let db = db.write();
    let task = retry::write(db, "tasks.create", |n| {
        attempt::create(db, caller.id, &new, activity_write, faults.on(n))
    })
    .await?;
    Ok(created(task))
}

/// `PATCH /api/v1/tasks/{id}` with `If-Match`: lesson 12's, retried; a
/// refusal is told by one read after the attempts, as in lesson 12.
pub async fn update_task(
    State(db): State<Database>,
    caller: Caller,
    faults: Faults,
    id: PathId,
    if_match: IfMatch,
    ValidJson(patch): ValidJson<TaskPatch>,
) -> Result<Tagged, ApiError> {
    let id = id.uuid()?;
    let faults = WriteFaults::from(&faults);
    let written = retry::write(db.write(), "tasks.update", |n| {
        attempt::update(db.write(), caller.id, id, &patch, if_match, faults.on(n))
    })
    .await?;
    match written {
        Some(task) => Ok(Tagged(task)),
        None => Err(refusal(db.read(), caller.id, id, if_match).await),
    }
}

/// `PUT /api/v1/tasks/{id}`: lesson 12's, retried.
pub async fn put_task(
    State(db): State<Database>,
    caller: Caller,
    faults: Faults,
    id: PathId,
    if_match: IfMatch,
    ValidJson(new): ValidJson<NewTask>,
) -> Result<Response, ApiError> {
    let id = id.uuid()?;
    let faults = WriteFaults::from(&faults);
    let written = retry::write(db.write(), "tasks.put", |n| {
        attempt::put(db.write(), caller.id, id, &new, if_match, faults.on(n))
    })
    .await?;
    match written {
        Some((task, Put::Created)) => Ok(created(task)),
        Some((task, Put::Replaced)) => Ok(Tagged(task).into_response()),
        // The upsert refuses only another user's id: no read needed.
        None if if_match == IfMatch::Any => Err(not_found()),
        None => Err(refusal(db.read(), caller.id, id, if_match).await),
    }
}

/// `POST /api/v1/tasks/{id}/toggle`: lesson 13's, retried; a lock not
/// granted in time is still 409 `LOCK_TIMEOUT` (not retried: the client
/// retries after `Retry-After`). `X-Fault-Hold-Lock-Ms` holds each attempt's lock.
pub async fn toggle_task(
    State(state): State<AppState>,
    ReadCaller(caller): ReadCaller,
    faults: Faults,
    id: PathId,
) -> Result<Tagged, ApiError> {
    let id = id.uuid()?;
    let hold = faults
        .number("x-fault-hold-lock-ms")
        .map(|ms| Duration::from_millis(ms.min(MAX_HOLD_MS)));
    let faults = WriteFaults::from(&faults);
    let lock_timeout = state.config.lock_timeout_ms;
    let db = state.db.write();
    let task = retry::write(db, "tasks.toggle", |n| {
        attempt::toggle(db, caller.id, id, lock_timeout, hold, faults.on(n))
    })
    .await?
    .ok_or_else(not_found)?;
    Ok(Tagged(task))
}

/// `DELETE /api/v1/tasks/{id}`: lesson 3's, retried: 204, or 404.
pub async fn delete_task(
    State(db): State<Database>,
    caller: Caller,
    faults: Faults,
    id: PathId,
) -> Result<StatusCode, ApiError> {
    let id = id.uuid()?;
    let faults = WriteFaults::from(&faults);
    let deleted = retry::write(db.write(), "tasks.delete", |n| {
        attempt::delete(db.write(), caller.id, id, faults.on(n))
    })
    .await?;
    if deleted {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found())
    }
}
