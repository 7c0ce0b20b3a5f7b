//! Lesson 4's task repository, with the two writes that can collide with
//! another task of the same title.
//!
//! There is no "does this title exist?" query before the write: two requests
//! could both see "no" and both insert. The unique index `(user_id, title)`
//! refuses the second insert atomically, and its violation is the answer.

pub use ex04_seeds::prelude::tasks::*;

use ex04_seeds::prelude::{NewTask, TaskPatch, task, tasks as previous};
use sea_orm::{ConnectionTrait, DbErr, SqlErr};
use uuid::Uuid;

/// Why a task write failed, now also because of its title.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("the owner already has a task with this title")]
    DuplicateTitle,
    #[error(transparent)]
    Other(previous::WriteError),
}

/// A task write refused by the title index is a duplicate title.
impl From<previous::WriteError> for WriteError {
    fn from(err: previous::WriteError) -> Self {
        match err {
            previous::WriteError::Database(err) if is_duplicate_title(&err) => Self::DuplicateTitle,
            other => Self::Other(other),
        }
    }
}

/// Whether the database refused a task write because of `(user_id, title)`:
/// the only unique index a task write can break is the title's.
fn is_duplicate_title(err: &DbErr) -> bool {
    // starter: tell a unique violation (the title index) from any other failure, with
    // `DbErr::sql_err()`.
    // stand-in: false
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

impl From<DbErr> for WriteError {
    fn from(err: DbErr) -> Self {
        previous::WriteError::from(err).into()
    }
}

impl WriteError {
    /// The database's own error, when the write failed for neither its title
    /// nor its owner: where a later lesson reads the driver's code from
    /// (lesson 14 retries a write by it).
    pub fn database(&self) -> Option<&DbErr> {
        match self {
            Self::Other(previous::WriteError::Database(err)) => Some(err),
            _ => None,
        }
    }
}

pub async fn create(
    db: &impl ConnectionTrait,
    owner: Uuid,
    new: &NewTask,
) -> Result<task::Model, WriteError> {
    Ok(previous::create(db, owner, new).await?)
}

pub async fn update(
    db: &impl ConnectionTrait,
    owner: Uuid,
    id: Uuid,
    patch: &TaskPatch,
) -> Result<Option<task::Model>, WriteError> {
    Ok(previous::update(db, owner, id, patch).await?)
}
