//! What the task reads need to know of a lesson's `tasks` entity.
//!
//! The table gains a column at lessons 6, 12 and 17, and in SeaORM an entity
//! is a type: each of those lessons declares an entity of its own. The reads
//! (one task, the list, the pages of lessons 8 and 9) and delete do not
//! change with the columns, so they are written once, generic over this
//! trait, and each lesson's entity implements it by naming five columns.

use sea_orm::{ColumnTrait, Condition, EntityTrait};
use serde::Serialize;
use uuid::Uuid;

/// A `tasks` entity, as the generic task code sees it. Its row is the task
/// the API answers, so it must serialize.
pub trait TaskTable: EntityTrait<Model: Serialize + Send + Sync> {
    const ID: Self::Column;
    const USER_ID: Self::Column;
    const DONE: Self::Column;
    const CREATED_AT: Self::Column;
    const UPDATED_AT: Self::Column;

    /// The rows `owner` may see and change: its own. Every task read, update
    /// and delete filters by it, so another user's task is never loaded.
    /// (Lesson 17 also leaves out deleted rows, here.)
    fn scope(owner: Uuid) -> Condition {
        Condition::all().add(Self::USER_ID.eq(owner))
    }
}
