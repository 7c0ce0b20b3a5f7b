//! The API routes of lesson 3: users and tasks. Later lessons keep
//! [`users::router`] and rebuild the task routes they change from these handlers.

pub mod tasks;
pub mod users;

use axum::Router;
use shared::AppState;

pub fn router() -> Router<AppState> {
    users::router().merge(tasks::router())
}
