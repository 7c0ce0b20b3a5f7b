//! Lesson 1: a pooled connection from configuration, the `SELECT 1` probe at
//! start, a clear failure when the database is unreachable.
//!
//! Your part is `src/connect.rs`: how the application's connections are
//! opened. The rest of lesson 1 (configuration, the server and its shutdown,
//! the error envelope, request ids, `/health` and `/ready`) is the shared
//! crate's, and every later lesson keeps it.

mod connect;

/// Lesson 1 as a [`shared::Lesson`], opening its connections your way.
pub struct Lesson;

impl shared::Lesson for Lesson {
    const NAME: &'static str = env!("CARGO_PKG_NAME");
    type Migrator = migration::UpTo<1>;
    type Command = shared::NoCommand;

    async fn open(
        config: &shared::Config,
        application: &'static str,
    ) -> Result<shared::db::Database, shared::db::ConnectError> {
        connect::open(config, application).await
    }
}
