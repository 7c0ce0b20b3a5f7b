//! A migration that adds one index and whose rollback drops it: lessons 5, 7
//! and 9 are each exactly that.

use sea_orm_migration::prelude::*;

/// `CREATE [UNIQUE] INDEX name ON table (columns)`, and `DROP INDEX` to roll back.
pub struct IndexMigration {
    /// The migration's name, starting with its lesson (`lesson07_task_list_index`).
    pub migration: &'static str,
    pub index: &'static str,
    pub table: &'static str,
    pub columns: &'static [&'static str],
    pub unique: bool,
}

impl MigrationName for IndexMigration {
    fn name(&self) -> &str {
        self.migration
    }
}

#[async_trait::async_trait]
impl MigrationTrait for IndexMigration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut index = Index::create();
        index.name(self.index).table(self.table);
        for column in self.columns {
            index.col(*column);
        }
        if self.unique {
            index.unique();
        }
        manager.create_index(index).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(self.index).table(self.table).to_owned())
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
