//! Lesson 5's task repository, with writes that know `due_date`. The reads
//! are lesson 3's, generic over the task table; a unique violation is still
//! lesson 5's `DUPLICATE_TITLE`.

pub use ex05_unique_title::prelude::tasks::*;

use sea_orm::{ActiveValue::Set, ConnectionTrait, sea_query::Expr};
use uuid::Uuid;

use crate::{
    api::{NewTask, TaskPatch},
    entity::task,
};

/// Inserts a task for `owner`, with its due date if the body gives one.
pub async fn create(
    db: &impl ConnectionTrait,
    owner: Uuid,
    new: &NewTask,
) -> Result<task::Model, WriteError> {
    let row = task::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(owner),
        title: Set(new.title.to_string()),
        done: Set(new.done.unwrap_or(false)),
        due_date: Set(new.due_date.map(|d| d.0)),
        ..Default::default()
    };
    Ok(insert(db, row).await?)
}

/// Changes the fields the patch gives; `dueDate: null` sets NULL.
pub async fn update(
    db: &impl ConnectionTrait,
    owner: Uuid,
    id: Uuid,
    patch: &TaskPatch,
) -> Result<Option<task::Model>, WriteError> {
    let mut changes = Vec::new();
    if let Some(title) = &patch.title {
        changes.push((task::Column::Title, Expr::value(title.to_string())));
    }
    if let Some(done) = patch.done {
        changes.push((task::Column::Done, Expr::value(done)));
    }
    if let Some(due_date) = patch.due_date {
        changes.push((task::Column::DueDate, Expr::value(due_date.map(|d| d.0))));
    }
    Ok(change::<task::Entity>(db, owner, id, changes).await?)
}
