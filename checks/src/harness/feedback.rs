//! What a failed check shows under its ✗ so a learner can act on it: the
//! request that failed as a curl command, the binary's log lines for it, and
//! where LESSONS.md teaches the criterion.

use std::{
    sync::{Arc, Mutex},
    time::Instant,
};

use super::logs::Logs;

/// How many of the binary's log lines a failure shows.
const LOG_LINES: usize = 10;

/// The last request an app was sent, as the failure report replays it.
#[derive(Clone, Default)]
pub struct LastRequest(Arc<Mutex<Option<Sent>>>);

#[derive(Clone)]
struct Sent {
    at: Instant,
    curl: String,
    /// The `X-Request-Id` the server answered with, to find its log lines.
    request_id: Option<String>,
}

impl LastRequest {
    pub fn record(&self, curl: String, request_id: Option<String>) {
        if let Ok(mut last) = self.0.lock() {
            *last = Some(Sent {
                at: Instant::now(),
                curl,
                request_id,
            });
        }
    }

    fn get(&self) -> Option<Sent> {
        self.0.lock().ok().and_then(|last| last.clone())
    }
}

/// `request` as a curl command a learner can paste (against their own port).
pub fn curl(request: &reqwest::Request) -> String {
    let mut parts = vec![
        "curl -i".to_owned(),
        format!("-X {}", request.method()),
        quote(request.url().as_str()),
    ];
    for (name, value) in request.headers() {
        if let Ok(value) = value.to_str() {
            parts.push(format!("-H {}", quote(&format!("{name}: {value}"))));
        }
    }
    if let Some(body) = request.body().and_then(|body| body.as_bytes()) {
        let text = String::from_utf8_lossy(body);
        let shown: String = text.chars().take(400).collect();
        let cut = if shown.len() < text.len() {
            " (body cut)"
        } else {
            ""
        };
        parts.push(format!("--data-raw {}{cut}", quote(&shown)));
    }
    parts.join(" ")
}

/// Single-quoted for a POSIX shell.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The report for a failed check: the latest request any of its apps was
/// sent, that app's log lines for it (or its last lines), and the lesson's
/// checks table in LESSONS.md.
pub fn report(check: &str, apps: &[(Logs, LastRequest)]) -> String {
    let mut out = Vec::new();
    let latest = apps
        .iter()
        .filter_map(|(logs, last)| last.get().map(|sent| (logs, sent)))
        .max_by_key(|(_, sent)| sent.at);
    if let Some((logs, sent)) = latest {
        out.push(format!(
            "the last request (replay it against your binary's port): {}",
            sent.curl
        ));
        let lines = logs.lines();
        let for_request: Vec<&str> = sent
            .request_id
            .as_deref()
            .map(|id| {
                lines
                    .iter()
                    .filter(|line| line.raw.contains(id))
                    .map(|line| line.raw.as_str())
                    .collect()
            })
            .unwrap_or_default();
        let (heading, shown): (&str, Vec<&str>) = if for_request.is_empty() {
            (
                "the binary's last log lines:",
                lines.iter().map(|line| line.raw.as_str()).collect(),
            )
        } else {
            ("the binary's log lines for that request:", for_request)
        };
        if !shown.is_empty() {
            out.push(heading.to_owned());
            let skip = shown.len().saturating_sub(LOG_LINES);
            out.extend(shown[skip..].iter().map(|line| format!("  {line}")));
        }
    } else if let Some((logs, _)) = apps.last() {
        let tail = logs.tail(LOG_LINES);
        if !tail.trim().is_empty() {
            out.push("the binary's last output:".to_owned());
            out.extend(tail.lines().map(|line| format!("  {line}")));
        }
    }
    if let Some(taught) = taught_in(check) {
        out.push(taught);
    }
    out.join("\n")
}

/// `see LESSONS.md:297 (Lesson 1: a connection you can trust)`: the row of
/// the criterion in its lesson's acceptance table.
pub fn taught_in(check: &str) -> Option<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../LESSONS.md");
    let text = std::fs::read_to_string(path).ok()?;
    find_row(&text, check)
}

fn find_row(lessons: &str, check: &str) -> Option<String> {
    let row = format!("| `{check}` |");
    let mut heading = None;
    for (number, line) in lessons.lines().enumerate() {
        if let Some(title) = line.strip_prefix("## Lesson ") {
            heading = Some(format!("Lesson {title}"));
        }
        if line.starts_with(&row) {
            let place = heading.as_deref().unwrap_or("its lesson");
            return Some(format!("see LESSONS.md:{} ({place}, checks)", number + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_criterion_row_under_its_lesson() {
        let text = "# The workbook\n## Lesson 1: a connection\n| check | what |\n| `health` | ok |\n## Lesson 2: x\n| `fk_enforced` | y |\n";
        assert_eq!(
            find_row(text, "fk_enforced").as_deref(),
            Some("see LESSONS.md:6 (Lesson 2: x, checks)")
        );
        assert_eq!(find_row(text, "nothing"), None);
    }

    #[test]
    fn every_check_is_taught_somewhere() {
        for check in crate::all() {
            assert!(
                taught_in(check.name).is_some(),
                "{} has no row in LESSONS.md",
                check.name
            );
        }
    }

    #[test]
    fn curl_quotes_what_a_shell_would_split() {
        let client = reqwest::Client::new();
        let request = client
            .post("http://127.0.0.1:3000/api/v1/tasks")
            .header("x-user-id", "u")
            .body("{\"title\":\"it's\"}")
            .build()
            .unwrap();
        assert_eq!(
            curl(&request),
            r#"curl -i -X POST 'http://127.0.0.1:3000/api/v1/tasks' -H 'x-user-id: u' --data-raw '{"title":"it'\''s"}'"#
        );
    }
}
