//! A scratch workspace: a copy of the workspace's files under
//! `target/<name>/ws/`, built into `target/<name>/target/` so that its
//! binaries never replace the reference binaries other commands grade.
//! `mutants` builds each mutant there; `dev-check` builds the starters there.
//!
//! The copy is brought up to date once per run (a file whose content did not
//! change keeps its time, so cargo rebuilds nothing for it). Each mutant then
//! writes one file, and the original is put back before the next.
//!
//! A scratch target directory that has never been built in is first seeded
//! with the workspace's own builds of third-party crates (hard links to their
//! libraries, copies of everything cargo might rewrite), so its first build
//! compiles the workspace's crates only: about a minute, not nine.

use std::{
    collections::{BTreeSet, HashMap},
    fs,
    path::{Path, PathBuf},
    process::Command,
    time::Instant,
};

use anyhow::{Context, bail};
use cargo_metadata::MetadataCommand;

use crate::build::{self, Built, Profile};

pub struct Scratch {
    /// The real workspace.
    root: PathBuf,
    /// Its copy.
    pub ws: PathBuf,
    pub target: PathBuf,
    /// The files the last mutant changed, with their original text.
    dirty: Vec<(PathBuf, Vec<u8>)>,
    /// Held while the copy is in use: two runs would overwrite each other's mutants.
    _lock: fs::File,
}

