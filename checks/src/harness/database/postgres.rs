//! PostgreSQL: a database per check, made and dropped through one admin pool,
//! `pg_stat_activity`, the schema from the catalogs, and generic plans.

use std::time::Duration;

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement,
};
use tokio::sync::OnceCell;

use super::{
    Inspector, TestDatabase,
    schema::{Column, ForeignKey, Index, normalise_default, normalise_predicate, normalise_type},
};
use crate::harness::{Failure, Postgres};

/// One admin pool for the whole run, to create and drop databases and to read `pg_stat_activity`.
static ADMIN: OnceCell<DatabaseConnection> = OnceCell::const_new();

async fn admin(postgres: &Postgres) -> Result<&'static DatabaseConnection, Failure> {
    ADMIN
        .get_or_try_init(|| async {
            let mut options = ConnectOptions::new(&postgres.admin_url);
            options
                .max_connections(4)
                .min_connections(0)
                .acquire_timeout(Duration::from_secs(20))
                .sqlx_logging(false)
                .set_application_name("workbook-checks");
            Database::connect(options).await.map_err(|err| {
                Failure::Error(format!("cannot reach PostgreSQL at WORKBOOK_PG_URL: {err}"))
            })
        })
        .await
}

/// Creates a database of the check's own; its name and URL.
pub(super) async fn create_database(
    postgres: &Postgres,
    check: &str,
) -> Result<(String, String), Failure> {
    let name = format!(
        "wb_{}_{}",
        check,
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    admin(postgres)
        .await?
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .map_err(|err| Failure::Error(format!("cannot create database {name}: {err}")))?;
    let mut url = reqwest::Url::parse(&postgres.admin_url)
        .map_err(|err| Failure::Error(format!("WORKBOOK_PG_URL is not a URL: {err}")))?;
    url.set_path(&format!("/{name}"));
    Ok((name, url.to_string()))
}

pub(super) async fn drop_database(postgres: &Postgres, name: &str) {
    if let Ok(admin) = admin(postgres).await {
        let _ = admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await;
    }
}

impl TestDatabase {
    /// The connections the application holds to this database right now
    /// (PostgreSQL; the checks' own connections are not counted).
    pub async fn app_connections(&self, postgres: &Postgres) -> Result<i64, Failure> {
        let name = self.postgres_name.as_deref().unwrap_or_default();
        let row = admin(postgres)
            .await?
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT count(*) AS n FROM pg_stat_activity \
                 WHERE datname = $1 AND application_name <> 'workbook-checks'",
                [name.into()],
            ))
            .await?;
        Ok(row
            .map(|row| row.try_get::<i64>("", "n"))
            .transpose()?
            .unwrap_or(0))
    }
}

impl Inspector {
    pub(super) async fn postgres_columns(&self, table: &str) -> Result<Vec<Column>, Failure> {
        let primary = self
            .texts(
                "SELECT kcu.column_name::text FROM information_schema.table_constraints tc \
                 JOIN information_schema.key_column_usage kcu \
                   ON tc.constraint_name = kcu.constraint_name AND tc.table_schema = kcu.table_schema \
                 WHERE tc.table_schema = current_schema() AND tc.table_name = $1 \
                   AND tc.constraint_type = 'PRIMARY KEY'",
                [table.into()],
            )
            .await?;
        let rows = self
            .query(
                "SELECT column_name::text AS name, data_type::text AS type, is_nullable::text AS nullable, \
                        column_default::text AS dflt \
                 FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
                [table.into()],
            )
            .await?;
        rows.iter()
            .map(|row| {
                let name: String = row.try_get("", "name")?;
                let default: Option<String> = row.try_get("", "dflt")?;
                Ok(Column {
                    primary_key: primary.contains(&name),
                    name,
                    r#type: Some(normalise_type(&row.try_get::<String>("", "type")?)),
                    nullable: row.try_get::<String>("", "nullable")? == "YES",
                    default: default.as_deref().map(normalise_default),
                })
            })
            .collect()
    }

    pub(super) async fn postgres_indexes(&self, table: &str) -> Result<Vec<Index>, Failure> {
        let rows = self
            .query(
                "SELECT i.relname::text AS name, ix.indisunique AS is_unique, pg_get_expr(ix.indpred, ix.indrelid) AS predicate, \
                        array_to_string(array(SELECT a.attname FROM unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord) \
                          JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.ord), ',') AS columns \
                 FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_class i ON i.oid = ix.indexrelid \
                 WHERE t.relname = $1 AND t.relnamespace = current_schema()::regnamespace AND NOT ix.indisprimary",
                [table.into()],
            )
            .await?;
        rows.iter()
            .map(|row| {
                let columns: String = row.try_get("", "columns")?;
                let predicate: Option<String> = row.try_get("", "predicate")?;
                Ok(Index {
                    name: row.try_get("", "name")?,
                    columns: columns
                        .split(',')
                        .filter(|c| !c.is_empty())
                        .map(str::to_owned)
                        .collect(),
                    unique: row.try_get("", "is_unique")?,
                    predicate: predicate.as_deref().map(normalise_predicate),
                })
            })
            .collect()
    }

    pub(super) async fn postgres_foreign_keys(
        &self,
        table: &str,
    ) -> Result<Vec<ForeignKey>, Failure> {
        let rows = self
            .query(
                "SELECT a.attname::text AS col, cf.relname::text AS ref_table, af.attname::text AS ref_col, \
                        c.confdeltype::text AS on_delete \
                 FROM pg_constraint c \
                 JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class cf ON cf.oid = c.confrelid \
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] \
                 JOIN pg_attribute af ON af.attrelid = c.confrelid AND af.attnum = c.confkey[1] \
                 WHERE c.contype = 'f' AND t.relname = $1 AND t.relnamespace = current_schema()::regnamespace",
                [table.into()],
            )
            .await?;
        rows.iter()
            .map(|row| {
                let action = match row.try_get::<String>("", "on_delete")?.as_str() {
                    "c" => "CASCADE",
                    "r" => "RESTRICT",
                    "n" => "SET NULL",
                    "d" => "SET DEFAULT",
                    _ => "NO ACTION",
                };
                Ok(ForeignKey {
                    column: row.try_get("", "col")?,
                    references: format!(
                        "{}.{}",
                        row.try_get::<String>("", "ref_table")?,
                        row.try_get::<String>("", "ref_col")?
                    ),
                    on_delete: action.to_owned(),
                })
            })
            .collect()
    }

    /// The generic plan of `statement` (the one used for any values): it is
    /// prepared and explained with every parameter NULL.
    pub(super) async fn postgres_generic_plan(&self, statement: &str) -> Result<String, Failure> {
        let parameters = regex::Regex::new(r"\$(\d+)")
            .expect("valid pattern")
            .captures_iter(statement)
            .filter_map(|c| c[1].parse::<usize>().ok())
            .max()
            .unwrap_or(0);
        self.execute("SET plan_cache_mode = force_generic_plan", [])
            .await?;
        self.execute("DEALLOCATE ALL", []).await?;
        self.execute(&format!("PREPARE logged_statement AS {statement}"), [])
            .await?;
        let nulls = vec!["NULL"; parameters].join(", ");
        let execute = if parameters == 0 {
            "EXECUTE logged_statement".to_owned()
        } else {
            format!("EXECUTE logged_statement({nulls})")
        };
        let plan = self.plan(&execute, []).await;
        self.execute("DEALLOCATE logged_statement", []).await?;
        plan
    }
}
