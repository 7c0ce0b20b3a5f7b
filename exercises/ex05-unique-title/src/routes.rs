//! Lesson 3's routes, with create and update answering 409 `DUPLICATE_TITLE`.

use axum::{Json, Router, extract::State, routing::get};
use ex03_repository::{
    api::{NewTask, Task, TaskPatch},
    caller::Caller,
    routes::{
        tasks::{delete, get_task, list, not_found},
        users,
    },
};
use sea_orm::DatabaseConnection;
use shared::{
    ApiError, AppState,
    extract::{PathId, ValidJson},
    response::Created,
};

use crate::repo;

pub fn router() -> Router<AppState> {
    users::router()
        .route("/api/v1/tasks", get(list).post(create))
        .route(
            "/api/v1/tasks/{id}",
            get(get_task).patch(update).delete(delete),
        )
}

/// `POST /api/v1/tasks`: 409 if the caller already has the title.
pub async fn create(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ValidJson(new): ValidJson<NewTask>,
) -> Result<Created<Task>, ApiError> {
    let task = repo::create(&db, caller.id, &new).await?;
    Ok(Created::at(
        format!("/api/v1/tasks/{}", task.id),
        task.into(),
    ))
}

/// `PATCH /api/v1/tasks/{id}`: 409 if the new title is taken.
pub async fn update(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    id: PathId,
    ValidJson(patch): ValidJson<TaskPatch>,
) -> Result<Json<Task>, ApiError> {
    let task = repo::update(&db, caller.id, id.uuid()?, &patch)
        .await?
        .ok_or_else(not_found)?;
    Ok(Json(task.into()))
}
