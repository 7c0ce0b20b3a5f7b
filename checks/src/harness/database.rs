//! A fresh database per check, and an [`Inspector`] that looks inside it
//! directly: rows, the schema, query plans.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    time::Duration,
};

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, QueryResult, SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
    Value,
};
use serde::Serialize;
use tokio::sync::OnceCell;

use super::{Backend, Failure, Postgres};

impl From<DbErr> for Failure {
    fn from(err: DbErr) -> Self {
        Failure::Failed(format!("database: {err}"))
    }
}

/// The database one check runs against.
#[derive(Debug)]
pub struct TestDatabase {
    backend: Backend,
    url: String,
    sqlite_file: Option<PathBuf>,
    postgres_name: Option<String>,
}

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

impl TestDatabase {
    pub async fn create(
        check: &str,
        backend: Backend,
        workdir: &Path,
        postgres: Option<&Postgres>,
    ) -> Result<Self, Failure> {
        match backend {
            Backend::Sqlite => {
                let file = workdir.join("app.db");
                Ok(Self {
                    backend,
                    url: format!("sqlite://{}?mode=rwc", file.display()),
                    sqlite_file: Some(file),
                    postgres_name: None,
                })
            }
            Backend::Postgres => {
                let postgres = postgres.ok_or_else(|| {
                    Failure::Error("PostgreSQL checks need WORKBOOK_PG_URL".to_owned())
                })?;
                let name = format!(
                    "wb_{}_{}",
                    check,
                    &uuid::Uuid::new_v4().simple().to_string()[..8]
                );
                admin(postgres)
                    .await?
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .map_err(|err| {
                        Failure::Error(format!("cannot create database {name}: {err}"))
                    })?;
                let mut url = reqwest::Url::parse(&postgres.admin_url).map_err(|err| {
                    Failure::Error(format!("WORKBOOK_PG_URL is not a URL: {err}"))
                })?;
                url.set_path(&format!("/{name}"));
                Ok(Self {
                    backend,
                    url: url.to_string(),
                    sqlite_file: None,
                    postgres_name: Some(name),
                })
            }
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The `DATABASE_URL` to give the binary.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn sqlite_file(&self) -> Option<&Path> {
        self.sqlite_file.as_deref()
    }

    /// The PostgreSQL database name.
    pub fn postgres_name(&self) -> Option<&str> {
        self.postgres_name.as_deref()
    }

    /// A connection of the check's own, for reading and writing rows directly.
    /// On SQLite it enforces foreign keys, as the contract asks of every connection.
    pub async fn inspect(&self) -> Result<Inspector, Failure> {
        let mut options = ConnectOptions::new(&self.url);
        options
            .max_connections(1)
            .min_connections(0)
            .acquire_timeout(Duration::from_secs(20))
            .sqlx_logging(false)
            .set_application_name("workbook-checks")
            .map_sqlx_sqlite_opts(|sqlite| {
                sqlite
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10))
            });
        let db = Database::connect(options)
            .await
            .map_err(|err| Failure::Error(format!("cannot open the check's database: {err}")))?;
        Ok(Inspector {
            db,
            backend: self.backend,
        })
    }

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

    pub async fn drop_database(&self, postgres: Option<&Postgres>) {
        if let (Some(name), Some(postgres)) = (&self.postgres_name, postgres)
            && let Ok(admin) = admin(postgres).await
        {
            let _ = admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await;
        }
    }
}

/// A direct connection to the check's database.
pub struct Inspector {
    db: DatabaseConnection,
    backend: Backend,
}

impl Inspector {
    pub fn backend(&self) -> Backend {
        self.backend
    }

    fn db_backend(&self) -> DbBackend {
        match self.backend {
            Backend::Sqlite => DbBackend::Sqlite,
            Backend::Postgres => DbBackend::Postgres,
        }
    }

    /// The `n`th placeholder (1-based): `?n` on SQLite, `$n` on PostgreSQL;
    /// both may be used more than once in a statement.
    pub fn param(&self, n: usize) -> String {
        match self.backend {
            Backend::Sqlite => format!("?{n}"),
            Backend::Postgres => format!("${n}"),
        }
    }

    /// A SQL expression giving `column` (a UUID) as 32 lower-case hex digits,
    /// whether it is stored as a PostgreSQL `uuid`, a SQLite BLOB or SQLite text.
    pub fn uuid_hex(&self, column: &str) -> String {
        match self.backend {
            Backend::Sqlite => format!(
                "(CASE WHEN typeof({column}) = 'blob' THEN lower(hex({column})) \
                 ELSE lower(replace({column}, '-', '')) END)"
            ),
            Backend::Postgres => format!("replace({column}::text, '-', '')"),
        }
    }

    /// A UUID as the value [`Inspector::uuid_hex`] compares with.
    pub fn hex(id: uuid::Uuid) -> Value {
        id.simple().to_string().into()
    }

