//! Lesson 6's task repository, with the list sorted and timed.

pub use ex06_due_date::prelude::tasks::*;

use ex06_due_date::prelude::{TaskTable, task};
use sea_orm::{ConnectionTrait, DbErr, Order, QueryOrder, Select, sea_query::NullOrdering};
use uuid::Uuid;

use crate::{
    api::{ListQuery, Sort},
    timing::timed,
};

/// A task table with `due_date` (lesson 6 on): what sorting by it needs.
pub trait HasDueDate: TaskTable {
    const DUE_DATE: Self::Column;
}

impl HasDueDate for task::Entity {
    const DUE_DATE: task::Column = task::Column::DueDate;
}

/// Orders by the sort key, ties broken by `id` in the same direction, tasks
/// without a due date last in both directions.
pub fn sorted<T: HasDueDate>(query: Select<T>, sort: Sort) -> Select<T> {
    // starter: order by the sort key, ties broken by `id` in the same direction, tasks
    // without a due date last in both directions.
    // stand-in: query.order_by_asc(T::CREATED_AT).order_by_asc(T::ID)
    let (column, order, nullable) = match sort {
        Sort::CreatedAt => (T::CREATED_AT, Order::Asc, false),
        Sort::CreatedAtDesc => (T::CREATED_AT, Order::Desc, false),
        Sort::DueDate => (T::DUE_DATE, Order::Asc, true),
        Sort::DueDateDesc => (T::DUE_DATE, Order::Desc, true),
    };
    let query = if nullable {
        query.order_by_with_nulls(column, order.clone(), NullOrdering::Last)
    } else {
        query.order_by(column, order.clone())
    };
    query.order_by(T::ID, order)
}

/// Every task of the owner matching `query`, in its order.
pub async fn list<T: HasDueDate>(
    db: &impl ConnectionTrait,
    owner: Uuid,
    query: &ListQuery,
) -> Result<Vec<T::Model>, DbErr> {
    timed(
        "tasks.list",
        sorted(owned::<T>(owner, query.done), query.sort).all(db),
    )
    .await
}
