//! `cargo xtask`: the workbook's own tasks.
//!
//! ```text
//! cargo xtask check 3                   lesson 3's criteria against its reference binary, on SQLite
//! cargo xtask check all --db both       every lesson, on SQLite and PostgreSQL
//! cargo xtask check 8 --bin PATH        grade any binary (a learner's) against lesson 8
//! cargo xtask bench 9 --db both         lesson 9's measurements, charted under target/bench/
//! cargo xtask bench http --peers        lesson 9's release binary under HTTP load, beside the
//!                                       axum+sqlx peer: req/s and p99 per endpoint, table and chart
//! cargo xtask bench http --lesson N --bin PATH --db postgres
//!                                       (also --duration, --warmup, --connections, --rounds)
//! cargo xtask mutants 3 --db both       lesson 3's mutants (checks/mutants/*.toml): each built in
//!                                       target/mutants/ws and graded; caught, missed or did not build
//! cargo xtask mutants all --db both --write-docs
//!                                       every mutant, and docs/mutants.md written from the results
//! ```

mod bench;
mod build;
mod check;
mod lessons;
mod mutants;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Grade lessons against their acceptance criteria
    Check(check::Args),
    /// Measure a lesson's claim (7: the list index; 9: offset and keyset pages), or a
    /// lesson under HTTP load beside the axum+sqlx peer (http), and chart it
    Bench(bench::Args),
    /// Break the reference binaries on purpose (checks/mutants/*.toml) and see the checks catch it
    Mutants(mutants::Args),
}

fn main() -> ExitCode {
    pin_snapshot_behaviour();
    let cli = Cli::parse();
    let outcome = match cli.task {
        Task::Check(args) => check::run(args),
        Task::Bench(args) => bench::run(args).map(|()| ExitCode::SUCCESS),
        Task::Mutants(args) => mutants::run(args),
    };
    match outcome {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// Grading must never write snapshots nor be talked into passing: whatever
/// the caller's environment says, insta compares and stays quiet.
/// `--update-snapshots` (authors only) asks for new snapshots to review.
#[allow(unsafe_code)]
fn pin_snapshot_behaviour() {
    let update = std::env::args().any(|arg| arg == "--update-snapshots");
    // SAFETY: called first thing in `main`, before any other thread exists.
    unsafe {
        std::env::set_var("INSTA_UPDATE", if update { "new" } else { "no" });
        std::env::set_var("INSTA_FORCE_PASS", "0");
        std::env::set_var("INSTA_OUTPUT", "none");
        std::env::set_var("INSTA_REQUIRE_FULL_MATCH", "0");
        std::env::remove_var("INSTA_FORCE_UPDATE");
        std::env::remove_var("INSTA_FORCE_UPDATE_SNAPSHOTS");
    }
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::{Cli, Task};

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
        let cli = Cli::try_parse_from(["cargo xtask", "bench", "http", "--peers", "--db", "both"]);
        assert!(matches!(cli.map(|cli| cli.task), Ok(Task::Bench(_))));
        assert!(Cli::try_parse_from(["cargo xtask", "bench", "8"]).is_err());
    }
}
