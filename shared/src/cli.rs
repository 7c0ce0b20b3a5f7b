//! The command line every lesson binary shares:
//!
//! ```text
//! exNN-name [serve]
//! exNN-name migrate up [-n N] | down [-n N] | status | fresh
//! exNN-name <the lesson's own commands, such as seed>
//! ```

use clap::{Parser, Subcommand};

use crate::config::Config;

#[derive(Debug, Parser)]
#[command(version, propagate_version = true)]
pub struct Cli<C: Subcommand> {
    #[command(subcommand)]
    pub command: Option<Command<C>>,

    #[command(flatten)]
    pub config: Config,
}

#[derive(Debug, Subcommand)]
pub enum Command<C: Subcommand> {
    /// Start the API (the default)
    Serve,
    /// Apply, roll back or list this lesson's migrations
    #[command(subcommand)]
    Migrate(MigrateCommand),
    #[command(flatten)]
    Lesson(C),
}

#[derive(Debug, Clone, Copy, Subcommand)]
pub enum MigrateCommand {
    /// Apply pending migrations (all, or the next N)
    Up {
        #[arg(short = 'n', long = "steps", value_name = "N")]
        steps: Option<u32>,
    },
    /// Roll back the last N applied migrations
    Down {
        #[arg(short = 'n', long = "steps", value_name = "N", default_value_t = 1)]
        steps: u32,
    },
    /// List this lesson's migrations: applied or pending
    Status,
    /// Drop every table, then apply all migrations
    Fresh,
}
