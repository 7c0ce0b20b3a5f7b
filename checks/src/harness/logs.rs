//! The binary's stdout, one [`LogLine`] per line, and what the checks ask of it.

use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};
use tokio::sync::Notify;

/// One line of stdout: a JSON object if the binary logs JSON, else plain text.
#[derive(Debug, Clone)]
pub struct LogLine {
    pub raw: String,
    pub json: Option<Map<String, Value>>,
}

impl LogLine {
    pub fn parse(raw: String) -> Self {
        let json = match serde_json::from_str::<Value>(&raw) {
            Ok(Value::Object(map)) => Some(map),
            _ => None,
        };
        Self { raw, json }
    }

    /// The event's fields and those of its spans, flattened into one map.
    /// Understands the tracing-subscriber JSON layout, flattened or not.
    pub fn fields(&self) -> Map<String, Value> {
        let mut out = Map::new();
        let Some(json) = &self.json else { return out };
        let mut absorb = |object: &Map<String, Value>| {
            for (key, value) in object {
                if !value.is_object() && !value.is_array() {
                    out.entry(key.clone()).or_insert_with(|| value.clone());
                }
            }
        };
        absorb(json);
        if let Some(Value::Object(fields)) = json.get("fields") {
            absorb(fields);
        }
        if let Some(Value::Object(span)) = json.get("span") {
            absorb(span);
        }
        if let Some(Value::Array(spans)) = json.get("spans") {
            for span in spans.iter().filter_map(Value::as_object) {
                absorb(span);
            }
        }
        out
    }

    pub fn get(&self, key: &str) -> Option<Value> {
        self.fields().get(key).cloned()
    }

    pub fn message(&self) -> Option<String> {
        self.get("message")
            .and_then(|v| v.as_str().map(str::to_owned))
    }

    pub fn level(&self) -> Option<String> {
        self.get("level")
            .and_then(|v| v.as_str().map(str::to_owned))
    }

    /// An SQL statement event: target `sql` with `db.statement`.
    pub fn statement(&self) -> Option<String> {
        let target = self.get("target")?;
        if target.as_str() != Some("sql") {
            return None;
        }
        self.get("db.statement")
            .and_then(|v| v.as_str().map(str::to_owned))
    }
}

/// Lines captured from a running binary, shared with the tasks that read its pipes.
#[derive(Clone, Default)]
pub struct Logs {
    lines: Arc<Mutex<Vec<LogLine>>>,
    stderr: Arc<Mutex<Vec<String>>>,
    changed: Arc<Notify>,
}

impl Logs {
    pub fn push_stdout(&self, raw: String) {
        self.lines
            .lock()
            .expect("log lock")
            .push(LogLine::parse(raw));
        self.changed.notify_waiters();
    }

    pub fn push_stderr(&self, raw: String) {
        self.stderr.lock().expect("log lock").push(raw);
        self.changed.notify_waiters();
    }

    pub fn lines(&self) -> Vec<LogLine> {
        self.lines.lock().expect("log lock").clone()
    }

    pub fn len(&self) -> usize {
        self.lines.lock().expect("log lock").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn stderr(&self) -> Vec<String> {
        self.stderr.lock().expect("log lock").clone()
    }

    /// Lines logged since the first `from` lines.
    pub fn since(&self, from: usize) -> Vec<LogLine> {
        self.lines
            .lock()
            .expect("log lock")
            .iter()
            .skip(from)
            .cloned()
            .collect()
    }

    /// Waits until a line satisfies `found`, or `timeout` passes.
    pub async fn wait_for(
        &self,
        timeout: std::time::Duration,
        found: impl Fn(&LogLine) -> bool,
    ) -> Option<LogLine> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let changed = self.changed.notified();
            if let Some(line) = self.lines().into_iter().find(|line| found(line)) {
                return Some(line);
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                return None;
            }
        }
    }

    /// The last lines of stdout and stderr, for an error report.
    pub fn tail(&self, count: usize) -> String {
        let stdout = self.lines();
        let stderr = self.stderr();
        let mut out: Vec<String> = stdout
            .iter()
            .rev()
            .take(count)
            .rev()
            .map(|l| l.raw.clone())
            .collect();
        out.extend(
            stderr
                .iter()
                .rev()
                .take(count)
                .rev()
                .map(|l| format!("stderr: {l}")),
        );
        if out.is_empty() {
            "(no output)".to_owned()
        } else {
            out.join("\n")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flattens_event_and_span_fields() {
        let line = LogLine::parse(
            r#"{"level":"INFO","fields":{"message":"request completed","status":200},
                "span":{"request_id":"abc"},"spans":[{"method":"GET","path":"/health"}]}"#
                .replace('\n', ""),
        );
        assert_eq!(line.message().as_deref(), Some("request completed"));
        assert_eq!(line.get("status"), Some(Value::from(200)));
        assert_eq!(line.get("request_id"), Some(Value::from("abc")));
        assert_eq!(line.get("path"), Some(Value::from("/health")));
    }
}
