use axum::{Json, Router, extract::State, http::StatusCode, routing::get};
use sea_orm::DatabaseConnection;
use shared::{
    ApiError, AppState,
    extract::{PathId, ValidJson, ValidQuery},
    response::Created,
};

use crate::{
    api::{Data, NewTask, Task, TaskFilter, TaskPatch},
    caller::{self, Caller},
    repo::tasks,
};

/// The task routes of lesson 3.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/tasks", get(list).post(create))
        .route(
            "/api/v1/tasks/{id}",
            get(get_task).patch(update).delete(delete),
        )
}

pub fn not_found() -> ApiError {
    ApiError::not_found("task not found")
}

/// `POST /api/v1/tasks`.
pub async fn create(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ValidJson(new): ValidJson<NewTask>,
) -> Result<Created<Task>, ApiError> {
    let task = tasks::create(&db, caller.id, &new)
        .await
        .map_err(caller::vanished_or)?;
    Ok(Created::at(
        format!("/api/v1/tasks/{}", task.id),
        task.into(),
    ))
}

/// `GET /api/v1/tasks[?done=…]`.
pub async fn list(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ValidQuery(filter): ValidQuery<TaskFilter>,
) -> Result<Json<Data<Task>>, ApiError> {
    let rows = tasks::list(&db, caller.id, &filter).await?;
    Ok(Json(Data {
        data: rows.into_iter().map(Task::from).collect(),
    }))
}

/// `GET /api/v1/tasks/{id}`.
pub async fn get_task(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    id: PathId,
) -> Result<Json<Task>, ApiError> {
    let task = tasks::find(&db, caller.id, id.uuid()?)
        .await?
        .ok_or_else(not_found)?;
    Ok(Json(task.into()))
}

/// `PATCH /api/v1/tasks/{id}`.
pub async fn update(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    id: PathId,
    ValidJson(patch): ValidJson<TaskPatch>,
) -> Result<Json<Task>, ApiError> {
    let task = tasks::update(&db, caller.id, id.uuid()?, &patch)
        .await?
        .ok_or_else(not_found)?;
    Ok(Json(task.into()))
}

/// `DELETE /api/v1/tasks/{id}`: 204, or 404.
pub async fn delete(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    id: PathId,
) -> Result<StatusCode, ApiError> {
    if tasks::delete(&db, caller.id, id.uuid()?).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found())
    }
}
