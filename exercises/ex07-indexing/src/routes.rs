//! Lesson 7's API: lesson 6's, with the list sorted.

use axum::{
    Json, Router,
    extract::State,
    routing::{get, post},
};
use ex06_due_date::prelude::{
    Caller, Data, create_task, create_user, delete_task, get_task, get_user, task::Entity as Tasks,
    update_task,
};
use sea_orm::DatabaseConnection;
use shared::{ApiError, AppState, extract::ValidQuery};

use crate::{
    api::ListQuery,
    repo::{self as tasks, HasDueDate},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/users", post(create_user))
        .route("/api/v1/users/{id}", get(get_user))
        .route("/api/v1/tasks", get(list_tasks::<Tasks>).post(create_task))
        .route(
            "/api/v1/tasks/{id}",
            get(get_task::<Tasks>)
                .patch(update_task)
                .delete(delete_task::<Tasks>),
        )
}

/// `GET /api/v1/tasks?done=…&sort=…`.
pub async fn list_tasks<T: HasDueDate>(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ValidQuery(query): ValidQuery<ListQuery>,
) -> Result<Json<Data<T::Model>>, ApiError> {
    let data = tasks::list::<T>(&db, caller.id, &query).await?;
    Ok(Json(Data { data }))
}
