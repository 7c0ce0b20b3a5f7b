//! Lesson 13: pessimistic locking. `POST /api/v1/tasks/{id}/toggle` flips a
//! task's `done` (raising its `version`, as every change does) under a lock
//! taken before the task is read and held until the change commits: a second
//! toggle of the same task waits for the first, and `LOCK_TIMEOUT_MS` bounds
//! that wait (409 `LOCK_TIMEOUT` with `Retry-After` when it runs out).
//!
//! What "the lock" is depends on the database:
//!
//! - **PostgreSQL locks the row.** In a transaction, `SET LOCAL lock_timeout`
//!   (for that transaction only), then `SELECT … FOR UPDATE` of the caller's
//!   task: a second toggle of that task waits at its `SELECT`, a toggle of any
//!   other task does not wait at all. A wait that outlasts `lock_timeout` is
//!   the error 55P03 (`lock_not_available`).
//! - **SQLite locks the whole database.** It has no row locks (`FOR UPDATE`
//!   is not even SQL there: SeaORM renders nothing for it), only one write
//!   lock for the database file, and this service writes through one
//!   connection (`shared::db::Database::write`). So the lock is that writer in
//!   a transaction that takes the write lock up front (`BEGIN IMMEDIATE`): a
//!   second toggle waits for the writer, whichever task it toggles, and so
//!   does every other write meanwhile. The wait is bounded by
//!   `LOCK_TIMEOUT_MS` in the application, not by the pool's acquire timeout
//!   nor SQLite's busy timeout.
//!
//! No new column: the toggle writes lesson 12's task, `version` included.

pub mod caller;
pub mod lock;
pub mod repo;
pub mod routes;

/// Lesson 12's prelude, with the locked toggle.
pub mod prelude {
    pub use crate::{
        caller::ReadCaller,
        lock::{self, LockError},
        repo as tasks,
        routes::toggle_task,
    };
    pub use ex12_optimistic_locking::prelude::*;
}

/// Lesson 13 as a [`shared::Lesson`].
pub struct Lesson;

impl shared::Lesson for Lesson {
    const NAME: &'static str = env!("CARGO_PKG_NAME");
    type Migrator = migration::UpTo<13>;
    type Command = ex12_optimistic_locking::prelude::SeedCommand;

    fn routes() -> axum::Router<shared::AppState> {
        routes::router()
    }
}
