//! Lesson 7's API: lesson 6's, with the list sorted.

use axum::{
    Json, Router,
    extract::State,
    routing::{get, post},
};
use ex06_due_date::prelude::{self as previous, Caller, Data, task::Entity as Tasks};
use shared::{ApiError, AppState, db::Database, extract::ValidQuery};

use crate::{
    api::ListQuery,
    repo::{self as tasks, HasDueDate},
};

/// The lesson's API: its own handlers, and the previous lesson's (`previous::`).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/users", post(previous::create_user))
        .route("/api/v1/users/{id}", get(previous::get_user))
        .route(
            "/api/v1/tasks",
            get(list_tasks::<Tasks>).post(previous::create_task),
        )
        .route(
            "/api/v1/tasks/{id}",
            get(previous::get_task::<Tasks>)
                .patch(previous::update_task)
                .delete(previous::delete_task::<Tasks>),
        )
}

/// `GET /api/v1/tasks?done=…&sort=…`.
pub async fn list_tasks<T: HasDueDate>(
    State(db): State<Database>,
    caller: Caller,
    ValidQuery(query): ValidQuery<ListQuery>,
) -> Result<Json<Data<T::Model>>, ApiError> {
    let data = tasks::list::<T>(db.read(), caller.id, &query).await?;
    Ok(Json(Data { data }))
}
