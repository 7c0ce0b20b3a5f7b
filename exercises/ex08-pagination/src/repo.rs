//! One page of the list, and the count of every matching row.

use ex06_due_date::entity::task;
use ex07_indexing::{
    repo::{owned, sorted},
    timing::timed,
};
use sea_orm::{ConnectionTrait, DbErr, PaginatorTrait, QuerySelect, prelude::*};

use crate::api::ListQuery;

/// The page `query` asks for and the total under the same filters. They are
/// two statements: a write between them can make them disagree by a row, which
/// a list can live with (a report would run both in one repeatable-read transaction).
pub async fn page(
    db: &impl ConnectionTrait,
    owner: Uuid,
    query: &ListQuery,
) -> Result<(Vec<task::Model>, u64), DbErr> {
    let rows = sorted(owned(owner, query.done), query.sort)
        .limit(query.limit())
        .offset(query.offset());
    let rows = timed("tasks.list", rows.all(db)).await?;
    let total = timed("tasks.count", owned(owner, query.done).count(db)).await?;
    Ok((rows, total))
}
