//! Lesson 14 in process (SQLite). Run with `cargo test -p ex14-retries`.
//!
//! Each test records the attempts its requests log (`op`, `attempt`,
//! `outcome`, `delay_ms`) with a tracing layer of its own, installed for the
//! test's thread (the tests run on a current-thread runtime, so every request
//! they send is handled there; SQLite's own threads only run statements).

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::http::{HeaderMap, Method, StatusCode};
use ex14_retries::Lesson;
use sea_orm::{
    ConnectionTrait, DbBackend, Statement,
    sqlx::{Connection, Executor, SqliteConnection},
};
use serde_json::{Value, json};
use shared::testing::{self, TestApp};
use tokio::task::JoinSet;
use tracing::{
    Event, Subscriber,
    field::{Field, Visit},
};
use tracing_subscriber::{Layer, layer::Context, prelude::*};
use uuid::Uuid;

/// One logged attempt.
#[derive(Debug, Clone, Default, PartialEq)]
struct Attempt {
    op: String,
    attempt: u64,
    outcome: String,
    delay_ms: Option<f64>,
}

/// The attempts logged while it is installed, in order.
#[derive(Clone, Default)]
struct Attempts(Arc<Mutex<Vec<Attempt>>>);

impl Attempts {
    /// Records the attempts logged on this thread until the guard is dropped.
    fn record() -> (Self, tracing::subscriber::DefaultGuard) {
        let attempts = Self::default();
        let subscriber = tracing_subscriber::registry().with(attempts.clone());
        (attempts, tracing::subscriber::set_default(subscriber))
    }

    /// Those logged so far, for `op`; forgets them.
    fn take(&self, op: &str) -> Vec<Attempt> {
        let mut all = self.0.lock().unwrap();
        let (of_op, others) = all.drain(..).partition(|attempt| attempt.op == op);
        *all = others;
        of_op
    }

    /// The outcomes logged so far for `op`, in order; forgets them.
    fn outcomes(&self, op: &str) -> Vec<String> {
        self.take(op).into_iter().map(|a| a.outcome).collect()
    }
}

impl Visit for Attempt {
    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "attempt" {
            self.attempt = value;
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if field.name() == "attempt" {
            self.attempt = value as u64;
        }
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        if field.name() == "delay_ms" {
            self.delay_ms = Some(value);
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "op" => self.op = value.to_owned(),
            "outcome" => self.outcome = value.to_owned(),
            _ => {}
        }
    }

    fn record_debug(&mut self, _: &Field, _: &dyn std::fmt::Debug) {}
}

impl<S: Subscriber> Layer<S> for Attempts {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let mut attempt = Attempt::default();
        event.record(&mut attempt);
        if !attempt.outcome.is_empty() {
            self.0.lock().unwrap().push(attempt);
        }
    }
}

/// `(attempt, outcome)` of each attempt.
fn steps(attempts: &[Attempt]) -> Vec<(u64, &str)> {
    attempts
        .iter()
        .map(|a| (a.attempt, a.outcome.as_str()))
        .collect()
}

/// The application with fault injection on, and `flags`.
async fn app(flags: &[&str]) -> TestApp {
    let flags: Vec<&str> = ["--workbook-faults", "1"]
        .iter()
        .chain(flags)
        .copied()
        .collect();
    testing::app_with::<Lesson>(&flags).await
}

