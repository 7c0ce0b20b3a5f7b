//! Lesson 4: `seed`, deterministic demo data. Its API is lesson 3's.

pub mod seed;

use std::marker::PhantomData;

use clap::Subcommand;
use sea_orm::DatabaseConnection;
use shared::{CommandError, Config, LessonCommand};

use seed::{ExtraColumns, NoExtraColumns, SeedArgs};

/// Lesson 3's prelude, and `seed`.
pub mod prelude {
    pub use crate::{
        SeedCommand,
        seed::{ExtraColumns, SeedArgs, SeedTask},
    };
    pub use ex03_repository::prelude::*;
}

/// The subcommand lesson 4 adds. Its tasks carry lesson 2's columns and the
/// ones `E` adds (lesson 6 gives them a due date).
#[derive(Debug, Subcommand)]
pub enum SeedCommand<E: ExtraColumns = NoExtraColumns> {
    /// Insert deterministic demo users and tasks; running it again changes nothing
    Seed {
        #[command(flatten)]
        args: SeedArgs,
        #[arg(skip)]
        columns: PhantomData<E>,
    },
}

impl<E: ExtraColumns> LessonCommand for SeedCommand<E> {
    async fn run(self, db: &DatabaseConnection, _config: Config) -> Result<(), CommandError> {
        match self {
            Self::Seed { args, .. } => seed::run::<E>(db, &args).await,
        }
    }
}

/// Lesson 4 as a [`shared::Lesson`].
pub struct Lesson;

impl shared::Lesson for Lesson {
    const NAME: &'static str = env!("CARGO_PKG_NAME");
    type Migrator = migration::UpTo<4>;
    type Command = SeedCommand;

    fn routes() -> axum::Router<shared::AppState> {
        ex03_repository::routes::router()
    }
}
