//! The task repository. Every query is scoped to the owner
//! ([`TaskTable::scope`]): another user's task is not found, exactly like a
//! missing one.
//!
//! The reads, delete and the two write mechanics ([`insert`], [`change`]) are
//! generic over [`TaskTable`], so later lessons' task tables use them
//! unchanged (`find::<task::Entity>`). [`create`] and [`update`] say which of
//! lesson 2's columns a body sets: a lesson that adds a column writes its own.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QueryTrait, Select, SqlErr, sea_query::Expr,
};
use uuid::Uuid;

use crate::{
    api::{NewTask, TaskPatch},
    entity::task,
    table::TaskTable,
};

/// The owner's task `id`, if there is one. The primary key makes it one row
/// at most, so the query has no `LIMIT` (see [`crate::repo`] on why not `.one()`).
pub async fn find<T: TaskTable>(
    db: &impl ConnectionTrait,
    owner: Uuid,
    id: Uuid,
) -> Result<Option<T::Model>, DbErr> {
    // starter: the owner's task `id`, or `None`: filter by `T::scope(owner)` as well as the
    // id, so another user's task is not found.
    Ok(T::find()
        .filter(T::scope(owner))
        .filter(T::ID.eq(id))
        .all(db)
        .await?
        .pop())
}

/// The owner's tasks, with `done` if given: the `WHERE` of every list.
pub fn owned<T: TaskTable>(owner: Uuid, done: Option<bool>) -> Select<T> {
    T::find()
        .filter(T::scope(owner))
        .apply_if(done, |query, done| query.filter(T::DONE.eq(done)))
}

/// The owner's tasks, oldest first.
pub async fn list<T: TaskTable>(
    db: &impl ConnectionTrait,
    owner: Uuid,
    done: Option<bool>,
) -> Result<Vec<T::Model>, DbErr> {
    // starter: the owner's tasks (`owned`), oldest first, the id breaking ties.
    owned::<T>(owner, done)
        .order_by_asc(T::CREATED_AT)
        .order_by_asc(T::ID)
        .all(db)
        .await
}

/// Deletes the owner's task `id`; false if there was none.
pub async fn delete<T: TaskTable>(
    db: &impl ConnectionTrait,
    owner: Uuid,
    id: Uuid,
) -> Result<bool, DbErr> {
    // starter: delete the owner's task `id` in one statement scoped to the owner; true if a
    // row went.
    let deleted = T::delete_many()
        .filter(T::scope(owner))
        .filter(T::ID.eq(id))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected > 0)
}

/// Why a task write failed.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The owner was deleted after the request looked it up, so the task's
    /// foreign key refused the row.
    #[error("the task's owner does not exist")]
    NoOwner,
    #[error(transparent)]
    Database(DbErr),
}

impl From<DbErr> for WriteError {
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => Self::NoOwner,
            _ => Self::Database(err),
        }
    }
}

/// Inserts `row` and returns it as the database stored it: one statement,
/// its `RETURNING` row read to the end (see [`crate::repo`] on why).
pub async fn insert<A>(
    db: &impl ConnectionTrait,
    row: A,
) -> Result<<A::Entity as EntityTrait>::Model, DbErr>
where
    A: ActiveModelTrait,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
{
    // starter: insert `row` and return it as stored, in one statement whose RETURNING row
    // is read to the end (not `ActiveModel::insert`, which leaves it unfinished and starves
    // SQLite's checkpoint).
    let mut rows = A::Entity::insert_many([row])
        .exec_with_returning(db)
        .await?;
    rows.pop().ok_or(DbErr::RecordNotInserted)
}

/// Sets `changes` and `updated_at` on the owner's task `id`, in one statement
/// that also checks the owner, and returns the row as stored; `None` if the
/// owner has no such task. With no changes, the task as it is.
pub async fn change<T: TaskTable>(
    db: &impl ConnectionTrait,
    owner: Uuid,
    id: Uuid,
    changes: Vec<(T::Column, Expr)>,
) -> Result<Option<T::Model>, DbErr> {
    // starter: one UPDATE of the owner's task `id` that sets `changes` and `updated_at` and
    // returns the row (`update_many` … `exec_with_returning`); with no changes, the task as
    // it is.
    if changes.is_empty() {
        return find::<T>(db, owner, id).await;
    }
    let mut update = T::update_many()
        .col_expr(T::UPDATED_AT, shared::time::now(db.get_database_backend()))
        .filter(T::scope(owner))
        .filter(T::ID.eq(id));
    for (column, value) in changes {
        update = update.col_expr(column, value);
    }
    Ok(update.exec_with_returning(db).await?.pop())
}

/// Inserts a task for `owner`; the database sets both timestamps.
pub async fn create(
    db: &impl ConnectionTrait,
    owner: Uuid,
    new: &NewTask,
) -> Result<task::Model, WriteError> {
    let row = task::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(owner),
        title: Set(new.title.to_string()),
        done: Set(new.done.unwrap_or(false)),
        ..Default::default()
    };
    Ok(insert(db, row).await?)
}

/// Changes the fields the patch gives.
pub async fn update(
    db: &impl ConnectionTrait,
    owner: Uuid,
    id: Uuid,
    patch: &TaskPatch,
) -> Result<Option<task::Model>, WriteError> {
    let mut changes = Vec::new();
    if let Some(title) = &patch.title {
        changes.push((task::Column::Title, Expr::value(title.to_string())));
    }
    if let Some(done) = patch.done {
        changes.push((task::Column::Done, Expr::value(done)));
    }
    Ok(change::<task::Entity>(db, owner, id, changes).await?)
}
