//! Lesson 5's API: lesson 3's, with create and update answering 409
//! `DUPLICATE_TITLE`.

use axum::{
    Json, Router,
    extract::State,
    routing::{get, post},
};
use ex04_seeds::prelude::{
    self as previous, Caller, NewTask, TaskPatch, location, not_found, task, task::Entity as Tasks,
};
use shared::{
    ApiError, AppState, ErrorCode,
    db::Database,
    extract::{PathId, ValidJson},
    response::Created,
};

use crate::repo::{self as tasks, WriteError};

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

/// How a failed task write is answered: a taken title is 409.
impl From<WriteError> for ApiError {
    fn from(err: WriteError) -> Self {
        match err {
            WriteError::DuplicateTitle => ApiError::new(
                ErrorCode::DuplicateTitle,
                "you already have a task with this title",
            ),
            WriteError::Other(err) => err.into(),
        }
    }
}

/// `POST /api/v1/tasks`: 409 if the caller already has the title.
pub async fn create_task(
    State(db): State<Database>,
    caller: Caller,
    ValidJson(new): ValidJson<NewTask>,
) -> Result<Created<task::Model>, ApiError> {
    let task = tasks::create(db.write(), caller.id, &new).await?;
    Ok(Created::at(location(task.id), task))
}

/// `PATCH /api/v1/tasks/{id}`: 409 if the new title is taken.
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
