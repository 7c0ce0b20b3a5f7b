//! Lesson 14's fault headers (only with `WORKBOOK_FAULTS=1`):
//!
//! | header | effect |
//! |---|---|
//! | `X-Fault-Transient: N` | the first N attempts of the write fail with a retryable error |
//! | `X-Fault-Permanent: 1` | the write fails with an error no retry cures (500) |
//!
//! Each failure is a real error of the driver, with its real code, judged by
//! the same [`crate::retryable`] as any other, and raised *inside* the
//! attempt's transaction, after its write: so what keeps a retried write
//! from applying twice is the rollback, as it would be for a real failure.
//!
//! - Transient, PostgreSQL: `RAISE … USING ERRCODE = 'serialization_failure'`
//!   in a `DO` block on the transaction: SQLSTATE 40001 from the server,
//!   which aborts the transaction as a real serialization failure does.
//! - Transient, SQLite: a genuine `SQLITE_BUSY` (5). A second connection to
//!   the same file, with `busy_timeout` 0, asks for the write lock (`BEGIN
//!   IMMEDIATE`) that the attempt's transaction holds, and SQLite refuses it.
//!   That refusal, the error another writer meets while this one writes, is
//!   the error the attempt fails with. (SQLite cannot make the holder of the
//!   write lock itself busy: in WAL mode its commit needs no further lock.)
//! - Permanent, both: lesson 10's refused activity, an insert whose `kind`
//!   is NULL: a NOT NULL violation (SQLSTATE 23502, SQLite 1299).

use std::{sync::Arc, time::Duration};

use ex13_pessimistic_locking::prelude::activities;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, RuntimeErr,
    Statement,
    sqlx::{Connection, Executor, SqliteConnection, sqlite::SqliteConnectOptions},
};
use shared::faults::Faults;
use uuid::Uuid;

/// PostgreSQL: a real serialization failure (40001), raised by the server.
const SERIALIZATION_FAILURE: &str = "DO $$ BEGIN RAISE EXCEPTION \
    'X-Fault-Transient: an injected serialization failure' \
    USING ERRCODE = 'serialization_failure'; END $$";

/// The fault headers of one write request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteFaults {
    /// `X-Fault-Transient: N`: attempts 1..=N fail, retryably.
    transient: u64,
    /// `X-Fault-Permanent: 1`: every attempt fails, not retryably.
    permanent: bool,
}

impl From<&Faults> for WriteFaults {
    /// Read from the request's headers (none unless faults are on).
    fn from(faults: &Faults) -> Self {
        Self {
            transient: faults.number("x-fault-transient").unwrap_or(0),
            permanent: faults.flag("x-fault-permanent"),
        }
    }
}

impl WriteFaults {
    /// What attempt `attempt` (from 1) is to suffer.
    pub fn on(self, attempt: u32) -> Fault {
        if self.permanent {
            Fault::Permanent
        } else if u64::from(attempt) <= self.transient {
            Fault::Transient
        } else {
            Fault::None
        }
    }
}

/// The failure one attempt meets after its write, before its commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Nothing: the attempt commits.
    None,
    /// A retryable error (SQLSTATE 40001, or a real `SQLITE_BUSY`).
    Transient,
    /// An error no retry cures (a NOT NULL violation).
    Permanent,
}

impl Fault {
    /// Fails the attempt whose transaction `txn` is (on `db`) as asked,
    /// or does nothing. The caller drops the transaction on the error,
    /// which rolls its write back.
    pub async fn strike(
        self,
        db: &DatabaseConnection,
        txn: &DatabaseTransaction,
    ) -> Result<(), DbErr> {
        match self {
            Self::None => Ok(()),
            // Any task id: NOT NULL refuses the row before its task is looked at.
            Self::Permanent => activities::record_refused(txn, Uuid::nil()).await,
            Self::Transient => match txn.get_database_backend() {
                DbBackend::Sqlite => Err(sqlite_busy(db).await),
                backend => txn
                    .execute_raw(Statement::from_string(backend, SERIALIZATION_FAILURE))
                    .await
                    .map(drop),
            },
        }
    }
}

/// The `SQLITE_BUSY` another connection to `db`'s file meets while the
/// attempt's transaction holds the write lock.
async fn sqlite_busy(db: &DatabaseConnection) -> DbErr {
    let writer = db.get_sqlite_connection_pool().connect_options();
    let options = SqliteConnectOptions::new()
        .filename(writer.get_filename())
        .busy_timeout(Duration::ZERO);
    let attempt = async {
        let mut other = SqliteConnection::connect_with(&options).await?;
        let begun = other.execute("BEGIN IMMEDIATE").await;
        if begun.is_ok() {
            other.execute("ROLLBACK").await?;
        }
        other.close().await?;
        begun.map(drop)
    };
    match attempt.await {
        Err(err) => {
            tracing::info!(fault = "transient", error = %err, "a second connection asked for the attempt's write lock");
            DbErr::Exec(RuntimeErr::SqlxError(Arc::new(err)))
        }
        // Only if the attempt held no write lock (its transaction did not
        // begin with one and wrote nothing): no real BUSY to be had.
        Ok(()) => DbErr::Custom("X-Fault-Transient: the attempt held no write lock".into()),
    }
}
