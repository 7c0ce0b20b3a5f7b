//! Lesson 9: an index in the order of keyset pages, `(user_id, created_at, id)`,
//! so a page starting after a cursor reads just its own rows, already sorted.

use crate::index_migration::IndexMigration;

pub const MIGRATION: IndexMigration = IndexMigration {
    migration: "lesson09_task_keyset_index",
    index: "idx_tasks_user_created_id",
    table: "tasks",
    columns: &["user_id", "created_at", "id"],
    unique: false,
};
