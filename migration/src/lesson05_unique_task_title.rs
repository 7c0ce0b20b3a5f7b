//! Lesson 5: a user's task titles are unique, `(user_id, title)`. The index,
//! not a lookup before the insert, is what decides between two concurrent
//! creates of the same title.

use crate::index_migration::IndexMigration;

pub const MIGRATION: IndexMigration = IndexMigration {
    migration: "lesson05_unique_task_title",
    index: "idx_tasks_user_title",
    table: "tasks",
    columns: &["user_id", "title"],
    unique: true,
};
