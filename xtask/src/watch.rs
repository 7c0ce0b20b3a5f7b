//! `cargo xtask watch N --package NAME`: grades the learner's crate, then
//! again after every save under its folder, and prints one status line (how
//! many of lesson N's criteria pass, and of the earlier ones) and the first
//! failure in full. Grading runs `cargo xtask check … --format json` as a
//! child, so a grading is exactly what `check` reports.

use std::{
    path::Path,
    process::{Command, ExitCode, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use notify_debouncer_mini::{DebounceEventResult, new_debouncer, notify::RecursiveMode};
use serde::Deserialize;

use crate::{check::Databases, learner, lessons::workspace_root};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The lesson to grade against
    lesson: u8,
    /// The learner crate to watch and grade, under learners/
    #[arg(long, value_name = "NAME")]
    package: String,
    /// Which database to grade on
    #[arg(long, value_enum, default_value = "sqlite")]
    db: Databases,
    /// Grade once and stop (for scripts, and to time a grading)
    #[arg(long)]
    once: bool,
}

/// How long a burst of saves must be quiet before grading starts.
const SETTLE: Duration = Duration::from_millis(200);

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let dir = workspace_root().join(learner::LEARNERS).join(&args.package);
    if !dir.join("Cargo.toml").is_file() {
        bail!(
            "no crate at {}: `cargo xtask start {} --name {}` makes it",
            dir.display(),
            args.lesson,
            args.package
        );
    }
    let passed = grade(&args, None)?;
    if args.once {
        return Ok(if passed {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }
    let (tx, rx) = mpsc::channel::<DebounceEventResult>();
    let mut debouncer = new_debouncer(SETTLE, tx).context("watching files")?;
    for watched in [dir.join("src"), dir.join("Cargo.toml")] {
        if watched.exists() {
            debouncer
                .watcher()
                .watch(&watched, RecursiveMode::Recursive)
                .with_context(|| format!("watching {}", watched.display()))?;
        }
    }
    println!("watching {} (Ctrl-C to stop)", shown(&dir));
    while let Ok(events) = rx.recv() {
        let Ok(events) = events else { continue };
        if !events.iter().any(|event| is_source(&event.path)) {
            continue;
        }
        // The first save of the burst is when the learner stopped typing.
        let saved = Instant::now() - SETTLE;
        // Saves made while grading are one more grading, not one each.
        while rx.try_recv().is_ok() {}
        grade(&args, Some(saved))?;
        while rx.try_recv().is_ok() {}
    }
    Ok(ExitCode::SUCCESS)
}

fn is_source(path: &Path) -> bool {
    path.extension()
        .is_some_and(|ext| ext == "rs" || ext == "toml")
}

fn shown(path: &Path) -> String {
    path.strip_prefix(workspace_root())
        .unwrap_or(path)
        .display()
        .to_string()
}

#[derive(Debug, Deserialize)]
struct Report {
    checks: Vec<Graded>,
}

#[derive(Debug, Deserialize)]
struct Graded {
    name: String,
    introduced: u8,
    db: String,
    status: String,
    message: String,
}

/// One grading, in two steps so that the lesson's own criteria answer within
/// seconds: lesson N's criteria, then every earlier one that still holds. Each
/// step prints its status line and its first failure in full. True if all passed.
fn grade(args: &Args, saved: Option<Instant>) -> anyhow::Result<bool> {
    println!("\ngrading {} against lesson {}…", args.package, args.lesson);
    let started = Instant::now();
    let since = |saved: Option<Instant>| match saved {
        Some(saved) => format!("{:.1} s after the save", saved.elapsed().as_secs_f64()),
        None => format!("in {:.1} s", started.elapsed().as_secs_f64()),
    };
    let Some(own) = run_check(args, true)? else {
        return Ok(false);
    };
    let (passed, total) = count(&own, |c| c.introduced == args.lesson);
    let failure = first_failure(&own, args.lesson);
    println!(
        "{} lesson {}: {passed}/{total} of its criteria pass ({})",
        mark(failure.is_none()),
        args.lesson,
        since(saved)
    );
    if let Some(failure) = failure {
        show(failure);
        return Ok(false);
    }
    let Some(all) = run_check(args, false)? else {
        return Ok(false);
    };
    let (passed, total) = count(&all, |c| c.introduced != args.lesson);
    let failure = first_failure(&all, args.lesson);
    println!(
        "{} earlier lessons: {passed}/{total} of their criteria still pass ({})",
        mark(failure.is_none()),
        since(saved)
    );
    if let Some(failure) = failure {
        show(failure);
    }
    Ok(failure.is_none())
}

/// `cargo xtask check` as a child, its JSON read back; `None` if it stopped
/// before grading (its error went to stderr).
fn run_check(args: &Args, new_only: bool) -> anyhow::Result<Option<Report>> {
    let mut command = Command::new(std::env::current_exe()?);
    command.args([
        "check",
        &args.lesson.to_string(),
        "--package",
        &args.package,
        "--format",
        "json",
        "--db",
        &format!("{:?}", args.db).to_lowercase(),
    ]);
    if new_only {
        command.arg("--new-only");
    }
    let output = command
        .stderr(Stdio::inherit())
        .output()
        .context("running cargo xtask check")?;
    match serde_json::from_slice(&output.stdout) {
        Ok(report) => Ok(Some(report)),
        Err(_) => {
            println!("✗ could not grade (see above)");
            Ok(None)
        }
    }
}

fn count(report: &Report, which: impl Fn(&Graded) -> bool) -> (usize, usize) {
    let graded: Vec<&Graded> = report
        .checks
        .iter()
        .filter(|c| which(c) && c.status != "skip")
        .collect();
    let passed = graded.iter().filter(|c| c.status == "pass").count();
    (passed, graded.len())
}

/// Lesson N's first failure, else the earliest lesson's.
fn first_failure(report: &Report, lesson: u8) -> Option<&Graded> {
    report
        .checks
        .iter()
        .filter(|c| c.status == "fail" || c.status == "error")
        .min_by_key(|c| (c.introduced != lesson, c.introduced))
}

fn mark(passed: bool) -> &'static str {
    if passed { "✓" } else { "✗" }
}

fn show(failure: &Graded) {
    let label = if failure.status == "error" {
        "!"
    } else {
        "✗"
    };
    println!(
        "\n{label} {} ({}, lesson {})",
        failure.name, failure.db, failure.introduced
    );
    for line in failure.message.lines() {
        println!("    {line}");
    }
    if failure.status == "fail"
        && checks::hints::for_check(failure.introduced, &failure.name).is_some()
    {
        println!(
            "    hint: cargo xtask hint {} {}",
            failure.introduced, failure.name
        );
    }
}
