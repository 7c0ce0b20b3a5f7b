//! Lesson 11's task repository over the task table with `version`. Every
//! write raises the version by exactly 1, in the statement that writes; a
//! change can be made conditional on it, in that same statement.

pub use ex11_upsert::prelude::tasks::*;

use ex11_upsert::prelude::{NewTask, Put, TaskPatch, TaskTable, activities, activity};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, TransactionSession,
    TransactionTrait,
    sea_query::{Alias, Expr, ExprTrait, OnConflict},
};
use uuid::Uuid;

use crate::entity::task;

/// Which versions of a task a change may overwrite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// Whatever version the task is at (`If-Match: *`).
    Any,
    /// Only this one (`If-Match: "v<n>"`).
    Version(i32),
}

impl Expected {
    fn allows(self, version: i32) -> bool {
        match self {
            Self::Any => true,
            Self::Version(expected) => expected == version,
        }
    }
}

/// What a `PUT` does to a task that already has its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnExisting {
    /// Replace it, if it is the caller's (`If-Match: *`).
    Replace,
    /// Leave it as it is (no `If-Match`: the caller must say which version).
    Keep,
}

/// The row a create or a `PUT` inserts; `version` is the column's default, 0.
fn new_row(owner: Uuid, id: Uuid, new: &NewTask) -> task::ActiveModel {
    task::ActiveModel {
        id: Set(id),
        user_id: Set(owner),
        title: Set(new.title.to_string()),
        done: Set(new.done.unwrap_or(false)),
        due_date: Set(new.due_date.map(|d| d.0)),
        ..Default::default()
    }
}

/// Lesson 10's create over this table: the task, at version 0, and its
/// activity, in one transaction (begun on a connection; on a transaction, a
/// savepoint within it).
pub async fn create(
    db: &impl TransactionTrait,
    owner: Uuid,
    new: &NewTask,
    activity_write: ActivityWrite,
) -> Result<task::Model, WriteError> {
    let txn = db.begin().await?;
    let task = create_in(&txn, owner, new, activity_write).await?;
    txn.commit().await?;
    Ok(task)
}

/// The create's two writes, on a transaction the caller holds and commits
/// (lesson 14's attempt, which then needs no savepoint).
pub async fn create_in(
    txn: &impl ConnectionTrait,
    owner: Uuid,
    new: &NewTask,
    activity_write: ActivityWrite,
) -> Result<task::Model, WriteError> {
    let task = insert(txn, new_row(owner, Uuid::now_v7(), new)).await?;
    activity_write.write(txn, task.id).await?;
    Ok(task)
}

/// Changes the fields the patch gives, if the task is at an `expected`
/// version; `None` if the owner has no task `id` at such a version.
pub async fn update(
    db: &impl ConnectionTrait,
    owner: Uuid,
    id: Uuid,
    patch: &TaskPatch,
    expected: Expected,
) -> Result<Option<task::Model>, WriteError> {
    let mut changes = Vec::new();
    if let Some(title) = &patch.title {
        changes.push((task::Column::Title, Expr::value(title.to_string())));
    }
    if let Some(done) = patch.done {
        changes.push((task::Column::Done, Expr::value(done)));
    }
    if let Some(due_date) = patch.due_date {
        changes.push((task::Column::DueDate, Expr::value(due_date.map(|d| d.0))));
    }
    Ok(change_if(db, owner, id, changes, expected).await?)
}

/// Replaces the owner's task `id` by `new` (absent fields reset), if it is
/// at `version`: a `PUT` with a tag replaces that version, it never creates.
pub async fn replace(
    db: &impl ConnectionTrait,
    owner: Uuid,
    id: Uuid,
    new: &NewTask,
    version: i32,
) -> Result<Option<task::Model>, WriteError> {
    let changes = vec![
        (task::Column::Title, Expr::value(new.title.to_string())),
        (task::Column::Done, Expr::value(new.done.unwrap_or(false))),
        (
            task::Column::DueDate,
            Expr::value(new.due_date.map(|d| d.0)),
        ),
    ];
    Ok(change_if(db, owner, id, changes, Expected::Version(version)).await?)
}

