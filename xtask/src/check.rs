//! `cargo xtask check`: select checks, build the binaries, run, report.

use std::{
    collections::HashSet,
    io::Write,
    path::PathBuf,
    process::ExitCode,
    sync::{Arc, Mutex},
};

use anyhow::{Context, bail};
use checks::harness::{
    Backend, Postgres, report,
    runner::{self, Job, Target},
};
use clap::ValueEnum;

use crate::{build, lessons::Lessons};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Which lessons: `3`, `3-7`, `1,4,9` or `all`
    lessons: String,
    /// Which database to run the binaries on
    #[arg(long, value_enum, default_value = "sqlite")]
    db: Databases,
    /// Grade this binary (a learner's, built elsewhere) instead of the lesson's reference binary
    #[arg(long, value_name = "PATH", conflicts_with = "package")]
    bin: Option<PathBuf>,
    /// Build this workspace package (a learner's crate) first, then grade its
    /// fresh binary against lesson N and every earlier criterion that still
    /// holds; a compile error is reported as `!` with the compiler's output
    #[arg(long, value_name = "NAME")]
    package: Option<String>,
    /// Also run every earlier lesson's checks that still hold at this lesson
    /// (always so with --package)
    #[arg(long)]
    cumulative: bool,
    /// Only the criteria lesson N introduces, not the earlier ones (with --package)
    #[arg(long, conflicts_with = "cumulative")]
    new_only: bool,
    /// Only the checks with these names (repeatable)
    #[arg(long = "check", value_name = "NAME")]
    only: Vec<String>,
    /// How to write the results
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Checks to run at once (each has its own database and port)
    #[arg(long, short = 'j')]
    jobs: Option<usize>,
    /// Keep a failed check's scratch directory, database and the binary's output, and print where
    #[arg(long)]
    keep: bool,
    /// Authors only: write new or changed snapshots as .snap.new files for `cargo insta review`
    #[arg(long)]
    update_snapshots: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Databases {
    Sqlite,
    Postgres,
    Both,
}

impl Databases {
    pub fn backends(self) -> Vec<Backend> {
        match self {
            Databases::Sqlite => vec![Backend::Sqlite],
            Databases::Postgres => vec![Backend::Postgres],
            Databases::Both => vec![Backend::Sqlite, Backend::Postgres],
        }
    }
}

