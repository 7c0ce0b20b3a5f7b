//! Lesson 5: unique task titles per user.
//!
//! The schema change is `migration/src/lesson05_unique_task_title.rs`. Here,
//! the two writes that can break the rule (create and rename) turn the unique
//! violation into 409 `DUPLICATE_TITLE`; everything else is lesson 3's and 4's.

pub mod repo;
pub mod routes;

/// Lesson 5 as a [`shared::Lesson`].
pub struct Lesson;

impl shared::Lesson for Lesson {
    const NAME: &'static str = env!("CARGO_PKG_NAME");
    type Migrator = migration::UpTo<5>;
    type Command = ex04_seeds::Command;

    fn routes() -> axum::Router<shared::AppState> {
        routes::router()
    }
}
