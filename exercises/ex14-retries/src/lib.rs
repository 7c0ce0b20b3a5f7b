//! Lesson 14: retries. A write that fails because another writer was in the
//! way (a serialization failure or a deadlock on PostgreSQL, a busy or
//! locked database on SQLite) is tried again, up to 3 attempts in all, after
//! a pause that doubles each time and is partly random (so that writers that
//! failed together do not come back together). Any other failure is answered
//! at once, as lesson 13 answered it.
//!
//! The pieces, each small:
//!
//! - [`policy`]: how many attempts and how long between them (a [`Policy`],
//!   whose [`Backoff`] is an iterator of delays);
//! - [`retryable`]: which failures another attempt can cure, told by the
//!   driver's code (SQLSTATE, SQLite result code), never by message text;
//! - [`retry`]: the loop, which logs every attempt (`attempt`, `outcome`,
//!   `delay_ms`) and turns retries that ran out into 503;
//! - [`attempt`]: one attempt of each write, a whole transaction of its own
//!   (begin … commit), so a failed attempt leaves nothing behind and the one
//!   that commits is the only one that counts;
//! - [`fault`]: `X-Fault-Transient` and `X-Fault-Permanent`, real driver
//!   errors raised inside an attempt's transaction, after its write.
//!
//! Every write route runs its database work through the retry: create,
//! `PATCH`, `PUT`, toggle and `DELETE`. No new column, no new route.

pub mod attempt;
pub mod fault;
pub mod policy;
pub mod retry;
pub mod retryable;
pub mod routes;

pub use policy::{Backoff, Policy};

/// Lesson 13's prelude, with the retried writes.
pub mod prelude {
    pub use crate::{
        attempt,
        fault::{Fault, WriteFaults},
        policy::{Backoff, Policy},
        retry::{self, Retried},
        retryable::{self, DatabaseCause},
        routes::{create_task, delete_task, put_task, toggle_task, update_task},
    };
    pub use ex13_pessimistic_locking::prelude::*;
}

/// Lesson 14 as a [`shared::Lesson`].
pub struct Lesson;

impl shared::Lesson for Lesson {
    const NAME: &'static str = env!("CARGO_PKG_NAME");
    type Migrator = migration::UpTo<14>;
    type Command = ex13_pessimistic_locking::prelude::SeedCommand;

    fn routes() -> axum::Router<shared::AppState> {
        routes::router()
    }
}
