//! Lesson 5: unique task titles per user.
//!
//! The schema change is `migration/src/lesson05_unique_task_title.rs`. Here,
//! the two writes that can break the rule (create and rename) turn the unique
//! violation into 409 `DUPLICATE_TITLE`; everything else is lesson 4's.

pub mod repo;
pub mod routes;

/// Lesson 4's prelude, with the task writes and their handlers of lesson 5.
pub mod prelude {
    pub use crate::{
        repo as tasks,
        routes::{create_task, update_task},
    };
    pub use ex04_seeds::prelude::*;
}

/// Lesson 5 as a [`shared::Lesson`].
pub struct Lesson;

impl shared::Lesson for Lesson {
    const NAME: &'static str = env!("CARGO_PKG_NAME");
    type Migrator = migration::UpTo<5>;
    type Command = ex04_seeds::prelude::SeedCommand;

    fn routes() -> axum::Router<shared::AppState> {
        routes::router()
    }
}
