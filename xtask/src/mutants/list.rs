//! The mutant list: every `checks/mutants/*.toml`, read and validated.
//!
//! ```toml
//! [[mutant]]
//! lesson = 3                       # the lesson whose reference binary is broken and graded
//! description = "GET of a task not filtered by owner"
//! file = "exercises/ex03-repository/src/repo/tasks.rs"
//! find = "exact text, occurring exactly once in the file"
//! replace = "replacement"
//! caught_by = ["tasks_scoped_to_caller"]   # checks expected to fail (at least one must)
//! db = ["sqlite", "postgres"]              # databases where it must be caught (default both)
//! # known_miss = "why no check can see it"  # with caught_by = []: reported, not a failure
//! # profile = "release"                     # build with --release (default debug)
//! # packages = ["ex03-repository"]          # also built (the lesson's own package always is)
//!
//! # A breakage of several edits lists them (after or instead of file/find/replace),
//! # applied in order; each `find` must occur exactly once when its turn comes:
//! [[mutant.edit]]
//! file = "shared/src/server.rs"
//! find = "…"
//! replace = "…"
//! ```

use std::{
    collections::BTreeSet,
    path::{Component, Path},
};

use anyhow::Context;
use checks::{Backend, Check};
use serde::Deserialize;

/// One file of the list, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    mutant: Vec<Entry>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    lesson: u8,
    description: String,
    #[serde(default)]
    file: Option<String>,
    #[serde(default)]
    find: Option<String>,
    #[serde(default)]
    replace: Option<String>,
    #[serde(default)]
    edit: Vec<Edit>,
    #[serde(default)]
    packages: Vec<String>,
    #[serde(default)]
    caught_by: Vec<String>,
    #[serde(default = "both")]
    db: Vec<Db>,
    #[serde(default)]
    known_miss: Option<String>,
    #[serde(default)]
    profile: ProfileName,
}

/// One replacement in one file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Edit {
    pub file: String,
    pub find: String,
    pub replace: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Db {
    Sqlite,
    Postgres,
}

fn both() -> Vec<Db> {
    vec![Db::Sqlite, Db::Postgres]
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProfileName {
    #[default]
    Debug,
    Release,
}

impl From<ProfileName> for crate::build::Profile {
    fn from(profile: ProfileName) -> Self {
        match profile {
            ProfileName::Debug => Self::Debug,
            ProfileName::Release => Self::Release,
        }
    }
}

/// One mutant, read and checked against the workspace.
#[derive(Debug, Clone)]
pub struct Mutant {
    /// `lesson03#4`: the file's stem and the entry's place in it (from 1).
    pub id: String,
    /// The list file it comes from, relative to the workspace (`checks/mutants/lesson03.toml`).
    pub source: String,
    pub lesson: u8,
    pub description: String,
    /// The files it changes, for people (`a.rs, b.rs`).
    pub file: String,
    /// Its edits, in order (one for most mutants).
    pub edits: Vec<Edit>,
    /// Packages to build besides the lesson's own.
    pub packages: Vec<String>,
    pub caught_by: Vec<String>,
    pub db: Vec<Backend>,
    pub known_miss: Option<String>,
    pub profile: ProfileName,
    /// Why the mutant cannot be run as written, if it cannot.
    pub problem: Option<Problem>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// `find` does not occur exactly once in `file` (the code moved on).
    Stale(String),
    /// The entry contradicts the workspace: no such lesson, file or check.
    Invalid(String),
}

impl Mutant {
    /// The files it changes, each with its edits made to `original(file)`.
    pub fn apply(
        &self,
        mut original: impl FnMut(&str) -> std::io::Result<String>,
    ) -> std::io::Result<Vec<(String, String)>> {
        let mut texts: Vec<(String, String)> = Vec::new();
        for edit in &self.edits {
            let at = match texts.iter().position(|(file, _)| *file == edit.file) {
                Some(at) => at,
                None => {
                    texts.push((edit.file.clone(), original(&edit.file)?));
                    texts.len() - 1
                }
            };
            texts[at].1 = texts[at].1.replacen(&edit.find, &edit.replace, 1);
        }
        Ok(texts)
    }

    /// The checks that grade it: `caught_by` (the table's entries).
    pub fn checks(&self) -> Vec<Check> {
        let all = checks::all();
        self.caught_by
            .iter()
            .filter_map(|name| all.iter().find(|c| c.name == name).copied())
            .collect()
    }
}

/// What the loader needs to know of the workspace.
pub struct Workspace<'a> {
    pub root: &'a Path,
    /// The lessons that have both a crate and checks.
    pub lessons: &'a BTreeSet<u8>,
    pub checks: &'a [Check],
}

