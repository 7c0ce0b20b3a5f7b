//! A learner's crates under `learners/`: `start` makes one from a lesson's
//! starter, `reset` makes it again, `progress` shows how far each has come.
//! Each knows its lesson from `[package.metadata.workbook]` in its Cargo.toml.

use std::{
    collections::BTreeMap,
    io::{BufRead, Write},
    path::{Path, PathBuf},
    process::ExitCode,
};

use anyhow::{Context, bail};
use cargo_metadata::MetadataCommand;
use serde::{Deserialize, Serialize};

use crate::{
    lessons::{Lessons, workspace_root},
    starter,
};

/// Where learners' crates live; the workspace takes in every crate there.
pub const LEARNERS: &str = "learners";

#[derive(Debug, clap::Args)]
pub struct StartArgs {
    /// The lesson to start
    lesson: u8,
    /// Your crate's package name, and its folder under learners/ (default `my-exNN`)
    #[arg(long)]
    name: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct ResetArgs {
    /// The lesson whose starter to restore
    lesson: u8,
    /// The crate to restore, under learners/
    #[arg(long)]
    name: String,
    /// Do not ask first
    #[arg(long)]
    yes: bool,
}

#[derive(Debug, clap::Args)]
pub struct ProgressArgs {
    /// Grade every learner crate now instead of showing the last results
    #[arg(long)]
    refresh: bool,
}

/// `my-ex05` for lesson 5.
pub fn default_name(lesson: u8) -> String {
    format!("my-ex{lesson:02}")
}

pub fn start(args: StartArgs) -> anyhow::Result<ExitCode> {
    let name = args.name.unwrap_or_else(|| default_name(args.lesson));
    valid_name(&name)?;
    let root = workspace_root();
    let lessons = Lessons::discover()?;
    if lessons.has_package(&name) {
        bail!("`{name}` is already a package of this workspace: choose another --name");
    }
    let generated = make(&root, &lessons, args.lesson, &name)?;
    print_started(args.lesson, &name, &generated, &root);
    Ok(ExitCode::SUCCESS)
}

pub fn reset(args: ResetArgs) -> anyhow::Result<ExitCode> {
    valid_name(&args.name)?;
    let root = workspace_root();
    let dir = root.join(LEARNERS).join(&args.name);
    if !dir.join("Cargo.toml").is_file() {
        bail!(
            "{} is not a crate: `cargo xtask start {} --name {}` makes it",
            dir.display(),
            args.lesson,
            args.name
        );
    }
    if !args.yes
        && !confirm(&format!(
            "This deletes everything in {} and writes lesson {}'s starter again. Go on? [y/N] ",
            dir.display(),
            args.lesson
        ))?
    {
        eprintln!("left as it was");
        return Ok(ExitCode::FAILURE);
    }
    std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
    let lessons = Lessons::discover()?;
    let generated = make(&root, &lessons, args.lesson, &args.name)?;
    Progress::load().forget(&args.name);
    print_started(args.lesson, &args.name, &generated, &root);
    Ok(ExitCode::SUCCESS)
}

/// Lesson `lesson`'s starter as `learners/NAME` in the workspace at `root`.
pub fn make(
    root: &Path,
    lessons: &Lessons,
    lesson: u8,
    name: &str,
) -> anyhow::Result<starter::Generated> {
    let reference = lessons.package(lesson)?;
    // The same crate in `root`, which may be a copy of this workspace.
    let reference_dir = root.join(reference.dir.strip_prefix(workspace_root())?);
    starter::generate(
        root,
        &reference_dir,
        &reference.package,
        lesson,
        name,
        &root.join(LEARNERS).join(name),
    )
}

fn print_started(lesson: u8, name: &str, generated: &starter::Generated, root: &Path) {
    let dir = generated.dir.strip_prefix(root).unwrap_or(&generated.dir);
    println!(
        "created {} (lesson {lesson}), yours to fill in:",
        dir.display()
    );
    for (file, hole) in &generated.holes {
        println!("  {}/{file}:{}  {}", dir.display(), hole.line, hole.todo);
    }
    println!(
        "\nnext:\n  cargo xtask check {lesson} --package {name}   grade it (its README.md says what else)\n  cargo xtask watch {lesson} --package {name}   grade it again on every save\n  cargo xtask hint {lesson} CHECK               when a check fails"
    );
}

/// A name cargo takes as a package and that is a folder name, too.
fn valid_name(name: &str) -> anyhow::Result<()> {
    let ok = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && name.len() <= 64;
    if !ok {
        bail!(
            "`{name}` cannot be a crate name: use lowercase letters, digits and dashes, starting with a letter"
        );
    }
    Ok(())
}

fn confirm(question: &str) -> anyhow::Result<bool> {
    eprint!("{question}");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

/// One learner crate of the workspace.
#[derive(Debug, Clone)]
pub struct LearnerCrate {
    pub package: String,
    pub lesson: u8,
}

/// The workspace's learner crates: packages that name their lesson in
/// `[package.metadata.workbook]`.
pub fn crates() -> anyhow::Result<Vec<LearnerCrate>> {
    let metadata = MetadataCommand::new()
        .manifest_path(workspace_root().join("Cargo.toml"))
        .no_deps()
        .exec()
        .context("running cargo metadata")?;
    let mut found: Vec<LearnerCrate> = metadata
        .workspace_packages()
        .into_iter()
        .filter_map(|package| {
            let lesson = package.metadata.get("workbook")?.get("lesson")?.as_u64()?;
            Some(LearnerCrate {
                package: package.name.to_string(),
                lesson: u8::try_from(lesson).ok()?,
            })
        })
        .collect();
    found.sort_by(|a, b| (a.lesson, &a.package).cmp(&(b.lesson, &b.package)));
    Ok(found)
}

/// The lesson a learner crate is for.
pub fn lesson_of(package: &str) -> anyhow::Result<Option<u8>> {
    Ok(crates()?
        .into_iter()
        .find(|c| c.package == package)
        .map(|c| c.lesson))
}

/// The last grading of each learner crate, kept in `target/workbook/progress.json`.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Progress {
    crates: BTreeMap<String, Graded>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Graded {
    pub lesson: u8,
    /// Lesson N's own criteria: passed, and in all (on the databases graded).
    pub passed: usize,
    pub total: usize,
    /// Earlier lessons' criteria that still hold, and how many of them passed.
    pub earlier_passed: usize,
    pub earlier_total: usize,
    /// The criteria that failed, lesson N's first, in the order they ran.
    pub failed: Vec<String>,
    /// `sqlite`, `postgres` or `both`.
    pub db: String,
    /// Seconds since the Unix epoch.
    pub at: u64,
}

impl Progress {
    fn path() -> PathBuf {
        workspace_root().join("target/workbook/progress.json")
    }

    pub fn load() -> Self {
        std::fs::read(Self::path())
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    pub fn record(package: &str, graded: Graded) -> anyhow::Result<()> {
        let mut progress = Self::load();
        progress.crates.insert(package.to_owned(), graded);
        progress.save()
    }

    /// The learner crate last graded as `lesson` and the first criterion it failed.
    pub fn first_failed(&self, lesson: u8) -> Option<(String, String)> {
        self.crates
            .iter()
            .filter(|(_, graded)| graded.lesson == lesson)
            .max_by_key(|(_, graded)| graded.at)
            .and_then(|(package, graded)| Some((package.clone(), graded.failed.first()?.clone())))
    }

    fn forget(mut self, package: &str) {
        if self.crates.remove(package).is_some() {
            let _ = self.save();
        }
    }

    fn save(&self) -> anyhow::Result<()> {
        let path = Self::path();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&path, serde_json::to_vec_pretty(self)?)?;
        Ok(())
    }
}

pub fn progress(args: ProgressArgs) -> anyhow::Result<ExitCode> {
    let crates = crates()?;
    if crates.is_empty() {
        println!("no crate under learners/ yet: `cargo xtask start 1` makes one");
        return Ok(ExitCode::SUCCESS);
    }
    if args.refresh {
        for learner in &crates {
            eprintln!("grading {} (lesson {})…", learner.package, learner.lesson);
            let status = std::process::Command::new(std::env::current_exe()?)
                .args([
                    "check",
                    &learner.lesson.to_string(),
                    "--package",
                    &learner.package,
                ])
                .status()?;
            let _ = status;
        }
    }
    let progress = Progress::load();
    println!(
        "{:<24} {:>6}  {:<14} {:<16} {:<8} graded",
        "crate", "lesson", "this lesson", "earlier lessons", "db"
    );
    let now = now();
    for learner in &crates {
        match progress.crates.get(&learner.package) {
            Some(graded) if graded.lesson == learner.lesson => println!(
                "{:<24} {:>6}  {:<14} {:<16} {:<8} {}",
                learner.package,
                learner.lesson,
                format!("{}/{}", graded.passed, graded.total),
                format!("{}/{}", graded.earlier_passed, graded.earlier_total),
                graded.db,
                ago(now.saturating_sub(graded.at)),
            ),
            _ => println!(
                "{:<24} {:>6}  {:<14} {:<16} {:<8} never (cargo xtask progress --refresh)",
                learner.package, learner.lesson, "-", "-", "-"
            ),
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn ago(seconds: u64) -> String {
    match seconds {
        0..60 => "just now".to_owned(),
        60..3600 => format!("{} min ago", seconds / 60),
        3600..86400 => format!("{} h ago", seconds / 3600),
        _ => format!("{} days ago", seconds / 86400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_crate_names() {
        assert!(valid_name("my-ex05").is_ok());
        assert!(valid_name("alice_5").is_ok());
        for bad in ["", "5x", "My-ex05", "a/b", "../x", "a b"] {
            assert!(valid_name(bad).is_err(), "{bad}");
        }
        assert_eq!(default_name(5), "my-ex05");
    }
}
