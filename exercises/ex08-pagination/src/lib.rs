//! Lesson 8: pages by offset. The list answers `limit` rows from `offset`,
//! with `meta.total` counted by a second query under the same filters. Every
//! value reaches the database as a bound parameter.

pub mod api;
pub mod repo;
pub mod routes;

/// Lesson 7's prelude, with the list paged by offset.
pub mod prelude {
    pub use crate::{
        api::{ListQuery, OffsetMeta, Page},
        repo as tasks,
        routes::{list_tasks, offset_page},
    };
    pub use ex07_indexing::prelude::*;
}

/// Lesson 8 as a [`shared::Lesson`].
pub struct Lesson;

impl shared::Lesson for Lesson {
    const NAME: &'static str = env!("CARGO_PKG_NAME");
    type Migrator = migration::UpTo<8>;
    type Command = ex07_indexing::prelude::SeedCommand;

    fn routes() -> axum::Router<shared::AppState> {
        routes::router()
    }
}
