//! Reading SQLite's schema: `PRAGMA table_info`, `index_list`, `index_info`
//! and `foreign_key_list`, and `sqlite_master` for partial indexes.

use super::{
    Inspector,
    schema::{Column, ForeignKey, Index, normalise_default, normalise_predicate},
};
use crate::harness::Failure;

impl Inspector {
    pub(super) async fn sqlite_columns(&self, table: &str) -> Result<Vec<Column>, Failure> {
        let rows = self
            .query(&format!("PRAGMA table_info(\"{table}\")"), [])
            .await?;
        rows.iter()
            .map(|row| {
                let default: Option<String> = row.try_get("", "dflt_value")?;
                Ok(Column {
                    name: row.try_get("", "name")?,
                    r#type: None,
                    nullable: row.try_get::<i32>("", "notnull")? == 0,
                    primary_key: row.try_get::<i32>("", "pk")? > 0,
                    default: default.as_deref().map(normalise_default),
                })
            })
            .collect()
    }

    pub(super) async fn sqlite_indexes(&self, table: &str) -> Result<Vec<Index>, Failure> {
        let list = self
            .query(&format!("PRAGMA index_list(\"{table}\")"), [])
            .await?;
        let mut indexes = Vec::new();
        for row in list {
            let name: String = row.try_get("", "name")?;
            if row.try_get::<String>("", "origin")? == "pk" {
                continue;
            }
            let columns = self
                .query(&format!("PRAGMA index_info(\"{name}\")"), [])
                .await?
                .iter()
                .map(|c| {
                    c.try_get::<Option<String>>("", "name")
                        .map(|n| n.unwrap_or_else(|| "<expression>".into()))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let sql = self
                .query(
                    "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?",
                    [name.clone().into()],
                )
                .await?
                .first()
                .map(|r| r.try_get::<Option<String>>("", "sql"))
                .transpose()?
                .flatten();
            let predicate = sql.as_deref().and_then(|sql| {
                let upper = sql.to_uppercase();
                upper
                    .rfind(" WHERE ")
                    .map(|at| normalise_predicate(&sql[at + 7..]))
            });
            indexes.push(Index {
                name,
                columns,
                unique: row.try_get::<i32>("", "unique")? == 1,
                predicate,
            });
        }
        Ok(indexes)
    }

    pub(super) async fn sqlite_foreign_keys(
        &self,
        table: &str,
    ) -> Result<Vec<ForeignKey>, Failure> {
        let rows = self
            .query(&format!("PRAGMA foreign_key_list(\"{table}\")"), [])
            .await?;
        rows.iter()
            .map(|row| {
                Ok(ForeignKey {
                    column: row.try_get("", "from")?,
                    references: format!(
                        "{}.{}",
                        row.try_get::<String>("", "table")?,
                        row.try_get::<Option<String>>("", "to")?
                            .unwrap_or_else(|| "id".into())
                    ),
                    on_delete: row.try_get::<String>("", "on_delete")?.to_uppercase(),
                })
            })
            .collect()
    }
}
