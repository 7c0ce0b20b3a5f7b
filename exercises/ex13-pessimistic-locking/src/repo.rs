//! Lesson 12's task repository, with `toggle`: `done` flipped under the
//! task's lock, and the version raised, as by every change.

pub use ex12_optimistic_locking::prelude::tasks::*;

use std::time::Duration;

use ex12_optimistic_locking::prelude::{TaskTable, task};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use crate::lock::{self, LockError};

/// Flips `done` of the owner's task `id` under its lock: taken (waiting at
/// most `lock_timeout`), held `hold` longer if asked (the fault header), then
/// the change written on the lock's transaction and committed, which lets the
/// next toggle in. `None` if the owner has no such task.
pub async fn toggle(
    db: &DatabaseConnection,
    owner: Uuid,
    id: Uuid,
    lock_timeout: Duration,
    hold: Option<Duration>,
) -> Result<Option<task::Model>, LockError> {
    // starter: take the lock (`lock::task`; none: no such task), wait out `hold` if given,
    // `flip` on the lock's transaction, commit.
    let Some(txn) = lock::task(db, owner, id, lock_timeout).await? else {
        return Ok(None);
    };
    if let Some(hold) = hold {
        tokio::time::sleep(hold).await;
    }
    let toggled = flip(&txn, owner, id).await?;
    txn.commit().await?;
    Ok(toggled)
}

/// `UPDATE tasks SET done = NOT done, version = version + 1, updated_at = …
/// WHERE id AND user_id RETURNING …`: the row as written, or `None`. The new
/// value is the database's, from the row as it is, never one the application
/// read earlier.
pub async fn flip(
    db: &impl ConnectionTrait,
    owner: Uuid,
    id: Uuid,
) -> Result<Option<task::Model>, DbErr> {
    // starter: one `UPDATE` of the owner's task `id` setting `done = NOT done`, `version =
    // version + 1` and `updated_at` (`changed_at`), returning the row (`update_many` …
    // `exec_with_returning`, read to its end).
    let column = |column: task::Column| Expr::col((task::Entity, column));
    let mut rows = task::Entity::update_many()
        .col_expr(task::Column::Done, column(task::Column::Done).not())
        .col_expr(task::Column::Version, column(task::Column::Version).add(1))
        .col_expr(
            task::Column::UpdatedAt,
            changed_at(db.get_database_backend()),
        )
        .filter(task::Entity::scope(owner))
        .filter(task::Column::Id.eq(id))
        .exec_with_returning(db)
        .await?;
    Ok(rows.pop())
}

/// `updated_at` of a change made in a transaction that may have waited for
/// its lock: on PostgreSQL `now()` is the time the transaction *began*
/// (before the wait), so the time of this statement (`statement_timestamp()`)
/// instead, which keeps the order of the changes; SQLite's clock is read per
/// statement anyway.
pub fn changed_at(backend: DbBackend) -> Expr {
    match backend {
        DbBackend::Postgres => Expr::cust("statement_timestamp()"),
        _ => shared::time::now(backend),
    }
}
