//! Lesson 7: sorting the list, an index that serves it, and a timing event
//! around every repository call that lists tasks.
//!
//! The index is `migration/src/lesson07_task_list_index.rs`. Only the list
//! changes; every other route is lesson 6's.

pub mod api;
pub mod repo;
pub mod routes;
pub mod timing;

/// Lesson 7 as a [`shared::Lesson`].
pub struct Lesson;

impl shared::Lesson for Lesson {
    const NAME: &'static str = env!("CARGO_PKG_NAME");
    type Migrator = migration::UpTo<7>;
    type Command = ex06_due_date::seed::Command;

    fn routes() -> axum::Router<shared::AppState> {
        routes::router()
    }
}
