//! Opening the application's connections: yours to write.
//!
//! The reference is `shared::db::Database::open` (in `shared/src/db.rs`);
//! write yours before you read it.

use sea_orm::ConnectOptions;
use shared::{
    Config,
    db::{ConnectError, Database},
};

/// Opens one pool for reads and writes and proves it answers, or says why not.
pub async fn open(config: &Config, application: &str) -> Result<Database, ConnectError> {
    // TODO(lesson 1): open the pool and probe it:
    // 1. connect with `sea_orm::Database::connect(options(config, application))`,
    //    retrying a failure that may pass (refused, reset: `shared::db::is_transient`)
    //    every 200 ms or so until `config.db_connect_timeout_ms` has gone by, and
    //    giving up at once on any other (a wrong password, no such database);
    // 2. `set_metric_callback(shared::db::log_statement)`, so each statement is logged;
    // 3. prove it answers with `shared::db::select_one`;
    // 4. log `database connected` (INFO) with the backend, the database (as
    //    `config.database_url` shows itself, without its password) and the pool limits;
    // 5. return `Database::from_pool(pool)`: one pool for reads and writes.
    // Failing, return `ConnectError::Unreachable` with the url and the reason
    // (passed through `config.database_url.scrub`, so no password leaks).
    todo!("lesson 1")
}

/// The pool's options, all from `config`.
fn options(config: &Config, application: &str) -> ConnectOptions {
    // TODO(lesson 1): `ConnectOptions::new(config.database_url.expose())` with
    // the pool's minimum and maximum, the acquire timeout, the application
    // name, `statement_timeout` (PostgreSQL), sqlx's own logging off, and, for
    // SQLite, on every connection sqlx opens (`map_sqlx_sqlite_opts`): foreign
    // keys on, WAL, synchronous NORMAL and the busy timeout.
    todo!("lesson 1")
}
