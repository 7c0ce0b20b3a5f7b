//! Lesson 10: transactions. Creating a task also records its `CREATED`
//! activity (`migration/src/lesson10_task_activities.rs`), and the two rows
//! are written in one transaction: both or neither, whatever fails between
//! them. A task's activities are read at `/api/v1/tasks/{id}/activities`.

pub mod entity;
pub mod repo;
pub mod routes;

/// Lesson 9's prelude, with activities and the create that records them.
pub mod prelude {
    pub use crate::{
        entity::activity,
        repo::{activities, tasks},
        routes::{create_task, list_activities},
    };
    pub use ex09_keyset_pagination::prelude::*;
}

/// Lesson 10 as a [`shared::Lesson`].
pub struct Lesson;

impl shared::Lesson for Lesson {
    const NAME: &'static str = env!("CARGO_PKG_NAME");
    type Migrator = migration::UpTo<10>;
    type Command = ex09_keyset_pagination::prelude::SeedCommand;

    fn routes() -> axum::Router<shared::AppState> {
        routes::router()
    }
}
