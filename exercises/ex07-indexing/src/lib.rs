//! Lesson 7: sorting the list, an index that serves it, and a timing event
//! around every repository call that lists tasks.
//!
//! The index is `migration/src/lesson07_task_list_index.rs`. Only the list
//! changes; every other handler is lesson 6's.

pub mod api;
pub mod repo;
pub mod routes;
pub mod timing;

/// Lesson 6's prelude, with the sorted list.
pub mod prelude {
    pub use crate::{
        api::{ListQuery, Sort},
        repo::{self as tasks, HasDueDate},
        routes::list_tasks,
        timing::timed,
    };
    pub use ex06_due_date::prelude::*;
}

/// Lesson 7 as a [`shared::Lesson`].
pub struct Lesson;

impl shared::Lesson for Lesson {
    const NAME: &'static str = env!("CARGO_PKG_NAME");
    type Migrator = migration::UpTo<7>;
    type Command = ex06_due_date::prelude::SeedCommand;

    fn routes() -> axum::Router<shared::AppState> {
        routes::router()
    }
}
