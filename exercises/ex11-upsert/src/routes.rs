//! Lesson 11's API: lesson 10's, with `PUT /api/v1/tasks/{id}`.

use axum::{
    Json, Router,
    extract::State,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use ex10_transactions::prelude::{
    self as previous, Caller, NewTask, location, not_found, task::Entity as Tasks,
};
use shared::{
    ApiError, AppState,
    db::Database,
    extract::{PathId, ValidJson},
    response::Created,
};

use crate::repo::{Put, tasks};

/// The lesson's API: its own handlers, and the previous lesson's (`previous::`).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/users", post(previous::create_user))
        .route("/api/v1/users/{id}", get(previous::get_user))
        .route(
            "/api/v1/tasks",
            get(previous::list_tasks::<Tasks>).post(previous::create_task),
        )
        .route(
            "/api/v1/tasks/{id}",
            get(previous::get_task::<Tasks>)
                .put(put_task) // starter: route PUT to `put_task`, the handler below
                .patch(previous::update_task)
                .delete(previous::delete_task::<Tasks>),
        )
        .route(
            "/api/v1/tasks/{id}/activities",
            get(previous::list_activities),
        )
}

/// `PUT /api/v1/tasks/{id}` with a whole task (`title`, and `done` and
/// `dueDate`, which reset when left out): 201 created with that id, 200
/// replaced, 404 if the id is another user's.
pub async fn put_task(
    State(db): State<Database>,
    caller: Caller,
    id: PathId,
    ValidJson(new): ValidJson<NewTask>,
) -> Result<Response, ApiError> {
    let (task, put) = tasks::put(db.write(), caller.id, id.uuid()?, &new)
        .await?
        .ok_or_else(not_found)?;
    Ok(match put {
        Put::Created => Created::at(location(task.id), task).into_response(),
        Put::Replaced => Json(task).into_response(),
    })
}
