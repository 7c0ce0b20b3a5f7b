//! insta snapshots that fail a check instead of panicking, and say where the
//! value differs. Snapshots live in `checks/snapshots/`; grading never writes
//! them (`cargo xtask check` pins `INSTA_UPDATE=no`), authors write new ones
//! with `--update-snapshots` and accept them with `cargo insta review`.

use std::{
    panic,
    path::PathBuf,
    sync::{
        Once,
        atomic::{AtomicUsize, Ordering},
    },
};

use serde_json::{Value, json};

use super::{Failure, Outcome, Reply};

/// Fields whose values change from run to run, by name, anywhere in a body.
fn placeholder(key: &str) -> Option<&'static str> {
    match key {
        "id" | "userId" | "taskId" => Some("[id]"),
        "createdAt" | "updatedAt" | "deletedAt" => Some("[time]"),
        "requestId" => Some("[request-id]"),
        "message" => Some("[message]"),
        "nextCursor" => Some("[cursor]"),
        _ => None,
    }
}

/// Replaces ids, times, request ids, cursors and messages with placeholders
/// (a `null` stays `null`, so "absent" and "present" still differ), and puts
/// validation `details` in field order, which the contract leaves open.
pub fn redact(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| {
                    let redacted = match (placeholder(key), value) {
                        (Some(mark), v) if !v.is_null() => Value::from(mark),
                        _ => redact(value),
                    };
                    let redacted = match (key.as_str(), redacted) {
                        ("details", Value::Array(mut details)) => {
                            details.sort_by_key(|d| {
                                d["field"].as_str().unwrap_or_default().to_owned()
                            });
                            Value::Array(details)
                        }
                        (_, redacted) => redacted,
                    };
                    (key.clone(), redacted)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redact).collect()),
        other => other.clone(),
    }
}

/// A reply as snapshots pin it: the status and the redacted body.
pub fn reply(reply: &Reply) -> Value {
    json!({ "status": reply.status, "body": redact(&reply.json) })
}

/// Snapshots written for review in this run (update mode only).
static PENDING: AtomicUsize = AtomicUsize::new(0);

/// How many new or changed snapshots this run wrote as `.snap.new` files.
pub fn pending() -> usize {
    PENDING.load(Ordering::SeqCst)
}

/// True when authors asked for snapshots to be written (`--update-snapshots`).
fn updating() -> bool {
    std::env::var("INSTA_UPDATE").is_ok_and(|mode| mode == "new")
}

/// A reply as a snapshot of its status and error code only, for answers whose
/// details may differ between implementations.
pub fn status_and_code(reply: &Reply) -> Value {
    json!({ "status": reply.status, "code": reply.code() })
}

/// Compares `value` with the snapshot `name`. When updating, a difference is
/// written as `name.snap.new` for review and the check goes on.
pub fn assert(name: &str, value: &Value) -> Outcome {
    quiet_snapshot_panics();
    let compared = panic::catch_unwind(|| {
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path("../../snapshots");
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.bind(|| insta::assert_json_snapshot!(name, value));
    });
    match compared {
        Ok(()) => Ok(()),
        Err(_) if updating() => {
            PENDING.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
        Err(_) => Err(Failure::Failed(mismatch(name, value))),
    }
}

fn snapshot_file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("snapshots")
        .join(format!("{name}.snap"))
}

/// What differs between the stored snapshot and `value`, for people.
fn mismatch(name: &str, value: &Value) -> String {
    let Ok(text) = std::fs::read_to_string(snapshot_file(name)) else {
        return format!(
            "snapshot `{name}` does not exist yet (authors: --update-snapshots, then cargo insta review)"
        );
    };
    // The file is a `---` header, then the value as JSON.
    let body = text.splitn(3, "---\n").nth(2).unwrap_or_default();
    let Ok(expected) = serde_json::from_str::<Value>(body) else {
        return format!("snapshot `{name}` differs, and its file could not be read as JSON");
    };
    let mut differences = Vec::new();
    diff("", &expected, value, &mut differences);
    let shown: Vec<String> = differences.iter().take(6).cloned().collect();
    let more = differences.len().saturating_sub(shown.len());
    let mut message = format!("snapshot `{name}` differs: {}", shown.join("; "));
    if more > 0 {
        message.push_str(&format!("; and {more} more"));
    }
    message
}

fn diff(path: &str, expected: &Value, got: &Value, out: &mut Vec<String>) {
    match (expected, got) {
        (Value::Object(e), Value::Object(g)) => {
            for (key, value) in e {
                let at = format!("{path}/{key}");
                match g.get(key) {
                    Some(other) => diff(&at, value, other, out),
                    None => out.push(format!("{at}: expected {value}, missing")),
                }
            }
            for key in g.keys().filter(|k| !e.contains_key(*k)) {
                out.push(format!("{path}/{key}: unexpected {}", g[key]));
            }
        }
        (Value::Array(e), Value::Array(g)) if e.len() == g.len() => {
            for (i, (a, b)) in e.iter().zip(g).enumerate() {
                diff(&format!("{path}/{i}"), a, b, out);
            }
        }
        (e, g) if e != g => out.push(format!(
            "{}: expected {e}, got {g}",
            if path.is_empty() { "/" } else { path }
        )),
        _ => {}
    }
}

/// insta reports a mismatch by panicking; the check reports it instead, so
/// keep those panics off stderr.
fn quiet_snapshot_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let message = info
                .payload()
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| info.payload().downcast_ref::<&str>().copied())
                .unwrap_or_default();
            if !message.starts_with("snapshot assertion") {
                default(info);
            }
        }));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_what_changes_between_runs() {
        let body = json!({"id": "x", "title": "t", "createdAt": "2026", "dueDate": null,
                          "error": {"code": "NOT_FOUND", "message": "m", "requestId": "r"}});
        assert_eq!(
            redact(&body),
            json!({"id": "[id]", "title": "t", "createdAt": "[time]", "dueDate": null,
                   "error": {"code": "NOT_FOUND", "message": "[message]", "requestId": "[request-id]"}})
        );
    }

    #[test]
    fn diff_names_the_paths() {
        let mut out = Vec::new();
        diff(
            "",
            &json!({"a": 1, "b": {"c": 2}}),
            &json!({"a": 1, "b": {"c": 3}, "d": 4}),
            &mut out,
        );
        assert_eq!(out, ["/b/c: expected 2, got 3", "/d: unexpected 4"]);
    }
}
