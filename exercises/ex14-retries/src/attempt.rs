//! One attempt of each retried write: a whole transaction of its own,
//! begun, written (by lesson 12's and 13's repository functions, which take
//! any connection or transaction), struck by the request's fault if it asks
//! for one, and committed. An attempt that fails anywhere is dropped
//! uncommitted, which rolls it back: the next attempt starts from what the
//! database holds, so a retried toggle flips once and a retried change
//! raises the version once.
//!
//! Why PostgreSQL's attempts run at READ COMMITTED, not `SERIALIZABLE`: at
//! `SERIALIZABLE` (or `REPEATABLE READ`) writers of one row that queue for
//! its lock all fail with 40001 the moment the first commits, and come back
//! together: with 3 attempts, ten `PATCH`es of one task at once (lesson 12's
//! check) end in a 503 in about four rounds out of ten, and even creates of
//! different titles meet 40001 (predicate locks on shared index pages). At
//! READ COMMITTED they wait for the row lock and then apply, one after the
//! other, with no error to retry; each of these writes locks one task row,
//! so none can deadlock either. The retry is for what is left: deadlocks of
//! writes that lock more than one row, serialization failures of a service
//! that chooses `SERIALIZABLE`, a busy SQLite file (here it happens: another
//! process may hold the write lock), and the faults that stand in for them.

use std::time::Duration;

use ex13_pessimistic_locking::prelude::{
    IfMatch, LockError, NewTask, Put, TaskPatch, lock, task,
    task::Entity as Tasks,
    tasks::{self, ActivityWrite, OnExisting, WriteError},
};
use sea_orm::{
    DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
};
use uuid::Uuid;

use crate::fault::Fault;

/// Begins an attempt's transaction. SQLite: `BEGIN IMMEDIATE`, which takes
/// the database's write lock at once, so that a database busy with another
/// writer fails the attempt at its start (after `busy_timeout`), before it
/// did anything, and never in its middle, where a deferred transaction that
/// read first could also meet `BUSY_SNAPSHOT`. PostgreSQL: `BEGIN`, at READ
/// COMMITTED as in every lesson before (see the module on why not
/// `SERIALIZABLE`).
pub async fn begin(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    match db.get_database_backend() {
        DbBackend::Sqlite => {
            let immediate = TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..TransactionOptions::default()
            };
            db.begin_with_options(immediate).await
        }
        _ => db.begin().await,
    }
}

/// One attempt of a create: lesson 12's two writes (the task and its
/// activity) on this attempt's transaction, then the fault, then the commit.
pub async fn create(
    db: &DatabaseConnection,
    owner: Uuid,
    new: &NewTask,
    activity_write: ActivityWrite,
    fault: Fault,
) -> Result<task::Model, WriteError> {
    let txn = begin(db).await?;
    let task = tasks::create_in(&txn, owner, new, activity_write).await?;
    fault.strike(db, &txn).await?;
    txn.commit().await?;
    Ok(task)
}

/// One attempt of a `PATCH`: lesson 12's compare-and-write, for the
/// versions `If-Match` allows (none: nothing written, `None`).
pub async fn update(
    db: &DatabaseConnection,
    owner: Uuid,
    id: Uuid,
    patch: &TaskPatch,
    if_match: IfMatch,
    fault: Fault,
) -> Result<Option<task::Model>, WriteError> {
    let txn = begin(db).await?;
    let written = match if_match.expected() {
        Some(expected) => tasks::update(&txn, owner, id, patch, expected).await?,
        None => None,
    };
    fault.strike(db, &txn).await?;
    txn.commit().await?;
    Ok(written)
}

/// One attempt of a `PUT`, as lesson 12 chose by `If-Match`: no header
/// creates only, `*` creates or replaces (lesson 11's upsert), a tag
/// replaces that version; `None` when nothing was written.
pub async fn put(
    db: &DatabaseConnection,
    owner: Uuid,
    id: Uuid,
    new: &NewTask,
    if_match: IfMatch,
    fault: Fault,
) -> Result<Option<(task::Model, Put)>, WriteError> {
    let txn = begin(db).await?;
    let written = match if_match {
        IfMatch::Missing => tasks::put_in(&txn, owner, id, new, OnExisting::Keep).await?,
        IfMatch::Any => tasks::put_in(&txn, owner, id, new, OnExisting::Replace).await?,
        IfMatch::Version(version) => tasks::replace(&txn, owner, id, new, version)
            .await?
            .map(|task| (task, Put::Replaced)),
        IfMatch::Unmatchable => None,
    };
    fault.strike(db, &txn).await?;
    txn.commit().await?;
    Ok(written)
}

/// One attempt of a toggle: lesson 13's lock (its own transaction, which
/// bounds the wait by `LOCK_TIMEOUT_MS`), held `hold` longer if asked, the
/// flip, the fault, the commit. No such task: nothing locked, `None`.
pub async fn toggle(
    db: &DatabaseConnection,
    owner: Uuid,
    id: Uuid,
    lock_timeout: Duration,
    hold: Option<Duration>,
    fault: Fault,
) -> Result<Option<task::Model>, LockError> {
    let Some(txn) = lock::task(db, owner, id, lock_timeout).await? else {
        return Ok(None);
    };
    if let Some(hold) = hold {
        tokio::time::sleep(hold).await;
    }
    let toggled = tasks::flip(&txn, owner, id).await?;
    fault.strike(db, &txn).await?;
    txn.commit().await?;
    Ok(toggled)
}

/// One attempt of a `DELETE`: lesson 3's, scoped to the owner; false if
/// the owner has no such task.
pub async fn delete(
    db: &DatabaseConnection,
    owner: Uuid,
    id: Uuid,
    fault: Fault,
) -> Result<bool, DbErr> {
    let txn = begin(db).await?;
    let deleted = tasks::delete::<Tasks>(&txn, owner, id).await?;
    fault.strike(db, &txn).await?;
    txn.commit().await?;
    Ok(deleted)
}
