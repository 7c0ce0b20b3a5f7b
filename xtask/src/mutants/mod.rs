//! `cargo xtask mutants`: each check seen failing. Every mutant of
//! `checks/mutants/*.toml` is one small breakage of a lesson's reference
//! binary; it is built in a scratch copy of the workspace and graded with the
//! checks that must catch it, by the same runner as `cargo xtask check --bin`.
//!
//! A mutant ends `caught` (on every database it lists and the run chose, at
//! least one of its checks failed), `missed` (all passed: the checks have a
//! hole), `did not build` or `stale`/`invalid` (the list has a defect), or
//! `known miss` (`caught_by = []`, `known_miss = "why"`: reported, not run).

mod docs;
mod list;

use std::{
    collections::{BTreeMap, BTreeSet},
    io::{IsTerminal, Write},
    path::{Path, PathBuf},
    process::{Command, ExitCode},
    sync::{Arc, mpsc},
    time::Instant,
};

use anyhow::{Context, bail};
use checks::harness::{
    Backend,
    runner::{self, CheckResult, Job, Status, Target},
};
use clap::ValueEnum;
use serde::Serialize;

use crate::{
    check::{self, Databases},
    lessons::{Lessons, workspace_root},
    scratch,
};
use list::{Mutant, Problem, ProfileName};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Which lessons' mutants: `3`, `3-7`, `1,4,9` or `all`
    #[arg(default_value = "all")]
    lessons: String,
    /// Which databases to grade on (each mutant also lists its own)
    #[arg(long, value_enum, default_value = "sqlite")]
    db: Databases,
    /// Checks to run at once for one mutant (the next mutant builds meanwhile)
    #[arg(long, short = 'j')]
    jobs: Option<usize>,
    /// How to write the results
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Print the mutants and their validation, run nothing
    #[arg(long)]
    list: bool,
    /// Only K mutants, drawn deterministically by --seed (a rotating sample for CI)
    #[arg(long, value_name = "K")]
    sample: Option<usize>,
    /// The seed of --sample (CI uses the day of the year)
    #[arg(long, value_name = "S", default_value_t = 0, requires = "sample")]
    seed: u64,
    /// Only the mutants of lessons whose files changed since REV (`git diff --name-only REV`)
    #[arg(long, value_name = "REV")]
    changed_since: Option<String>,
    /// Only these mutants, by id (`lesson03#4`; repeatable)
    #[arg(long = "mutant", value_name = "ID")]
    only: Vec<String>,
    /// Grade each mutant with every check of its lesson, not only `caught_by`
    /// (and build the known misses, to see whether something catches them now)
    #[arg(long)]
    all_checks: bool,
    /// Rewrite docs/mutants.md from the results (needs `all --db both`, no selection)
    #[arg(long)]
    write_docs: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Human,
    Json,
}

/// How one mutant ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Caught,
    Missed,
    DidNotBuild,
    Stale,
    Invalid,
    KnownMiss,
    /// The run chose none of the databases the mutant lists.
    Skipped,
}

impl Verdict {
    fn label(self) -> &'static str {
        match self {
            Verdict::Caught => "caught",
            Verdict::Missed => "MISSED",
            Verdict::DidNotBuild => "did not build",
            Verdict::Stale => "stale",
            Verdict::Invalid => "invalid",
            Verdict::KnownMiss => "known miss",
            Verdict::Skipped => "skipped",
        }
    }

    /// Whether this outcome fails the run.
    fn fails(self) -> bool {
        !matches!(
            self,
            Verdict::Caught | Verdict::KnownMiss | Verdict::Skipped
        )
    }
}

/// One mutant's result.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub id: String,
    pub source: String,
    pub lesson: u8,
    pub description: String,
    pub file: String,
    pub verdict: Verdict,
    /// The checks that failed, by database.
    pub failed: BTreeMap<Backend, Vec<String>>,
    /// The checks that passed, by database.
    pub passed: BTreeMap<Backend, Vec<String>>,
    /// The databases graded.
    pub dbs: Vec<Backend>,
    pub caught_by: Vec<String>,
    pub profile: ProfileName,
    /// Why it did not build, is stale or invalid; the known miss's reason.
    pub message: String,
    #[serde(rename = "buildSecs")]
    pub build_secs: f64,
    #[serde(rename = "gradeSecs")]
    pub grade_secs: f64,
}

