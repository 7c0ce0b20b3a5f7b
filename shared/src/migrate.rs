//! The `migrate` subcommand: `up`, `down`, `status` and `fresh` over this
//! lesson's migrations, printing one line per migration it touches.

use std::collections::HashSet;

use sea_orm::{DatabaseConnection, DbErr};
use sea_orm_migration::{MigrationStatus, MigratorTrait};

use crate::cli::MigrateCommand;

/// Runs one `migrate` command and prints what it did to stdout.
pub async fn run<M: MigratorTrait>(
    db: &DatabaseConnection,
    command: MigrateCommand,
) -> Result<(), DbErr> {
    if M::migrations().is_empty() {
        println!("nothing to do: this lesson has no migrations");
        return Ok(());
    }
    match command {
        MigrateCommand::Status => {
            for migration in M::get_migration_with_status(db).await? {
                println!("{} {}", migration.name(), label(migration.status()));
            }
        }
        MigrateCommand::Up { steps } => {
            let before = applied::<M>(db).await?;
            M::up(db, steps).await?;
            report::<M>(db, &before, "applied").await?;
        }
        MigrateCommand::Down { steps } => {
            let before = applied::<M>(db).await?;
            M::down(db, Some(steps)).await?;
            report::<M>(db, &before, "rolled back").await?;
        }
        MigrateCommand::Fresh => {
            M::fresh(db).await?;
            for name in applied::<M>(db).await? {
                println!("{name} applied");
            }
        }
    }
    Ok(())
}

/// Applies every pending migration; used by `serve` (with `AUTO_MIGRATE`) and by lesson commands.
pub async fn up<M: MigratorTrait>(db: &DatabaseConnection) -> Result<(), DbErr> {
    if M::migrations().is_empty() {
        return Ok(());
    }
    let pending = M::get_pending_migrations(db).await?;
    for migration in &pending {
        tracing::info!(migration = migration.name(), "applying migration");
    }
    M::up(db, None).await
}

fn label(status: MigrationStatus) -> &'static str {
    match status {
        MigrationStatus::Applied => "applied",
        MigrationStatus::Pending => "pending",
    }
}

async fn applied<M: MigratorTrait>(db: &DatabaseConnection) -> Result<Vec<String>, DbErr> {
    Ok(M::get_applied_migrations(db)
        .await?
        .iter()
        .map(|m| m.name().to_owned())
        .collect())
}

/// Prints each migration whose state changed, or that nothing did.
async fn report<M: MigratorTrait>(
    db: &DatabaseConnection,
    before: &[String],
    verb: &str,
) -> Result<(), DbErr> {
    let after = applied::<M>(db).await?;
    let (before_set, after_set): (HashSet<_>, HashSet<_>) =
        (before.iter().collect(), after.iter().collect());
    let changed: Vec<&String> = if verb == "applied" {
        after
            .iter()
            .filter(|name| !before_set.contains(name))
            .collect()
    } else {
        before
            .iter()
            .rev()
            .filter(|name| !after_set.contains(name))
            .collect()
    };
    if changed.is_empty() {
        println!("nothing to do: no migration was {verb}");
    }
    for name in changed {
        println!("{name} {verb}");
    }
    Ok(())
}
