//! Lesson 9's task repository, with a create that writes the task and its
//! `CREATED` activity in one transaction.

pub use ex09_keyset_pagination::prelude::tasks::*;

use ex09_keyset_pagination::prelude::{NewTask, task, tasks as previous};
use sea_orm::{DatabaseConnection, TransactionTrait};
use uuid::Uuid;

use super::activities;
use crate::entity::activity;

/// What a create does besides inserting the task (`Refused`: the fault
/// injection's activity that the database rejects).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityWrite {
    Record,
    Refused,
}

/// Inserts a task for `owner` and records its `CREATED` activity, both in
/// one transaction: an error between `begin` and `commit` rolls both back
/// (the transaction is rolled back when dropped uncommitted).
pub async fn create(
    db: &DatabaseConnection,
    owner: Uuid,
    new: &NewTask,
    activity_write: ActivityWrite,
) -> Result<task::Model, WriteError> {
    // starter: insert the task and record its `CREATED` activity (or, for `Refused`, the
    // activity the database refuses) in one transaction on `db`: `db.begin()`, both writes
    // on the transaction, `commit()`; an error between them must leave neither row.
    // stand-in: Ok(previous::create(db, owner, new).await?)
    let txn = db.begin().await?;
    let task = previous::create(&txn, owner, new).await?;
    match activity_write {
        ActivityWrite::Record => activities::record(&txn, task.id, activity::CREATED).await?,
        ActivityWrite::Refused => activities::record_refused(&txn, task.id).await?,
    }
    txn.commit().await?;
    Ok(task)
}
