//! Graded hints for each criterion, kept beside the checks in
//! `checks/hints/lessonNN.toml`: a nudge (where to look), then the API to
//! use, then the shape of the code. `cargo xtask hint N [CHECK]` shows them,
//! and a failed check's report says that they exist.

use std::{collections::BTreeMap, path::PathBuf};

use serde::Deserialize;

/// A criterion's hints, in the order to read them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hints {
    pub nudge: String,
    pub api: String,
    pub shape: Option<String>,
}

impl Hints {
    /// `(label, text)` from the gentlest to the most telling.
    pub fn graded(&self) -> Vec<(&'static str, &str)> {
        let mut graded = vec![("nudge", self.nudge.trim()), ("api", self.api.trim())];
        if let Some(shape) = &self.shape {
            graded.push(("shape", shape.trim_end()));
        }
        graded
    }
}

fn path(lesson: u8) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("hints/lesson{lesson:02}.toml"))
}

/// Every criterion of `lesson` that has hints, by name.
pub fn for_lesson(lesson: u8) -> Result<BTreeMap<String, Hints>, String> {
    let path = path(lesson);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(err) => return Err(format!("{}: {err}", path.display())),
    };
    toml::from_str(&text).map_err(|err| format!("{}: {err}", path.display()))
}

/// The hints for criterion `check` of lesson `lesson`, if it has any.
pub fn for_check(lesson: u8, check: &str) -> Option<Hints> {
    for_lesson(lesson).ok()?.remove(check)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_criterion_has_graded_hints_and_every_hint_a_criterion() {
        for lesson in crate::lessons() {
            let hints = for_lesson(lesson).unwrap();
            let checks = crate::for_lesson(lesson, false);
            for check in &checks {
                let Some(found) = hints.get(check.name) else {
                    panic!(
                        "{} (lesson {lesson}) has no hints in {}",
                        check.name,
                        path(lesson).display()
                    );
                };
                assert!(
                    !found.nudge.trim().is_empty() && !found.api.trim().is_empty(),
                    "{}: a nudge and an api hint, both written",
                    check.name
                );
            }
            for name in hints.keys() {
                assert!(
                    checks.iter().any(|check| check.name == name),
                    "{}: `{name}` is no check of lesson {lesson}",
                    path(lesson).display()
                );
            }
        }
    }
}
