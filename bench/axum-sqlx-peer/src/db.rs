//! The pools, the two SQL dialects, and one row type both databases decode.

use std::{str::FromStr, time::Duration};

use sqlx::{
    FromRow, PgPool, Row, SqlitePool,
    postgres::PgPoolOptions,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};
use uuid::Uuid;

/// Where the statements go.
#[derive(Clone)]
pub enum Db {
    /// One writer connection, and readers beside it.
    Sqlite {
        write: SqlitePool,
        read: SqlitePool,
    },
    Postgres(PgPool),
}

impl Db {
    pub async fn connect(url: &str) -> Result<Self, sqlx::Error> {
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .foreign_keys(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(5));
            let write = SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(options.clone())
                .await?;
            let read = SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(options.read_only(true))
                .await?;
            Ok(Self::Sqlite { write, read })
        } else {
            Ok(Self::Postgres(
                PgPoolOptions::new()
                    .max_connections(10)
                    .connect(url)
                    .await?,
            ))
        }
    }

    /// The statement `sql`, written with `$1`-style placeholders, in this database's dialect.
    pub fn sql(&self, sql: &str) -> String {
        match self {
            Self::Sqlite { .. } => sql.replace('$', "?"),
            Self::Postgres(_) => sql.to_owned(),
        }
    }

    /// A column of time or date as the API writes it: stored so on SQLite,
    /// formatted by the server on PostgreSQL.
    pub fn text(&self, column: &str) -> String {
        match self {
            Self::Sqlite { .. } => column.to_owned(),
            Self::Postgres(_) if column == "due_date" => "due_date::text AS due_date".to_owned(),
            Self::Postgres(_) => format!(
                "to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS {column}"
            ),
        }
    }

    /// The columns of a task, in the answer's form.
    pub fn task_columns(&self) -> String {
        format!(
            "id, user_id, title, done, {}, {}, {}",
            self.text("due_date"),
            self.text("created_at"),
            self.text("updated_at")
        )
    }

    /// A time bound for comparing with `created_at`.
    pub fn time_param(&self, n: usize) -> String {
        match self {
            Self::Sqlite { .. } => format!("${n}"),
            Self::Postgres(_) => format!("${n}::timestamptz"),
        }
    }
}

/// Runs the same query code on whichever pool `$db` holds (`$pool` is the
/// pool to read from, `$writer` the one to write with).
#[macro_export]
macro_rules! on_pool {
    ($db:expr, read, |$pool:ident| $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite { read: $pool, .. } => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
    ($db:expr, write, |$pool:ident| $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite { write: $pool, .. } => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}

/// A task as both databases return it with [`Db::task_columns`], and as the API answers it.
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    pub id: Uuid,
    pub user_id: Uuid,
    pub title: String,
    pub done: bool,
    pub due_date: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl<'r, R: Row> FromRow<'r, R> for Task
where
    &'static str: sqlx::ColumnIndex<R>,
    Uuid: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    bool: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: row.try_get("id")?,
            user_id: row.try_get("user_id")?,
            title: row.try_get("title")?,
            done: row.try_get("done")?,
            due_date: row.try_get("due_date")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }
}
