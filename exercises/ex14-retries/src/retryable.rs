//! Which failures another attempt can cure: those where the database refused
//! this transaction only because another one was in its way at that moment.
//! They are told by the driver's code (`shared::db::error_code`), never by
//! the message, which is for people and changes between versions and locales.
//!
//! - **PostgreSQL**, by SQLSTATE: `40001` `serialization_failure` (a
//!   `SERIALIZABLE` transaction that could not be ordered with a concurrent
//!   one, or a row changed under a `REPEATABLE READ`/`SERIALIZABLE` update) and
//!   `40P01` `deadlock_detected` (this transaction was chosen to break a
//!   deadlock). Both roll the whole transaction back, and PostgreSQL's own
//!   documentation says to retry it from the start. Nothing else: a unique
//!   violation, a lock timeout (`55P03`, lesson 13's 409), a statement timeout
//!   or a lost connection would fail again, or have an answer of their own.
//! - **SQLite**, by result code, whose low byte is the primary code: every
//!   `SQLITE_BUSY` (5) and every `SQLITE_LOCKED` (6). That is `BUSY` itself
//!   (another connection holds the write lock past `busy_timeout`),
//!   `BUSY_SNAPSHOT` (517: a transaction that read, then tried to write after
//!   another had written; only a new transaction sees the new snapshot),
//!   `BUSY_RECOVERY` (261: another process is recovering the WAL after a
//!   crash, which ends by itself), `LOCKED` and `LOCKED_SHAREDCACHE` (262: a
//!   table lock of another connection on a shared cache), and the variants
//!   SQLite may add. All mean "someone else holds it now"; the same rule
//!   makes them 503 in lesson 1 (`shared::db::is_unavailable`). A constraint
//!   (19 and its variants), a read-only file or a corrupt one is not retried.

use ex13_pessimistic_locking::prelude::{LockError, tasks::WriteError};
use sea_orm::{DbBackend, DbErr};

/// PostgreSQL: the transaction could not be serialized with a concurrent one.
pub const SERIALIZATION_FAILURE: &str = "40001";
/// PostgreSQL: the transaction was rolled back to break a deadlock.
pub const DEADLOCK_DETECTED: &str = "40P01";
/// SQLite's primary result code: the database file is locked by another connection.
pub const SQLITE_BUSY: i32 = 5;
/// SQLite's primary result code: a table is locked (same connection or shared cache).
pub const SQLITE_LOCKED: i32 = 6;

/// Whether a failure with the driver's `code` is worth another attempt on
/// `backend`: a PostgreSQL SQLSTATE, or a SQLite (extended) result code.
pub fn is_retryable_code(backend: DbBackend, code: &str) -> bool {
    // starter: PostgreSQL: SQLSTATE `SERIALIZATION_FAILURE` or `DEADLOCK_DETECTED`. SQLite:
    // the code is a number whose low byte (`& 0xff`) is the primary code: `SQLITE_BUSY` or
    // `SQLITE_LOCKED`, whatever the extended part. Anything else, on any backend: false.
    match backend {
        DbBackend::Postgres => matches!(code, SERIALIZATION_FAILURE | DEADLOCK_DETECTED),
        DbBackend::Sqlite => code
            .parse::<i32>()
            .is_ok_and(|extended| matches!(extended & 0xff, SQLITE_BUSY | SQLITE_LOCKED)),
        _ => false,
    }
}

/// Whether `err`, from a `backend` connection, is worth another attempt: a
/// driver error with a retryable code. An error without a code (a pool
/// timeout, a lost connection, one of SeaORM's own) is not.
pub fn is_retryable(backend: DbBackend, err: &DbErr) -> bool {
    shared::db::error_code(err).is_some_and(|code| is_retryable_code(backend, &code))
}

/// An error an attempt can fail with, asked for the database error it came
/// from, if any: that one's code decides whether to try again. A refusal of
/// the application's own (a taken title, a lock not granted in time) has none.
pub trait DatabaseCause {
    /// The database's error behind this one, if it is one.
    fn database_error(&self) -> Option<&DbErr>;
}

/// A database error is its own cause.
impl DatabaseCause for DbErr {
    fn database_error(&self) -> Option<&DbErr> {
        Some(self)
    }
}

/// A task write: its database error, not a taken title nor a missing owner.
impl DatabaseCause for WriteError {
    fn database_error(&self) -> Option<&DbErr> {
        self.database()
    }
}

