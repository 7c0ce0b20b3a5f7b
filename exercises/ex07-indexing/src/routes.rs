//! Lesson 6's routes with the sorted, timed list.

use axum::{Json, Router, extract::State, routing::get};
use ex03_repository::{api::Data, caller::Caller};
use ex06_due_date::{api::Task, routes::router_with_list};
use sea_orm::DatabaseConnection;
use shared::{ApiError, AppState, extract::ValidQuery};

use crate::{api::ListQuery, repo};

pub fn router() -> Router<AppState> {
    router_with_list(get(list))
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
