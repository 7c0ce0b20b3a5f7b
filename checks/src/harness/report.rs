//! Writing results: for people (one line per check, then `N passed, M failed,
//! K skipped`), as JSON, or as JUnit XML.

use std::io::IsTerminal;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use serde_json::json;

use super::runner::{CheckResult, Status};

/// One line for one result, with the message indented below it on failure.
/// A message already shown (a build error, the same for every check of its
/// lesson) is shown again only by its first line.
pub fn line(result: &CheckResult, first_time: bool) -> String {
    let (mark, colour) = match result.status {
        Status::Pass => ("✓", "32"),
        Status::Fail => ("✗", "31"),
        Status::Error => ("!", "33"),
        Status::Skip => ("-", "90"),
    };
    let mark = if std::io::stdout().is_terminal() {
        format!("\x1b[{colour}m{mark}\x1b[0m")
    } else {
        mark.to_owned()
    };
    let mut text = format!(
        "{mark} lesson {:02} {:<30} {:<8} {:>6.1} s",
        result.lesson,
        result.name,
        result.db.to_string(),
        result.duration_ms as f64 / 1000.0
    );
    if result.status == Status::Skip {
        text.push_str(&format!("  skipped: {}", result.message));
        return text;
    }
    if result.status != Status::Pass {
        let label = if result.status == Status::Error {
            "error: "
        } else {
            ""
        };
        let shown = if first_time { usize::MAX } else { 1 };
        for (i, message_line) in result.message.lines().take(shown).enumerate() {
            text.push_str(&format!(
                "\n    {}{message_line}",
                if i == 0 { label } else { "" }
            ));
        }
        if !first_time && result.message.lines().nth(1).is_some() {
            text.push_str("\n    (the rest as above)");
        }
        if result.status == Status::Fail
            && crate::hints::for_check(result.introduced, result.name).is_some()
        {
            text.push_str(&format!(
                "\n    hint: cargo xtask hint {} {}",
                result.introduced, result.name
            ));
        }
    }
    text
}

pub struct Tally {
    pub passed: usize,
    pub failed: usize,
    pub errors: usize,
    pub skipped: usize,
}

pub fn tally(results: &[CheckResult]) -> Tally {
    let count = |status| results.iter().filter(|r| r.status == status).count();
    Tally {
        passed: count(Status::Pass),
        failed: count(Status::Fail) + count(Status::Error),
        errors: count(Status::Error),
        skipped: count(Status::Skip),
    }
}

/// `N passed, M failed, K skipped` (errors count as failed).
pub fn summary(results: &[CheckResult]) -> String {
    let Tally {
        passed,
        failed,
        errors,
        skipped,
    } = tally(results);
    if errors > 0 {
        format!("{passed} passed, {failed} failed ({errors} could not run), {skipped} skipped")
    } else {
        format!("{passed} passed, {failed} failed, {skipped} skipped")
    }
}

/// The overall status: `error` if any check could not run, else `fail` if any failed.
pub fn overall(results: &[CheckResult]) -> Status {
    if results.iter().any(|r| r.status == Status::Error) {
        Status::Error
    } else if results.iter().any(|r| r.status == Status::Fail) {
        Status::Fail
    } else {
        Status::Pass
    }
}

pub fn json(results: &[CheckResult]) -> String {
    let Tally {
        passed,
        failed,
        skipped,
        ..
    } = tally(results);
    let value = json!({
        "status": overall(results),
        "passed": passed,
        "failed": failed,
        "skipped": skipped,
        "checks": results,
    });
    serde_json::to_string_pretty(&value).unwrap_or_default()
}

pub fn junit(results: &[CheckResult]) -> String {
    let mut report = Report::new("workbook");
    let mut suites: Vec<TestSuite> = Vec::new();
    for result in results {
        let suite_name = format!("lesson{:02}.{}", result.lesson, result.db);
        if suites.last().is_none_or(|s| s.name.as_str() != suite_name) {
            suites.push(TestSuite::new(suite_name));
        }
        let status = match result.status {
            Status::Pass => TestCaseStatus::success(),
            Status::Skip => {
                let mut status = TestCaseStatus::skipped();
                status.set_message(result.message.clone());
                status
            }
            Status::Fail | Status::Error => {
                let kind = if result.status == Status::Fail {
                    NonSuccessKind::Failure
                } else {
                    NonSuccessKind::Error
                };
                let mut status = TestCaseStatus::non_success(kind);
                status.set_message(result.message.lines().next().unwrap_or_default());
                status.set_description(result.message.clone());
                status
            }
        };
        let mut case = TestCase::new(result.name, status);
        case.set_classname(format!("lesson{:02}.{}", result.lesson, result.db));
        case.set_time(std::time::Duration::from_millis(result.duration_ms as u64));
        if let Some(suite) = suites.last_mut() {
            suite.add_test_case(case);
        }
    }
    report.add_test_suites(suites);
    report.to_string().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::Backend;

    fn result(status: Status) -> CheckResult {
        CheckResult {
            name: "statement_timeout",
            lesson: 1,
            introduced: 1,
            db: Backend::Sqlite,
            status,
            message: "PostgreSQL only".to_owned(),
            duration_ms: 0,
        }
    }

    #[test]
    fn a_skip_is_counted_apart_and_never_as_passed() {
        let results = [result(Status::Pass), result(Status::Skip)];
        assert_eq!(summary(&results), "1 passed, 0 failed, 1 skipped");
        assert_eq!(overall(&results), Status::Pass);
        assert!(line(&results[1], true).ends_with("skipped: PostgreSQL only"));
        assert!(junit(&results).contains("skipped"));
    }
}
