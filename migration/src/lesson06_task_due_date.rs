//! Lesson 6: an optional `tasks.due_date`, and a `down` that removes that
//! column and nothing else (every other column and every row stays).

use sea_orm_migration::prelude::*;

use crate::columns::date;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .alter_table(
                Table::alter()
                    .table("tasks")
                    .add_column(date(backend, "due_date"))
                    .to_owned(),
            )
            .await
    }

    /// SQLite can drop a column in place since 3.35 (no table rebuild), as long
    /// as no index or constraint uses it; lesson 7's index is rolled back first.
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("tasks")
                    .drop_column("due_date")
                    .to_owned(),
            )
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