impl Scratch {
    /// Brings `target/mutants/ws` up to date with the workspace's tracked and
    /// untracked-but-not-ignored files (`git ls-files -co --exclude-standard`).
    pub fn prepare(root: &Path, name: &str) -> anyhow::Result<Self> {
        let base = root.join("target").join(name);
        let ws = base.join("ws");
        let target = base.join("target");
        fs::create_dir_all(&ws)?;
        fs::create_dir_all(&target)?;
        let lock = fs::File::create(base.join("lock"))?;
        if let Err(err) = lock.try_lock() {
            bail!(
                "another `cargo xtask {name}` is using {} ({err}): wait for it to finish",
                ws.display()
            );
        }
        let output = Command::new("git")
            .current_dir(root)
            .args(["ls-files", "-co", "--exclude-standard", "-z"])
            .output()
            .context("running git ls-files")?;
        if !output.status.success() {
            bail!(
                "git ls-files failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let files: BTreeSet<PathBuf> = output
            .stdout
            .split(|b| *b == 0)
            .filter(|name| !name.is_empty())
            .map(|name| PathBuf::from(String::from_utf8_lossy(name).into_owned()))
            // A file deleted but not yet staged is still listed: skip it.
            .filter(|name| root.join(name).is_file())
            .collect();
        for file in &files {
            let from = root.join(file);
            let to = ws.join(file);
            let original =
                fs::read(&from).with_context(|| format!("reading {}", from.display()))?;
            if fs::read(&to).is_ok_and(|copy| copy == original) {
                continue;
            }
            if let Some(dir) = to.parent() {
                fs::create_dir_all(dir)?;
            }
            fs::write(&to, &original).with_context(|| format!("writing {}", to.display()))?;
        }
        // A file that is gone from the workspace must go from the copy too
        // (a crate directory left under exercises/ would still be a member).
        remove_others(&ws, &ws, &files)?;
        Ok(Self {
            root: root.to_owned(),
            ws,
            target,
            dirty: Vec::new(),
            _lock: lock,
        })
    }

    /// Puts back the files the last mutant changed.
    pub fn reset(&mut self) -> anyhow::Result<()> {
        for (path, original) in std::mem::take(&mut self.dirty) {
            fs::write(&path, original).with_context(|| format!("restoring {}", path.display()))?;
        }
        Ok(())
    }

    /// Resets, then writes each `(file, text)` (files relative to the workspace).
    pub fn mutate(&mut self, texts: &[(String, String)]) -> anyhow::Result<()> {
        self.reset()?;
        for (file, text) in texts {
            let path = self.ws.join(file);
            let original = fs::read(self.root.join(file))?;
            fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
            self.dirty.push((path, original));
        }
        Ok(())
    }

    /// Builds `packages`' binaries in the copy, seeding the target directory first if it is new.
    pub fn build(&self, packages: &[&str], profile: Profile) -> anyhow::Result<Built> {
        self.seed(profile)?;
        build::packages_at(&self.ws, Some(&self.target), profile, packages)
    }

    /// Seeds `target/mutants/target/<profile>` from `target/<profile>` unless it was built in.
    fn seed(&self, profile: Profile) -> anyhow::Result<()> {
        let dir = match profile {
            Profile::Debug => "debug",
            Profile::Release => "release",
        };
        let to = self.target.join(dir);
        let from = self.root.join("target").join(dir);
        if to.join(".fingerprint").exists() || !from.join(".fingerprint").exists() {
            return Ok(());
        }
        let started = Instant::now();
        let own = workspace_crates(&self.root)?;
        let mut linked = 0_u64;
        for sub in [".fingerprint", "build", "deps"] {
            let Ok(entries) = fs::read_dir(from.join(sub)) else {
                continue;
            };
            fs::create_dir_all(to.join(sub))?;
            for entry in entries.filter_map(Result::ok) {
                let name = entry.file_name().to_string_lossy().into_owned();
                if own.contains(&crate_of(&name)) {
                    continue;
                }
                linked += copy_tree(&entry.path(), &to.join(sub).join(&name))?;
            }
        }
        eprintln!(
            "seeded {} from {} ({} MiB of third-party builds) in {:.0} s",
            to.display(),
            from.display(),
            linked >> 20,
            started.elapsed().as_secs_f64()
        );
        Ok(())
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = self.reset();
    }
}

/// The workspace's own crates' names, as they appear in target file names (`ex03_repository`).
fn workspace_crates(root: &Path) -> anyhow::Result<BTreeSet<String>> {
    let metadata = MetadataCommand::new()
        .manifest_path(root.join("Cargo.toml"))
        .no_deps()
        .exec()
        .context("running cargo metadata")?;
    let mut names = BTreeSet::new();
    for package in metadata.workspace_packages() {
        names.insert(package.name.replace('-', "_"));
        for target in &package.targets {
            names.insert(target.name.replace('-', "_"));
        }
    }
    Ok(names)
}

/// `libfoo_bar-0123456789abcdef.rlib`, `foo-bar-0123456789abcdef`, `build-script-build`: `foo_bar`.
fn crate_of(file: &str) -> String {
    let stem = file.split('.').next().unwrap_or(file);
    let stem = match stem.rsplit_once('-') {
        Some((name, hash)) if hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
            name
        }
        _ => stem,
    };
    stem.strip_prefix("lib")
        .filter(|_| file.contains(".r") || file.contains(".so"))
        .unwrap_or(stem)
        .replace('-', "_")
}

/// Copies `from` to `to` (a file or a tree), keeping modification times:
/// compiled libraries hard-linked (rustc replaces them, never writes into
/// them), every other file copied (cargo and build scripts write some in place).
/// Returns the bytes linked or copied.
fn copy_tree(from: &Path, to: &Path) -> anyhow::Result<u64> {
    let meta = fs::symlink_metadata(from)?;
    if meta.is_dir() {
        fs::create_dir_all(to)?;
        let mut bytes = 0;
        for entry in fs::read_dir(from)?.filter_map(Result::ok) {
            bytes += copy_tree(&entry.path(), &to.join(entry.file_name()))?;
        }
        return Ok(bytes);
    }
    if meta.file_type().is_symlink() || to.exists() {
        return Ok(0);
    }
    let library = from
        .extension()
        .is_some_and(|ext| ext == "rlib" || ext == "rmeta" || ext == "so");
    if library && fs::hard_link(from, to).is_ok() {
        return Ok(meta.len());
    }
    fs::copy(from, to)?;
    let file = fs::File::options().write(true).open(to)?;
    file.set_modified(meta.modified()?)?;
    Ok(meta.len())
}

/// Deletes every file under `dir` that `keep` (paths relative to `ws`) does not list.
fn remove_others(ws: &Path, dir: &Path, keep: &BTreeSet<PathBuf>) -> anyhow::Result<()> {
    for entry in fs::read_dir(dir)?.filter_map(Result::ok) {
        let path = entry.path();
        let relative = path.strip_prefix(ws).unwrap_or(&path).to_owned();
        if entry.file_type()?.is_dir() {
            remove_others(ws, &path, keep)?;
            if fs::read_dir(&path)?.next().is_none() {
                fs::remove_dir(&path)?;
            }
        } else if !keep.contains(&relative) {
            fs::remove_file(&path)?;
        }
    }
    Ok(())
}

/// Which lessons' binaries contain each lesson's crate: lesson → the lessons
/// whose crates depend on it (itself included), from `cargo metadata`.
pub fn dependents(root: &Path) -> anyhow::Result<HashMap<u8, BTreeSet<u8>>> {
    let metadata = MetadataCommand::new()
        .manifest_path(root.join("Cargo.toml"))
        .no_deps()
        .exec()
        .context("running cargo metadata")?;
    let lesson_of = |name: &str| -> Option<u8> {
        let digits = name.strip_prefix("ex")?.get(..2)?;
        name[4..].starts_with('-').then(|| digits.parse().ok())?
    };
    let mut depends_on: HashMap<u8, Vec<u8>> = HashMap::new();
    for package in metadata.workspace_packages() {
        let Some(lesson) = lesson_of(&package.name) else {
            continue;
        };
        let on = package
            .dependencies
            .iter()
            .filter_map(|d| lesson_of(&d.name))
            .collect();
        depends_on.insert(lesson, on);
    }
    let mut dependents: HashMap<u8, BTreeSet<u8>> = HashMap::new();
    for &lesson in depends_on.keys() {
        // Every lesson `lesson` is built on, itself included.
        let mut stack = vec![lesson];
        let mut seen = BTreeSet::new();
        while let Some(next) = stack.pop() {
            if seen.insert(next) {
                stack.extend(depends_on.get(&next).into_iter().flatten().copied());
            }
        }
        for base in seen {
            dependents.entry(base).or_default().insert(lesson);
        }
    }
    Ok(dependents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_crate_of_a_target_file() {
        assert_eq!(
            crate_of("libserde_json-0123456789abcdef.rlib"),
            "serde_json"
        );
        assert_eq!(
            crate_of("libserde_json-0123456789abcdef.rmeta"),
            "serde_json"
        );
        assert_eq!(crate_of("serde_json-0123456789abcdef.d"), "serde_json");
        assert_eq!(
            crate_of("ex03-repository-0123456789abcdef"),
            "ex03_repository"
        );
        assert_eq!(crate_of("libc-0123456789abcdef"), "libc");
        assert_eq!(crate_of("liblibc-0123456789abcdef.rlib"), "libc");
    }

    #[test]
    fn a_lesson_is_in_the_binaries_built_on_it() {
        let dependents = dependents(&crate::lessons::workspace_root()).unwrap();
        assert!(dependents[&3].contains(&3));
        assert!(dependents[&3].contains(&9));
        assert!(!dependents[&9].contains(&3));
        assert_eq!(dependents[&1], BTreeSet::from([1]));
    }
}
