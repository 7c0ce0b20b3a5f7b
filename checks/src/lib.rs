//! The workbook's acceptance checks. Each criterion of each lesson is one
//! named [`Check`]; it grades a binary from the outside, through its command
//! line, its HTTP API, its logs and its database, so it can grade any
//! implementation of the lesson (a learner's too).
//!
//! `cargo xtask check` selects, builds and runs them; see `xtask/`.

pub mod harness;

pub mod flows;
pub mod hints;
mod lesson01;
mod lesson02;
mod lesson03;
mod lesson04;
mod lesson05;
mod lesson06;
mod lesson07;
mod lesson08;
mod lesson09;
mod lesson10;
mod lesson11;
mod lesson12;
mod lesson13;
mod lesson14;

pub use harness::{Backend, Check, LAST_LESSON};

/// Every check, in lesson order.
pub fn all() -> Vec<Check> {
    [
        lesson01::checks(),
        lesson02::checks(),
        lesson03::checks(),
        lesson04::checks(),
        lesson05::checks(),
        lesson06::checks(),
        lesson07::checks(),
        lesson08::checks(),
        lesson09::checks(),
        lesson10::checks(),
        lesson11::checks(),
        lesson12::checks(),
        lesson13::checks(),
        lesson14::checks(),
    ]
    .concat()
}

/// The lessons that have checks.
pub fn lessons() -> Vec<u8> {
    let mut lessons: Vec<u8> = all().iter().map(|c| c.lesson).collect();
    lessons.dedup();
    lessons
}

/// The checks that grade lesson `lesson`'s binary: its own criteria, or with
/// `cumulative` every criterion of lessons 1..=`lesson` that still holds there.
pub fn for_lesson(lesson: u8, cumulative: bool) -> Vec<Check> {
    all()
        .into_iter()
        .filter(|check| {
            if cumulative {
                check.holds_at(lesson)
            } else {
                check.lesson == lesson
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique() {
        let mut names: Vec<&str> = all().iter().map(|c| c.name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len());
    }

    #[test]
    fn every_check_holds_at_its_own_lesson() {
        for check in all() {
            assert!(check.holds_at(check.lesson), "{}", check.name);
        }
    }

    /// The rule in `harness`: a check ends with `.until`, never by skipping
    /// an assertion below some lesson inside its body.
    #[test]
    fn no_check_skips_an_assertion_by_lesson() {
        let sources = [
            include_str!("lesson01.rs"),
            include_str!("lesson02.rs"),
            include_str!("lesson03.rs"),
            include_str!("lesson04.rs"),
            include_str!("lesson05.rs"),
            include_str!("lesson06.rs"),
            include_str!("lesson07.rs"),
            include_str!("lesson08.rs"),
            include_str!("lesson09.rs"),
            include_str!("lesson10.rs"),
            include_str!("lesson11.rs"),
            include_str!("lesson12.rs"),
            include_str!("lesson13.rs"),
            include_str!("lesson14.rs"),
            include_str!("flows.rs"),
        ];
        let skip = regex::Regex::new(r"lesson(\(\))?\s*<").expect("valid pattern");
        let skips: Vec<&str> = sources
            .iter()
            .flat_map(|source| source.lines())
            .filter(|line| skip.is_match(line))
            .map(str::trim)
            .collect();
        assert!(
            skips.is_empty(),
            "a check compares the lesson with `<`: {skips:?}"
        );
    }

    #[test]
    fn cumulative_includes_earlier_lessons() {
        let own = for_lesson(3, false);
        let cumulative = for_lesson(3, true);
        assert!(own.iter().all(|c| c.lesson == 3));
        assert!(cumulative.iter().any(|c| c.lesson == 1));
        assert!(cumulative.len() > own.len());
    }
}
