//! The connection pool: where it points, how it is opened and probed, how each
//! statement is logged, and which failures mean "the database is unavailable".

use std::{path::PathBuf, time::Duration};

use axum::http::Method;
use sea_orm::{
    ConnectOptions, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, RuntimeErr, Statement,
    sqlx::{
        self,
        sqlite::{SqliteJournalMode, SqliteSynchronous},
    },
};

use crate::config::Config;

/// What a pool is for, which decides its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// The application's pool, sized by `DB_POOL_MIN` and `DB_POOL_MAX`: every
    /// connection on PostgreSQL, and SQLite's when `DB_POOL_MAX` is 1.
    Serve,
    /// SQLite's readers: `DB_POOL_MAX − 1` connections beside the writer.
    Read,
    /// SQLite's one writer.
    Write,
    /// A single connection, so that SQLite pragmas and schema changes share one session.
    Migrate,
}

/// The application's connections, as handlers see them: [`Database::read`]
/// for reads, [`Database::write`] for everything a change runs.
///
/// SQLite lets one connection write at a time, and folds its write-ahead log
/// back into the database only at a moment when no reader is inside the log.
/// So on SQLite a change runs all its statements on one writer connection:
/// writes queue here, in the process, instead of sleeping in SQLite's busy
/// handler, and a stream of writes opens no read transaction that would keep
/// the checkpoint from resetting the log. Reads use a pool of their own.
/// PostgreSQL locks rows, not the database: one pool serves both.
#[derive(Debug, Clone)]
pub struct Database {
    read: DatabaseConnection,
    write: DatabaseConnection,
}

impl Database {
    /// Where reads go: the read pool.
    pub fn read(&self) -> &DatabaseConnection {
        &self.read
    }

    /// Where a change goes, every statement of it: SQLite's writer.
    pub fn write(&self) -> &DatabaseConnection {
        &self.write
    }

    /// The connection for a request: a safe method (GET, HEAD) reads, any
    /// other changes something, so even its first lookup goes to the writer.
    pub fn for_method(&self, method: &Method) -> &DatabaseConnection {
        if method.is_safe() {
            self.read()
        } else {
            self.write()
        }
    }

    /// One pool that serves reads and writes alike (what PostgreSQL uses, and
    /// what a connection of one's own, as lesson 1's starter writes it, gives).
    pub fn from_pool(pool: DatabaseConnection) -> Self {
        Self {
            read: pool.clone(),
            write: pool,
        }
    }

    /// Opens the application's connections and probes them: one pool on
    /// PostgreSQL (and on SQLite with `DB_POOL_MAX=1`), else a writer and
    /// `DB_POOL_MAX − 1` readers, `DB_POOL_MIN` counting the writer first.
    pub async fn open(config: &Config, application: &str) -> Result<Self, ConnectError> {
        let url = &config.database_url;
        let split = url.backend() == DbBackend::Sqlite && config.db_pool_max > 1;
        let database = if split {
            let write = connect(config, application, Purpose::Write).await?;
            let read = connect(config, application, Purpose::Read).await?;
            Self { read, write }
        } else {
            Self::from_pool(connect(config, application, Purpose::Serve).await?)
        };
        tracing::info!(
            backend = url.backend().as_str(),
            database = %url,
            pool_min = config.db_pool_min,
            pool_max = config.db_pool_max,
            writer = if split { "one connection" } else { "the pool" },
            acquire_timeout_ms = config.db_acquire_timeout_ms.as_millis() as u64,
            "database connected",
        );
        Ok(database)
    }

    /// Closes every connection (each waits for the ones in use to come back).
    pub async fn close(self) -> Result<(), DbErr> {
        let read = self.read.close().await;
        let write = self.write.close().await;
        read.and(write)
    }
}

/// The database could not be reached at start. `Display` never shows a password.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("database unreachable: {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("database unreachable: {url}: cannot create {dir}: {reason}")]
    NoDirectory {
        url: String,
        dir: String,
        reason: String,
    },
}

/// Opens a pool and proves it works with `SELECT 1`, giving up after
/// `DB_CONNECT_TIMEOUT_MS`. Transient failures (refused, reset, pool timeout)
/// are retried until then; others (bad password, no such database) fail at once.
pub async fn connect(
    config: &Config,
    application: &str,
    purpose: Purpose,
) -> Result<DatabaseConnection, ConnectError> {
    let url = &config.database_url;
    let unreachable = |reason: String| ConnectError::Unreachable {
        url: url.to_string(),
        reason: url.scrub(&reason),
    };
    if let Some(dir) = url
        .sqlite_file()
        .and_then(|file| file.parent().map(PathBuf::from))
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(&dir).map_err(|err| ConnectError::NoDirectory {
            url: url.to_string(),
            dir: dir.display().to_string(),
            reason: err.to_string(),
        })?;
    }
    let options = connect_options(config, application, purpose);
    let mut last_failure = None;
    let attempts = async {
        loop {
            match open_and_probe(options.clone()).await {
                Ok(db) => return Ok(db),
                Err(err) if is_transient(&err) => {
                    last_failure = Some(err.to_string());
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(err) => return Err(err.to_string()),
            }
        }
    };
    let outcome = tokio::time::timeout(config.db_connect_timeout_ms, attempts).await;
    let db = match outcome {
        Ok(Ok(db)) => db,
        Ok(Err(reason)) => return Err(unreachable(reason)),
        Err(_elapsed) => {
            let waited = config.db_connect_timeout_ms.as_millis();
            let reason = match last_failure {
                Some(last) => format!("no connection within {waited} ms (last error: {last})"),
                None => format!("no connection within {waited} ms"),
            };
            return Err(unreachable(reason));
        }
    };
    Ok(db)
}

