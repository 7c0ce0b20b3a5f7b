//! The list query: the caller's tasks, filtered and sorted.

use ex06_due_date::entity::task;
use sea_orm::{
    ConnectionTrait, DbErr, EntityTrait, Order, QueryFilter, QueryOrder, QueryTrait, Select,
    prelude::*, sea_query::NullOrdering,
};

use crate::{
    api::{ListQuery, Sort},
    timing::timed,
};

/// The owner's tasks, with `done` if given: the `WHERE` of every list.
pub fn owned(owner: Uuid, done: Option<bool>) -> Select<task::Entity> {
    task::Entity::find()
        .filter(task::Column::UserId.eq(owner))
        .apply_if(done, |query, done| {
            query.filter(task::Column::Done.eq(done))
        })
}

/// Orders by the sort key, ties broken by `id` in the same direction, tasks
/// without a due date last in both directions.
pub fn sorted(query: Select<task::Entity>, sort: Sort) -> Select<task::Entity> {
    let (column, order, nullable) = match sort {
        Sort::CreatedAt => (task::Column::CreatedAt, Order::Asc, false),
        Sort::CreatedAtDesc => (task::Column::CreatedAt, Order::Desc, false),
        Sort::DueDate => (task::Column::DueDate, Order::Asc, true),
        Sort::DueDateDesc => (task::Column::DueDate, Order::Desc, true),
    };
    let query = if nullable {
        query.order_by_with_nulls(column, order.clone(), NullOrdering::Last)
    } else {
        query.order_by(column, order.clone())
    };
    query.order_by(task::Column::Id, order)
}

/// Every task of the owner matching `query`, in its order.
pub async fn list(
    db: &impl ConnectionTrait,
    owner: Uuid,
    query: &ListQuery,
) -> Result<Vec<task::Model>, DbErr> {
    timed(
        "tasks.list",
        sorted(owned(owner, query.done), query.sort).all(db),
    )
    .await
}
