//! Lesson 3's API, and the handlers behind it. Later lessons build their own
//! route table from these handlers and theirs.

pub mod tasks;
pub mod users;

use axum::{
    Router,
    routing::{get, post},
};
use shared::AppState;

use crate::entity::task::Entity as Tasks;
use tasks::{create_task, delete_task, get_task, list_tasks, update_task};
use users::{create_user, get_user};

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
