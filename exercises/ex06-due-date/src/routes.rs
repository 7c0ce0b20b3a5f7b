//! Lesson 6's API: lesson 5's, over the task table with `due_date`, and
//! create and update that accept `dueDate`.

use axum::{
    Json, Router,
    extract::State,
    routing::{get, post},
};
use ex05_unique_title::prelude::{self as previous, Caller, location, not_found};
use shared::{
    ApiError, AppState,
    db::Database,
    extract::{PathId, ValidJson},
    response::Created,
};

use crate::{
    api::{NewTask, TaskPatch},
    entity::{task, task::Entity as Tasks},
    repo as tasks,
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
                .patch(update_task)
                .delete(previous::delete_task::<Tasks>),
        )
}

/// `POST /api/v1/tasks` with an optional `dueDate`.
pub async fn create_task(
    State(db): State<Database>,
    caller: Caller,
    ValidJson(new): ValidJson<NewTask>,
) -> Result<Created<task::Model>, ApiError> {
    let task = tasks::create(db.write(), caller.id, &new).await?;
    Ok(Created::at(location(task.id), task))
}

/// `PATCH /api/v1/tasks/{id}`: `"dueDate": null` clears the date.
pub async fn update_task(
    State(db): State<Database>,
    caller: Caller,
    id: PathId,
    ValidJson(patch): ValidJson<TaskPatch>,
) -> Result<Json<task::Model>, ApiError> {
    let task = tasks::update(db.write(), caller.id, id.uuid()?, &patch)
        .await?
        .ok_or_else(not_found)?;
    Ok(Json(task))
}