/// Reads every `*.toml` under `dir`, in name order, and validates each entry.
/// A file that is not valid TOML (or has unknown fields) is an error; an
/// entry that does not fit the workspace is kept, with its [`Problem`].
pub fn load(dir: &Path, workspace: &Workspace<'_>) -> anyhow::Result<Vec<Mutant>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();
    let mut mutants = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let source = path
            .strip_prefix(workspace.root)
            .unwrap_or(&path)
            .display()
            .to_string();
        mutants.extend(parse(&text, &source, workspace)?);
    }
    Ok(mutants)
}

/// The entries of one list file (`source` names it), validated.
pub fn parse(text: &str, source: &str, workspace: &Workspace<'_>) -> anyhow::Result<Vec<Mutant>> {
    let file: File = toml::from_str(text).with_context(|| format!("reading {source}"))?;
    let stem = Path::new(source)
        .file_stem()
        .map_or_else(|| source.to_owned(), |s| s.to_string_lossy().into_owned());
    Ok(file
        .mutant
        .into_iter()
        .enumerate()
        .map(|(i, entry)| {
            let mut edits = Vec::new();
            let mut problem = None;
            match (&entry.file, &entry.find, &entry.replace) {
                (Some(file), Some(find), Some(replace)) => edits.push(Edit {
                    file: file.clone(),
                    find: find.clone(),
                    replace: replace.clone(),
                }),
                (None, None, None) => {}
                _ => {
                    problem = Some(Problem::Invalid(
                        "`file`, `find` and `replace` go together".into(),
                    ))
                }
            }
            edits.extend(entry.edit.iter().cloned());
            let mut files: Vec<&str> = Vec::new();
            for edit in &edits {
                if !files.contains(&edit.file.as_str()) {
                    files.push(&edit.file);
                }
            }
            let mut mutant = Mutant {
                id: format!("{stem}#{}", i + 1),
                source: source.to_owned(),
                lesson: entry.lesson,
                description: entry.description.clone(),
                file: files.join(", "),
                edits: edits.clone(),
                packages: entry.packages.clone(),
                caught_by: entry.caught_by.clone(),
                db: entry
                    .db
                    .iter()
                    .map(|db| match db {
                        Db::Sqlite => Backend::Sqlite,
                        Db::Postgres => Backend::Postgres,
                    })
                    .collect(),
                known_miss: entry.known_miss.clone(),
                profile: entry.profile,
                problem: None,
            };
            mutant.problem = problem.or_else(|| validate(&mutant, workspace).err());
            mutant
        })
        .collect())
}

