use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QueryTrait,
    prelude::*, sea_query::Expr,
};
use uuid::Uuid;

use crate::{
    api::{NewTask, TaskFilter, TaskPatch},
    entity::task,
};

/// Every query below is scoped to `owner`: another user's task is not found,
/// exactly like a missing one.
pub async fn create(
    db: &impl ConnectionTrait,
    owner: Uuid,
    new: &NewTask,
) -> Result<task::Model, DbErr> {
    let row = task::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(owner),
        title: Set(new.title.clone()),
        done: Set(new.done.unwrap_or(false)),
        ..Default::default()
    };
    let mut rows = task::Entity::insert_many([row])
        .exec_with_returning(db)
        .await?;
    rows.pop().ok_or(DbErr::RecordNotInserted)
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

/// Changes the given fields and `updated_at`, in one statement that also
/// checks the owner; `None` if there is no such task for this owner.
pub async fn update(
    db: &impl ConnectionTrait,
    owner: Uuid,
    id: Uuid,
    patch: &TaskPatch,
) -> Result<Option<task::Model>, DbErr> {
    if patch.title.is_none() && patch.done.is_none() {
        return find(db, owner, id).await;
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
    Ok(update.exec_with_returning(db).await?.pop())
}

/// Deletes the task; false if there was none for this owner.
pub async fn delete(db: &impl ConnectionTrait, owner: Uuid, id: Uuid) -> Result<bool, DbErr> {
    let deleted = task::Entity::delete_many()
        .filter(task::Column::Id.eq(id))
        .filter(task::Column::UserId.eq(owner))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected > 0)
}
