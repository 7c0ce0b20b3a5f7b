//! `cargo xtask dev-check`: the authoring guarantee. For every lesson, its
//! starter (made as `cargo xtask start` makes it, in a scratch copy of the
//! workspace) builds, fails every criterion the lesson introduces (but those
//! its manifest says `shared` meets for it) and passes every earlier one that
//! still holds; and the reference passes them all. So a learner's ✓ is
//! earned, and a starter is a real place to start.

use std::{collections::BTreeMap, path::PathBuf, process::ExitCode, sync::Arc};

use checks::harness::{
    Backend,
    runner::{self, CheckResult, Status, Target},
};

use crate::{
    build::Profile,
    check::{self, Databases},
    learner,
    lessons::{Lessons, workspace_root},
    scratch::Scratch,
    starter::Manifest,
};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Which lessons: `3`, `3-7`, `1,4,9` or `all`
    #[arg(default_value = "all")]
    lessons: String,
    /// Which databases to grade on
    #[arg(long, value_enum, default_value = "sqlite")]
    db: Databases,
    /// Checks to run at once
    #[arg(long, short = 'j')]
    jobs: Option<usize>,
}

/// The starter of lesson N is built as this package in the scratch workspace.
fn starter_name(lesson: u8) -> String {
    format!("starter-ex{lesson:02}")
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let root = workspace_root();
    let workspace = Lessons::discover()?;
    let lessons = check::parse_lessons(&args.lessons, &workspace)?;
    let backends = args.db.backends();
    let postgres = check::postgres(&backends)?;
    let manifests: BTreeMap<u8, Manifest> = lessons
        .iter()
        .map(|lesson| Ok((*lesson, Manifest::load(*lesson)?)))
        .collect::<anyhow::Result<_>>()?;

    eprintln!("building the reference binaries…");
    let references = check::targets(&lessons, &workspace, None)?;

    let scratch = Scratch::prepare(&root, "starters")?;
    for lesson in &lessons {
        learner::make(&scratch.ws, &workspace, *lesson, &starter_name(*lesson))?;
    }
    let names: Vec<String> = lessons.iter().map(|l| starter_name(*l)).collect();
    let packages: Vec<&str> = names.iter().map(String::as_str).collect();
    eprintln!("building the starters in {}…", scratch.ws.display());
    let built = scratch.build(&packages, Profile::Debug)?;
    let starters: Vec<Arc<Target>> = lessons
        .iter()
        .map(|lesson| {
            let (binary, unusable) = match built.executable_named(&starter_name(*lesson)) {
                Ok(path) => (path, None),
                Err(reason) => (PathBuf::new(), Some(reason)),
            };
            Arc::new(Target {
                lesson: *lesson,
                binary,
                unusable,
                keep: false,
            })
        })
        .collect();

    let parallel = args.jobs.unwrap_or_else(check::default_parallel);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let grade = |targets: &[Arc<Target>], what: &str| {
        let (jobs, _skipped) = check::jobs(targets, true, &[], &backends);
        eprintln!("grading the {what}: {} checks…", jobs.len());
        runtime.block_on(runner::run(jobs, parallel, postgres.clone(), |_| {}))
    };
    let reference_results = grade(&references, "references");
    let starter_results = grade(&starters, "starters");

    let mut problems: Vec<String> = starters
        .iter()
        .filter_map(|target| {
            let reason = target.unusable.as_ref()?;
            Some(format!(
                "- lesson {} starter does not build:\n{reason}",
                target.lesson
            ))
        })
        .collect();
    println!(
        "{:<7} {:<8} {:<26} {:<26} reference",
        "lesson", "db", "starter: own criteria", "starter: earlier criteria"
    );
    for lesson in &lessons {
        let manifest = &manifests[lesson];
        for backend in &backends {
            let of = |results: &[CheckResult]| -> Vec<CheckResult> {
                results
                    .iter()
                    .filter(|r| r.lesson == *lesson && r.db == *backend)
                    .cloned()
                    .collect()
            };
            let starter = of(&starter_results);
            let reference = of(&reference_results);
            let own: Vec<&CheckResult> =
                starter.iter().filter(|r| r.introduced == *lesson).collect();
            let earlier: Vec<&CheckResult> =
                starter.iter().filter(|r| r.introduced != *lesson).collect();
            for result in &own {
                let provided = manifest.provides(result.name);
                let wanted = if provided { Status::Pass } else { Status::Fail };
                // A starter that stops at its first todo!() before listening
                // (lesson 1's) fails its criteria as `!`: that is failing too.
                let failing = matches!(result.status, Status::Fail | Status::Error);
                let ok = if provided {
                    result.status == Status::Pass
                } else {
                    failing
                };
                if !ok {
                    problems.push(problem(
                        *lesson, *backend, "starter", result, wanted, provided,
                    ));
                }
            }
            // Earlier criteria on the starter, and every criterion on the reference, must pass.
            let reference_refs: Vec<&CheckResult> = reference.iter().collect();
            for (results, what) in [(&earlier, "starter"), (&reference_refs, "reference")] {
                for result in results.iter().filter(|r| r.status != Status::Pass) {
                    problems.push(problem(
                        *lesson,
                        *backend,
                        what,
                        result,
                        Status::Pass,
                        false,
                    ));
                }
            }
            let count = |results: &[&CheckResult], status| {
                results.iter().filter(|r| r.status == status).count()
            };
            let provided = own.iter().filter(|r| manifest.provides(r.name)).count();
            let failing = |results: &[&CheckResult]| {
                results
                    .iter()
                    .filter(|r| matches!(r.status, Status::Fail | Status::Error))
                    .count()
            };
            let own_text = if provided > 0 {
                format!("{} of {} fail, {provided} given", failing(&own), own.len())
            } else {
                format!("{} of {} fail", failing(&own), own.len())
            };
            println!(
                "{:<7} {:<8} {:<26} {:<26} {} of {} pass",
                lesson,
                backend.to_string(),
                own_text,
                format!(
                    "{} of {} pass",
                    count(&earlier, Status::Pass),
                    earlier.len()
                ),
                count(&reference_refs, Status::Pass),
                reference.len()
            );
        }
    }
    if problems.is_empty() {
        println!("every starter fails exactly its lesson's criteria, and every reference passes");
        Ok(ExitCode::SUCCESS)
    } else {
        println!("\n{} problem(s):", problems.len());
        for problem in &problems {
            println!("{problem}");
        }
        Ok(ExitCode::FAILURE)
    }
}

fn problem(
    lesson: u8,
    backend: Backend,
    what: &str,
    result: &CheckResult,
    wanted: Status,
    provided: bool,
) -> String {
    let why = match (wanted, provided) {
        (Status::Fail, _) => "a starter must fail the criteria its lesson introduces",
        (_, true) => "its manifest says shared meets this criterion for it",
        _ => "earlier criteria that still hold must pass",
    };
    let got = format!("{:?}", result.status).to_lowercase();
    let mut text = format!(
        "- lesson {lesson} {what} on {backend}: `{}` (lesson {}) is {got} ({why})",
        result.name, result.introduced
    );
    if result.status != Status::Pass {
        for line in result.message.lines().take(6) {
            text.push_str(&format!("\n      {line}"));
        }
    }
    text
}
