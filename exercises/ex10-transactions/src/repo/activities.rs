//! The activity repository: a task's history. Every function takes any
//! connection, a transaction included, so a change and its record share one.

use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Value, sea_query::Query,
};
use uuid::Uuid;

use crate::entity::activity;

/// Records that `kind` happened to task `task_id`; the database sets the time.
/// Nothing is read back (`exec_without_returning`): the statement finishes.
pub async fn record(db: &impl ConnectionTrait, task_id: Uuid, kind: &str) -> Result<(), DbErr> {
    let row = activity::ActiveModel {
        id: Set(Uuid::now_v7()),
        task_id: Set(task_id),
        kind: Set(kind.to_owned()),
        ..Default::default()
    };
    activity::Entity::insert_many([row])
        .exec_without_returning(db)
        .await
        .map(drop)
}

/// The failure `X-Fault-Fail-Activity` asks for: an activity the database
/// refuses (its `kind` is NULL), so the transaction around it meets a real error.
pub async fn record_refused(db: &impl ConnectionTrait, task_id: Uuid) -> Result<(), DbErr> {
    let insert = Query::insert()
        .into_table(activity::Entity)
        .columns([
            activity::Column::Id,
            activity::Column::TaskId,
            activity::Column::Kind,
        ])
        .values_panic([
            Uuid::now_v7().into(),
            task_id.into(),
            Value::String(None).into(),
        ])
        .to_owned();
    db.execute(&insert).await.map(drop)
}

/// Task `task_id`'s activities, oldest first (ties by id, which is time-ordered).
pub async fn of_task(
    db: &impl ConnectionTrait,
    task_id: Uuid,
) -> Result<Vec<activity::Model>, DbErr> {
    // starter: task `task_id`'s activities, oldest first, ties broken by id.
    activity::Entity::find()
        .filter(activity::Column::TaskId.eq(task_id))
        .order_by_asc(activity::Column::CreatedAt)
        .order_by_asc(activity::Column::Id)
        .all(db)
        .await
}
