//! A lesson binary's `main`: read the configuration, then serve, migrate or
//! run the lesson's own command. A lesson supplies only what it adds, through
//! [`Lesson`].

use std::{future::Future, process::ExitCode, sync::Arc, time::Duration};

use axum::Router;
use clap::{CommandFactory, FromArgMatches, Subcommand, error::ErrorKind};
use sea_orm::DatabaseConnection;
use sea_orm_migration::MigratorTrait;

use crate::{
    cli::{Cli, Command},
    config::{self, Config},
    db::{self, ConnectError, Database, Purpose},
    logging, migrate, probes,
    server::{Application, ShutdownTimedOut, log_panics, stop_signal},
    state::AppState,
};

/// What one lesson adds to the shared application.
pub trait Lesson: 'static {
    /// The package and binary name, such as `ex03-repository`.
    const NAME: &'static str;
    /// The migrations of lessons 1..=N, such as `migration::UpTo<3>`.
    type Migrator: MigratorTrait;
    /// Subcommands the lesson adds (`seed` from lesson 4), or [`NoCommand`].
    type Command: LessonCommand;

    /// The API routes, beside the probes.
    fn routes() -> Router<AppState> {
        Router::new()
    }

    /// `/health` and `/ready` (lesson 19 makes `/ready` check more).
    fn probes() -> Router<AppState> {
        probes::router()
    }

    /// Opens and probes the application's connections. Every reference lesson
    /// keeps [`Database::open`]; lesson 1's starter has the learner write it.
    fn open(
        config: &Config,
        application: &'static str,
    ) -> impl Future<Output = Result<Database, ConnectError>> + Send {
        Database::open(config, application)
    }
}

/// A subcommand of a lesson. It runs after pending migrations were applied.
pub trait LessonCommand: Subcommand + Send + 'static {
    fn run(
        self,
        db: &DatabaseConnection,
        config: Config,
    ) -> impl Future<Output = Result<(), CommandError>> + Send;
}

/// For lessons that add no subcommand.
#[derive(Debug, Clone, Copy, Subcommand)]
pub enum NoCommand {}

impl LessonCommand for NoCommand {
    async fn run(self, _: &DatabaseConnection, _: Config) -> Result<(), CommandError> {
        match self {}
    }
}

/// A lesson command failed.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
    #[error("{0}")]
    Other(String),
}

/// Why a binary stopped with a failure, and with which exit status.
#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
    #[error("migration failed: {0}")]
    Migrate(sea_orm::DbErr),
    #[error(transparent)]
    Command(#[from] CommandError),
    #[error(transparent)]
    Shutdown(#[from] ShutdownTimedOut),
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
}

/// The whole of a lesson binary's `main`. Exit status: 0 clean, 1 runtime or
/// database failure, 2 usage or configuration.
pub fn main<L: Lesson>() -> ExitCode {
    let command = || {
        Cli::<L::Command>::command()
            .name(L::NAME)
            .bin_name(L::NAME)
            .about(format!(
                "{}: the tasks API as it stands at the end of its lesson",
                L::NAME
            ))
            .mut_arg("database_url", |arg| {
                arg.default_value(config::default_database_url(L::NAME))
            })
    };
    if let Err(err) = load_dotenv() {
        command().error(ErrorKind::Io, err).exit();
    }
    let matches = command().get_matches();
    let cli = Cli::<L::Command>::from_arg_matches(&matches).unwrap_or_else(|err| err.exit());
    if let Err(err) = cli.config.validate() {
        command().error(ErrorKind::ArgumentConflict, err).exit();
    }
    logging::init(cli.config.log_format(), &cli.config.rust_log);
    log_panics();

    let outcome = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Failure::Runtime)
        .and_then(|runtime| {
            let outcome = runtime.block_on(run::<L>(cli));
            // Requests cut off at shutdown may still wait inside the database:
            // the process ends without waiting for them.
            runtime.shutdown_timeout(Duration::from_millis(100));
            outcome
        });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            tracing::error!(error = %failure, "stopped");
            eprintln!("error: {failure}");
            ExitCode::FAILURE
        }
    }
}

/// Reads `.env` from the working directory only (not its parents); values
/// already in the environment win.
fn load_dotenv() -> Result<(), String> {
    match dotenvy::from_path(".env") {
        Ok(()) => Ok(()),
        Err(dotenvy::Error::Io(err)) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(err) => Err(format!(".env could not be read: {err}")),
    }
}

async fn run<L: Lesson>(cli: Cli<L::Command>) -> Result<(), Failure> {
    let config = cli.config;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve::<L>(config).await,
        Command::Migrate(command) => {
            let db = db::connect(&config, L::NAME, Purpose::Migrate).await?;
            let outcome = migrate::run::<L::Migrator>(&db, command)
                .await
                .map_err(Failure::Migrate);
            let _ = db.close().await;
            outcome
        }
        Command::Lesson(command) => {
            migrate_pending::<L>(&config).await?;
            let db = db::connect(&config, L::NAME, Purpose::Serve).await?;
            let outcome = command.run(&db, config).await;
            let _ = db.close().await;
            Ok(outcome?)
        }
    }
}

/// Applies pending migrations on a connection of their own, then closes it.
async fn migrate_pending<L: Lesson>(config: &Config) -> Result<(), Failure> {
    let db = db::connect(config, L::NAME, Purpose::Migrate).await?;
    let outcome = migrate::up::<L::Migrator>(&db)
        .await
        .map_err(Failure::Migrate);
    let _ = db.close().await;
    outcome
}

/// Migrate if asked (connecting and probing first), open and probe the
/// application's connections, listen, serve until a signal, drain, close.
async fn serve<L: Lesson>(config: Config) -> Result<(), Failure> {
    // Migrations run first, on a connection of their own that is closed before
    // the application's open. (On SQLite a file handle closed while another
    // connection of the process holds a lock stays open until reused.)
    // A lesson without migrations (lesson 1) opens no connection for them, so
    // the first connection it opens is the application's own.
    if config.auto_migrate && !L::Migrator::migrations().is_empty() {
        migrate_pending::<L>(&config).await?;
    }
    let db = L::open(&config, L::NAME).await?;
    let state = AppState {
        db: db.clone(),
        config: Arc::new(config.clone()),
    };
    let routes = L::probes().merge(L::routes());
    let addr = format!("{}:{}", config.host, config.port);
    let app = Application::bind(routes, state)
        .await
        .map_err(|source| Failure::Listen {
            addr: addr.clone(),
            source,
        })?;
    let bound = app
        .local_addr()
        .map_err(|source| Failure::Listen { addr, source })?;
    // Listening for the stop signals before saying `listening`, so that none is lost.
    let stop = stop_signal();
    tracing::info!(addr = %bound, "listening");

    let close = async {
        if let Err(err) = db.close().await {
            tracing::warn!(error = %err, "closing the pool failed");
        }
    };
    app.serve_until(stop, close).await?;
    tracing::info!("shutdown complete");
    Ok(())
}
