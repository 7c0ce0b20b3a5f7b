//! Steps many checks share: make a user, make a task.

use serde_json::{Value, json};
use uuid::Uuid;

use std::time::Duration;

use crate::{
    ensure, fail,
    harness::{Ctx, Failure, Inspector, Reply, RunningApp, http::Request, snapshot},
};

pub const PASSWORD: &str = "correct horse battery";

/// An email no other check run uses.
pub fn unique_email(label: &str) -> String {
    format!(
        "{label}-{}@example.com",
        &Uuid::new_v4().simple().to_string()[..10]
    )
}

/// Creates a user through the API and returns its id.
pub async fn new_user(app: &RunningApp, label: &str) -> Result<Uuid, Failure> {
    let reply = app
        .post("/api/v1/users")
        .json(&json!({ "email": unique_email(label), "password": PASSWORD }))
        .send()
        .await?;
    reply.expect(201)?;
    reply.id()
}

/// Creates a task through the API (expects 201) and returns the reply.
pub async fn new_task(app: &RunningApp, user: Uuid, body: Value) -> Result<Reply, Failure> {
    let reply = app
        .post("/api/v1/tasks")
        .user(user)
        .json(&body)
        .send()
        .await?;
    reply.expect(201)?;
    Ok(reply)
}

/// Path ids that are not UUIDs (404 on every route that takes `{id}`):
/// words, digits, a bad hex digit, a UUID with a tail.
pub const NOT_UUIDS: [&str; 4] = [
    "not-a-uuid",
    "12345",
    "0190e0a0-0000-7000-8000-00000000000g",
    "0190e0a0-0000-7000-8000-000000000000-1",
];

/// Lesson 6's impossible `dueDate`s, each refused with 422 naming `dueDate`:
/// no such day, not zero-padded, before 1970, after 9999, not a date, a number.
pub fn bad_due_dates() -> Vec<Value> {
    vec![
        json!("2026-02-30"),
        json!("2026-2-3"),
        json!("1969-12-31"),
        json!("10000-01-01"),
        json!("soon"),
        json!(20260301),
    ]
}

/// The keys of a JSON object, sorted.
pub fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    keys.sort();
    keys
}

/// Each `GET /api/v1/tasks?{query}` is 400 `INVALID_QUERY` naming its
/// parameter; the status and code are pinned by the snapshot `name`.
pub async fn expect_invalid_list_queries(
    app: &RunningApp,
    user: Uuid,
    name: &str,
    cases: &[(&str, &str)],
) -> Result<(), Failure> {
    for (query, parameter) in cases {
        let reply = app
            .get(&format!("/api/v1/tasks?{query}"))
            .user(user)
            .send()
            .await?;
        reply.expect_invalid_query(parameter)?;
        snapshot::assert(name, &snapshot::status_and_code(&reply))?;
    }
    Ok(())
}

/// The ids of a list answer's `data`.
pub fn ids(reply: &Reply) -> Result<Vec<String>, Failure> {
    Ok(reply
        .data()?
        .iter()
        .filter_map(|t| t.get("id").and_then(Value::as_str).map(str::to_owned))
        .collect())
}

/// The fields of a task at `lesson`: `dueDate` from 6, `version` from 12, `deletedAt` from 17.
pub fn task_keys(lesson: u8) -> Vec<&'static str> {
    let mut keys = vec!["createdAt", "done", "id", "title", "updatedAt", "userId"];
    if lesson >= 6 {
        keys.push("dueDate");
    }
    if lesson >= 12 {
        keys.push("version");
    }
    if lesson >= 17 {
        keys.push("deletedAt");
    }
    keys.sort_unstable();
    keys
}

