//! Lesson 8: pages by offset. The list answers `limit` rows from `offset`,
//! with `meta.total` counted by a second query under the same filters. Every
//! value reaches the database as a bound parameter.

pub mod api;
pub mod repo;
pub mod routes;

/// Lesson 8 as a [`shared::Lesson`].
pub struct Lesson;

impl shared::Lesson for Lesson {
    const NAME: &'static str = env!("CARGO_PKG_NAME");
    type Migrator = migration::UpTo<8>;
    type Command = ex06_due_date::seed::Command;

    fn routes() -> axum::Router<shared::AppState> {
        routes::router()
    }
}
