//! Building lesson binaries as a child `cargo build`: xtask does not link the
//! lessons, so a lesson that does not compile cannot stop xtask itself, and
//! with `--keep-going` the other lessons are still built (and graded).

use std::{
    collections::BTreeMap,
    path::PathBuf,
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
        if let Some(path) = self.executables.get(&lesson.id) {
            return Ok(path.clone());
        }
        let package = &lesson.package;
        if let Some(own) = self.errors.get(&lesson.id) {
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

/// Builds the binaries of `lessons` in one `cargo build --keep-going`.
pub fn binaries(lessons: &[&LessonCrate]) -> anyhow::Result<Built> {
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
    command
        .current_dir(workspace_root())
        .args([
            "build",
            "--quiet",
            "--keep-going",
            "--message-format=json",
            "--bins",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for lesson in lessons {
        command.args(["--package", &lesson.package]);
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
