//! Lesson 6: an optional due date on every task.
//!
//! The column comes with `migration/src/lesson06_task_due_date.rs`. A new
//! column means a new entity, API type and repository for tasks; the routes
//! that do not read or write tasks' columns (users, delete) stay lesson 3's,
//! and title collisions are still lesson 5's `DUPLICATE_TITLE`.

pub mod api;
pub mod entity;
pub mod repo;
pub mod routes;
pub mod seed;

/// Lesson 6 as a [`shared::Lesson`].
pub struct Lesson;

impl shared::Lesson for Lesson {
    const NAME: &'static str = env!("CARGO_PKG_NAME");
    type Migrator = migration::UpTo<6>;
    type Command = seed::Command;

    fn routes() -> axum::Router<shared::AppState> {
        routes::router()
    }
}