/// `method uri` as `user` with `headers` and `body`.
async fn send(
    app: &TestApp,
    method: Method,
    uri: &str,
    user: Uuid,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> (StatusCode, HeaderMap, Value) {
    app.exchange(method, uri, Some(user), headers, body).await
}

/// A new task of `user`'s titled `title`; its path.
async fn new_task(app: &TestApp, user: Uuid, title: &str) -> String {
    let (status, task) = app
        .post("/api/v1/tasks", Some(user), json!({"title": title}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{task}");
    format!("/api/v1/tasks/{}", task["id"].as_str().unwrap())
}

/// Rows in `table`, read behind the API's back.
async fn count(app: &TestApp, table: &str) -> i64 {
    let row = app
        .db()
        .read()
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            format!("SELECT count(*) AS n FROM {table}"),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "n").unwrap()
}

/// Two transient failures, then the create commits on its third attempt:
/// 201, one task, one activity; the log shows retry, retry, ok, with a
/// delay before each retry in its range (the second the longer).
#[tokio::test]
async fn two_transient_failures_then_created() {
    let (attempts, _guard) = Attempts::record();
    let app = app(&[]).await;
    let alice = app.sign_up("alice@example.com").await;

    let body = json!({"title": "Plan"});
    let headers = [("x-fault-transient", "2")];
    let (status, headers, task) = send(
        &app,
        Method::POST,
        "/api/v1/tasks",
        alice,
        &headers,
        Some(body),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{task}");
    assert_eq!(headers["etag"], "\"v0\"");
    assert_eq!(task["version"], 0);

    let logged = attempts.take("tasks.create");
    assert_eq!(steps(&logged), [(1, "retry"), (2, "retry"), (3, "ok")]);
    let delays: Vec<f64> = logged.iter().filter_map(|a| a.delay_ms).collect();
    assert_eq!(delays.len(), 2, "{logged:?}");
    assert!((12.5..25.0).contains(&delays[0]), "{delays:?}");
    assert!((25.0..50.0).contains(&delays[1]), "{delays:?}");

    assert_eq!(
        (
            count(&app, "tasks").await,
            count(&app, "task_activities").await
        ),
        (1, 1)
    );
    let (_, list) = app.get("/api/v1/tasks", Some(alice)).await;
    assert_eq!(list["data"], json!([task]));
}

/// Three transient failures outlast the three attempts: 503
/// `SERVICE_UNAVAILABLE` with `Retry-After`, and nothing written.
#[tokio::test]
async fn three_transient_failures_are_503() {
    let (attempts, _guard) = Attempts::record();
    let app = app(&[]).await;
    let alice = app.sign_up("alice@example.com").await;

    let (status, headers, error) = send(
        &app,
        Method::POST,
        "/api/v1/tasks",
        alice,
        &[("x-fault-transient", "3")],
        Some(json!({"title": "Plan"})),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{error}");
    assert_eq!(error["error"]["code"], "SERVICE_UNAVAILABLE");
    assert_eq!(headers["retry-after"], "1");
    let logged = attempts.take("tasks.create");
    assert_eq!(steps(&logged), [(1, "retry"), (2, "retry"), (3, "gave_up")]);
    assert_eq!(logged[2].delay_ms, None, "no delay after the last attempt");
    assert_eq!(
        (
            count(&app, "tasks").await,
            count(&app, "task_activities").await
        ),
        (0, 0)
    );
}

/// A permanent failure is tried once: 500 `INTERNAL` (no driver text), and
/// nothing written. So is lesson 10's refused activity.
#[tokio::test]
async fn a_permanent_failure_is_not_retried() {
    let (attempts, _guard) = Attempts::record();
    let app = app(&[]).await;
    let alice = app.sign_up("alice@example.com").await;

    for fault in ["x-fault-permanent", "x-fault-fail-activity"] {
        let (status, _, error) = send(
            &app,
            Method::POST,
            "/api/v1/tasks",
            alice,
            &[(fault, "1"), ("x-fault-transient", "1")],
            Some(json!({"title": "Plan"})),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{fault}: {error}"
        );
        assert_eq!(error["error"]["code"], "INTERNAL");
        assert_eq!(error["error"]["message"], "internal error");
        let logged = attempts.take("tasks.create");
        assert_eq!(steps(&logged), [(1, "not_retryable")], "{fault}");
    }
    assert_eq!(count(&app, "tasks").await, 0);
}

/// A toggle whose first two attempts fail flips once (version 1, done),
/// and the next one flips it back (version 2).
#[tokio::test]
async fn a_retried_toggle_flips_once() {
    let (attempts, _guard) = Attempts::record();
    let app = app(&[]).await;
    let alice = app.sign_up("alice@example.com").await;
    let uri = format!("{}/toggle", new_task(&app, alice, "Plan").await);

    let (status, headers, task) = send(
        &app,
        Method::POST,
        &uri,
        alice,
        &[("x-fault-transient", "2")],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{task}");
    assert_eq!(
        (task["done"].clone(), task["version"].clone()),
        (json!(true), json!(1))
    );
    assert_eq!(headers["etag"], "\"v1\"");
    assert_eq!(attempts.outcomes("tasks.toggle"), ["retry", "retry", "ok"]);

    let (_, _, again) = send(&app, Method::POST, &uri, alice, &[], None).await;
    assert_eq!(
        (again["done"].clone(), again["version"].clone()),
        (json!(false), json!(2))
    );
}

/// A PATCH whose first two attempts fail bumps the version once: the tag
/// it names still matches on each attempt (the failed ones rolled back).
/// So does a replacing PUT; a retried DELETE deletes.
#[tokio::test]
async fn retried_changes_apply_once() {
    let (attempts, _guard) = Attempts::record();
    let app = app(&[]).await;
    let alice = app.sign_up("alice@example.com").await;
    let uri = new_task(&app, alice, "Plan").await;
    let transient = ("x-fault-transient", "2");

    let (status, headers, task) = send(
        &app,
        Method::PATCH,
        &uri,
        alice,
        &[transient, ("if-match", "\"v0\"")],
        Some(json!({"title": "Plan the sprint"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{task}");
    assert_eq!(
        (task["title"].clone(), task["version"].clone()),
        (json!("Plan the sprint"), json!(1))
    );
    assert_eq!(headers["etag"], "\"v1\"");
    assert_eq!(attempts.outcomes("tasks.update"), ["retry", "retry", "ok"]);
    assert_eq!(app.get(&uri, Some(alice)).await.1["version"], 1);

    let (status, _, task) = send(
        &app,
        Method::PUT,
        &uri,
        alice,
        &[transient, ("if-match", "\"v1\"")],
        Some(json!({"title": "Plan the week", "done": true})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{task}");
    assert_eq!(task["version"], 2);
    assert_eq!(attempts.outcomes("tasks.put"), ["retry", "retry", "ok"]);

    let created_at = format!("/api/v1/tasks/{}", Uuid::now_v7());
    let (status, _, created) = send(
        &app,
        Method::PUT,
        &created_at,
        alice,
        &[transient],
        Some(json!({"title": "Put"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(attempts.outcomes("tasks.put"), ["retry", "retry", "ok"]);
    let (_, activities) = app
        .get(&format!("{created_at}/activities"), Some(alice))
        .await;
    assert_eq!(
        activities["data"].as_array().unwrap().len(),
        1,
        "{activities}"
    );

    let (status, _, _) = send(&app, Method::DELETE, &uri, alice, &[transient], None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(attempts.outcomes("tasks.delete"), ["retry", "retry", "ok"]);
    assert_eq!(app.get(&uri, Some(alice)).await.0, StatusCode::NOT_FOUND);
    assert_eq!(count(&app, "tasks").await, 1);
}

/// What lesson 13 answered is answered the same, on the first attempt
/// where the write itself refuses: a taken title is 409 `DUPLICATE_TITLE`
/// (not retried, even with faults asked for), a missing `If-Match` 428, a
/// stale one 412, a missing task 404.
#[tokio::test]
async fn refusals_are_answered_as_before() {
    let (attempts, _guard) = Attempts::record();
    let app = app(&[]).await;
    let alice = app.sign_up("alice@example.com").await;
    let uri = new_task(&app, alice, "Plan").await;
    attempts.take("tasks.create");

    let (status, _, error) = send(
        &app,
        Method::POST,
        "/api/v1/tasks",
        alice,
        &[("x-fault-transient", "2")],
        Some(json!({"title": "Plan"})),
    )
    .await;
    assert_eq!(
        (status, error["error"]["code"].clone()),
        (StatusCode::CONFLICT, json!("DUPLICATE_TITLE"))
    );
    assert_eq!(attempts.outcomes("tasks.create"), ["not_retryable"]);

    let patch = Some(json!({"done": true}));
    for (headers, status, code) in [
        (
            vec![],
            StatusCode::PRECONDITION_REQUIRED,
            "PRECONDITION_REQUIRED",
        ),
        (
            vec![("if-match", "\"v9\"")],
            StatusCode::PRECONDITION_FAILED,
            "PRECONDITION_FAILED",
        ),
    ] {
        let (got, _, error) = send(&app, Method::PATCH, &uri, alice, &headers, patch.clone()).await;
        assert_eq!((got, error["error"]["code"].clone()), (status, json!(code)));
        // Nothing refused the attempt: it committed nothing, then one read told why.
        assert_eq!(attempts.outcomes("tasks.update"), ["ok"]);
    }
    let missing = format!("/api/v1/tasks/{}", Uuid::now_v7());
    for method in [Method::PATCH, Method::DELETE] {
        let (status, _, _) = send(
            &app,
            method.clone(),
            &missing,
            alice,
            &[("if-match", "*")],
            patch.clone(),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method}");
    }
    let (status, _, _) = send(
        &app,
        Method::POST,
        &format!("{missing}/toggle"),
        alice,
        &[],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&uri, Some(alice)).await.1["version"], 0);
}

/// Lesson 13's lock timeout stays 409 `LOCK_TIMEOUT`, not retried: a
/// toggle holds the lock 1.5 s, another waits 300 ms for it, once.
#[tokio::test(flavor = "current_thread")]
async fn a_lock_timeout_is_not_retried() {
    let (attempts, _guard) = Attempts::record();
    let app = Arc::new(app(&["--lock-timeout-ms", "300"]).await);
    let alice = app.sign_up("alice@example.com").await;
    let uri = format!("{}/toggle", new_task(&app, alice, "Plan").await);

    let held = {
        let (app, uri) = (app.clone(), uri.clone());
        tokio::spawn(async move {
            send(
                &app,
                Method::POST,
                &uri,
                alice,
                &[("x-fault-hold-lock-ms", "1500")],
                None,
            )
            .await
        })
    };
    tokio::time::sleep(Duration::from_millis(150)).await;
    let asked = Instant::now();
    let (status, headers, error) = send(&app, Method::POST, &uri, alice, &[], None).await;
    let waited = asked.elapsed();
    assert_eq!(
        (status, error["error"]["code"].clone()),
        (StatusCode::CONFLICT, json!("LOCK_TIMEOUT"))
    );
    assert_eq!(headers["retry-after"], "1");
    assert!(
        waited < Duration::from_millis(900),
        "one wait, not three: {waited:?}"
    );
    let (status, _, _) = held.await.unwrap();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(attempts.outcomes("tasks.toggle"), ["not_retryable", "ok"]);
}

/// Real contention on SQLite: another connection holds the write lock for
/// `hold`, while `writers` creates (and as many toggles) come in with
/// `DB_BUSY_TIMEOUT_MS=50`. Returns the statuses and the outcomes logged.
async fn against_a_held_lock(
    writers: usize,
    hold: Duration,
) -> (Vec<StatusCode>, Vec<String>, TestApp) {
    let (attempts, _guard) = Attempts::record();
    let app = Arc::new(app(&["--db-busy-timeout-ms", "50"]).await);
    let alice = app.sign_up("alice@example.com").await;
    let toggle = format!("{}/toggle", new_task(&app, alice, "Toggled").await);
    attempts.take("tasks.create");

    let writer = app.db().write().get_sqlite_connection_pool();
    let mut outsider = SqliteConnection::connect_with(&writer.connect_options())
        .await
        .unwrap();
    outsider.execute("BEGIN IMMEDIATE").await.unwrap();
    let mut requests = JoinSet::new();
    for i in 0..writers {
        let app = app.clone();
        let toggle = toggle.clone();
        requests.spawn(async move {
            let body = json!({"title": format!("Writer {i}")});
            let (created, _, _) =
                send(&app, Method::POST, "/api/v1/tasks", alice, &[], Some(body)).await;
            let (toggled, _, _) = send(&app, Method::POST, &toggle, alice, &[], None).await;
            [created, toggled]
        });
    }
    tokio::time::sleep(hold).await;
    outsider.execute("ROLLBACK").await.unwrap();
    let mut statuses = Vec::new();
    while let Some(answer) = requests.join_next().await {
        statuses.extend(answer.unwrap());
    }
    outsider.close().await.unwrap();
    let mut outcomes = attempts.outcomes("tasks.create");
    outcomes.extend(attempts.outcomes("tasks.toggle"));
    let app = Arc::into_inner(app).expect("no request left");
    (statuses, outcomes, app)
}

/// With the write lock held 150 ms by another connection and a busy
/// timeout of 50 ms, sixteen creates and sixteen toggles meet real
/// `SQLITE_BUSY`s, and the retries carry every one of them to a 2xx.
#[tokio::test(flavor = "current_thread")]
async fn real_busy_errors_are_retried_to_success() {
    let (statuses, outcomes, app) = against_a_held_lock(16, Duration::from_millis(150)).await;
    assert!(
        statuses.iter().all(|status| status.is_success()),
        "{statuses:?}"
    );
    assert!(
        outcomes.iter().any(|o| o == "retry"),
        "no BUSY met: {outcomes:?}"
    );
    assert!(!outcomes.iter().any(|o| o == "gave_up"), "{outcomes:?}");
    assert_eq!(count(&app, "tasks").await, 17);
}

/// A lock held for a whole second outlasts three attempts of 50 ms each:
/// 503 with `Retry-After`, after about 225 ms, never the 5 s default.
#[tokio::test(flavor = "current_thread")]
async fn a_lock_held_too_long_is_503() {
    let (attempts, _guard) = Attempts::record();
    let app = app(&["--db-busy-timeout-ms", "50"]).await;
    let alice = app.sign_up("alice@example.com").await;

    let writer = app.db().write().get_sqlite_connection_pool();
    let mut outsider = SqliteConnection::connect_with(&writer.connect_options())
        .await
        .unwrap();
    outsider.execute("BEGIN IMMEDIATE").await.unwrap();
    let asked = Instant::now();
    let (status, headers, error) = send(
        &app,
        Method::POST,
        "/api/v1/tasks",
        alice,
        &[],
        Some(json!({"title": "Plan"})),
    )
    .await;
    let waited = asked.elapsed();
    outsider.execute("ROLLBACK").await.unwrap();
    outsider.close().await.unwrap();
    assert_eq!(
        (status, error["error"]["code"].clone()),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            json!("SERVICE_UNAVAILABLE")
        )
    );
    assert_eq!(headers["retry-after"], "1");
    assert_eq!(
        attempts.outcomes("tasks.create"),
        ["retry", "retry", "gave_up"]
    );
    assert!(
        waited >= Duration::from_millis(185) && waited < Duration::from_millis(1000),
        "{waited:?}"
    );
}
