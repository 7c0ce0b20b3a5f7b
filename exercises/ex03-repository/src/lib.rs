//! Lesson 3: repositories, and the users and tasks routes on top of them.
//!
//! The layers, from the database up:
//!
//! - [`entity`]: SeaORM entities, one per table, exactly the columns of lesson 2;
//! - [`repo`]: every query, in functions that take a connection (or a transaction)
//!   and return rows; nothing else in the crate builds a query;
//! - [`api`]: what the API reads and writes: camelCase JSON, validation rules;
//! - [`caller`]: who is calling, from `X-User-Id`;
//! - [`routes`]: handlers that extract, call a repository, and answer. They never
//!   touch SQL or a SeaORM query.

pub mod api;
pub mod caller;
pub mod entity;
pub mod password;
pub mod repo;
pub mod routes;

/// Lesson 3 as a [`shared::Lesson`].
pub struct Lesson;

impl shared::Lesson for Lesson {
    const NAME: &'static str = env!("CARGO_PKG_NAME");
    type Migrator = migration::UpTo<3>;
    type Command = shared::NoCommand;

    fn routes() -> axum::Router<shared::AppState> {
        routes::router()
    }
}