/// A lock: its database error, not a lock that was not granted in time
/// (409 `LOCK_TIMEOUT`, which the client retries itself, after `Retry-After`).
impl DatabaseCause for LockError {
    fn database_error(&self) -> Option<&DbErr> {
        match self {
            Self::Database(err) => Some(err),
            Self::Timeout => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::{path::Path, sync::Arc, time::Duration};

    use sea_orm::{
        RuntimeErr,
        sqlx::{
            self, Connection, Executor, SqliteConnection,
            sqlite::{SqliteConnectOptions, SqliteJournalMode},
        },
    };

    use super::*;

    #[test]
    fn postgres_retries_serialization_failures_and_deadlocks() {
        for code in ["40001", "40P01"] {
            assert!(is_retryable_code(DbBackend::Postgres, code), "{code}");
        }
        for code in [
            "23505", // unique_violation
            "23503", // foreign_key_violation
            "23502", // not_null_violation
            "55P03", // lock_not_available: lesson 13's 409
            "57014", // query_canceled: statement_timeout
            "08006", // connection_failure
            "40002", // transaction_integrity_constraint_violation
            "40003", // statement_completion_unknown
            "P0001", // raise_exception
            "40p01", // SQLSTATEs are upper case
            "5",     // SQLite's BUSY means nothing here
            "",
        ] {
            assert!(!is_retryable_code(DbBackend::Postgres, code), "{code}");
        }
    }

    #[test]
    fn sqlite_retries_every_busy_and_locked() {
        for code in ["5", "261", "517", "773", "6", "262", "518"] {
            assert!(is_retryable_code(DbBackend::Sqlite, code), "{code}");
        }
        for code in [
            "1",    // SQLITE_ERROR
            "8",    // SQLITE_READONLY
            "11",   // SQLITE_CORRUPT
            "13",   // SQLITE_FULL
            "19",   // SQLITE_CONSTRAINT
            "787",  // SQLITE_CONSTRAINT_FOREIGNKEY
            "1299", // SQLITE_CONSTRAINT_NOTNULL
            "2067", // SQLITE_CONSTRAINT_UNIQUE
            "264",  // SQLITE_READONLY_RECOVERY
            "40001", "BUSY", "",
        ] {
            assert!(!is_retryable_code(DbBackend::Sqlite, code), "{code}");
        }
    }

    #[test]
    fn errors_without_a_code_are_not_retried() {
        for err in [
            DbErr::Custom("busy".into()),
            DbErr::RecordNotFound("deadlock".into()),
            DbErr::Conn(RuntimeErr::SqlxError(Arc::new(sqlx::Error::PoolTimedOut))),
        ] {
            assert!(!is_retryable(DbBackend::Sqlite, &err), "{err}");
            assert!(!is_retryable(DbBackend::Postgres, &err), "{err}");
        }
        assert!(LockError::Timeout.database_error().is_none());
    }

    /// A connection of its own to `file`, in WAL mode as the application's
    /// are, waiting `busy` for a lock before it fails.
    async fn connect(file: &Path, busy: Duration) -> SqliteConnection {
        let options = SqliteConnectOptions::new()
            .filename(file)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(busy);
        SqliteConnection::connect_with(&options).await.unwrap()
    }

    /// As SeaORM hands a failed statement back.
    fn db_err(err: sqlx::Error) -> DbErr {
        DbErr::Exec(RuntimeErr::SqlxError(Arc::new(err)))
    }

    /// A real `SQLITE_BUSY`: one connection holds the write lock, a second
    /// (busy_timeout 0) asks for it. Retryable, and code 5.
    #[tokio::test]
    async fn a_real_sqlite_busy_is_retryable() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("busy.db");
        let mut holder = connect(&file, Duration::ZERO).await;
        let mut other = connect(&file, Duration::ZERO).await;
        holder.execute("BEGIN IMMEDIATE").await.unwrap();

        let err = db_err(other.execute("BEGIN IMMEDIATE").await.unwrap_err());
        assert_eq!(shared::db::error_code(&err).as_deref(), Some("5"));
        assert!(is_retryable(DbBackend::Sqlite, &err));
        // The same code read as a SQLSTATE is nothing PostgreSQL retries.
        assert!(!is_retryable(DbBackend::Postgres, &err));

        holder.execute("ROLLBACK").await.unwrap();
        other.execute("BEGIN IMMEDIATE; ROLLBACK").await.unwrap();
    }

    /// A real `SQLITE_BUSY_SNAPSHOT` (517): a transaction read, another
    /// wrote meanwhile, and the first tries to write on its old snapshot.
    /// Retryable: a new transaction reads the new snapshot.
    #[tokio::test]
    async fn a_real_sqlite_busy_snapshot_is_retryable() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("snapshot.db");
        let mut reader = connect(&file, Duration::ZERO).await;
        let mut writer = connect(&file, Duration::ZERO).await;
        writer
            .execute("CREATE TABLE t (n INTEGER NOT NULL); INSERT INTO t VALUES (0)")
            .await
            .unwrap();

        reader.execute("BEGIN").await.unwrap();
        reader.execute("SELECT n FROM t").await.unwrap();
        writer.execute("UPDATE t SET n = n + 1").await.unwrap();
        let err = db_err(reader.execute("UPDATE t SET n = n + 1").await.unwrap_err());
        assert_eq!(shared::db::error_code(&err).as_deref(), Some("517"));
        assert!(is_retryable(DbBackend::Sqlite, &err));
        reader.execute("ROLLBACK").await.unwrap();

        // A constraint failure on the same database is not.
        let err = db_err(
            writer
                .execute("INSERT INTO t VALUES (NULL)")
                .await
                .unwrap_err(),
        );
        assert_eq!(shared::db::error_code(&err).as_deref(), Some("1299"));
        assert!(!is_retryable(DbBackend::Sqlite, &err));
    }
}