fn connect_options(config: &Config, application: &str, purpose: Purpose) -> ConnectOptions {
    let (min, max) = match purpose {
        Purpose::Serve => (config.db_pool_min, config.db_pool_max),
        Purpose::Read => (
            config.db_pool_min.saturating_sub(1),
            config.db_pool_max.saturating_sub(1).max(1),
        ),
        Purpose::Write => (config.db_pool_min.min(1), 1),
        Purpose::Migrate => (1, 1),
    };
    let busy_timeout = config.db_busy_timeout_ms;
    let mut options = ConnectOptions::new(config.database_url.expose());
    options
        .min_connections(min)
        .max_connections(max)
        .acquire_timeout(config.db_acquire_timeout_ms)
        // Ping only a connection that sat idle a while (the database may have
        // gone away meanwhile), not one handed back a moment ago: a ping is a
        // round trip before every statement.
        .test_before_acquire_if_idle_for(Duration::from_secs(30))
        .sqlx_logging(false)
        .set_application_name(application)
        .statement_timeout(config.db_statement_timeout_ms)
        // Applied by sqlx to every connection it opens, so no pooled connection lacks them.
        .map_sqlx_sqlite_opts(move |sqlite| {
            sqlite
                // A reader that tried to write would fail at once, not queue behind the writer.
                .read_only(purpose == Purpose::Read)
                .foreign_keys(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(busy_timeout)
        });
    options
}

async fn open_and_probe(options: ConnectOptions) -> Result<DatabaseConnection, DbErr> {
    let mut db = sea_orm::Database::connect(options).await?;
    db.set_metric_callback(log_statement);
    select_one(&db).await?;
    Ok(db)
}

/// `SELECT 1`: the cheapest proof that a connection answers.
pub async fn select_one(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    db.execute_raw(Statement::from_string(
        db.get_database_backend(),
        "SELECT 1",
    ))
    .await
    .map(drop)
}

/// One DEBUG event per statement, target `sql`: its text with placeholders, never the values.
pub fn log_statement(info: &sea_orm::metric::Info<'_>) {
    tracing::debug!(
        target: "sql",
        elapsed_ms = info.elapsed.as_secs_f64() * 1000.0,
        "db.statement" = %info.statement.sql,
        failed = info.failed,
        "sql",
    );
}

fn sqlx_error(err: &DbErr) -> Option<&sqlx::Error> {
    match err {
        DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e)) => Some(e),
        _ => None,
    }
}

/// Failures worth retrying while connecting at start (refused, reset, pool timeout).
pub fn is_transient(err: &DbErr) -> bool {
    matches!(err, DbErr::ConnectionAcquire(_))
        || matches!(
            sqlx_error(err),
            Some(sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::Tls(_))
        )
}

/// The SQLSTATE (PostgreSQL) or extended result code (SQLite) of a database error.
pub fn error_code(err: &DbErr) -> Option<String> {
    match sqlx_error(err)? {
        sqlx::Error::Database(db) => db.code().map(|code| code.into_owned()),
        _ => None,
    }
}

/// Failures that mean "the database cannot serve this now", answered 503 with
/// `Retry-After`: no pooled connection in time, a lost connection, a statement
/// cut by `statement_timeout`, a server shutting down, SQLite busy or locked.
pub fn is_unavailable(err: &DbErr) -> bool {
    if matches!(err, DbErr::ConnectionAcquire(_) | DbErr::Conn(_)) {
        return true;
    }
    match sqlx_error(err) {
        Some(
            sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Tls(_),
        ) => true,
        Some(sqlx::Error::Database(database)) => {
            let code = database.code().unwrap_or_default();
            if database
                .try_downcast_ref::<sqlx::sqlite::SqliteError>()
                .is_some()
            {
                // The primary result code is the low byte: 5 is BUSY, 6 is LOCKED.
                code.parse::<i32>()
                    .is_ok_and(|extended| matches!(extended & 0xff, 5 | 6))
            } else {
                // 57014 query_canceled (statement_timeout), 57P0x shutdown,
                // 53300 too_many_connections, class 08 connection exceptions.
                matches!(
                    code.as_ref(),
                    "57014" | "57P01" | "57P02" | "57P03" | "53300"
                ) || code.starts_with("08")
            }
        }
        _ => false,
    }
}
