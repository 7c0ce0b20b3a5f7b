//! `cargo xtask`: the workbook's own tasks.
//!
//! ```text
//! cargo xtask start 5                   your own crate for lesson 5, in learners/my-ex05
//! cargo xtask check 5 --package my-ex05 build it, grade it on lesson 5 and every earlier criterion
//! cargo xtask watch 5 --package my-ex05 the same on every save
//! cargo xtask hint 5 [CHECK]            a criterion's hints, gentlest first
//! cargo xtask progress [--refresh]      each of your crates, and how many criteria pass
//! cargo xtask reset 5 --name my-ex05    the starter again (asks first; --yes)
//! cargo xtask dev-check --db both       authors: every starter fails exactly its lesson's
//!                                       criteria, every reference passes all
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
mod dev_check;
mod hint;
mod learner;
mod lessons;
mod mutants;
mod scratch;
mod starter;
mod text;
mod watch;

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
    /// Make your own crate for a lesson, from its starter, under learners/
    Start(learner::StartArgs),
    /// Grade lessons against their acceptance criteria
    Check(check::Args),
    /// Grade a crate of yours again on every save
    Watch(watch::Args),
    /// A criterion's hints: a nudge, then the API, then the shape of the code
    Hint(hint::Args),
    /// Your crates, each with its lesson and how many criteria pass
    Progress(learner::ProgressArgs),
    /// Write a lesson's starter over a crate of yours again
    Reset(learner::ResetArgs),
    /// Authors: every starter fails exactly its lesson's criteria; every reference passes
    DevCheck(dev_check::Args),
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
        Task::Start(args) => learner::start(args),
        Task::Check(args) => check::run(args),
        Task::Watch(args) => watch::run(args),
        Task::Hint(args) => hint::run(args),
        Task::Progress(args) => learner::progress(args),
        Task::Reset(args) => learner::reset(args),
        Task::DevCheck(args) => dev_check::run(args),
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
