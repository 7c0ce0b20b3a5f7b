//! Lesson 1: a pooled connection from configuration, the `SELECT 1` probe at
//! start, a clear failure when the database is unreachable, graceful shutdown,
//! `/health` and `/ready`, request ids and the error envelope.
//!
//! Every lesson keeps all of this unchanged, so it lives in the `shared`
//! crate: `config.rs`, `db.rs`, `server.rs`, `error.rs`, `probes.rs`, `faults.rs`.
//! This crate only names the lesson: no migrations, no routes beyond the probes.

/// Lesson 1 as a [`shared::Lesson`].
pub struct Lesson;

impl shared::Lesson for Lesson {
    const NAME: &'static str = env!("CARGO_PKG_NAME");
    type Migrator = migration::UpTo<1>;
    type Command = shared::NoCommand;
}
