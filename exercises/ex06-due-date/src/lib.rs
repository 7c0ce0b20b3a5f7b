//! Lesson 6: an optional due date on every task.
//!
//! The column comes with `migration/src/lesson06_task_due_date.rs`. A new
//! column means a new entity; the reads and delete are lesson 3's, generic
//! over the task table, and take the new entity as it is. What this lesson
//! writes is what reads or writes `due_date`: the entity, the bodies, create
//! and update (title collisions are still lesson 5's `DUPLICATE_TITLE`), and
//! the seed.

pub mod api;
pub mod entity;
pub mod repo;
pub mod routes;
pub mod seed;

/// Lesson 5's prelude, over the task table with `due_date`.
pub mod prelude {
    pub use crate::{
        api::{DueDate, NewTask, TaskPatch},
        entity::task,
        repo as tasks,
        routes::{create_task, update_task},
        seed::{DueDates, SeedCommand},
    };
    pub use ex05_unique_title::prelude::*;
}

/// Lesson 6 as a [`shared::Lesson`].
pub struct Lesson;

impl shared::Lesson for Lesson {
    const NAME: &'static str = env!("CARGO_PKG_NAME");
    type Migrator = migration::UpTo<6>;
    type Command = seed::SeedCommand;

    fn routes() -> axum::Router<shared::AppState> {
        routes::router()
    }
}
