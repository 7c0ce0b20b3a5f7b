//! Lesson 9: pages by key. A request with `cursor` gets the rows after a
//! position `(created_at, id)` instead of after a count of rows: each page reads
//! only its own rows through the index `(user_id, created_at, id)`
//! (`migration/src/lesson09_task_keyset_index.rs`), and rows inserted while a
//! client pages never shift it. Requests without `cursor` are lesson 8's.

pub mod api;
pub mod cursor;
pub mod repo;
pub mod routes;

/// Lesson 8's prelude, with pages by key.
pub mod prelude {
    pub use crate::{
        api::{KeysetMeta, KeysetPage, ListQuery},
        cursor::{Cursor, Position},
        repo as tasks,
        routes::list_tasks,
    };
    pub use ex08_pagination::prelude::*;
}

/// Lesson 9 as a [`shared::Lesson`].
pub struct Lesson;

impl shared::Lesson for Lesson {
    const NAME: &'static str = env!("CARGO_PKG_NAME");
    type Migrator = migration::UpTo<9>;
    type Command = ex08_pagination::prelude::SeedCommand;

    fn routes() -> axum::Router<shared::AppState> {
        routes::router()
    }
}