fn validate(mutant: &Mutant, workspace: &Workspace<'_>) -> Result<(), Problem> {
    let invalid = |why: String| Err(Problem::Invalid(why));
    if !workspace.lessons.contains(&mutant.lesson) {
        return invalid(format!(
            "lesson {} has no crate with checks (lessons: {:?})",
            mutant.lesson, workspace.lessons
        ));
    }
    if mutant.edits.is_empty() {
        return invalid(
            "no edit: give `file`, `find` and `replace` (or `[[mutant.edit]]`s)".into(),
        );
    }
    for edit in &mutant.edits {
        let relative = Path::new(&edit.file);
        if relative.is_absolute()
            || relative
                .components()
                .any(|c| !matches!(c, Component::Normal(_)))
        {
            return invalid(format!(
                "file `{}` must be a plain path inside the workspace",
                edit.file
            ));
        }
        if edit.find.is_empty() || edit.find == edit.replace {
            return invalid("`find` must be non-empty and differ from `replace`".into());
        }
    }
    if mutant.db.is_empty() {
        return invalid("`db` names no database".into());
    }
    match (&mutant.known_miss, mutant.caught_by.is_empty()) {
        (None, true) => {
            return invalid(
                "`caught_by` is empty: name the checks that must fail, or say why none can with `known_miss`"
                    .into(),
            );
        }
        (Some(_), false) => {
            return invalid("`known_miss` with a non-empty `caught_by`: which is it?".into());
        }
        _ => {}
    }
    for name in &mutant.caught_by {
        let Some(check) = workspace.checks.iter().find(|c| c.name == name) else {
            return invalid(format!("`{name}` is not a check"));
        };
        if !check.holds_at(mutant.lesson) {
            return invalid(format!(
                "`{name}` (lesson {}, until {}) does not hold at lesson {}",
                check.lesson, check.until, mutant.lesson
            ));
        }
    }
    let graded: Vec<&Check> = workspace
        .checks
        .iter()
        .filter(|c| mutant.caught_by.iter().any(|name| name == c.name))
        .collect();
    for db in &mutant.db {
        if !mutant.caught_by.is_empty() && !graded.iter().any(|c| c.applies_to(*db)) {
            return invalid(format!("no check of `caught_by` runs on {db}"));
        }
    }
    // Each `find` exactly once, in its file as the edits before it left it.
    let mut texts: Vec<(&str, String)> = Vec::new();
    for (n, edit) in mutant.edits.iter().enumerate() {
        let at = match texts.iter().position(|(file, _)| *file == edit.file) {
            Some(at) => at,
            None => match std::fs::read_to_string(workspace.root.join(&edit.file)) {
                Ok(text) => {
                    texts.push((&edit.file, text));
                    texts.len() - 1
                }
                Err(err) => return invalid(format!("cannot read {}: {err}", edit.file)),
            },
        };
        let which = if mutant.edits.len() > 1 {
            format!("edit {}'s `find`", n + 1)
        } else {
            "`find`".to_owned()
        };
        match texts[at].1.matches(&edit.find).count() {
            1 => {}
            0 => {
                return Err(Problem::Stale(format!(
                    "{which} no longer occurs in {}",
                    edit.file
                )));
            }
            count => {
                return Err(Problem::Stale(format!(
                    "{which} occurs {count} times in {}: make it unique",
                    edit.file
                )));
            }
        }
        texts[at].1 = texts[at].1.replacen(&edit.find, &edit.replace, 1);
    }
    Ok(())
}

/// `k` of `mutants`, the same `k` for the same `seed` and the same list, a
/// different spread for another seed: each mutant's id hashed with the seed,
/// the `k` lowest kept, in list order. Known misses are not run, so not
/// drawn; nor are release builds (a first one costs a full release build,
/// more than a CI sample's budget).
pub fn sample(mutants: Vec<Mutant>, k: usize, seed: u64) -> Vec<Mutant> {
    let mut drawn: Vec<(u64, usize)> = mutants
        .iter()
        .enumerate()
        .filter(|(_, m)| m.known_miss.is_none() && m.profile == ProfileName::Debug)
        .map(|(i, m)| (mix(seed, &m.id), i))
        .collect();
    drawn.sort_unstable();
    let mut keep: Vec<usize> = drawn.into_iter().take(k).map(|(_, i)| i).collect();
    keep.sort_unstable();
    let mut mutants: Vec<Option<Mutant>> = mutants.into_iter().map(Some).collect();
    keep.into_iter().filter_map(|i| mutants[i].take()).collect()
}

