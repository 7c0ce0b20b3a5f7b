//! Lesson 10: `task_activities`, one row for each thing that happened to a
//! task, written in the same transaction as the change it records. Deleting a
//! task deletes its activities (`ON DELETE CASCADE`): they are the task's
//! history, and a hard delete takes it along.

use sea_orm_migration::prelude::*;

use crate::columns::{id, timestamp_now, uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table("task_activities")
                    .col(id(backend))
                    .col(uuid(backend, "task_id"))
                    .col(ColumnDef::new("kind").text().not_null())
                    .col(timestamp_now(backend, "created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_task_activities_task_id")
                            .from("task_activities", "task_id")
                            .to("tasks", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // A task's history, oldest first, read in index order; also what the
        // cascade looks activities up by.
        manager
            .create_index(
                Index::create()
                    .name("idx_task_activities_task_created")
                    .table("task_activities")
                    .col("task_id")
                    .col("created_at")
                    .col("id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("task_activities").to_owned())
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