    /// A UUID as a value to insert: native on PostgreSQL; on SQLite in the
    /// form the column already holds (`sample_column` tells which), BLOB if empty.
    pub async fn uuid_value(
        &self,
        id: uuid::Uuid,
        table: &str,
        column: &str,
    ) -> Result<Value, Failure> {
        if self.backend == Backend::Postgres {
            return Ok(Value::from(id));
        }
        let kind = self
            .query(
                &format!("SELECT typeof({column}) AS kind FROM {table} LIMIT 1"),
                [],
            )
            .await?;
        let text = kind
            .first()
            .map(|row| row.try_get::<String>("", "kind"))
            .transpose()?
            .as_deref()
            == Some("text");
        Ok(if text {
            Value::from(id.to_string())
        } else {
            Value::from(id.as_bytes().to_vec())
        })
    }

    /// SQLite: a transaction holding the database's write lock from its first
    /// moment (`BEGIN IMMEDIATE`) until it commits or rolls back. The
    /// inspector's one connection is busy meanwhile: use the transaction.
    pub async fn begin_immediate(&self) -> Result<DatabaseTransaction, Failure> {
        Ok(self
            .db
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..TransactionOptions::default()
            })
            .await?)
    }

    /// A transaction that keeps every other connection from writing `table`
    /// until it ends: SQLite's write lock on the whole database (`BEGIN
    /// IMMEDIATE`), PostgreSQL's `LOCK TABLE … IN EXCLUSIVE MODE` (reads pass).
    pub async fn block_writes(&self, table: &str) -> Result<DatabaseTransaction, Failure> {
        if self.backend == Backend::Sqlite {
            return self.begin_immediate().await;
        }
        let transaction = self.db.begin().await?;
        transaction
            .execute_unprepared(&format!("LOCK TABLE {table} IN EXCLUSIVE MODE"))
            .await?;
        Ok(transaction)
    }

    pub async fn execute(
        &self,
        sql: &str,
        values: impl IntoIterator<Item = Value>,
    ) -> Result<u64, DbErr> {
        Ok(self
            .db
            .execute_raw(Statement::from_sql_and_values(
                self.db_backend(),
                sql,
                values,
            ))
            .await?
            .rows_affected())
    }

    pub async fn query(
        &self,
        sql: &str,
        values: impl IntoIterator<Item = Value>,
    ) -> Result<Vec<QueryResult>, DbErr> {
        self.db
            .query_all_raw(Statement::from_sql_and_values(
                self.db_backend(),
                sql,
                values,
            ))
            .await
    }

    /// The first column of the first row, as a number (`count(*)` and the like).
    pub async fn number(
        &self,
        sql: &str,
        values: impl IntoIterator<Item = Value>,
    ) -> Result<i64, Failure> {
        let rows = self.query(sql, values).await?;
        let row = rows
            .first()
            .ok_or_else(|| Failure::Failed(format!("no row from: {sql}")))?;
        Ok(row.try_get_by_index::<i64>(0)?)
    }

    /// The first column of every row, as text.
    pub async fn texts(
        &self,
        sql: &str,
        values: impl IntoIterator<Item = Value>,
    ) -> Result<Vec<String>, Failure> {
        let rows = self.query(sql, values).await?;
        rows.iter()
            .map(|row| row.try_get_by_index::<String>(0).map_err(Failure::from))
            .collect()
    }

    /// `expression` (as text) of the row of `table` whose `id` is `id`.
    pub async fn value_of(
        &self,
        table: &str,
        expression: &str,
        id: uuid::Uuid,
    ) -> Result<Vec<String>, Failure> {
        let sql = format!(
            "SELECT {expression} FROM {table} WHERE {} = {}",
            self.uuid_hex("id"),
            self.param(1)
        );
        self.texts(&sql, [Self::hex(id)]).await
    }

    /// Table names in the database.
    pub async fn tables(&self) -> Result<Vec<String>, Failure> {
        let sql = match self.backend {
            Backend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
            Backend::Postgres => {
                "SELECT table_name::text FROM information_schema.tables \
                 WHERE table_schema = current_schema() ORDER BY table_name"
            }
        };
        self.texts(sql, []).await
    }

    /// The schema of the contract's tables, normalised so that equivalent
    /// spellings (`varchar` and `text`, a UNIQUE constraint and a unique
    /// index, index names) compare equal.
    pub async fn schema(&self) -> Result<Schema, Failure> {
        let mut tables = BTreeMap::new();
        let present = self.tables().await?;
        for table in ["users", "tasks", "task_activities"] {
            if present.iter().any(|t| t == table) {
                tables.insert(table.to_owned(), self.table(table).await?);
            }
        }
        Ok(Schema { tables })
    }

    async fn table(&self, table: &str) -> Result<Table, Failure> {
        let (columns, mut indexes, mut foreign_keys) = match self.backend {
            Backend::Sqlite => (
                self.sqlite_columns(table).await?,
                self.sqlite_indexes(table).await?,
                self.sqlite_foreign_keys(table).await?,
            ),
            Backend::Postgres => (
                self.postgres_columns(table).await?,
                self.postgres_indexes(table).await?,
                self.postgres_foreign_keys(table).await?,
            ),
        };
        indexes.sort();
        foreign_keys.sort();
        Ok(Table {
            columns,
            indexes,
            foreign_keys,
        })
    }

    /// Every index of `table` (primary keys excluded).
    pub async fn indexes(&self, table: &str) -> Result<Vec<Index>, Failure> {
        match self.backend {
            Backend::Sqlite => self.sqlite_indexes(table).await,
            Backend::Postgres => self.postgres_indexes(table).await,
        }
    }

    async fn sqlite_columns(&self, table: &str) -> Result<Vec<Column>, Failure> {
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

    async fn sqlite_indexes(&self, table: &str) -> Result<Vec<Index>, Failure> {
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

    async fn sqlite_foreign_keys(&self, table: &str) -> Result<Vec<ForeignKey>, Failure> {
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

    async fn postgres_columns(&self, table: &str) -> Result<Vec<Column>, Failure> {
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

    async fn postgres_indexes(&self, table: &str) -> Result<Vec<Index>, Failure> {
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

    async fn postgres_foreign_keys(&self, table: &str) -> Result<Vec<ForeignKey>, Failure> {
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

    /// The plan of a query, as text: `EXPLAIN QUERY PLAN` on SQLite,
    /// `EXPLAIN` on PostgreSQL.
    pub async fn plan(
        &self,
        sql: &str,
        values: impl IntoIterator<Item = Value>,
    ) -> Result<String, Failure> {
        let explain = match self.backend {
            Backend::Sqlite => format!("EXPLAIN QUERY PLAN {sql}"),
            Backend::Postgres => format!("EXPLAIN {sql}"),
        };
        let rows = self.query(&explain, values).await?;
        let column = match self.backend {
            Backend::Sqlite => "detail",
            Backend::Postgres => "QUERY PLAN",
        };
        let lines = rows
            .iter()
            .map(|row| row.try_get::<String>("", column))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(lines.join("\n"))
    }

    /// The plan of a statement as the application logged it, placeholders and
    /// all: on SQLite unbound parameters are NULL, which leaves the plan as it
    /// is; on PostgreSQL the statement is prepared and its generic plan (the
    /// one used for any values) explained.
    pub async fn plan_of_logged(&self, statement: &str) -> Result<String, Failure> {
        if self.backend == Backend::Sqlite {
            return self.plan(statement, []).await;
        }
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

    /// `ANALYZE`, so the planner knows the table's size and spread.
    pub async fn analyze(&self) -> Result<(), Failure> {
        self.execute("ANALYZE", []).await?;
        Ok(())
    }

    pub async fn close(self) {
        let _ = self.db.close().await;
    }
}

/// The contract's tables, as the database has them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Schema {
    pub tables: BTreeMap<String, Table>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Table {
    pub columns: Vec<Column>,
    pub indexes: Vec<Index>,
    pub foreign_keys: Vec<ForeignKey>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Column {
    pub name: String,
    /// PostgreSQL only: SQLite's declared types are free text.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
    pub nullable: bool,
    pub primary_key: bool,
    /// `now` for the clock, `value` for any other default.
    pub default: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Index {
    /// Free to choose, so not part of a snapshot; plans name indexes by it.
    #[serde(skip)]
    pub name: String,
    pub columns: Vec<String>,
    pub unique: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predicate: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ForeignKey {
    pub column: String,
    pub references: String,
    pub on_delete: String,
}

fn normalise_type(data_type: &str) -> String {
    match data_type {
        "character varying" | "character" | "text" => "text",
        "timestamp with time zone" => "timestamptz",
        "timestamp without time zone" => "timestamp",
        "integer" | "smallint" => "integer",
        other => other,
    }
    .to_owned()
}

fn normalise_default(default: &str) -> String {
    let lower = default.to_lowercase();
    if [
        "now",
        "current_timestamp",
        "strftime",
        "clock_timestamp",
        "datetime(",
    ]
    .iter()
    .any(|clock| lower.contains(clock))
    {
        "now".to_owned()
    } else {
        "value".to_owned()
    }
}

fn normalise_predicate(predicate: &str) -> String {
    let mut text = predicate.trim().to_lowercase().replace('"', "");
    while text.starts_with('(') && text.ends_with(')') {
        text = text[1..text.len() - 1].trim().to_owned();
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_normalise() {
        assert_eq!(normalise_type("character varying"), "text");
        assert_eq!(
            normalise_default("(strftime('%Y-%m-%dT%H:%M:%f000Z', 'now'))"),
            "now"
        );
        assert_eq!(normalise_default("CURRENT_TIMESTAMP"), "now");
        assert_eq!(normalise_default("false"), "value");
        assert_eq!(
            normalise_predicate("(\"deleted_at\" IS NULL)"),
            "deleted_at is null"
        );
    }
}
