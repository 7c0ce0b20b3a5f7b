//! The lessons, as the workspace has them: every package under `exercises/`
//! named `exNN-…`, found with `cargo metadata`. No list of lessons is written
//! by hand anywhere else.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::PathBuf,
};

use anyhow::{Context, bail};
use cargo_metadata::{MetadataCommand, PackageId};

/// One lesson's crate.
#[derive(Debug, Clone)]
pub struct LessonCrate {
    pub lesson: u8,
    /// The package name, which is also the binary's (`ex08-pagination`).
    pub package: String,
    pub id: PackageId,
    /// The crate's directory.
    pub dir: PathBuf,
}

/// The workspace's lesson crates, by lesson number.
#[derive(Debug)]
pub struct Lessons {
    by_lesson: BTreeMap<u8, LessonCrate>,
    /// Every package of the workspace, lesson or not.
    packages: BTreeSet<String>,
}

impl Lessons {
    /// Reads the workspace with `cargo metadata --no-deps`.
    pub fn discover() -> anyhow::Result<Self> {
        let metadata = MetadataCommand::new()
            .manifest_path(workspace_root().join("Cargo.toml"))
            .no_deps()
            .exec()
            .context("running cargo metadata")?;
        let exercises = metadata
            .workspace_root
            .clone()
            .into_std_path_buf()
            .join("exercises");
        let mut by_lesson = BTreeMap::new();
        let mut packages = BTreeSet::new();
        for package in metadata.workspace_packages() {
            packages.insert(package.name.to_string());
            let in_exercises = package.manifest_path.as_std_path().starts_with(&exercises);
            let Some(lesson) = lesson_of(&package.name).filter(|_| in_exercises) else {
                continue;
            };
            let found = LessonCrate {
                lesson,
                package: package.name.to_string(),
                id: package.id.clone(),
                dir: package
                    .manifest_path
                    .parent()
                    .map(|dir| dir.as_std_path().to_owned())
                    .unwrap_or_default(),
            };
            if let Some(earlier) = by_lesson.insert(lesson, found) {
                bail!(
                    "two crates claim lesson {lesson}: {} and {}",
                    earlier.package,
                    package.name
                );
            }
        }
        Ok(Self {
            by_lesson,
            packages,
        })
    }

    pub fn get(&self, lesson: u8) -> Option<&LessonCrate> {
        self.by_lesson.get(&lesson)
    }

    /// The lesson numbers that have a crate.
    pub fn numbers(&self) -> impl Iterator<Item = u8> + '_ {
        self.by_lesson.keys().copied()
    }

    /// Whether the workspace has a package of this name.
    pub fn has_package(&self, name: &str) -> bool {
        self.packages.contains(name)
    }

    /// The package that is lesson `lesson`, or an error saying it does not exist yet.
    pub fn package(&self, lesson: u8) -> anyhow::Result<&LessonCrate> {
        self.get(lesson)
            .with_context(|| format!("lesson {lesson} has no crate under exercises/ yet"))
    }
}

/// `ex08-pagination` is lesson 8.
fn lesson_of(package: &str) -> Option<u8> {
    let digits = package.strip_prefix("ex")?.get(..2)?;
    let rest = &package[4..];
    (rest.starts_with('-') && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
        .filter(|lesson| *lesson >= 1)
}

/// The workspace root (xtask lives one level below it).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lesson_crate_is_named_ex_two_digits_dash() {
        assert_eq!(lesson_of("ex08-pagination"), Some(8));
        assert_eq!(lesson_of("ex12-optimistic-locking"), Some(12));
        assert_eq!(lesson_of("ex8-pagination"), None);
        assert_eq!(lesson_of("ex00-nothing"), None);
        assert_eq!(lesson_of("xtask"), None);
        assert_eq!(lesson_of("exercise"), None);
    }

    /// The ladder: a lesson's crate may build on the lesson just before it,
    /// and on no other lesson, so a reader finds every earlier name in one place.
    #[test]
    fn a_lesson_depends_on_no_lesson_but_the_one_before() {
        let metadata = MetadataCommand::new()
            .manifest_path(workspace_root().join("Cargo.toml"))
            .no_deps()
            .exec()
            .unwrap();
        for package in metadata.workspace_packages() {
            let Some(lesson) = lesson_of(&package.name) else {
                continue;
            };
            for dependency in &package.dependencies {
                if let Some(other) = lesson_of(&dependency.name) {
                    assert_eq!(
                        other + 1,
                        lesson,
                        "{} depends on {}: a lesson may depend only on the lesson before it",
                        package.name,
                        dependency.name
                    );
                }
            }
        }
    }

    #[test]
    fn the_workspace_has_its_lessons() {
        let lessons = Lessons::discover().unwrap();
        assert_eq!(lessons.package(1).unwrap().package, "ex01-connection");
        assert!(lessons.numbers().all(|n| lessons.get(n).is_some()));
    }
}
