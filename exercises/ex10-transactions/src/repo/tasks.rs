//! Lesson 9's task repository, with a create that writes the task and its
//! `CREATED` activity in one transaction.

pub use ex09_keyset_pagination::prelude::tasks::*;

use ex09_keyset_pagination::prelude::{NewTask, task, tasks as previous};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, TransactionTrait};
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

impl ActivityWrite {
    /// Writes the activity of task `task_id`'s creation on `db` (the
    /// create's transaction): its `CREATED` record, or the refused one.
    pub async fn write(self, db: &impl ConnectionTrait, task_id: Uuid) -> Result<(), DbErr> {
        match self {
            Self::Record => activities::record(db, task_id, activity::CREATED).await,
            Self::Refused => activities::record_refused(db, task_id).await,
        }
    }
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
    // starter: insert the task and write its activity (`activity_write.write`: the
    // `CREATED` record, or for `Refused` the one the database refuses) in one transaction
    // on `db`: `db.begin()`, both writes on the transaction, `commit()`; an error between
    // them must leave neither row.
    // stand-in: Ok(previous::create(db, owner, new).await?)
    let txn = db.begin().await?;
    let task = previous::create(&txn, owner, new).await?;
    activity_write.write(&txn, task.id).await?;
    txn.commit().await?;
    Ok(task)
}
