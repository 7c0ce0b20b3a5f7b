//! Lesson 12's API: lesson 11's over the task table with `version`. A task
//! is served with its `ETag`; `PATCH` and a replacing `PUT` need `If-Match`.

use axum::{
    Json, Router,
    extract::State,
    http::header,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use ex11_upsert::prelude::{
    self as previous, Caller, NewTask, Put, TaskPatch, location, not_found,
};
use sea_orm::ConnectionTrait;
use shared::{
    ApiError, AppState, ErrorCode,
    db::Database,
    extract::{PathId, ValidJson},
    faults::Faults,
    response::Created,
};
use uuid::Uuid;

use crate::{
    entity::{task, task::Entity as Tasks},
    precondition::{IfMatch, etag},
    repo::{self as tasks, ActivityWrite, OnExisting},
};

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
            get(get_task)
                .put(put_task)
                .patch(update_task)
                .delete(previous::delete_task::<Tasks>),
        )
        .route(
            "/api/v1/tasks/{id}/activities",
            get(previous::list_activities),
        )
}

/// A task with its `ETag` (200).
pub struct Tagged(pub task::Model);

impl IntoResponse for Tagged {
    fn into_response(self) -> Response {
        // starter: the task as JSON with `ETag: "v<version>"` (see `etag`).
        // stand-in: Json(self.0).into_response()
        ([(header::ETAG, etag(self.0.version))], Json(self.0)).into_response()
    }
}

/// A created task: 201 with `Location` and its `ETag`.
pub fn created(task: task::Model) -> Response {
    let tag = etag(task.version);
    ([(header::ETAG, tag)], Created::at(location(task.id), task)).into_response()
}

/// `GET /api/v1/tasks/{id}`, with the task's `ETag`.
pub async fn get_task(
    State(db): State<Database>,
    caller: Caller,
    id: PathId,
) -> Result<Tagged, ApiError> {
    let task = tasks::find::<Tasks>(db.read(), caller.id, id.uuid()?)
        .await?
        .ok_or_else(not_found)?;
    Ok(Tagged(task))
}

/// `POST /api/v1/tasks`: lesson 10's create (with `X-Fault-Fail-Activity`),
/// answering the task at version 0.
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
    let task = tasks::create(db.write(), caller.id, &new, activity_write).await?;
    Ok(created(task))
}

/// `PATCH /api/v1/tasks/{id}` with `If-Match`: the version compared and the
/// change written by one statement; a refusal is then told by one read.
pub async fn update_task(
    State(db): State<Database>,
    caller: Caller,
    id: PathId,
    if_match: IfMatch,
    ValidJson(patch): ValidJson<TaskPatch>,
) -> Result<Tagged, ApiError> {
    // starter: with `If-Match: *` or a tag, `tasks::update` with the `Expected` version;
    // whatever wrote nothing (no `If-Match`, a tag no version has, no row matched) is
    // answered by `refusal`.
    // stand-in: let _ = if_match;
    // let task = tasks::update(db.write(), caller.id, id.uuid()?, &patch, tasks::Expected::Any).await?;
    // Ok(Tagged(task.ok_or_else(not_found)?))
    let id = id.uuid()?;
    let written = match if_match.expected() {
        Some(expected) => tasks::update(db.write(), caller.id, id, &patch, expected).await?,
        None => None,
    };
    match written {
        Some(task) => Ok(Tagged(task)),
        None => Err(refusal(db.read(), caller.id, id, if_match).await),
    }
}

/// `PUT /api/v1/tasks/{id}`: a free id is created (whatever `If-Match`
/// says, except a tag, which names a version to replace); the caller's own
/// task is replaced only with `If-Match`.
pub async fn put_task(
    State(db): State<Database>,
    caller: Caller,
    id: PathId,
    if_match: IfMatch,
    ValidJson(new): ValidJson<NewTask>,
) -> Result<Response, ApiError> {
    // starter: no `If-Match`: `tasks::put` keeping an existing row; `*`: `tasks::put`
    // replacing (lesson 11's PUT, 404 straight away when it writes nothing); a tag:
    // `tasks::replace`. Whatever else wrote nothing is answered by `refusal`.
    // stand-in: let _ = if_match;
    // let written = tasks::put(db.write(), caller.id, id.uuid()?, &new, OnExisting::Replace).await?;
    // let (task, put) = written.ok_or_else(not_found)?;
    // Ok(match put { Put::Created => created(task), Put::Replaced => Tagged(task).into_response() })
    let id = id.uuid()?;
    let written = match if_match {
        IfMatch::Missing => tasks::put(db.write(), caller.id, id, &new, OnExisting::Keep).await?,
        IfMatch::Any => tasks::put(db.write(), caller.id, id, &new, OnExisting::Replace).await?,
        IfMatch::Version(version) => tasks::replace(db.write(), caller.id, id, &new, version)
            .await?
            .map(|task| (task, Put::Replaced)),
        IfMatch::Unmatchable => None,
    };
    match written {
        Some((task, Put::Created)) => Ok(created(task)),
        Some((task, Put::Replaced)) => Ok(Tagged(task).into_response()),
        // The upsert refuses only another user's id: no read needed.
        None if if_match == IfMatch::Any => Err(not_found()),
        None => Err(refusal(db.read(), caller.id, id, if_match).await),
    }
}

/// Why a change to task `id` wrote nothing, told by one read of the
/// caller's task: not the caller's (404, before anything else), there but
/// asked without `If-Match` (428), or not at the version asked for (412).
pub async fn refusal(
    db: &impl ConnectionTrait,
    owner: Uuid,
    id: Uuid,
    if_match: IfMatch,
) -> ApiError {
    // starter: read the caller's task `id`: none is 404; else 428 `PRECONDITION_REQUIRED`
    // for a missing `If-Match`, 412 `PRECONDITION_FAILED` for any other.
    match tasks::find::<Tasks>(db, owner, id).await {
        Err(err) => err.into(),
        Ok(None) => not_found(),
        Ok(Some(_)) if if_match == IfMatch::Missing => ApiError::new(
            ErrorCode::PreconditionRequired,
            "a change to this task needs If-Match with its ETag",
        ),
        Ok(Some(task)) => ApiError::new(
            ErrorCode::PreconditionFailed,
            format!(
                "the task is at {}, not at the version If-Match names",
                etag(task.version)
            ),
        ),
    }
}