impl Outcome {
    fn new(mutant: &Mutant, verdict: Verdict, message: String) -> Self {
        Self {
            id: mutant.id.clone(),
            source: mutant.source.clone(),
            lesson: mutant.lesson,
            description: mutant.description.clone(),
            file: mutant.file.clone(),
            verdict,
            failed: BTreeMap::new(),
            passed: BTreeMap::new(),
            dbs: Vec::new(),
            caught_by: mutant.caught_by.clone(),
            profile: mutant.profile,
            message,
            build_secs: 0.0,
            grade_secs: 0.0,
        }
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let root = workspace_root();
    let workspace = Lessons::discover()?;
    let lessons: BTreeSet<u8> = check::parse_lessons(&args.lessons, &workspace)?
        .into_iter()
        .collect();
    let with_checks: BTreeSet<u8> = workspace
        .numbers()
        .filter(|n| checks::lessons().contains(n))
        .collect();
    let all_checks = checks::all();
    let everything = list::load(
        &root.join("checks/mutants"),
        &list::Workspace {
            root: &root,
            lessons: &with_checks,
            checks: &all_checks,
        },
    )?;
    let total = everything.len();
    let full_set = args.lessons == "all"
        && args.sample.is_none()
        && args.changed_since.is_none()
        && args.only.is_empty();
    if args.write_docs && !(full_set && matches!(args.db, Databases::Both)) {
        bail!(
            "--write-docs records the whole list: run `cargo xtask mutants all --db both --write-docs`, without --sample, --changed-since or --mutant"
        );
    }

    let mut mutants: Vec<Mutant> = everything
        .into_iter()
        .filter(|m| lessons.contains(&m.lesson))
        .filter(|m| args.only.is_empty() || args.only.contains(&m.id))
        .collect();
    if let Some(rev) = &args.changed_since {
        let changed = changed_files(&root, rev)?;
        let dependents = scratch::dependents(&root)?;
        mutants.retain(|m| affected(m, &changed, &dependents, &all_checks));
    }
    if let Some(k) = args.sample {
        mutants = list::sample(mutants, k, args.seed);
    }

    if args.list {
        for mutant in &mutants {
            print_listed(mutant);
        }
        let problems = mutants.iter().filter(|m| m.problem.is_some()).count();
        println!(
            "{} mutants of {total} ({problems} stale or invalid)",
            mutants.len()
        );
        return Ok(if problems == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }
    if mutants.is_empty() {
        eprintln!("no mutant selected");
        return Ok(ExitCode::SUCCESS);
    }

    let chosen = args.db.backends();
    let postgres = check::postgres(&chosen)?;
    let parallel = args.jobs.unwrap_or(4);
    let started = Instant::now();

    // What needs building, and what is settled without it.
    let mut outcomes: Vec<Option<Outcome>> = vec![None; mutants.len()];
    let mut to_build = Vec::new();
    for (i, mutant) in mutants.iter().enumerate() {
        let dbs = dbs_of(mutant, &chosen);
        let settled = match &mutant.problem {
            Some(Problem::Stale(why)) => Some(Outcome::new(mutant, Verdict::Stale, why.clone())),
            Some(Problem::Invalid(why)) => {
                Some(Outcome::new(mutant, Verdict::Invalid, why.clone()))
            }
            None if dbs.is_empty() => Some(Outcome::new(
                mutant,
                Verdict::Skipped,
                format!("listed for {:?} only", mutant.db),
            )),
            None if mutant.known_miss.is_some() && !args.all_checks => Some(Outcome::new(
                mutant,
                Verdict::KnownMiss,
                mutant.known_miss.clone().unwrap_or_default(),
            )),
            None => None,
        };
        match settled {
            Some(outcome) => outcomes[i] = Some(outcome),
            None => to_build.push(i),
        }
    }
    // Debug builds first, each lesson's together; the release builds last.
    to_build.sort_by_key(|&i| {
        (
            mutants[i].profile == ProfileName::Release,
            mutants[i].lesson,
        )
    });

    let human = args.format == Format::Human;
    for outcome in outcomes.iter().flatten() {
        if human {
            println!("{}", line(outcome));
        }
    }
    if !to_build.is_empty() {
        eprintln!(
            "building {} mutant(s) in target/mutants/ws (into target/mutants/target)…",
            to_build.len()
        );
        let graded = build_and_grade(
            &root,
            &workspace,
            &mutants,
            &to_build,
            &chosen,
            postgres,
            parallel,
            args.all_checks,
            |outcome| {
                if human {
                    println!("{}", line(outcome));
                    let _ = std::io::stdout().flush();
                }
            },
        )?;
        for (i, outcome) in graded {
            outcomes[i] = Some(outcome);
        }
    }
    let outcomes: Vec<Outcome> = outcomes.into_iter().flatten().collect();
    let elapsed = started.elapsed().as_secs_f64();

    let json = serde_json::to_string_pretty(&serde_json::json!({
        "summary": summary(&outcomes, elapsed),
        "seconds": elapsed,
        "mutants": outcomes,
    }))?;
    // The last run's results, whatever the format, for a look afterwards.
    let _ = std::fs::write(root.join("target/mutants/last-run.json"), &json);
    match args.format {
        Format::Human => println!("{}", summary(&outcomes, elapsed)),
        Format::Json => println!("{json}"),
    }
    if args.write_docs {
        let path = root.join("docs/mutants.md");
        std::fs::write(&path, docs::render(&outcomes))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(if outcomes.iter().any(|o| o.verdict.fails()) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The databases a mutant is graded on: those the run chose that it lists.
fn dbs_of(mutant: &Mutant, chosen: &[Backend]) -> Vec<Backend> {
    chosen
        .iter()
        .copied()
        .filter(|db| mutant.db.contains(db))
        .collect()
}

/// A built mutant's binary, or why there is none.
struct BuiltMutant {
    index: usize,
    binary: Result<PathBuf, String>,
    build_secs: f64,
}

/// Builds the mutants `order` one after another on a thread of its own (each
/// binary copied aside), grading each while the next one builds.
#[allow(clippy::too_many_arguments)]
fn build_and_grade(
    root: &Path,
    workspace: &Lessons,
    mutants: &[Mutant],
    order: &[usize],
    chosen: &[Backend],
    postgres: Option<checks::harness::Postgres>,
    parallel: usize,
    all_checks: bool,
    report: impl Fn(&Outcome),
) -> anyhow::Result<Vec<(usize, Outcome)>> {
    let mut scratch = scratch::Scratch::prepare(root, "mutants")?;
    let bins = root.join("target/mutants/bin");
    std::fs::create_dir_all(&bins)?;
    let packages: BTreeMap<u8, String> = order
        .iter()
        .map(|&i| {
            let lesson = mutants[i].lesson;
            Ok((lesson, workspace.package(lesson)?.package.clone()))
        })
        .collect::<anyhow::Result<_>>()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let (send, receive) = mpsc::sync_channel::<BuiltMutant>(0);

    std::thread::scope(|scope| -> anyhow::Result<Vec<(usize, Outcome)>> {
        let (scratch, packages, bins) = (&mut scratch, &packages, &bins);
        let builder = scope.spawn(move || -> anyhow::Result<()> {
            for &i in order {
                let mutant = &mutants[i];
                let package = &packages[&mutant.lesson];
                let started = Instant::now();
                let texts = mutant.apply(|file| std::fs::read_to_string(root.join(file)))?;
                scratch.mutate(&texts)?;
                let mut build: Vec<&str> = vec![package];
                build.extend(mutant.packages.iter().map(String::as_str));
                let built = scratch.build(&build, mutant.profile.into())?;
                let binary = built.executable_named(package).and_then(|path| {
                    // Aside, so that the next build does not replace it mid-grading.
                    let aside = bins.join(mutant.id.replace('#', "-"));
                    std::fs::copy(&path, &aside)
                        .map(|_| aside)
                        .map_err(|err| format!("cannot copy {}: {err}", path.display()))
                });
                let message = BuiltMutant {
                    index: i,
                    binary,
                    build_secs: started.elapsed().as_secs_f64(),
                };
                if send.send(message).is_err() {
                    break;
                }
            }
            drop(send);
            scratch.reset()
        });

        let mut outcomes = Vec::new();
        for built in receive.iter() {
            let mutant = &mutants[built.index];
            let mut outcome = match built.binary {
                Err(why) => Outcome::new(mutant, Verdict::DidNotBuild, why),
                Ok(binary) => {
                    let outcome = runtime.block_on(grade(
                        mutant,
                        &binary,
                        &dbs_of(mutant, chosen),
                        postgres.clone(),
                        parallel,
                        all_checks,
                    ));
                    let _ = std::fs::remove_file(&binary);
                    outcome
                }
            };
            outcome.build_secs = built.build_secs;
            report(&outcome);
            outcomes.push((built.index, outcome));
        }
        match builder.join() {
            Ok(result) => result?,
            Err(_) => bail!("the build thread panicked"),
        }
        Ok(outcomes)
    })
}

/// Grades one mutant's binary with its checks (or all of its lesson's) on `dbs`.
async fn grade(
    mutant: &Mutant,
    binary: &Path,
    dbs: &[Backend],
    postgres: Option<checks::harness::Postgres>,
    parallel: usize,
    all_checks: bool,
) -> Outcome {
    let started = Instant::now();
    let target = Arc::new(Target {
        lesson: mutant.lesson,
        binary: binary.to_owned(),
        unusable: None,
        keep: false,
    });
    let mut graded = mutant.checks();
    if all_checks {
        for check in checks::for_lesson(mutant.lesson, false) {
            if !graded.iter().any(|c| c.name == check.name) {
                graded.push(check);
            }
        }
    }
    let jobs: Vec<Job> = graded
        .iter()
        .flat_map(|check| {
            dbs.iter()
                .filter(|db| check.applies_to(**db))
                .map(|db| Job {
                    check: *check,
                    target: target.clone(),
                    backend: *db,
                })
        })
        .collect();
    let results: Vec<CheckResult> = runner::run(jobs, parallel, postgres, |_| {}).await;
    let mut outcome = Outcome::new(mutant, Verdict::Caught, String::new());
    outcome.dbs = dbs.to_vec();
    let mut messages = Vec::new();
    for result in &results {
        let into = if result.status == Status::Pass {
            &mut outcome.passed
        } else {
            if let Some(first) = result.message.lines().next() {
                messages.push(format!("{} ({}): {first}", result.name, result.db));
            }
            &mut outcome.failed
        };
        into.entry(result.db)
            .or_default()
            .push(result.name.to_owned());
    }
    // Caught on a database when a check expected to fail did (with
    // --all-checks and no expectation, when any did).
    let expected = |name: &String| mutant.caught_by.is_empty() || mutant.caught_by.contains(name);
    let caught_everywhere = dbs.iter().all(|db| {
        outcome
            .failed
            .get(db)
            .is_some_and(|failed| failed.iter().any(expected))
    });
    outcome.verdict = if caught_everywhere {
        Verdict::Caught
    } else if mutant.known_miss.is_some() {
        Verdict::KnownMiss
    } else {
        Verdict::Missed
    };
    if mutant.known_miss.is_some() && caught_everywhere {
        messages.insert(
            0,
            "a known miss is caught now: give it its checks and drop `known_miss`".into(),
        );
    }
    outcome.message = messages.join("\n");
    outcome.grade_secs = started.elapsed().as_secs_f64();
    outcome
}

/// `git diff --name-only REV` (committed and uncommitted changes since REV).
fn changed_files(root: &Path, rev: &str) -> anyhow::Result<Vec<String>> {
    let output = Command::new("git")
        .current_dir(root)
        .args(["diff", "--name-only", rev, "--"])
        .output()
        .context("running git diff")?;
    if !output.status.success() {
        bail!(
            "git diff --name-only {rev} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect())
}

/// Whether a change to `changed` can alter what `mutant` shows: a change to
/// the code every lesson stands on (shared/, migration/, the harness, the
/// build) touches all; one in a lesson's crate touches it and the lessons
/// built on it; one in a lesson's checks touches the mutants graded by them;
/// a change to the mutant's own list file or target file touches it.
fn affected(
    mutant: &Mutant,
    changed: &[String],
    dependents: &std::collections::HashMap<u8, BTreeSet<u8>>,
    checks: &[checks::Check],
) -> bool {
    const EVERYTHING: [&str; 7] = [
        "shared/",
        "migration/",
        "checks/src/harness/",
        "checks/src/flows.rs",
        "workspace-hack/",
        "Cargo.toml",
        "Cargo.lock",
    ];
    changed.iter().any(|file| {
        if EVERYTHING.iter().any(|p| file.starts_with(p)) {
            return true;
        }
        if *file == mutant.source || *file == mutant.file {
            return true;
        }
        if let Some(rest) = file.strip_prefix("exercises/ex")
            && let Some(lesson) = rest.get(..2).and_then(|d| d.parse::<u8>().ok())
        {
            return dependents
                .get(&lesson)
                .is_some_and(|built_on| built_on.contains(&mutant.lesson));
        }
        if let Some(rest) = file.strip_prefix("checks/src/lesson")
            && let Some(lesson) = rest.get(..2).and_then(|d| d.parse::<u8>().ok())
        {
            return mutant.lesson == lesson
                || mutant
                    .caught_by
                    .iter()
                    .any(|name| checks.iter().any(|c| c.name == name && c.lesson == lesson));
        }
        false
    })
}

fn mark(verdict: Verdict) -> String {
    let (mark, colour) = match verdict {
        Verdict::Caught => ("✓", "32"),
        Verdict::KnownMiss | Verdict::Skipped => ("-", "2"),
        Verdict::Missed => ("✗", "31"),
        Verdict::DidNotBuild | Verdict::Stale | Verdict::Invalid => ("!", "33"),
    };
    if std::io::stdout().is_terminal() {
        format!("\x1b[{colour}m{mark}\x1b[0m")
    } else {
        mark.to_owned()
    }
}

/// `✓ lesson 03 lesson03#4  GET of a task not filtered by owner   caught   41.2 s`, then details.
fn line(outcome: &Outcome) -> String {
    let mut text = format!(
        "{} lesson {:02} {:<12} {:<60} {:<13} {:>6.1} s",
        mark(outcome.verdict),
        outcome.lesson,
        outcome.id,
        clip(&outcome.description, 60),
        outcome.verdict.label(),
        outcome.build_secs + outcome.grade_secs,
    );
    if !outcome.failed.is_empty() {
        text.push_str(&format!("\n    failed: {}", by_check(&outcome.failed)));
    }
    if outcome.verdict == Verdict::Missed {
        text.push_str(&format!("\n    passed: {}", by_check(&outcome.passed)));
        text.push_str(&format!("\n    file:   {}", outcome.file));
    }
    let shown = match outcome.verdict {
        Verdict::Caught => 0,
        Verdict::DidNotBuild => 12,
        _ => 4,
    };
    for message in outcome.message.lines().take(shown) {
        text.push_str(&format!("\n    {message}"));
    }
    text
}

fn print_listed(mutant: &Mutant) {
    let state = match &mutant.problem {
        Some(Problem::Stale(why)) => format!("STALE: {why}"),
        Some(Problem::Invalid(why)) => format!("INVALID: {why}"),
        None => match &mutant.known_miss {
            Some(why) => format!("known miss: {why}"),
            None => format!("caught by {}", mutant.caught_by.join(", ")),
        },
    };
    let dbs: Vec<String> = mutant.db.iter().map(ToString::to_string).collect();
    let profile = if mutant.profile == ProfileName::Release {
        ", release"
    } else {
        ""
    };
    println!(
        "lesson {:02} {:<12} {}\n    {} [{}{profile}] {state}",
        mutant.lesson,
        mutant.id,
        mutant.description,
        mutant.file,
        dbs.join(", "),
    );
}

/// `` `a` (postgres, sqlite); `b` (sqlite) ``: checks and the databases they failed on.
pub fn by_check(by_db: &BTreeMap<Backend, Vec<String>>) -> String {
    let mut by_name: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (db, names) in by_db {
        for name in names {
            by_name.entry(name).or_default().insert(db.to_string());
        }
    }
    by_name
        .iter()
        .map(|(name, dbs)| {
            format!(
                "`{name}` ({})",
                dbs.iter().cloned().collect::<Vec<_>>().join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_owned()
    } else {
        let mut clipped: String = text.chars().take(width - 1).collect();
        clipped.push('…');
        clipped
    }
}

/// `N caught, M missed, K did not build` (and the rest, when there are any).
fn summary(outcomes: &[Outcome], seconds: f64) -> String {
    let count = |verdict| outcomes.iter().filter(|o| o.verdict == verdict).count();
    let mut text = format!(
        "{} caught, {} missed, {} did not build",
        count(Verdict::Caught),
        count(Verdict::Missed),
        count(Verdict::DidNotBuild)
    );
    for (verdict, name) in [
        (Verdict::Stale, "stale"),
        (Verdict::Invalid, "invalid"),
        (Verdict::KnownMiss, "known misses"),
        (Verdict::Skipped, "skipped"),
    ] {
        let n = count(verdict);
        if n > 0 {
            text.push_str(&format!(", {n} {name}"));
        }
    }
    text.push_str(&format!(" ({:.0} s)", seconds));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mutant(lesson: u8, caught_by: &[&str]) -> Mutant {
        Mutant {
            id: format!("lesson{lesson:02}#1"),
            source: format!("checks/mutants/lesson{lesson:02}.toml"),
            lesson,
            description: String::new(),
            file: format!("exercises/ex0{lesson}-x/src/lib.rs"),
            edits: vec![],
            packages: vec![],
            caught_by: caught_by.iter().map(|s| (*s).to_owned()).collect(),
            db: vec![Backend::Sqlite],
            known_miss: None,
            profile: ProfileName::Debug,
            problem: None,
        }
    }

    #[test]
    fn a_change_selects_the_lessons_it_can_alter() {
        let dependents = scratch::dependents(&workspace_root()).unwrap();
        let all = checks::all();
        let hit = |m: &Mutant, file: &str| affected(m, &[file.to_owned()], &dependents, &all);
        let seven = mutant(7, &["sort_orders"]);
        let one = mutant(1, &["health"]);
        assert!(hit(&seven, "shared/src/db.rs"));
        assert!(hit(&one, "checks/src/harness/app.rs"));
        assert!(hit(&seven, "exercises/ex03-repository/src/table.rs"));
        assert!(!hit(&one, "exercises/ex03-repository/src/table.rs"));
        assert!(!hit(
            &seven,
            "exercises/ex09-keyset-pagination/src/cursor.rs"
        ));
        assert!(hit(&seven, "checks/src/lesson07.rs"));
        assert!(!hit(&seven, "checks/src/lesson08.rs"));
        // A lesson 7 mutant caught by a lesson 3 check.
        assert!(hit(&mutant(7, &["task_crud"]), "checks/src/lesson03.rs"));
        assert!(hit(&seven, "checks/mutants/lesson07.toml"));
        assert!(!hit(&seven, "docs/mutants.md"));
    }

    #[test]
    fn only_caught_known_missed_and_skipped_pass_the_run() {
        assert!(!Verdict::Caught.fails());
        assert!(!Verdict::KnownMiss.fails());
        assert!(Verdict::Missed.fails());
        assert!(Verdict::DidNotBuild.fails());
        assert!(Verdict::Stale.fails());
    }

    #[test]
    fn the_summary_counts_verdicts() {
        let mut caught = Outcome::new(&mutant(3, &["task_crud"]), Verdict::Caught, String::new());
        caught
            .failed
            .insert(Backend::Sqlite, vec!["task_crud".into()]);
        let missed = Outcome::new(&mutant(3, &["task_crud"]), Verdict::Missed, String::new());
        let text = summary(&[caught.clone(), missed], 1.0);
        assert!(
            text.starts_with("1 caught, 1 missed, 0 did not build"),
            "{text}"
        );
        assert_eq!(by_check(&caught.failed), "`task_crud` (sqlite)");
    }
}
