//! The task routes with `dueDate`; users and delete are lesson 3's.

use axum::{
    Json, Router,
    extract::State,
    routing::{MethodRouter, get},
};
use ex03_repository::{
    api::{Data, TaskFilter},
    caller::Caller,
    routes::{
        tasks::{delete, not_found},
        users,
    },
};
use sea_orm::DatabaseConnection;
use shared::{
    ApiError, AppState,
    extract::{PathId, ValidJson, ValidQuery},
    response::Created,
};

use crate::{
    api::{NewTask, Task, TaskPatch},
    repo,
};

pub fn router() -> Router<AppState> {
    router_with_list(get(list))
}

/// These routes with another `GET /api/v1/tasks`: lessons 7 to 9 change only the list.
pub fn router_with_list(list: MethodRouter<AppState>) -> Router<AppState> {
    users::router()
        .route("/api/v1/tasks", list.post(create))
        .route(
            "/api/v1/tasks/{id}",
            get(get_task).patch(update).delete(delete),
        )
}

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

pub async fn list(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ValidQuery(filter): ValidQuery<TaskFilter>,
) -> Result<Json<Data<Task>>, ApiError> {
    let rows = repo::list(&db, caller.id, &filter).await?;
    Ok(Json(Data {
        data: rows.into_iter().map(Task::from).collect(),
    }))
}

pub async fn get_task(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    id: PathId,
) -> Result<Json<Task>, ApiError> {
    let task = repo::find(&db, caller.id, id.uuid()?)
        .await?
        .ok_or_else(not_found)?;
    Ok(Json(task.into()))
}

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
