//! The keyset page: rows after a position, in `(created_at, id)` order.

use ex06_due_date::entity::task;
use ex07_indexing::{repo::owned, timing::timed};
use sea_orm::{
    ConnectionTrait, DbErr, QueryFilter, QueryOrder, QuerySelect,
    prelude::*,
    sea_query::{Expr, ExprTrait},
};

use crate::cursor::{Cursor, Position};

/// Up to `limit` rows after `cursor`, and the position to continue from if
/// more rows follow. `(created_at, id) > (?, ?)` is one row-value comparison
/// that the index `(user_id, created_at, id)` answers in order: no sort, no
/// skipped rows, whatever the depth. Equal `created_at`s are told apart by `id`.
pub async fn page(
    db: &impl ConnectionTrait,
    owner: Uuid,
    done: Option<bool>,
    cursor: Cursor,
    limit: u64,
) -> Result<(Vec<task::Model>, Option<Position>), DbErr> {
    let mut query = owned(owner, done);
    if let Cursor::After(after) = cursor {
        let at = shared::time::bind(db.get_database_backend(), after.created_at);
        query = query.filter(
            Expr::tuple([
                Expr::col(task::Column::CreatedAt),
                Expr::col(task::Column::Id),
            ])
            .gt(Expr::tuple([Expr::val(at), Expr::val(after.id)])),
        );
    }
    // One row more than asked: if it comes back, there is a next page.
    let query = query
        .order_by_asc(task::Column::CreatedAt)
        .order_by_asc(task::Column::Id)
        .limit(limit + 1);
    let mut rows = timed("tasks.list", query.all(db)).await?;
    let next = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|row| Position {
            created_at: row.created_at,
            id: row.id,
        })
    } else {
        None
    };
    Ok((rows, next))
}
