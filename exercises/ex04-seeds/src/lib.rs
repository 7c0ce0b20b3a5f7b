//! Lesson 4: `seed`, deterministic demo data. Everything else is lesson 3's.

pub mod seed;

use clap::Subcommand;
use sea_orm::DatabaseConnection;
use shared::{CommandError, Config, LessonCommand};

/// Lesson 4 as a [`shared::Lesson`].
pub struct Lesson;

impl shared::Lesson for Lesson {
    const NAME: &'static str = env!("CARGO_PKG_NAME");
    type Migrator = migration::UpTo<4>;
    type Command = Command;

    fn routes() -> axum::Router<shared::AppState> {
        ex03_repository::routes::router()
    }
}

/// The subcommands lesson 4 adds.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Insert deterministic demo users and tasks; running it again changes nothing
    Seed(seed::SeedArgs),
}

impl LessonCommand for Command {
    async fn run(self, db: &DatabaseConnection, _config: Config) -> Result<(), CommandError> {
        match self {
            Command::Seed(args) => seed::run(db, &args, seed::no_extra_columns).await,
        }
    }
}