/// FNV-1a of `text`, seeded, finished with splitmix64 so that nearby seeds spread.
fn mix(seed: u64, text: &str) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325_u64 ^ seed;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    let mut z = hash.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace_with<'a>(
        root: &'a Path,
        lessons: &'a BTreeSet<u8>,
        checks: &'a [Check],
    ) -> Workspace<'a> {
        Workspace {
            root,
            lessons,
            checks,
        }
    }

    fn scratch() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("src")).unwrap();
        std::fs::write(
            dir.path().join("src/lib.rs"),
            "fn a() { filter(owner) }\nfn b() { twice(); twice(); }\n",
        )
        .unwrap();
        dir
    }

    fn one(text: &str) -> Mutant {
        let dir = scratch();
        let lessons = BTreeSet::from([1, 3]);
        let all = checks::all();
        let workspace = workspace_with(dir.path(), &lessons, &all);
        let mut mutants = parse(text, "checks/mutants/lesson03.toml", &workspace).unwrap();
        assert_eq!(mutants.len(), 1);
        mutants.remove(0)
    }

    fn entry(find: &str, extra: &str) -> String {
        format!(
            "[[mutant]]\nlesson = 3\ndescription = \"d\"\nfile = \"src/lib.rs\"\nfind = \"{find}\"\nreplace = \"x\"\n{extra}\n"
        )
    }

    #[test]
    fn a_find_occurring_once_is_valid() {
        let mutant = one(&entry(
            "filter(owner)",
            r#"caught_by = ["tasks_scoped_to_caller"]"#,
        ));
        assert_eq!(mutant.problem, None);
        assert_eq!(mutant.id, "lesson03#1");
        assert_eq!(mutant.db, vec![Backend::Sqlite, Backend::Postgres]);
        assert_eq!(mutant.profile, ProfileName::Debug);
        let applied = mutant
            .apply(|_| Ok("fn a() { filter(owner) }".to_owned()))
            .unwrap();
        assert_eq!(
            applied,
            [("src/lib.rs".to_owned(), "fn a() { x }".to_owned())]
        );
    }

    #[test]
    fn a_find_not_found_or_found_twice_is_stale() {
        let gone = one(&entry("filter(caller)", r#"caught_by = ["task_crud"]"#));
        assert!(matches!(gone.problem, Some(Problem::Stale(ref why)) if why.contains("no longer")));
        let twice = one(&entry("twice()", r#"caught_by = ["task_crud"]"#));
        assert!(matches!(twice.problem, Some(Problem::Stale(ref why)) if why.contains("2 times")));
    }

    #[test]
    fn checks_must_exist_and_hold_at_the_lesson() {
        let unknown = one(&entry("filter(owner)", r#"caught_by = ["no_such_check"]"#));
        assert!(
            matches!(unknown.problem, Some(Problem::Invalid(ref why)) if why.contains("not a check"))
        );
        // An earlier lesson's check that still holds is fine…
        let earlier = one(&entry("filter(owner)", r#"caught_by = ["health"]"#));
        assert_eq!(earlier.problem, None);
        // …a later lesson's is not.
        let later = one(&entry("filter(owner)", r#"caught_by = ["seed_counts"]"#));
        assert!(
            matches!(later.problem, Some(Problem::Invalid(ref why)) if why.contains("does not hold"))
        );
    }

    #[test]
    fn a_check_for_one_database_needs_that_database() {
        let wrong = one(&entry(
            "filter(owner)",
            "caught_by = [\"sqlite_pragmas\"]\ndb = [\"postgres\"]",
        ));
        assert!(
            matches!(wrong.problem, Some(Problem::Invalid(ref why)) if why.contains("postgres"))
        );
        let right = one(&entry(
            "filter(owner)",
            "caught_by = [\"sqlite_pragmas\"]\ndb = [\"sqlite\"]",
        ));
        assert_eq!(right.problem, None);
    }

    #[test]
    fn lesson_file_and_known_miss_are_validated() {
        let no_lesson = one(&entry("filter(owner)", r#"caught_by = ["task_crud"]"#)
            .replace("lesson = 3", "lesson = 2"));
        assert!(
            matches!(no_lesson.problem, Some(Problem::Invalid(ref why)) if why.contains("lesson 2"))
        );
        let no_file = one(&entry("filter(owner)", r#"caught_by = ["task_crud"]"#)
            .replace("src/lib.rs", "src/gone.rs"));
        assert!(
            matches!(no_file.problem, Some(Problem::Invalid(ref why)) if why.contains("cannot read"))
        );
        let outside = one(&entry("filter(owner)", r#"caught_by = ["task_crud"]"#)
            .replace("src/lib.rs", "../lib.rs"));
        assert!(matches!(outside.problem, Some(Problem::Invalid(_))));
        let silent = one(&entry("filter(owner)", "caught_by = []"));
        assert!(
            matches!(silent.problem, Some(Problem::Invalid(ref why)) if why.contains("known_miss"))
        );
        let known = one(&entry(
            "filter(owner)",
            "caught_by = []\nknown_miss = \"nothing sees it\"",
        ));
        assert_eq!(known.problem, None);
        let release = one(&entry(
            "filter(owner)",
            "caught_by = [\"task_crud\"]\nprofile = \"release\"",
        ));
        assert_eq!(release.profile, ProfileName::Release);
    }

    #[test]
    fn several_edits_apply_in_order_each_found_once() {
        let text = "[[mutant]]\nlesson = 3\ndescription = \"d\"\npackages = [\"ex03-repository\"]\ncaught_by = [\"task_crud\"]\n\
            [[mutant.edit]]\nfile = \"src/lib.rs\"\nfind = \"filter(owner)\"\nreplace = \"twice()\"\n\
            [[mutant.edit]]\nfile = \"src/lib.rs\"\nfind = \"fn a() { twice() }\"\nreplace = \"fn a() {}\"\n";
        let mutant = one(text);
        assert_eq!(mutant.problem, None);
        assert_eq!(mutant.edits.len(), 2);
        assert_eq!(mutant.packages, ["ex03-repository"]);
        let applied = mutant
            .apply(|_| Ok("fn a() { filter(owner) }".to_owned()))
            .unwrap();
        assert_eq!(applied, [("src/lib.rs".to_owned(), "fn a() {}".to_owned())]);
        // The second edit's `find` is looked for after the first: `twice()` is there twice then.
        let ambiguous = text.replace("fn a() { twice() }", "twice()");
        assert!(
            matches!(one(&ambiguous).problem, Some(Problem::Stale(ref why)) if why.contains("edit 2"))
        );
        // Half of file/find/replace is a mistake.
        let half =
            entry("filter(owner)", r#"caught_by = ["task_crud"]"#).replace("replace = \"x\"\n", "");
        assert!(matches!(one(&half).problem, Some(Problem::Invalid(_))));
    }

    #[test]
    fn an_unknown_field_is_an_error() {
        let dir = scratch();
        let lessons = BTreeSet::from([3]);
        let all = checks::all();
        let workspace = workspace_with(dir.path(), &lessons, &all);
        let text = entry("filter(owner)", "caughtby = [\"task_crud\"]");
        assert!(parse(&text, "x.toml", &workspace).is_err());
    }

    fn named(ids: &[&str]) -> Vec<Mutant> {
        ids.iter()
            .map(|id| Mutant {
                id: (*id).to_owned(),
                source: String::new(),
                lesson: 3,
                description: String::new(),
                file: String::new(),
                edits: vec![],
                packages: vec![],
                caught_by: vec![],
                db: vec![],
                known_miss: None,
                profile: ProfileName::Debug,
                problem: None,
            })
            .collect()
    }

    #[test]
    fn a_sample_is_the_same_for_a_seed_and_rotates_with_it() {
        let ids: Vec<String> = (1..=60)
            .map(|i| format!("lesson{:02}#{i}", i % 9 + 1))
            .collect();
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        let pick = |seed| -> Vec<String> {
            sample(named(&ids), 6, seed)
                .into_iter()
                .map(|m| m.id)
                .collect()
        };
        assert_eq!(pick(17), pick(17));
        assert_eq!(pick(17).len(), 6);
        // In list order, each once.
        let positions: Vec<usize> = pick(17)
            .iter()
            .map(|id| ids.iter().position(|i| i == id).unwrap())
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]));
        // Other seeds draw other mutants, and over a year every mutant comes up.
        assert_ne!(pick(17), pick(18));
        let mut seen = BTreeSet::new();
        for day in 1..=366 {
            seen.extend(pick(day));
        }
        assert_eq!(seen.len(), ids.len());
        // More than there are: all of them.
        assert_eq!(sample(named(&ids), 100, 3).len(), ids.len());
    }

    #[test]
    fn known_misses_and_release_builds_are_not_drawn() {
        let mut mutants = named(&["a#1", "a#2", "a#3", "a#4"]);
        mutants[1].known_miss = Some("why".into());
        mutants[3].profile = ProfileName::Release;
        let drawn: Vec<String> = sample(mutants, 4, 1).into_iter().map(|m| m.id).collect();
        assert_eq!(drawn, ["a#1", "a#3"]);
    }

    /// The lists in the repository: every entry fits the workspace, and its
    /// `find` is still there (a refactoring that moves code must move its mutants).
    #[test]
    fn the_repository_s_mutants_are_valid_and_not_stale() {
        let root = crate::lessons::workspace_root();
        let lessons: BTreeSet<u8> = checks::lessons().into_iter().collect();
        let all = checks::all();
        let workspace = workspace_with(&root, &lessons, &all);
        let mutants = load(&root.join("checks/mutants"), &workspace).unwrap();
        assert!(!mutants.is_empty());
        let problems: Vec<String> = mutants
            .iter()
            .filter_map(|m| m.problem.as_ref().map(|p| format!("{}: {p:?}", m.id)))
            .collect();
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
