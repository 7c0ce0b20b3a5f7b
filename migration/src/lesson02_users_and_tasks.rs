//! Lesson 2: `users` and `tasks`, with the foreign key `tasks.user_id`, a
//! unique `users.email`, an index on `tasks(user_id)` and UTC timestamps that
//! default to now.

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
                    .table("users")
                    .col(id(backend))
                    .col(ColumnDef::new("email").text().not_null().unique_key())
                    .col(ColumnDef::new("password_hash").text().not_null())
                    .col(timestamp_now(backend, "created_at"))
                    .col(timestamp_now(backend, "updated_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("tasks")
                    .col(id(backend))
                    .col(uuid(backend, "user_id"))
                    .col(ColumnDef::new("title").text().not_null())
                    .col(ColumnDef::new("done").boolean().not_null().default(false))
                    .col(timestamp_now(backend, "created_at"))
                    .col(timestamp_now(backend, "updated_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_tasks_user_id")
                            .from("tasks", "user_id")
                            .to("users", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_tasks_user_id")
                    .table("tasks")
                    .col("user_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("tasks").to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table("users").to_owned())
            .await
    }

    /// All or nothing, on SQLite too.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
