//! Lesson 12: optimistic locking. Every task has a `version`
//! (`migration/src/lesson12_task_version.rs`), raised by exactly 1 by every
//! change and served as `ETag: "v<version>"`. A change to an existing task
//! must say which version it read (`If-Match`): without it 428, at another
//! version 412. The compare and the write are one `UPDATE … WHERE id AND
//! user_id AND version`, so of twenty writers holding one tag exactly one wins.
//!
//! A new column means a new entity (as in lesson 6): what reads or writes a
//! task row as a whole is written again over it (create, `PATCH`, `PUT`, the
//! read that serves the tag); the list and delete are lesson 3's, generic.

pub mod entity;
pub mod precondition;
pub mod repo;
pub mod routes;

/// Lesson 11's prelude, over the task table with `version`.
pub mod prelude {
    pub use crate::{
        entity::task,
        precondition::{IfMatch, etag},
        repo::{self as tasks, Expected, OnExisting},
        routes::{Tagged, create_task, created, get_task, put_task, refusal, update_task},
    };
    pub use ex11_upsert::prelude::*;
}

/// Lesson 12 as a [`shared::Lesson`].
pub struct Lesson;

impl shared::Lesson for Lesson {
    const NAME: &'static str = env!("CARGO_PKG_NAME");
    type Migrator = migration::UpTo<12>;
    type Command = ex11_upsert::prelude::SeedCommand;

    fn routes() -> axum::Router<shared::AppState> {
        routes::router()
    }
}
