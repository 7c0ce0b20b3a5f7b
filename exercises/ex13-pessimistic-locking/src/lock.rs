//! Taking a task's lock, on each database, and telling a lock that was not
//! granted in time from every other failure.
//!
//! The lock lives in a transaction and ends with it: at its commit, its
//! rollback, or when it is dropped uncommitted (which rolls it back). So the
//! caller keeps the transaction as long as it needs the lock, and writes on it.
//!
//! - PostgreSQL: `BEGIN`, `SET LOCAL lock_timeout = '<ms>ms'`, then `SELECT …
//!   FOR UPDATE` of the owner's task: that row is locked; a wait longer than
//!   the timeout fails the `SELECT` with SQLSTATE 55P03.
//! - SQLite: `BEGIN IMMEDIATE` on the writer, which takes the database's write
//!   lock at once, rather than at the first write as a plain (deferred)
//!   `BEGIN` does. Waiting for it is waiting for the writer connection (the
//!   pool) and then for the lock (another process may hold it), so the whole
//!   `begin` runs under `tokio::time::timeout`. A wait cut short is dropped:
//!   the pool forgets a cancelled acquire, and a `BEGIN` the driver ran but
//!   could not hand back is rolled back by sqlx's worker, so nothing is left
//!   open on the writer.

use std::time::{Duration, Instant};

use ex12_optimistic_locking::prelude::{TaskTable, task, task::Entity as Tasks};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    EntityTrait, QueryFilter, QuerySelect, SqliteTransactionMode, Statement, TransactionOptions,
    TransactionTrait,
};
use shared::{ApiError, ErrorCode};
use uuid::Uuid;

/// PostgreSQL's `lock_not_available`: a lock not granted within `lock_timeout`.
pub const LOCK_NOT_AVAILABLE: &str = "55P03";

/// Why a lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Not granted within `LOCK_TIMEOUT_MS`: another request holds it.
    #[error("the lock was not granted in time")]
    Timeout,
    /// Any other failure, answered as lesson 1 answers database errors.
    #[error(transparent)]
    Database(DbErr),
}

/// A lock timeout is told by its SQLSTATE; any other failure is the database's.
impl From<DbErr> for LockError {
    fn from(err: DbErr) -> Self {
        if is_lock_timeout(&err) {
            Self::Timeout
        } else {
            Self::Database(err)
        }
    }
}

/// A lock not granted in time is 409 `LOCK_TIMEOUT`, worth retrying soon.
impl From<LockError> for ApiError {
    fn from(err: LockError) -> Self {
        match err {
            LockError::Timeout => ApiError::new(
                ErrorCode::LockTimeout,
                "the task is locked by another change, try again",
            )
            .with_retry_after(1),
            LockError::Database(err) => err.into(),
        }
    }
}

/// Whether `err` is PostgreSQL's lock timeout (55P03). `DbErr::sql_err()`
/// knows only constraint violations, so the SQLSTATE is read from the driver's
/// error (`shared::db::error_code`).
pub fn is_lock_timeout(err: &DbErr) -> bool {
    // starter: true for SQLSTATE 55P03 (`lock_not_available`, see `LOCK_NOT_AVAILABLE`),
    // read from the driver's error with `shared::db::error_code`.
    shared::db::error_code(err).as_deref() == Some(LOCK_NOT_AVAILABLE)
}

/// Locks the owner's task `id`, waiting at most `timeout`: the transaction
/// that holds the lock, or `None` if the owner has no such task (nothing is
/// then locked: the transaction is dropped). Logs the wait as `lock_wait_ms`:
/// from asking for the lock (SQLite's `BEGIN IMMEDIATE`, PostgreSQL's
/// `SELECT … FOR UPDATE`) until it was granted, or refused.
pub async fn task(
    db: &DatabaseConnection,
    owner: Uuid,
    id: Uuid,
    timeout: Duration,
) -> Result<Option<DatabaseTransaction>, LockError> {
    // starter: `begin` the lock's transaction, then lock the row (`row`); log one event
    // with `lock_wait_ms` when the lock is granted, and one when it timed out: the time from
    // asking for it (SQLite: `begin`; PostgreSQL: `row`) until then.
    let mut asked = Instant::now();
    let locked = match begin(db, timeout).await {
        Ok(txn) => {
            // PostgreSQL asks for the lock with the `SELECT` (its `begin` took
            // a connection and set the timeout); SQLite's `begin` was the lock.
            if db.get_database_backend() == DbBackend::Postgres {
                asked = Instant::now();
            }
            row(&txn, owner, id).await.map(|found| found.map(|_| txn))
        }
        Err(err) => Err(err),
    };
    let lock_wait_ms = asked.elapsed().as_secs_f64() * 1000.0;
    match &locked {
        Ok(txn) => tracing::info!(lock_wait_ms, found = txn.is_some(), "row lock granted"),
        Err(LockError::Timeout) => tracing::warn!(
            lock_wait_ms,
            lock_timeout_ms = timeout.as_millis() as u64,
            "row lock not granted in time",
        ),
        // The answer's conversion logs it.
        Err(LockError::Database(_)) => {}
    }
    locked
}

/// Begins the transaction a lock lives in, waiting at most `timeout` for it:
/// on SQLite `BEGIN IMMEDIATE` (the database's write lock, taken now), on
/// PostgreSQL `BEGIN` and a `lock_timeout` for this transaction alone.
pub async fn begin(
    db: &DatabaseConnection,
    timeout: Duration,
) -> Result<DatabaseTransaction, LockError> {
    // starter: SQLite: `begin_with_options` with `SqliteTransactionMode::Immediate`, cut
    // off by `tokio::time::timeout(timeout, …)` (elapsed: `LockError::Timeout`).
    // PostgreSQL: `begin`, then `SET LOCAL lock_timeout = '<ms>ms'` on the transaction
    // (never on the session: the pooled connection outlives the request).
    match db.get_database_backend() {
        DbBackend::Sqlite => {
            let immediate = TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..TransactionOptions::default()
            };
            match tokio::time::timeout(timeout, db.begin_with_options(immediate)).await {
                Ok(begun) => Ok(begun?),
                Err(_elapsed) => Err(LockError::Timeout),
            }
        }
        backend => {
            let txn = db.begin().await?;
            // Whole milliseconds from the configuration, so nothing to bind; at
            // least 1 (the configuration says so), as `0ms` would mean no limit.
            let set = format!("SET LOCAL lock_timeout = '{}ms'", timeout.as_millis());
            txn.execute_raw(Statement::from_string(backend, set))
                .await?;
            Ok(txn)
        }
    }
}

/// Reads the owner's task `id` in `txn` and locks its row (`SELECT … FOR
/// UPDATE` on PostgreSQL; on SQLite, where the transaction holds the lock
/// already, the same `SELECT` without it). `None` if there is no such task.
pub async fn row(
    txn: &DatabaseTransaction,
    owner: Uuid,
    id: Uuid,
) -> Result<Option<task::Model>, LockError> {
    // starter: the owner's task `id` (as `tasks::find` reads it), with `lock_exclusive()`:
    // `FOR UPDATE` on PostgreSQL, nothing on SQLite.
    let mut rows = Tasks::find()
        .filter(Tasks::scope(owner))
        .filter(task::Column::Id.eq(id))
        .lock_exclusive()
        .all(txn)
        .await?;
    Ok(rows.pop())
}
