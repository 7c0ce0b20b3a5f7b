//! `cargo xtask`: the workbook's own tasks.
//!
//! ```text
//! cargo xtask check 3                   lesson 3's criteria against its reference binary, on SQLite
//! cargo xtask check all --db both       every lesson, on SQLite and PostgreSQL
//! cargo xtask check 8 --bin PATH        grade any binary (a learner's) against lesson 8
//! cargo xtask bench 9 --db both         lesson 9's measurements, charted under target/bench/
//! ```

mod bench;
mod build;
mod check;
mod lessons;

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
    /// Measure a lesson's claim (7: the list index; 9: offset and keyset pages) and chart it
    Bench(bench::Args),
}

fn main() -> ExitCode {
    pin_snapshot_behaviour();
    let cli = Cli::parse();
    let outcome = match cli.task {
        Task::Check(args) => check::run(args),
        Task::Bench(args) => bench::run(args).map(|()| ExitCode::SUCCESS),
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
