//! A learner's crate for lesson N, generated from lesson N's reference crate:
//! the same files, depending on lesson N−1 as the reference does, with each
//! `// starter:` body cut to a `todo!()` ([`holes`]), lesson N's schema step
//! as a migration of the learner's own ([`migration`]), and what
//! `starters/lessonNN/` adds (lesson 1's connection code, say).
//!
//! What each lesson's starter leaves to the learner is written in
//! `starters/lessonNN.toml` ([`Manifest`]).

pub mod holes;
mod migration;

use std::{
    fs,
    path::{Path, PathBuf},
};

use anyhow::{Context, bail};
use serde::Deserialize;

use crate::lessons::workspace_root;

/// `starters/lessonNN.toml`: what the starter of one lesson leaves to the learner.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// What the learner writes, in a sentence or two (printed by `start`).
    pub summary: String,
    /// The lesson's schema step, when it has one: the learner writes its body.
    pub migration: Option<MigrationStep>,
    /// Lesson N's criteria the starter already meets, because `shared` does
    /// the work (lesson 1 and 2 starters are scoped), each with why.
    #[serde(default)]
    pub provided: Vec<Provided>,
    /// Workspace crates the starter's own files use beyond the reference's.
    #[serde(default)]
    pub dependencies: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MigrationStep {
    /// Its name, as `seaql_migrations` stores it (the reference's).
    pub name: String,
    /// What is left to write (`up` and `down`, or `down` alone when `up` is given).
    pub todo: String,
    /// `up`'s body when the starter gives it: lesson 6's entity reads the new
    /// column, so every earlier criterion needs it there; `down` is the task.
    pub up: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provided {
    pub check: String,
    pub why: String,
}

impl Manifest {
    pub fn load(lesson: u8) -> anyhow::Result<Self> {
        let path = manifest_path(lesson);
        let text = fs::read_to_string(&path)
            .with_context(|| format!("lesson {lesson} has no starter yet ({})", path.display()))?;
        toml::from_str(&text).with_context(|| format!("reading {}", path.display()))
    }

    /// Whether `check` is one the starter meets already.
    pub fn provides(&self, check: &str) -> bool {
        self.provided.iter().any(|p| p.check == check)
    }
}

fn manifest_path(lesson: u8) -> PathBuf {
    workspace_root().join(format!("starters/lesson{lesson:02}.toml"))
}

/// A generated crate: where, and the holes it has.
#[derive(Debug)]
pub struct Generated {
    pub dir: PathBuf,
    /// `(file relative to the crate, hole)`.
    pub holes: Vec<(String, holes::Hole)>,
}

/// The lesson a generated crate is for, kept in its Cargo.toml.
pub const METADATA: &str = "[package.metadata.workbook]";

/// Writes lesson `lesson`'s starter as the package `name` in `dest` (which
/// must not exist), from the reference crate in `reference` (under
/// `root/exercises/`). `root` is the workspace the crate will belong to.
pub fn generate(
    root: &Path,
    reference: &Path,
    reference_package: &str,
    lesson: u8,
    name: &str,
    dest: &Path,
) -> anyhow::Result<Generated> {
    let manifest = Manifest::load(lesson)?;
    if dest.exists() {
        bail!(
            "{} exists already: choose another --name, or `cargo xtask reset {lesson} --name {name}` to start it over",
            dest.display()
        );
    }
    let exercises = relative(dest, &root.join("exercises"));
    let crate_ident = name.replace('-', "_");
    let reference_ident = reference_package.replace('-', "_");
    let mut files = Vec::new();
    for file in ["Cargo.toml"]
        .into_iter()
        .map(PathBuf::from)
        .chain(rust_files(&reference.join("src"), reference)?)
    {
        let text = fs::read_to_string(reference.join(&file))
            .with_context(|| format!("reading {}", reference.join(&file).display()))?;
        files.push((file, text));
    }
    let overlay = workspace_root().join(format!("starters/lesson{lesson:02}"));
    if overlay.is_dir() {
        for file in rust_files(&overlay.join("src"), &overlay)? {
            files.retain(|(have, _)| have != &file);
            files.push((file.clone(), fs::read_to_string(overlay.join(&file))?));
        }
    }

    let mut holes = Vec::new();
    let mut written = Vec::new();
    for (file, text) in files {
        let shown = file.display().to_string();
        let text = if shown == "Cargo.toml" {
            cargo_toml(
                &text,
                reference_package,
                name,
                &exercises,
                lesson,
                &manifest.dependencies,
            )?
        } else {
            let text = text.replace(&format!("{reference_ident}::"), &format!("{crate_ident}::"));
            let (text, cut) =
                holes::cut(&text, lesson).map_err(|err| anyhow::anyhow!("{shown}: {err}"))?;
            holes.extend(cut.into_iter().map(|hole| (shown.clone(), hole)));
            if shown == "src/lib.rs" {
                lib_rs(&text, lesson, manifest.migration.is_some())?
            } else {
                text
            }
        };
        written.push((file, text));
    }
    if let Some(step) = &manifest.migration {
        let text = migration::source(lesson, step);
        holes.push((
            "src/migrations.rs".to_owned(),
            holes::Hole {
                line: migration::todo_line(&text),
                todo: step.todo.split_whitespace().collect::<Vec<_>>().join(" "),
            },
        ));
        written.push((PathBuf::from("src/migrations.rs"), text));
    }
    for (file, text) in written {
        let path = dest.join(file);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    fs::write(
        dest.join("README.md"),
        readme(lesson, name, &manifest, &holes),
    )?;
    Ok(Generated {
        dir: dest.to_owned(),
        holes,
    })
}

/// The reference's manifest under the learner's name, its path dependencies
/// pointing back into `exercises/`, and the lesson it is for.
fn cargo_toml(
    text: &str,
    reference_package: &str,
    name: &str,
    exercises: &str,
    lesson: u8,
    dependencies: &[String],
) -> anyhow::Result<String> {
    let from = format!("name = \"{reference_package}\"");
    if !text.contains(&from) {
        bail!("Cargo.toml of {reference_package} does not say `{from}`");
    }
    let text = text
        .replacen(&from, &format!("name = \"{name}\""), 1)
        .replace("path = \"../", &format!("path = \"{exercises}/"));
    let Some((head, tail)) = text.split_once("\n[dependencies]\n") else {
        bail!("Cargo.toml of {reference_package} has no [dependencies]");
    };
    let added: String = dependencies
        .iter()
        .filter(|dependency| {
            !tail.contains(&format!("\n{dependency}."))
                && !tail.starts_with(&format!("{dependency}."))
        })
        .map(|dependency| format!("{dependency}.workspace = true\n"))
        .collect();
    Ok(format!(
        "{}\n\n# Your crate for lesson {lesson}: `cargo xtask check {lesson} --package {name}`.\n{METADATA}\nlesson = {lesson}\n\n[dependencies]\n{added}{tail}",
        head.trim_end()
    ))
}

/// lib.rs with the note that holes leave code unused, and its migrator
/// replaced by the crate's own when the lesson has a schema step.
fn lib_rs(text: &str, lesson: u8, own_migration: bool) -> anyhow::Result<String> {
    let mut text = text.to_owned();
    if own_migration {
        let from = format!("migration::UpTo<{lesson}>");
        if !text.contains(&from) {
            bail!("src/lib.rs does not name `{from}` as its migrator");
        }
        text = text.replace(&from, "crate::migrations::Migrator");
    }
    // After the crate's doc comment, the first place an inner attribute may go.
    let lines: Vec<&str> = text.lines().collect();
    let docs = lines
        .iter()
        .take_while(|line| line.starts_with("//!"))
        .count();
    let mut out: Vec<String> = lines[..docs].iter().map(|l| (*l).to_owned()).collect();
    out.push(String::new());
    out.push(format!(
        "// Your crate for lesson {lesson}, made by `cargo xtask start {lesson}`: each `todo!()` is yours to write."
    ));
    out.push(
        "// Until they are all written, what they leave unused is not worth a warning.".to_owned(),
    );
    out.push("#![allow(unused)]".to_owned());
    if own_migration {
        out.push(String::new());
        out.push(format!(
            "/// The migrations: lessons 1–{}'s, then yours.",
            lesson - 1
        ));
        out.push("pub mod migrations;".to_owned());
    }
    out.extend(lines[docs..].iter().map(|l| (*l).to_owned()));
    Ok(out.join("\n") + "\n")
}

fn readme(lesson: u8, name: &str, manifest: &Manifest, holes: &[(String, holes::Hole)]) -> String {
    let mut out = format!(
        "# {name}: lesson {lesson}\n\n{}\n\nWhat is left to you:\n\n",
        manifest.summary.trim()
    );
    for (file, hole) in holes {
        out.push_str(&format!("- `{file}:{}`: {}\n", hole.line, hole.todo));
    }
    if !manifest.provided.is_empty() {
        out.push_str("\nCriteria the shared crate meets for you:\n\n");
        for provided in &manifest.provided {
            out.push_str(&format!("- `{}`: {}\n", provided.check, provided.why));
        }
    }
    out.push_str(&format!(
        "\nGrade it (lesson {lesson}'s criteria and every earlier one that still holds):\n\n    cargo xtask check {lesson} --package {name}\n    cargo xtask watch {lesson} --package {name}\n    cargo xtask hint {lesson}\n\nThe walkthrough is lesson {lesson} in LESSONS.md.\n"
    ));
    out
}

/// Every file under `dir`, relative to `base`, sorted.
fn rust_files(dir: &Path, base: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                found.push(path.strip_prefix(base)?.to_owned());
            }
        }
    }
    found.sort();
    Ok(found)
}

/// `to` as a path relative to `from` (both under one root), such as `../../exercises`.
fn relative(from: &Path, to: &Path) -> String {
    let from: Vec<_> = from.components().collect();
    let to: Vec<_> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_owned(); from.len() - common];
    parts.extend(
        to[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_point_back_into_exercises() {
        assert_eq!(
            relative(Path::new("/w/learners/me"), Path::new("/w/exercises")),
            "../../exercises"
        );
    }

    #[test]
    fn every_lesson_with_checks_has_a_starter_manifest() {
        for lesson in checks::lessons() {
            let manifest = Manifest::load(lesson).unwrap();
            for provided in &manifest.provided {
                assert!(
                    checks::for_lesson(lesson, false)
                        .iter()
                        .any(|check| check.name == provided.check && check.lesson == lesson),
                    "starters/lesson{lesson:02}.toml: {} is not a check of lesson {lesson}",
                    provided.check
                );
            }
        }
    }
}
