//! A fresh database per check, and an [`Inspector`] that looks inside it
//! directly: rows, the schema, query plans. What differs by backend lives in
//! [`sqlite`] and [`postgres`]; the schema's normalised shape in [`schema`].

mod postgres;
pub mod schema;
mod sqlite;

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

pub use schema::{Column, ForeignKey, Index, Schema, Table};

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
                let (name, url) = postgres::create_database(postgres, check).await?;
                Ok(Self {
                    backend,
                    url,
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

    pub async fn drop_database(&self, postgres: Option<&Postgres>) {
        if let (Some(name), Some(postgres)) = (&self.postgres_name, postgres) {
            postgres::drop_database(postgres, name).await;
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
    /// is; on PostgreSQL the generic plan of the prepared statement.
    pub async fn plan_of_logged(&self, statement: &str) -> Result<String, Failure> {
        match self.backend {
            Backend::Sqlite => self.plan(statement, []).await,
            Backend::Postgres => self.postgres_generic_plan(statement).await,
        }
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
