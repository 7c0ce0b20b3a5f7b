//! Lesson 6's routes with the sorted, timed list.

use axum::{Json, Router, extract::State, routing::get};
use ex03_repository::{
    api::Data,
    caller::Caller,
    routes::{tasks::delete, users},
};
use ex06_due_date::{
    api::Task,
    routes::{create, get_task, update},
};
use sea_orm::DatabaseConnection;
use shared::{ApiError, AppState, extract::ValidQuery};

use crate::{api::ListQuery, repo};

pub fn router() -> Router<AppState> {
    users::router()
        .route("/api/v1/tasks", get(list).post(create))
        .route(
            "/api/v1/tasks/{id}",
            get(get_task).patch(update).delete(delete),
        )
}

/// `GET /api/v1/tasks?done=…&sort=…`.
pub async fn list(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ValidQuery(query): ValidQuery<ListQuery>,
) -> Result<Json<Data<Task>>, ApiError> {
    let rows = repo::list(&db, caller.id, &query).await?;
    Ok(Json(Data {
        data: rows.into_iter().map(Task::from).collect(),
    }))
}
