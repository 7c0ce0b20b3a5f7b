//! Lesson 10's API: lesson 9's, with a create that records its activity and
//! a task's activities.

use axum::{
    Json, Router,
    extract::State,
    routing::{get, post},
};
use ex09_keyset_pagination::prelude::{
    self as previous, Caller, Data, NewTask, location, not_found, task, task::Entity as Tasks,
};
use shared::{
    ApiError, AppState,
    db::Database,
    extract::{PathId, ValidJson},
    faults::Faults,
    response::Created,
};

use crate::{
    entity::activity,
    repo::{
        activities,
        tasks::{self, ActivityWrite},
    },
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
            get(previous::get_task::<Tasks>)
                .patch(previous::update_task)
                .delete(previous::delete_task::<Tasks>),
        )
        .route("/api/v1/tasks/{id}/activities", get(list_activities))
}

/// `POST /api/v1/tasks`: the task and its `CREATED` activity, or neither.
/// With `X-Fault-Fail-Activity: 1` the activity insert fails: 500, no rows.
pub async fn create_task(
    State(db): State<Database>,
    caller: Caller,
    faults: Faults,
    ValidJson(new): ValidJson<NewTask>,
) -> Result<Created<task::Model>, ApiError> {
    let activity_write = if faults.flag("x-fault-fail-activity") {
        ActivityWrite::Refused
    } else {
        ActivityWrite::Record
    };
    let task = tasks::create(db.write(), caller.id, &new, activity_write).await?;
    Ok(Created::at(location(task.id), task))
}

/// `GET /api/v1/tasks/{id}/activities`: the caller's task's history, oldest
/// first; another user's task is 404 like a missing one.
pub async fn list_activities(
    State(db): State<Database>,
    caller: Caller,
    id: PathId,
) -> Result<Json<Data<activity::Model>>, ApiError> {
    // starter: the caller's task `id` must exist (else 404, as for a missing task, before
    // anything else is read); then its activities as `{"data": [...]}`.
    let id = id.uuid()?;
    tasks::find::<Tasks>(db.read(), caller.id, id)
        .await?
        .ok_or_else(not_found)?;
    let data = activities::of_task(db.read(), id).await?;
    Ok(Json(Data { data }))
}
