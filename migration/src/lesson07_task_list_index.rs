//! Lesson 7: an index that serves the list query `WHERE user_id = ? AND done = ?
//! ORDER BY due_date`: the two equalities, then the order, in index order.

use crate::index_migration::IndexMigration;

pub const MIGRATION: IndexMigration = IndexMigration {
    migration: "lesson07_task_list_index",
    index: "idx_tasks_user_done_due",
    table: "tasks",
    columns: &["user_id", "done", "due_date"],
    unique: false,
};
