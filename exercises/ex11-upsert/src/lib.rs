//! Lesson 11: `PUT /api/v1/tasks/{id}` as one statement. A client that
//! chose its task's id puts the whole task: it is created with that id
//! (201) or replaced (200) by one `INSERT … ON CONFLICT (id) DO UPDATE`,
//! whose `WHERE` keeps another user's row out of reach (404). No read before
//! the write: there is no moment for another request to slip in between.

pub mod repo;
pub mod routes;

/// Lesson 10's prelude, with `PUT`.
pub mod prelude {
    pub use crate::{
        repo::{Put, tasks},
        routes::put_task,
    };
    pub use ex10_transactions::prelude::*;
}

/// Lesson 11 as a [`shared::Lesson`].
pub struct Lesson;

impl shared::Lesson for Lesson {
    const NAME: &'static str = env!("CARGO_PKG_NAME");
    type Migrator = migration::UpTo<11>;
    type Command = ex10_transactions::prelude::SeedCommand;

    fn routes() -> axum::Router<shared::AppState> {
        routes::router()
    }
}