/// `task` with only the fields a task has at `lesson`, so that an assertion
/// about those fields holds unchanged at every later lesson.
pub fn task_as_of(lesson: u8, task: &Value) -> Value {
    let known = task_keys(lesson);
    match task {
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .filter(|(key, _)| known.contains(&key.as_str()))
                .map(|(key, value)| (key.clone(), value.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// From lesson 12 a change to an existing task needs `If-Match`; `*` matches any version.
pub fn changing(request: Request, lesson: u8) -> Request {
    if lesson >= 12 {
        request.header("if-match", "*")
    } else {
        request
    }
}

/// Creates `count` tasks for `user`, body `i` from `body(i)`, 8 at a time;
/// returns the created tasks in the order of `i`.
pub async fn new_tasks(
    app: &RunningApp,
    user: Uuid,
    count: usize,
    body: impl Fn(usize) -> Value,
) -> Result<Vec<Value>, Failure> {
    use futures::{StreamExt, TryStreamExt, stream};
    let requests: Vec<Request> = (0..count)
        .map(|i| app.post("/api/v1/tasks").user(user).json(&body(i)))
        .collect();
    stream::iter(requests)
        .map(|request| async move {
            let reply = request.send().await?;
            reply.expect(201)?;
            Ok::<Value, Failure>(reply.json)
        })
        .buffered(8)
        .try_collect()
        .await
}

/// The SQL statements logged while the request with this id was handled.
pub fn statements_of(app: &RunningApp, request_id: &str) -> Vec<String> {
    app.logs
        .lines()
        .into_iter()
        .filter(|line| line.raw.contains(request_id))
        .filter_map(|line| line.statement())
        .collect()
}

/// The list query among a request's statements: a `SELECT` from `tasks` with
/// an `ORDER BY` (not the `COUNT`).
pub fn list_statement(statements: &[String]) -> Option<String> {
    statements
        .iter()
        .find(|sql| {
            let upper = sql.to_uppercase();
            upper.starts_with("SELECT")
                && upper.contains("TASKS")
                && upper.contains("ORDER BY")
                && !upper.contains("COUNT(")
        })
        .cloned()
}

/// The first user of the database, by email.
pub async fn first_user(db: &Inspector) -> Result<Uuid, Failure> {
    let ids = db
        .texts(
            &format!(
                "SELECT {} FROM users ORDER BY email LIMIT 1",
                db.uuid_hex("id")
            ),
            [],
        )
        .await?;
    ids.first()
        .and_then(|hex| Uuid::parse_str(hex).ok())
        .ok_or_else(|| Failure::Failed("there is no user".into()))
}

/// Runs the binary's own `seed`, then ANALYZE; returns the database and its first user.
pub async fn seeded(ctx: &Ctx, users: u32, tasks: u32) -> Result<(Inspector, Uuid), Failure> {
    let (users, tasks) = (users.to_string(), tasks.to_string());
    let args = ["seed", "--users", &users, "--tasks", &tasks];
    ctx.app()
        .args(&args)
        .run(Duration::from_secs(120))
        .await?
        .expect_success(&args.join(" "))?;
    let db = ctx.database().await?.inspect().await?;
    db.analyze().await?;
    let user = first_user(&db).await?;
    Ok((db, user))
}

/// Lists `path` as `user` and returns the list statement the request logged, with its plan.
pub async fn logged_list_plan(
    app: &RunningApp,
    db: &Inspector,
    user: Uuid,
    path: &str,
) -> Result<(String, String), Failure> {
    let request_id = format!("check-plan-{}", Uuid::new_v4().simple());
    let reply = app
        .get(path)
        .user(user)
        .header("x-request-id", &request_id)
        .send()
        .await?;
    reply.expect(200)?;
    ensure!(
        !reply.data()?.is_empty(),
        "{path} listed no tasks whose query could be planned"
    );
    app.wait_for_log(Duration::from_secs(5), |line| {
        line.raw.contains(&request_id) && line.get("status").is_some()
    })
    .await;
    let statements = statements_of(app, &request_id);
    let Some(statement) = list_statement(&statements) else {
        fail!(
            "no list query (SELECT … FROM tasks … ORDER BY) among the statements logged for {path}: {statements:?}"
        );
    };
    let plan = db.plan_of_logged(&statement).await?;
    Ok((statement, plan))
}