/// `WORKBOOK_PG_URL`, required when PostgreSQL is among `backends`.
pub fn postgres(backends: &[Backend]) -> anyhow::Result<Option<Postgres>> {
    match std::env::var("WORKBOOK_PG_URL") {
        Ok(url) if !url.is_empty() => Ok(Some(Postgres { admin_url: url })),
        _ if backends.contains(&Backend::Postgres) => bail!(
            "--db postgres needs a server: set WORKBOOK_PG_URL to a database the checks may create \
             databases from, for example\n  export WORKBOOK_PG_URL=postgres://postgres@127.0.0.1:5432/postgres"
        ),
        _ => Ok(None),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Human,
    Json,
    Junit,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let workspace = Lessons::discover()?;
    let lessons = parse_lessons(&args.lessons, &workspace)?;
    let learner = args.bin.is_some() || args.package.is_some();
    if learner && lessons.len() != 1 {
        bail!(
            "--bin and --package grade one binary: name one lesson, such as `cargo xtask check 8 --package my-ex08`"
        );
    }
    if learner && args.update_snapshots {
        bail!(
            "--update-snapshots records the reference binaries' answers; it cannot be used with --bin or --package"
        );
    }
    let backends = args.db.backends();
    let postgres = postgres(&backends)?;

    let mut targets = match &args.package {
        Some(package) => vec![learner_package(lessons[0], package)?],
        None => targets(&lessons, &workspace, args.bin.as_ref())?,
    };
    if args.keep {
        for target in &mut targets {
            Arc::make_mut(target).keep = true;
        }
    }
    // A learner's crate is graded as CodeCrafters grades a stage: the earlier ones too.
    let cumulative = (args.cumulative || args.package.is_some()) && !args.new_only;
    let (jobs, skipped) = jobs(&targets, cumulative, &args.only, &backends);
    if jobs.is_empty() && skipped.is_empty() {
        bail!(
            "no check matches: lessons {lessons:?}, checks {:?}",
            args.only
        );
    }

    let parallel = args.jobs.unwrap_or_else(default_parallel);
    let format = args.format;
    let shown = Mutex::new(HashSet::new());
    if format == Format::Human {
        for result in &skipped {
            println!("{}", report::line(result, true));
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let mut results = runtime.block_on(runner::run(jobs, parallel, postgres, move |result| {
        if format == Format::Human {
            // A build error is the same for every check of its lesson: show it once.
            let first_time = shown
                .lock()
                .map(|mut shown| shown.insert(result.message.clone()))
                .unwrap_or(true);
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{}", report::line(result, first_time));
        }
    }));
    results.extend(skipped);
    if let Some(package) = &args.package
        && args.only.is_empty()
        && !args.new_only
    {
        record_progress(package, lessons[0], args.db, &results)?;
    }
    match format {
        Format::Human => println!("{}", report::summary(&results)),
        Format::Json => println!("{}", report::json(&results)),
        Format::Junit => println!("{}", report::junit(&results)),
    }
    let pending = checks::harness::snapshot::pending();
    if pending > 0 {
        eprintln!(
            "{pending} new or changed snapshot(s) written as checks/snapshots/*.snap.new: review them with `cargo insta review`"
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(if report::overall(&results) == runner::Status::Pass {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Checks at once: they mostly wait on their binaries, so twice the cores.
pub fn default_parallel() -> usize {
    std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .saturating_mul(2)
        .max(4)
}

/// Every check that grades `targets` on `backends`, and, listed as skipped,
/// those that do not apply to one of them (a criterion of one database is
/// never left out).
pub fn jobs(
    targets: &[Arc<Target>],
    cumulative: bool,
    only: &[String],
    backends: &[Backend],
) -> (Vec<Job>, Vec<runner::CheckResult>) {
    let mut jobs = Vec::new();
    let mut skipped = Vec::new();
    for target in targets {
        for check in checks::for_lesson(target.lesson, cumulative) {
            if !only.is_empty() && !only.iter().any(|name| name == check.name) {
                continue;
            }
            for backend in backends {
                if check.applies_to(*backend) {
                    jobs.push(Job {
                        check,
                        target: target.clone(),
                        backend: *backend,
                    });
                } else {
                    skipped.push(runner::CheckResult {
                        name: check.name,
                        lesson: target.lesson,
                        introduced: check.lesson,
                        db: *backend,
                        status: runner::Status::Skip,
                        message: check.applicability(),
                        duration_ms: 0,
                    });
                }
            }
        }
    }
    (jobs, skipped)
}

/// Keeps a learner crate's result for `cargo xtask progress` and `hint`.
fn record_progress(
    package: &str,
    lesson: u8,
    db: Databases,
    results: &[runner::CheckResult],
) -> anyhow::Result<()> {
    let graded = |own: bool| {
        results
            .iter()
            .filter(move |r| (r.introduced == lesson) == own && r.status != runner::Status::Skip)
    };
    let passed = |own: bool| {
        graded(own)
            .filter(|r| r.status == runner::Status::Pass)
            .count()
    };
    let mut failed: Vec<&runner::CheckResult> = results
        .iter()
        .filter(|r| matches!(r.status, runner::Status::Fail | runner::Status::Error))
        .collect();
    failed.sort_by_key(|r| (r.introduced != lesson, r.introduced));
    let mut names: Vec<String> = Vec::new();
    for result in failed {
        if !names.iter().any(|name| name == result.name) {
            names.push(result.name.to_owned());
        }
    }
    crate::learner::Progress::record(
        package,
        crate::learner::Graded {
            lesson,
            passed: passed(true),
            total: graded(true).count(),
            earlier_passed: passed(false),
            earlier_total: graded(false).count(),
            failed: names,
            db: format!("{db:?}").to_lowercase(),
            at: crate::learner::now(),
        },
    )
}

/// `3`, `3-7`, `1,4,9` or `all` (every lesson that has checks and a crate).
pub(crate) fn parse_lessons(spec: &str, workspace: &Lessons) -> anyhow::Result<Vec<u8>> {
    let available = checks::lessons();
    if spec == "all" {
        return Ok(workspace
            .numbers()
            .filter(|lesson| available.contains(lesson))
            .collect());
    }
    let mut lessons = Vec::new();
    for part in spec.split(',') {
        let (from, to) = match part.split_once('-') {
            Some((from, to)) => (from, to),
            None => (part, part),
        };
        let parse = |n: &str| -> anyhow::Result<u8> {
            let lesson: u8 = n
                .trim()
                .parse()
                .with_context(|| format!("`{n}` is not a lesson number"))?;
            if !(1..=checks::LAST_LESSON).contains(&lesson) {
                bail!(
                    "lesson {lesson} does not exist: lessons are 1 to {}",
                    checks::LAST_LESSON
                );
            }
            Ok(lesson)
        };
        lessons.extend(parse(from)?..=parse(to)?);
    }
    lessons.sort_unstable();
    lessons.dedup();
    if let Some(missing) = lessons.iter().find(|lesson| !available.contains(lesson)) {
        bail!("lesson {missing} has no checks yet");
    }
    Ok(lessons)
}

/// The binary to grade for each lesson: the given one, or the reference
/// binaries built now. A lesson that does not build makes each of its checks
/// an `error` with the compiler's message; the others are graded.
/// Builds the workspace package `package` (never a stale binary) and grades
/// it as lesson `lesson`; if it does not build, every check reports `!` with
/// the compiler's errors.
fn learner_package(lesson: u8, package: &str) -> anyhow::Result<Arc<Target>> {
    if let Some(own) = crate::learner::lesson_of(package)?
        && own != lesson
    {
        eprintln!("note: {package} was started for lesson {own}; grading it as lesson {lesson}");
    }
    eprintln!("building {package}…");
    let built = build::packages_in(build::Profile::Debug, &[package])?;
    let (binary, unusable) = match built.executable_named(package) {
        Ok(path) => (path, None),
        Err(reason) => (PathBuf::new(), Some(reason)),
    };
    Ok(Arc::new(Target {
        lesson,
        binary,
        unusable,
        keep: false,
    }))
}

pub(crate) fn targets(
    lessons: &[u8],
    workspace: &Lessons,
    bin: Option<&PathBuf>,
) -> anyhow::Result<Vec<Arc<Target>>> {
    if let Some(bin) = bin {
        let binary = std::fs::canonicalize(bin)
            .with_context(|| format!("no binary at {}", bin.display()))?;
        return Ok(vec![Arc::new(Target {
            lesson: lessons[0],
            binary,
            unusable: None,
            keep: false,
        })]);
    }
    let crates = lessons
        .iter()
        .map(|lesson| workspace.package(*lesson))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let names: Vec<&str> = crates.iter().map(|c| c.package.as_str()).collect();
    eprintln!("building {}…", names.join(", "));
    let built = build::binaries(&crates)?;
    Ok(crates
        .iter()
        .map(|lesson| {
            let (binary, unusable) = match built.executable(lesson) {
                Ok(path) => (path, None),
                Err(reason) => (PathBuf::new(), Some(reason)),
            };
            Arc::new(Target {
                lesson: lesson.lesson,
                binary,
                unusable,
                keep: false,
            })
        })
        .collect())
}
