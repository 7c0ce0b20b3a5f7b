//! Lesson 4's `seed`, now giving three tasks in four a due date.

use chrono::Duration;
use clap::Subcommand;
use ex04_seeds::seed::{self, SeedArgs, SeedTask};
use sea_orm::{DatabaseConnection, DbBackend, Value};
use shared::{CommandError, Config, LessonCommand};

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Insert deterministic demo users and tasks; running it again changes nothing
    Seed(SeedArgs),
}

impl LessonCommand for Command {
    async fn run(self, db: &DatabaseConnection, _config: Config) -> Result<(), CommandError> {
        match self {
            Command::Seed(args) => seed::run(db, &args, due_dates).await,
        }
    }
}

/// Every fourth task has no due date; the others are due 1 to 30 days after creation.
pub fn due_dates(task: &SeedTask, _backend: DbBackend) -> Vec<(&'static str, Value)> {
    let due = (!task.index.is_multiple_of(4))
        .then(|| task.created_at.date_naive() + Duration::days((task.index * 5 % 30 + 1) as i64));
    vec![("due_date", Value::from(due))]
}