/// Sets `changes`, `updated_at` and `version = version + 1` on the owner's
/// task `id` if its version is `expected`: one `UPDATE … WHERE id AND
/// user_id AND version`, so no other write can land between the compare and
/// the write. With no changes nothing is written: the task as it is.
pub async fn change_if(
    db: &impl ConnectionTrait,
    owner: Uuid,
    id: Uuid,
    changes: Vec<(task::Column, Expr)>,
    expected: Expected,
) -> Result<Option<task::Model>, DbErr> {
    // starter: with no changes, the task as it is if `expected` allows its version (nothing
    // written). Otherwise one `UPDATE` of the owner's task `id` that sets `changes`,
    // `updated_at` and `version = version + 1`, with `version = n` in its `WHERE` for
    // `Expected::Version(n)`, returning the row: none if no row matched.
    // stand-in: let _ = expected;
    // Ok(change::<task::Entity>(db, owner, id, changes).await?)
    if changes.is_empty() {
        let task = find::<task::Entity>(db, owner, id).await?;
        return Ok(task.filter(|task| expected.allows(task.version)));
    }
    let mut update = task::Entity::update_many()
        .col_expr(
            task::Column::UpdatedAt,
            shared::time::now(db.get_database_backend()),
        )
        .col_expr(task::Column::Version, next_version())
        .filter(task::Entity::scope(owner))
        .filter(task::Column::Id.eq(id));
    if let Expected::Version(version) = expected {
        update = update.filter(task::Column::Version.eq(version));
    }
    for (column, value) in changes {
        update = update.col_expr(column, value);
    }
    Ok(update.exec_with_returning(db).await?.pop())
}

/// `version + 1`, of the row being written.
fn next_version() -> Expr {
    Expr::col((task::Entity, task::Column::Version)).add(1)
}

/// Lesson 11's `PUT` over this table: inserted at version 0 if the id is
/// new (with its `CREATED` activity, in one transaction); if the id is the
/// owner's, replaced with the version raised (`Replace`) or left alone
/// (`Keep`); `None` when nothing was written. One statement decides. Like
/// `create`, it nests in a transaction it is given (lesson 14's attempt).
pub async fn put(
    db: &impl TransactionTrait,
    owner: Uuid,
    id: Uuid,
    new: &NewTask,
    on_existing: OnExisting,
) -> Result<Option<(task::Model, Put)>, WriteError> {
    let txn = db.begin().await?;
    let put = put_in(&txn, owner, id, new, on_existing).await?;
    txn.commit().await?;
    Ok(put)
}

/// The `PUT`'s writes (the upsert, and a created task's activity), on a
/// transaction the caller holds and commits (lesson 14's attempt).
pub async fn put_in(
    txn: &impl ConnectionTrait,
    owner: Uuid,
    id: Uuid,
    new: &NewTask,
    on_existing: OnExisting,
) -> Result<Option<(task::Model, Put)>, WriteError> {
    let Some(task) = upsert(txn, owner, id, new, on_existing).await? else {
        return Ok(None);
    };
    // As in lesson 11: an insert writes both times with one clock reading.
    let put = if task.created_at == task.updated_at {
        activities::record(txn, task.id, activity::CREATED).await?;
        Put::Created
    } else {
        Put::Replaced
    };
    Ok(Some((task, put)))
}

/// `INSERT … ON CONFLICT (id)` `DO UPDATE SET …, version = version + 1
/// WHERE tasks.user_id = excluded.user_id` (`Replace`) or `DO NOTHING`
/// (`Keep`), `RETURNING` the row written, if any.
async fn upsert(
    db: &impl ConnectionTrait,
    owner: Uuid,
    id: Uuid,
    new: &NewTask,
    on_existing: OnExisting,
) -> Result<Option<task::Model>, WriteError> {
    let mut on_conflict = OnConflict::column(task::Column::Id);
    match on_existing {
        OnExisting::Replace => on_conflict
            .update_columns([
                task::Column::Title,
                task::Column::Done,
                task::Column::DueDate,
            ])
            .value(
                task::Column::UpdatedAt,
                replaced_at(db.get_database_backend()),
            )
            .value(task::Column::Version, next_version())
            .action_and_where(
                Expr::col((task::Entity, task::Column::UserId))
                    .equals((Alias::new("excluded"), task::Column::UserId)),
            ),
        OnExisting::Keep => on_conflict.do_nothing(),
    };
    let mut rows = task::Entity::insert_many([new_row(owner, id, new)])
        .on_conflict(on_conflict)
        .exec_with_returning(db)
        .await?;
    Ok(rows.pop())
}
