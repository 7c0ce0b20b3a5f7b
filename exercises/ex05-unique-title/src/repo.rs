//! Task writes that can collide with another task of the same title.
//!
//! There is no "does this title exist?" query before the write: two requests
//! could both see "no" and both insert. The unique index `(user_id, title)`
//! refuses the second insert atomically, and its violation is the answer.

use ex03_repository::{
    api::{NewTask, TaskPatch},
    caller,
    entity::task,
    repo::tasks,
};
use sea_orm::{ConnectionTrait, DbErr, SqlErr, prelude::Uuid};
use shared::{ApiError, ErrorCode};

/// A task write failed because the caller already has a task with that title.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("the caller already has a task with this title")]
    DuplicateTitle,
    #[error(transparent)]
    Database(#[from] DbErr),
}

impl From<WriteError> for ApiError {
    fn from(err: WriteError) -> Self {
        match err {
            WriteError::DuplicateTitle => ApiError::new(
                ErrorCode::DuplicateTitle,
                "you already have a task with this title",
            ),
            WriteError::Database(err) => caller::vanished_or(err),
        }
    }
}

/// A unique violation on a task write can only be the title index.
pub fn classify(err: DbErr) -> WriteError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => WriteError::DuplicateTitle,
        _ => WriteError::Database(err),
    }
}

pub async fn create(
    db: &impl ConnectionTrait,
    owner: Uuid,
    new: &NewTask,
) -> Result<task::Model, WriteError> {
    tasks::create(db, owner, new).await.map_err(classify)
}

pub async fn update(
    db: &impl ConnectionTrait,
    owner: Uuid,
    id: Uuid,
    patch: &TaskPatch,
) -> Result<Option<task::Model>, WriteError> {
    tasks::update(db, owner, id, patch).await.map_err(classify)
}
