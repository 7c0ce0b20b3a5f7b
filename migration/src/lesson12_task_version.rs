//! Lesson 12: `tasks.version`, the counter optimistic locking compares. It is
//! an integer, not null, 0 for every row the migration finds and every row
//! inserted without one; `down` removes that column and nothing else.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// `ADD COLUMN … NOT NULL DEFAULT 0` fills existing rows with the default,
    /// in place on both databases (SQLite allows a NOT NULL column with a
    /// constant default; PostgreSQL 11+ does not rewrite the table).
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("tasks")
                    .add_column(
                        ColumnDef::new("version")
                            .integer()
                            .not_null()
                            .default(0)
                            .to_owned(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("tasks")
                    .drop_column("version")
                    .to_owned(),
            )
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
