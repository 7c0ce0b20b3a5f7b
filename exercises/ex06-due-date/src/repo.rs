//! Task queries with `due_date`. Writes keep lesson 5's rule: a unique
//! violation is `DUPLICATE_TITLE`.

use ex03_repository::api::TaskFilter;
use ex05_unique_title::repo::{WriteError, classify};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QueryTrait,
    prelude::*, sea_query::Expr,
};

use crate::{
    api::{NewTask, TaskPatch},
    entity::task,
};

pub async fn create(
    db: &impl ConnectionTrait,
    owner: Uuid,
    new: &NewTask,
) -> Result<task::Model, WriteError> {
    let row = task::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(owner),
        title: Set(new.title.clone()),
        done: Set(new.done.unwrap_or(false)),
        due_date: Set(new.due_date.map(|d| d.0)),
        ..Default::default()
    };
    let mut rows = task::Entity::insert_many([row])
        .exec_with_returning(db)
        .await
        .map_err(classify)?;
    rows.pop()
        .ok_or(WriteError::Database(DbErr::RecordNotInserted))
}

pub async fn find(
    db: &impl ConnectionTrait,
    owner: Uuid,
    id: Uuid,
) -> Result<Option<task::Model>, DbErr> {
    task::Entity::find_by_id(id)
        .filter(task::Column::UserId.eq(owner))
        .one(db)
        .await
}

/// The owner's tasks, oldest first.
pub async fn list(
    db: &impl ConnectionTrait,
    owner: Uuid,
    filter: &TaskFilter,
) -> Result<Vec<task::Model>, DbErr> {
    task::Entity::find()
        .filter(task::Column::UserId.eq(owner))
        .apply_if(filter.done, |query, done| {
            query.filter(task::Column::Done.eq(done))
        })
        .order_by_asc(task::Column::CreatedAt)
        .order_by_asc(task::Column::Id)
        .all(db)
        .await
}

/// Changes the given fields (`dueDate: null` sets NULL) and `updated_at`.
pub async fn update(
    db: &impl ConnectionTrait,
    owner: Uuid,
    id: Uuid,
    patch: &TaskPatch,
) -> Result<Option<task::Model>, WriteError> {
    if patch.is_empty() {
        return Ok(find(db, owner, id).await?);
    }
    let mut update = task::Entity::update_many()
        .col_expr(
            task::Column::UpdatedAt,
            shared::time::now(db.get_database_backend()),
        )
        .filter(task::Column::Id.eq(id))
        .filter(task::Column::UserId.eq(owner));
    if let Some(title) = &patch.title {
        update = update.col_expr(task::Column::Title, Expr::value(title.clone()));
    }
    if let Some(done) = patch.done {
        update = update.col_expr(task::Column::Done, Expr::value(done));
    }
    if let Some(due_date) = patch.due_date {
        update = update.col_expr(task::Column::DueDate, Expr::value(due_date.map(|d| d.0)));
    }
    Ok(update
        .exec_with_returning(db)
        .await
        .map_err(classify)?
        .pop())
}
