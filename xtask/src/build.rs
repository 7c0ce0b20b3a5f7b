//! Building lesson binaries as a child `cargo build`: xtask does not link the
//! lessons, so a lesson that does not compile cannot stop xtask itself, and
//! with `--keep-going` the other lessons are still built (and graded).

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

use anyhow::Context;
use cargo_metadata::{Message, PackageId, diagnostic::DiagnosticLevel};

use crate::lessons::{LessonCrate, workspace_root};

/// How many lines of a crate's compiler errors a report shows.
const ERROR_LINES: usize = 60;

/// What one `cargo build` of some lessons produced.
#[derive(Debug, Default)]
pub struct Built {
    executables: BTreeMap<PackageId, PathBuf>,
    /// Each crate's rendered compiler errors (lessons and anything they build on).
    errors: BTreeMap<PackageId, Vec<String>>,
    /// cargo's own complaints (a broken manifest, say), from its stderr.
    cargo_errors: Vec<String>,
}

impl Built {
    /// The lesson's executable, or why there is none: its own compiler
    /// errors, or those of a crate it builds on.
    pub fn executable(&self, lesson: &LessonCrate) -> Result<PathBuf, String> {
        self.executable_of(Some(&lesson.id), &lesson.package)
    }

    /// The executable of the workspace package named `package` (one that is
    /// not a lesson, such as the benchmark peer), or why there is none.
    pub fn executable_named(&self, package: &str) -> Result<PathBuf, String> {
        let id = self
            .executables
            .keys()
            .chain(self.errors.keys())
            .find(|id| name_of(id) == package)
            .cloned();
        self.executable_of(id.as_ref(), package)
    }

    fn executable_of(&self, id: Option<&PackageId>, package: &str) -> Result<PathBuf, String> {
        if let Some(path) = id.and_then(|id| self.executables.get(id)) {
            return Ok(path.clone());
        }
        if let Some(own) = id.and_then(|id| self.errors.get(id)) {
            return Err(format!(
                "{package} does not build:\n{}",
                clip(&own.join("\n"))
            ));
        }
        let others: Vec<String> = self
            .errors
            .iter()
            .map(|(id, errors)| format!("{}:\n{}", name_of(id), clip(&errors.join("\n"))))
            .collect();
        if !others.is_empty() {
            return Err(format!(
                "{package} does not build: a crate it depends on does not.\n{}",
                others.join("\n")
            ));
        }
        Err(format!(
            "{package} does not build:\n{}",
            clip(&self.cargo_errors.join("\n"))
        ))
    }
}

/// Which cargo profile to build with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Profile {
    /// `dev`: quick to build; what the checks grade.
    #[default]
    Debug,
    /// `release`: what a benchmark measures.
    Release,
}

/// Builds the binaries of `lessons` in one `cargo build --keep-going`, in debug.
pub fn binaries(lessons: &[&LessonCrate]) -> anyhow::Result<Built> {
    let packages: Vec<&str> = lessons.iter().map(|l| l.package.as_str()).collect();
    packages_in(Profile::Debug, &packages)
}

/// Builds the binaries of the workspace packages `packages` (lessons or not)
/// in one `cargo build --keep-going`, with `profile`.
pub fn packages_in(profile: Profile, packages: &[&str]) -> anyhow::Result<Built> {
    packages_at(&workspace_root(), None, profile, packages)
}

/// [`packages_in`] for the workspace at `root` (a scratch copy, say), into
/// `target_dir` when given instead of the workspace's own `target/`.
pub fn packages_at(
    root: &Path,
    target_dir: Option<&Path>,
    profile: Profile,
    packages: &[&str],
) -> anyhow::Result<Built> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(cargo);
    // `cargo run` gave this process its package's variables; build scripts that
    // watch them (ring's watches CARGO_MANIFEST_DIR) would rebuild every time.
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        if key.starts_with("CARGO_PKG_")
            || [
                "CARGO_MANIFEST_DIR",
                "CARGO_MANIFEST_PATH",
                "CARGO_PRIMARY_PACKAGE",
                "CARGO_CRATE_NAME",
                "CARGO_BIN_NAME",
                "OUT_DIR",
            ]
            .contains(&key.as_ref())
        {
            command.env_remove(key.as_ref());
        }
    }
    if let Some(target_dir) = target_dir {
        command.env("CARGO_TARGET_DIR", target_dir);
    }
    command
        .current_dir(root)
        .args([
            "build",
            "--quiet",
            "--keep-going",
            "--message-format=json",
            "--bins",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if profile == Profile::Release {
        command.arg("--release");
    }
    for package in packages {
        command.args(["--package", package]);
    }
    let output = command.output().context("running cargo build")?;
    let mut built = Built::default();
    for message in Message::parse_stream(output.stdout.as_slice()).flatten() {
        match message {
            Message::CompilerArtifact(artifact) => {
                if let Some(executable) = artifact.executable {
                    built
                        .executables
                        .insert(artifact.package_id, executable.into_std_path_buf());
                }
            }
            Message::CompilerMessage(message)
                if matches!(
                    message.message.level,
                    DiagnosticLevel::Error | DiagnosticLevel::Ice
                ) =>
            {
                let rendered = message.message.rendered.unwrap_or(message.message.message);
                built
                    .errors
                    .entry(message.package_id)
                    .or_default()
                    .push(rendered.trim_end().to_owned());
            }
            _ => {}
        }
    }
    built.cargo_errors = String::from_utf8_lossy(&output.stderr)
        .lines()
        .map(str::to_owned)
        .collect();
    Ok(built)
}

/// `path+file:///…/ex05-unique-title#0.1.0` or `…#ex05-unique-title@0.1.0`: the crate's name.
fn name_of(id: &PackageId) -> String {
    let spec = id.repr.rsplit('#').next().unwrap_or(&id.repr);
    match spec.split_once('@') {
        Some((name, _)) => name.to_owned(),
        None => id
            .repr
            .split('#')
            .next()
            .and_then(|path| path.rsplit('/').next())
            .unwrap_or(&id.repr)
            .to_owned(),
    }
}

/// The first [`ERROR_LINES`] lines of `text`, saying how many more there were.
fn clip(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() <= ERROR_LINES {
        return text.to_owned();
    }
    format!(
        "{}\n… and {} more lines",
        lines[..ERROR_LINES].join("\n"),
        lines.len() - ERROR_LINES
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_crates_by_their_package_id() {
        let id = |repr: &str| PackageId {
            repr: repr.to_owned(),
        };
        assert_eq!(
            name_of(&id("path+file:///w/exercises/ex05-unique-title#0.1.0")),
            "ex05-unique-title"
        );
        assert_eq!(name_of(&id("path+file:///w/shared#shared@0.1.0")), "shared");
    }
}
