//! Lesson 7's task repository, with one page of the list and the count of
//! every matching row.

pub use ex07_indexing::prelude::tasks::*;

use ex07_indexing::prelude::timed;
use sea_orm::{ConnectionTrait, DbErr, PaginatorTrait, QuerySelect};
use uuid::Uuid;

use crate::api::ListQuery;

/// The page `query` asks for and the total under the same filters. They are
/// two statements: a write between them can make them disagree by a row, which
/// a list can live with (a report would run both in one repeatable-read transaction).
pub async fn page<T: HasDueDate>(
    db: &impl ConnectionTrait,
    owner: Uuid,
    query: &ListQuery,
) -> Result<(Vec<T::Model>, u64), DbErr> {
    // starter: one page: the sorted, filtered rows cut with LIMIT and OFFSET, and the count
    // of every row under the same filters (each timed).
    // stand-in: let every = sorted(owned::<T>(owner, query.sorted.done), query.sorted.sort);
    // let rows = timed("tasks.list", every.all(db)).await?;
    // let total = rows.len() as u64;
    // Ok((rows, total))
    let done = query.sorted.done;
    let rows = sorted(owned::<T>(owner, done), query.sorted.sort)
        .limit(query.limit())
        .offset(query.offset());
    let rows = timed("tasks.list", rows.all(db)).await?;
    let total = timed("tasks.count", owned::<T>(owner, done).count(db)).await?;
    Ok((rows, total))
}
