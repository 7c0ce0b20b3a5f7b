//! Lesson 8's task repository, with the keyset page: rows after a position,
//! in `(created_at, id)` order.

pub use ex08_pagination::prelude::tasks::*;

use ex08_pagination::prelude::{TaskTable, timed};
use sea_orm::{
    ConnectionTrait, DbErr, ModelTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait, ValueType},
};
use uuid::Uuid;

use crate::cursor::{Cursor, Position};

/// Up to `limit` rows after `cursor`, and the position to continue from if
/// more rows follow. `(created_at, id) > (?, ?)` is one row-value comparison
/// that the index `(user_id, created_at, id)` answers in order: no sort, no
/// skipped rows, whatever the depth. Equal `created_at`s are told apart by `id`.
pub async fn keyset_page<T: TaskTable>(
    db: &impl ConnectionTrait,
    owner: Uuid,
    done: Option<bool>,
    cursor: Cursor,
    limit: u64,
) -> Result<(Vec<T::Model>, Option<Position>), DbErr> {
    // starter: up to `limit` of the owner's rows after `cursor` by `(created_at, id)`, one
    // row-value comparison, oldest first, and the position to go on from if more rows
    // follow (ask for one row more).
    let mut query = owned::<T>(owner, done);
    if let Cursor::After(after) = cursor {
        let at = shared::time::bind(db.get_database_backend(), after.created_at);
        query = query.filter(
            Expr::tuple([Expr::col(T::CREATED_AT), Expr::col(T::ID)])
                .gt(Expr::tuple([Expr::val(at), Expr::val(after.id)])),
        );
    }
    // One row more than asked: if it comes back, there is a next page.
    let query = query
        .order_by_asc(T::CREATED_AT)
        .order_by_asc(T::ID)
        .limit(limit + 1);
    let mut rows = timed("tasks.list", query.all(db)).await?;
    let next = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(position_of::<T>).transpose()?
    } else {
        None
    };
    Ok((rows, next))
}

/// The key of a row: its `created_at` and `id`.
fn position_of<T: TaskTable>(row: &T::Model) -> Result<Position, DbErr> {
    let unexpected = |column| DbErr::Type(format!("tasks.{column} of an unexpected type"));
    Ok(Position {
        created_at: ValueType::try_from(row.get(T::CREATED_AT))
            .map_err(|_| unexpected("created_at"))?,
        id: ValueType::try_from(row.get(T::ID)).map_err(|_| unexpected("id"))?,
    })
}
