//! Lesson 3: repositories, users and tasks over HTTP, scoped to the caller.

use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    check, ensure, fail,
    flows::{
        NOT_UUIDS, PASSWORD, expect_invalid_list_queries, ids, keys, new_task, new_user,
        unique_email,
    },
    harness::{
        Backend, Check, Ctx, Failure, Inspector, Outcome, Reply, expect_eq, http::Request, snapshot,
    },
};

pub fn checks() -> Vec<Check> {
    vec![
        check!(user_crud, 3),
        // Lesson 6 adds `dueDate` to every task.
        check!(task_crud, 3).until(5),
        check!(tasks_scoped_to_caller, 3),
        check!(unauthenticated, 3),
        check!(validation, 3),
        check!(done_filter, 3),
        check!(survives_restart, 3),
        check!(wal_stays_bounded, 3)
            .only(Backend::Sqlite)
            .timeout_secs(400),
        check!(sqlite_pragmas, 3).only(Backend::Sqlite),
        check!(shutdown_cuts_off_stuck_writes, 3),
        check!(path_id_not_uuid, 3),
        check!(error_order, 3),
        check!(ids_and_times, 3),
        // Lesson 8 pages the list and adds `meta`.
        check!(list_has_every_row, 3).until(7),
        check!(request_log_names_route, 3),
        check!(no_body_in_logs, 3),
    ]
}

/// The fields named in an error's `details`, sorted, each once.
pub(crate) fn detail_fields(reply: &Reply) -> Vec<&str> {
    let mut named: Vec<&str> = reply
        .json
        .pointer("/error/details")
        .and_then(Value::as_array)
        .map(|details| details.iter().filter_map(|d| d["field"].as_str()).collect())
        .unwrap_or_default();
    named.sort_unstable();
    named.dedup();
    named
}

/// A failure of one case, told with the case's name.
pub(crate) fn within(what: &str, failure: Failure) -> Failure {
    match failure {
        Failure::Failed(message) => Failure::Failed(format!("{what}: {message}")),
        other => other,
    }
}

/// True if any key anywhere in `value` names a password.
fn mentions_password(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.iter().any(|(key, value)| {
            matches!(key.as_str(), "password" | "passwordHash" | "password_hash")
                || mentions_password(value)
        }),
        Value::Array(items) => items.iter().any(mentions_password),
        _ => false,
    }
}

/// Users: 201 with `Location`, the email trimmed and lower-cased, no password
/// anywhere (answers, logs, stored only as an Argon2id hash), 409 on a taken
/// email; a password of 7 characters or the email `a@b` is 422 naming the
/// field, a password of 8 is accepted.
async fn user_crud(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let email = "Ada.Lovelace@Example.com".to_owned();
    let shouted = format!("  {}  ", email.to_uppercase());
    let created = app
        .post("/api/v1/users")
        .json(&json!({"email": shouted, "password": PASSWORD}))
        .send()
        .await?;
    created.expect(201)?;
    let id = created.id()?;
    expect_eq(
        "Location",
        Some(format!("/api/v1/users/{id}").as_str()),
        created.header("location"),
    )?;
    expect_eq(
        "stored email",
        Some(email.to_lowercase().as_str()),
        created.json["email"].as_str(),
    )?;
    ensure!(
        !mentions_password(&created.json),
        "the created user shows a password field: {}",
        created.brief()
    );
    snapshot::assert("user_crud-created", &snapshot::reply(&created))?;

    let read = app
        .get(&format!("/api/v1/users/{id}"))
        .user(id)
        .send()
        .await?;
    read.expect(200)?;
    expect_eq("GET of the user", created.json.clone(), read.json.clone())?;

    let other = new_user(&app, "other").await?;
    app.get(&format!("/api/v1/users/{id}"))
        .user(other)
        .send()
        .await?
        .expect_error(404, "NOT_FOUND")?;

    let taken = app
        .post("/api/v1/users")
        .json(&json!({"email": email.to_uppercase(), "password": "another password"}))
        .send()
        .await?;
    taken.expect_error(409, "DUPLICATE_EMAIL")?;
    snapshot::assert("user_crud-duplicate_email", &snapshot::reply(&taken))?;

    // The edges: a password of 7 characters and an email without a dotted
    // domain are refused, naming the field; a password of 8 is enough.
    let edges = [
        (
            "a password of 7 characters",
            json!({"email": unique_email("seven"), "password": "1234567"}),
            Some("password"),
        ),
        (
            "the email a@b",
            json!({"email": "a@b", "password": PASSWORD}),
            Some("email"),
        ),
        (
            "a password of 8 characters",
            json!({"email": unique_email("eight"), "password": "12345678"}),
            None,
        ),
    ];
    for (what, body, field) in edges {
        let reply = app.post("/api/v1/users").json(&body).send().await?;
        match field {
            Some(field) => {
                reply
                    .expect_error(422, "VALIDATION_FAILED")
                    .map_err(|err| within(what, err))?;
                expect_eq(
                    &format!("{what}: fields named in details"),
                    vec![field],
                    detail_fields(&reply),
                )?;
            }
            None => {
                reply.expect(201).map_err(|err| within(what, err))?;
            }
        }
    }

    let db = ctx.database().await?.inspect().await?;
    let hashes = db.value_of("users", "password_hash", id).await?;
    db.close().await;
    let hash = hashes.first().cloned().unwrap_or_default();
    ensure!(
        hash.starts_with("$argon2id$"),
        "password_hash should be an Argon2id hash, starts with {:?}",
        hash.get(..12)
    );
    ensure!(
        !hash.contains(PASSWORD),
        "password_hash contains the password"
    );

    for line in app.logs.lines() {
        ensure!(
            !line.raw.contains(PASSWORD),
            "a log line holds the password: {}",
            line.raw
        );
        ensure!(
            !line.raw.contains("$argon2"),
            "a log line holds a password hash: {}",
            line.raw
        );
    }
    Ok(())
}

/// A task's round trip in camelCase: create (201, `Location`), read, list,
/// patch, delete (204), then 404.
async fn task_crud(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let user = new_user(&app, "crud").await?;
    let created = new_task(&app, user, json!({"title": "Buy milk"})).await?;
    let id = created.id()?;
    expect_eq(
        "Location",
        Some(format!("/api/v1/tasks/{id}").as_str()),
        created.header("location"),
    )?;
    expect_eq(
        "task fields",
        vec!["createdAt", "done", "id", "title", "updatedAt", "userId"],
        keys(&created.json).iter().map(String::as_str).collect(),
    )?;
    expect_eq(
        "userId",
        Some(user.to_string().as_str()),
        created.json["userId"].as_str(),
    )?;
    expect_eq(
        "done by default",
        Some(false),
        created.json["done"].as_bool(),
    )?;
    snapshot::assert("task_crud-created", &snapshot::reply(&created))?;

    let path = format!("/api/v1/tasks/{id}");
    let read = app.get(&path).user(user).send().await?;
    read.expect(200)?;
    expect_eq("GET of the task", created.json.clone(), read.json.clone())?;
    let list = app.get("/api/v1/tasks").user(user).send().await?;
    list.expect(200)?;
    expect_eq("list", vec![id.to_string()], ids(&list)?)?;

    tokio::time::sleep(Duration::from_millis(5)).await;
    let patched = app
        .patch(&path)
        .user(user)
        .json(&json!({"title": "Buy oat milk", "done": true}))
        .send()
        .await?;
    patched.expect(200)?;
    expect_eq(
        "patched title",
        Some("Buy oat milk"),
        patched.json["title"].as_str(),
    )?;
    expect_eq("patched done", Some(true), patched.json["done"].as_bool())?;
    expect_eq(
        "createdAt after PATCH",
        created.json["createdAt"].clone(),
        patched.json["createdAt"].clone(),
    )?;
    let (before, after) = (created.str_at("/updatedAt")?, patched.str_at("/updatedAt")?);
    ensure!(
        after > before,
        "updatedAt should move forward on PATCH: {before} then {after}"
    );
    snapshot::assert("task_crud-patched", &snapshot::reply(&patched))?;

    app.delete(&path).user(user).send().await?.expect(204)?;
    app.get(&path)
        .user(user)
        .send()
        .await?
        .expect_error(404, "NOT_FOUND")?;
    app.delete(&path)
        .user(user)
        .send()
        .await?
        .expect_error(404, "NOT_FOUND")?;
    Ok(())
}

/// Sends each request: every one must answer 404 `NOT_FOUND` in the envelope.
async fn all_not_found(attempts: Vec<crate::harness::http::Request>) -> Outcome {
    for attempt in attempts {
        let reply = attempt.send().await?;
        reply.expect_error(404, "NOT_FOUND")?;
        snapshot::assert(
            "tasks_scoped_to_caller-foreign",
            &snapshot::status_and_code(&reply),
        )?;
    }
    Ok(())
}

/// Another user's task is 404 for every verb, exactly like a missing one, and
/// stays as it was.
async fn tasks_scoped_to_caller(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let owner = new_user(&app, "owner").await?;
    let intruder = new_user(&app, "intruder").await?;
    let task = new_task(&app, owner, json!({"title": "Private plans"})).await?;
    let path = format!("/api/v1/tasks/{}", task.id()?);
    let missing = format!("/api/v1/tasks/{}", Uuid::now_v7());

    // PUT (lesson 11) is graded the same way by lesson 11's `put_never_hijacks`.
    let attempts = vec![
        app.get(&path).user(intruder),
        app.patch(&path)
            .user(intruder)
            .json(&json!({"title": "Taken over", "done": true})),
        app.delete(&path).user(intruder),
    ];
    all_not_found(attempts).await?;
    let for_missing = app.get(&missing).user(intruder).send().await?;
    expect_eq(
        "another user's task answers like a missing one",
        snapshot::redact(&for_missing.json),
        snapshot::redact(&app.get(&path).user(intruder).send().await?.json),
    )?;
    let list = app.get("/api/v1/tasks").user(intruder).send().await?;
    list.expect(200)?;
    ensure!(
        ids(&list)?.is_empty(),
        "the intruder's list shows someone else's task: {}",
        list.brief()
    );

    let after = app.get(&path).user(owner).send().await?;
    after.expect(200)?;
    expect_eq(
        "the owner's task after the attempts",
        task.json.clone(),
        after.json.clone(),
    )?;
    let db = ctx.database().await?.inspect().await?;
    let titles = db.value_of("tasks", "title", task.id()?).await?;
    db.close().await;
    expect_eq(
        "the row in the database",
        vec!["Private plans".to_owned()],
        titles,
    )?;
    Ok(())
}

/// Missing, malformed or unknown `X-User-Id`: 401 `UNAUTHENTICATED`, before
/// anything else about the request is judged.
async fn unauthenticated(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let stranger = Uuid::now_v7().to_string();
    let task = format!("/api/v1/tasks/{}", Uuid::now_v7());
    let cases = [
        app.get("/api/v1/tasks"),
        app.get("/api/v1/tasks")
            .header("x-user-id", "not-a-user-id"),
        app.get("/api/v1/tasks").header("x-user-id", &stranger),
        app.get(&task).header("x-user-id", &stranger),
        app.post("/api/v1/tasks")
            .body("text/plain", "not even json"),
        app.patch(&task).json(&json!({"title": ""})),
        app.delete(&task),
    ];
    for request in cases {
        let reply = request.send().await?;
        reply.expect_error(401, "UNAUTHENTICATED")?;
        snapshot::assert("unauthenticated", &snapshot::reply(&reply))?;
    }
    Ok(())
}

/// One body that the routes taking a whole task refuse, and their answer:
/// lesson 3's corpus, which `POST /api/v1/tasks` (here) and, from lesson 11,
/// `PUT /api/v1/tasks/{id}` are graded on alike.
pub(crate) struct BadBody {
    /// The case's name; its snapshot is `validation-{name}`.
    pub name: &'static str,
    content_type: &'static str,
    body: String,
    pub status: u16,
    pub code: &'static str,
    /// The fields `details` must name, sorted (none: not asserted).
    pub fields: Vec<&'static str>,
}

impl BadBody {
    /// A JSON body refused with 422 `VALIDATION_FAILED`.
    fn json(name: &'static str, body: &Value, fields: Vec<&'static str>) -> Self {
        Self::raw(
            name,
            "application/json",
            body.to_string(),
            422,
            "VALIDATION_FAILED",
            fields,
        )
    }

    fn raw(
        name: &'static str,
        content_type: &'static str,
        body: impl Into<String>,
        status: u16,
        code: &'static str,
        fields: Vec<&'static str>,
    ) -> Self {
        Self {
            name,
            content_type,
            body: body.into(),
            status,
            code,
            fields,
        }
    }

    /// `request` carrying this body.
    pub fn sent(&self, request: Request) -> Request {
        request.body(self.content_type, self.body.clone())
    }

    /// Fails unless `reply` is this case's answer: the status, the code and
    /// the fields named in `details`.
    pub fn expect(&self, reply: &Reply) -> Outcome {
        reply.expect_error(self.status, self.code)?;
        if !self.fields.is_empty() {
            expect_eq(
                &format!("{}: fields named in details", self.name),
                self.fields.clone(),
                detail_fields(reply),
            )?;
        }
        Ok(())
    }
}

/// Lesson 3's bad task bodies: 400 not JSON, 413 too large, 415 not
/// `application/json`, 422 naming each field (missing, wrong type, `null`,
/// unknown, too long, blank, empty, out of range).
pub(crate) fn bad_task_bodies() -> Vec<BadBody> {
    const FAILED: &str = "VALIDATION_FAILED";
    vec![
        BadBody::raw(
            "malformed",
            "application/json",
            r#"{"title": "#,
            400,
            "MALFORMED_JSON",
            vec![],
        ),
        BadBody::raw(
            "too_large",
            "application/json",
            json!({"title": "x".repeat(70_000)}).to_string(),
            413,
            "PAYLOAD_TOO_LARGE",
            vec![],
        ),
        BadBody::raw(
            "not_json",
            "text/plain",
            r#"{"title": "x"}"#,
            415,
            "UNSUPPORTED_MEDIA_TYPE",
            vec![],
        ),
        BadBody::json("array", &json!(["title"]), vec![]),
        BadBody::json("missing", &json!({}), vec!["title"]),
        BadBody::json("wrong_type", &json!({"title": 5}), vec!["title"]),
        BadBody::json("null", &json!({"title": null}), vec!["title"]),
        BadBody::json(
            "unknown",
            &json!({"title": "x", "colour": "red"}),
            vec!["colour"],
        ),
        BadBody::json(
            "too_long",
            &json!({"title": "é".repeat(201)}),
            vec!["title"],
        ),
        BadBody::json("blank", &json!({"title": "   "}), vec!["title"]),
        BadBody::json(
            "several",
            &json!({"title": 5, "done": "yes", "colour": 1}),
            vec!["colour", "done", "title"],
        ),
        BadBody::raw(
            "out_of_range",
            "application/json",
            r#"{"title": 1e400}"#,
            422,
            FAILED,
            vec!["title"],
        ),
        BadBody::raw(
            "out_of_range_done",
            "application/json",
            r#"{"title": "x", "done": -1e400}"#,
            422,
            FAILED,
            vec!["done"],
        ),
        BadBody::json("empty_title", &json!({"title": ""}), vec!["title"]),
    ]
}

/// Bad bodies: 400 not JSON, 413 too large, 415 not `application/json`, 422
/// with a detail naming each field (missing, wrong type, unknown, out of range);
/// a PATCH with `"done": null` or `"title": null` is 422 and changes nothing.
async fn validation(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let user = new_user(&app, "validation").await?;
    let task = new_task(&app, user, json!({"title": "Valid"})).await?;
    let task_path = format!("/api/v1/tasks/{}", task.id()?);
    let tasks = || app.post("/api/v1/tasks").user(user);

    for case in bad_task_bodies() {
        let reply = case.sent(tasks()).send().await?;
        case.expect(&reply)?;
        snapshot::assert(
            &format!("validation-{}", case.name),
            &snapshot::reply(&reply),
        )?;
    }

    let cases: Vec<(&str, crate::harness::http::Request, u16, &str, Vec<&str>)> = vec![
        (
            "patch_type",
            app.patch(&task_path)
                .user(user)
                .json(&json!({"done": "yes"})),
            422,
            "VALIDATION_FAILED",
            vec!["done"],
        ),
        (
            "user_email",
            app.post("/api/v1/users")
                .json(&json!({"email": "not-an-email", "password": PASSWORD})),
            422,
            "VALIDATION_FAILED",
            vec!["email"],
        ),
        (
            "user_password",
            app.post("/api/v1/users")
                .json(&json!({"email": unique_email("short"), "password": "short"})),
            422,
            "VALIDATION_FAILED",
            vec!["password"],
        ),
        (
            "user_password_too_long",
            app.post("/api/v1/users")
                .json(&json!({"email": unique_email("long"), "password": "p".repeat(129)})),
            422,
            "VALIDATION_FAILED",
            vec!["password"],
        ),
        (
            "user_email_too_long",
            app.post("/api/v1/users").json(
                &json!({"email": format!("{}@example.com", "a".repeat(243)), "password": PASSWORD}),
            ),
            422,
            "VALIDATION_FAILED",
            vec!["email"],
        ),
    ];
    for (name, request, status, code, fields) in cases {
        let reply = request.send().await?;
        reply.expect_error(status, code)?;
        if !fields.is_empty() {
            expect_eq(
                &format!("{name}: fields named in details"),
                fields,
                detail_fields(&reply),
            )?;
        }
        snapshot::assert(&format!("validation-{name}"), &snapshot::reply(&reply))?;
    }

    // A `null` where a value is required is 422 in a PATCH too (it is not
    // "leave it as it is"), and the task stays as it was.
    for field in ["done", "title"] {
        let what = format!("PATCH {{\"{field}\": null}}");
        let reply = app
            .patch(&task_path)
            .user(user)
            .json(&json!({ field: null }))
            .send()
            .await?;
        reply
            .expect_error(422, "VALIDATION_FAILED")
            .map_err(|err| within(&what, err))?;
        expect_eq(
            &format!("{what}: fields named in details"),
            vec![field],
            detail_fields(&reply),
        )?;
    }
    let unchanged = app.get(&task_path).user(user).send().await?;
    unchanged.expect(200)?;
    expect_eq(
        "the task after the refused PATCHes with null",
        (Some("Valid"), Some(false)),
        (
            unchanged.json["title"].as_str(),
            unchanged.json["done"].as_bool(),
        ),
    )?;
    let longest = app
        .post("/api/v1/users")
        .json(&json!({"email": format!("{}@example.com", "b".repeat(242)), "password": "p".repeat(128)}))
        .send()
        .await?;
    longest.expect(201)?;
    let long = new_task(&app, user, json!({"title": "é".repeat(200)})).await?;
    expect_eq(
        "a title of 200 two-byte characters",
        Some(200),
        long.json["title"].as_str().map(|t| t.chars().count()),
    )?;
    Ok(())
}

/// `?done=true|false` filters; anything else is 400 `INVALID_QUERY` naming the parameter.
async fn done_filter(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let user = new_user(&app, "filter").await?;
    let mut done = Vec::new();
    let mut open = Vec::new();
    for (title, is_done) in [
        ("Filed taxes", true),
        ("Call the plumber", false),
        ("Book flights", false),
    ] {
        let id = new_task(&app, user, json!({"title": title, "done": is_done}))
            .await?
            .id()?
            .to_string();
        if is_done {
            done.push(id)
        } else {
            open.push(id)
        }
    }
    let app = &app;
    let listed = |query: &'static str| async move {
        let reply = app
            .get(&format!("/api/v1/tasks{query}"))
            .user(user)
            .send()
            .await?;
        reply.expect(200)?;
        let mut found = ids(&reply)?;
        found.sort();
        Ok::<Vec<String>, Failure>(found)
    };
    let mut all: Vec<String> = done.iter().chain(&open).cloned().collect();
    all.sort();
    open.sort();
    expect_eq("?done=true", done.clone(), listed("?done=true").await?)?;
    expect_eq("?done=false", open, listed("?done=false").await?)?;
    expect_eq("no filter", all, listed("").await?)?;
    expect_invalid_list_queries(
        app,
        user,
        "done_filter-invalid",
        &[
            ("done=maybe", "done"),
            ("done=", "done"),
            ("done=TRUE", "done"),
            ("done=False", "done"),
            ("done=1", "done"),
            ("done=0", "done"),
            ("done=yes", "done"),
            ("done=%20true", "done"),
            ("done=true&done=false", "done"),
            ("done=true&done=true", "done"),
            ("colour=red", "colour"),
            ("Done=true", "Done"),
        ],
    )
    .await
}

/// What was written is still there after a restart.
async fn survives_restart(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let user = new_user(&app, "restart").await?;
    let task = new_task(
        &app,
        user,
        json!({"title": "Outlive the process", "done": true}),
    )
    .await?;
    let path = format!("/api/v1/tasks/{}", task.id()?);
    let stopped = app.stop().await?;
    expect_eq("exit status after SIGTERM", Some(0), stopped.code)?;

    let app = ctx.app().start().await?;
    let reply = app.get(&path).user(user).send().await?;
    reply.expect(200)?;
    expect_eq(
        "the task after a restart",
        task.json.clone(),
        reply.json.clone(),
    )?;
    app.get(&format!("/api/v1/users/{user}"))
        .user(user)
        .send()
        .await?
        .expect(200)?;
    Ok(())
}

/// SQLite: 20,000 creates through the API, 32 at a time, leave the `-wal`
/// file under 16 MiB (and all 20,000 rows exist).
///
/// SQLite folds the write-ahead log back into the database after a write
/// statement finishes, and can start the file over only at a moment when no
/// connection is inside it. Two things keep a service from ever getting there:
/// a write whose `RETURNING` row is fetched without stepping the statement to
/// its end (the log is never checkpointed), and writers that queue inside
/// SQLite, several connections taking turns at the write lock, so that one of
/// them always holds a place in the log. A binary with one writer connection
/// (or another way to queue its writes before they reach SQLite) stays near
/// the 4 MiB auto-checkpoint mark; either fault passes 16 MiB within a few
/// thousand creates.
async fn wal_stays_bounded(ctx: Ctx) -> Outcome {
    use futures::{StreamExt, stream};
    use std::sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    };
    const CREATES: usize = 20_000;
    const AT_ONCE: usize = 32;
    const LIMIT: u64 = 16 * 1024 * 1024;
    let app = ctx.app().env("RUST_LOG", "info").start().await?;
    let user = new_user(&app, "wal").await?;
    let wal = ctx
        .database()
        .await?
        .sqlite_file()
        .map(|f| f.with_extension("db-wal"))
        .ok_or_else(|| Failure::Error("no SQLite file".into()))?;
    let largest = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (largest, stop) = (largest.clone(), stop.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                let size = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
                if largest.fetch_max(size, Ordering::SeqCst).max(size) >= LIMIT {
                    stop.store(true, Ordering::SeqCst);
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let creates = stream::iter(0..CREATES)
        .take_while(|_| std::future::ready(!stop.load(Ordering::SeqCst)))
        .map(|i| {
            app.post("/api/v1/tasks")
                .user(user)
                .json(&json!({"title": format!("wal task {i}")}))
                .send()
        })
        .buffer_unordered(AT_ONCE);
    futures::pin_mut!(creates);
    let mut created = 0;
    let mut outcome = Ok(());
    while let Some(reply) = creates.next().await {
        match reply.and_then(|reply| reply.expect(201).map(drop)) {
            Ok(()) => created += 1,
            Err(err) => {
                outcome = Err(err);
                break;
            }
        }
    }
    stop.store(true, Ordering::SeqCst);
    let _ = watcher.await;
    outcome?;
    let largest = largest.load(Ordering::SeqCst);
    if largest >= LIMIT {
        fail!(
            "the -wal file reached {:.1} MiB after {created} creates, {AT_ONCE} at a time (limit 16 MiB): \
             a write statement is not read to its end, or writers queue inside SQLite",
            largest as f64 / 1_048_576.0
        );
    }
    let db = ctx.database().await?.inspect().await?;
    let rows = db.number("SELECT count(*) FROM tasks", []).await?;
    db.close().await;
    expect_eq("tasks in the database", CREATES as i64, rows)?;
    Ok(())
}

/// SQLite: the app's pooled connections run with the contract's pragmas, seen
/// through what they do. The file is in WAL mode. A create that meets another
/// connection's write lock waits for it (`busy_timeout`); when that connection
/// deleted the caller meanwhile, the foreign key refuses the task
/// (`foreign_keys=ON`): 401, and no task without its user. With
/// `DB_BUSY_TIMEOUT_MS=200` the same wait ends in 503 before the lock is freed.
async fn sqlite_pragmas(ctx: Ctx) -> Outcome {
    const HOLD: Duration = Duration::from_millis(1500);
    const REQUEST_ID: &str = "check-vanishing-caller";
    let app = ctx.app().env("RUST_LOG", "info,sql=debug").start().await?;
    let vanishing = new_user(&app, "vanishing").await?;
    let db = ctx.database().await?.inspect().await?;
    let mode = db.texts("PRAGMA journal_mode", []).await?;
    expect_eq(
        "journal_mode of the database file",
        vec!["wal".to_owned()],
        mode,
    )?;

    let lock = db.begin_immediate().await?;
    lock.execute_raw(Statement::from_sql_and_values(
        DbBackend::Sqlite,
        format!("DELETE FROM users WHERE {} = ?1", db.uuid_hex("id")),
        [Inspector::hex(vanishing)],
    ))
    .await?;
    let create = tokio::spawn(
        app.post("/api/v1/tasks")
            .user(vanishing)
            .header("x-request-id", REQUEST_ID)
            .json(&json!({"title": "written while the user goes"}))
            .send(),
    );
    // Once the app has looked the caller up (its statement is logged), its
    // insert is next: give it a moment to meet the lock, then free the lock.
    let looked_up = app
        .wait_for_log(HOLD, |line| {
            line.raw.contains(REQUEST_ID)
                && line
                    .statement()
                    .is_some_and(|sql| sql.to_lowercase().contains("users"))
        })
        .await;
    tokio::time::sleep(if looked_up.is_some() {
        Duration::from_millis(500)
    } else {
        Duration::ZERO
    })
    .await;
    let answered_before_the_lock_was_freed = create.is_finished();
    lock.commit().await?;
    let reply = create
        .await
        .map_err(|err| Failure::Error(err.to_string()))??;
    ensure!(
        !answered_before_the_lock_was_freed,
        "a create that met another connection's write lock did not wait for it \
         (DB_BUSY_TIMEOUT_MS=5000): {}",
        reply.brief()
    );
    let orphans = db
        .number(
            "SELECT count(*) FROM tasks WHERE user_id NOT IN (SELECT id FROM users)",
            [],
        )
        .await?;
    ensure!(
        orphans == 0,
        "a task was written for a user deleted a moment before: foreign keys are not \
         enforced on the app's connections ({})",
        reply.brief()
    );
    reply.expect_error(401, "UNAUTHENTICATED")?;
    app.stop().await?;

    let app = ctx.app().env("DB_BUSY_TIMEOUT_MS", "200").start().await?;
    let user = new_user(&app, "impatient").await?;
    let lock = db.begin_immediate().await?;
    let started = Instant::now();
    let reply = app
        .post("/api/v1/tasks")
        .user(user)
        .json(&json!({"title": "no time to wait"}))
        .send()
        .await;
    let waited = started.elapsed();
    lock.rollback().await?;
    let reply = reply?;
    reply.expect_error(503, "SERVICE_UNAVAILABLE")?;
    crate::lesson01::expect_retry_after(&reply)?;
    ensure!(
        waited < HOLD * 2,
        "with DB_BUSY_TIMEOUT_MS=200 a create waited {waited:?} for a write lock"
    );
    db.close().await;
    Ok(())
}

/// `SHUTDOWN_TIMEOUT_MS` bounds the drain even when requests are stuck inside
/// the database: with three creates waiting on a write lock another
/// connection holds, SIGTERM ends the process within the drain time plus
/// slack, with exit status 1 and a log line that counts the three cut off.
async fn shutdown_cuts_off_stuck_writes(ctx: Ctx) -> Outcome {
    const STUCK: usize = 3;
    const DRAIN_MS: u64 = 500;
    const EXIT_WITHIN: Duration = Duration::from_millis(3_500);
    let mut app = ctx
        .app()
        .env("SHUTDOWN_TIMEOUT_MS", DRAIN_MS.to_string())
        .start()
        .await?;
    let user = new_user(&app, "stuck").await?;
    let db = ctx.database().await?.inspect().await?;
    let lock = db.block_writes("tasks").await?;
    let request_ids: Vec<String> = (0..STUCK).map(|i| format!("check-stuck-{i}")).collect();
    let _creates: Vec<_> = request_ids
        .iter()
        .map(|id| {
            tokio::spawn(
                app.post("/api/v1/tasks")
                    .user(user)
                    .header("x-request-id", id)
                    .json(&json!({"title": format!("stuck {id}")}))
                    .send(),
            )
        })
        .collect();
    // Once one create has looked its caller up (the statement is logged), it
    // meets the lock next, and the others wait behind it or beside it (for the
    // lock, or for a connection it holds): give them a moment to get there.
    app.wait_for_log(Duration::from_secs(3), |line| {
        request_ids.iter().any(|id| line.raw.contains(id.as_str()))
            && line
                .statement()
                .is_some_and(|sql| sql.to_lowercase().contains("users"))
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let signalled = app.logs.len();
    let started = Instant::now();
    app.terminate();
    while !app.has_exited() && started.elapsed() < EXIT_WITHIN {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let exited_in_time = app.has_exited();
    let waited = started.elapsed();
    lock.rollback().await?;
    db.close().await;
    let stopped = app.stop().await?;
    ensure!(
        exited_in_time,
        "with SHUTDOWN_TIMEOUT_MS={DRAIN_MS} and {STUCK} creates waiting on a lock, the process \
         was still running {waited:?} after SIGTERM (it exited {:?} after the lock was freed); \
         last output:\n{}",
        stopped.elapsed,
        stopped.logs.tail(8)
    );
    expect_eq(
        "exit status when the drain time passed with requests cut off",
        Some(1),
        stopped.code,
    )?;
    let counted = stopped
        .logs
        .since(signalled)
        .iter()
        .any(|line| counts_cut_off(line, STUCK))
        || stopped
            .logs
            .stderr()
            .iter()
            .any(|line| says_cut_off(line, STUCK));
    ensure!(
        counted,
        "no log line after SIGTERM says that {STUCK} requests were cut off; last output:\n{}",
        stopped.logs.tail(8)
    );
    Ok(())
}

/// A log event that counts `n` requests cut off: a field whose name mentions
/// `cut` holding `n`, or a message that says so in words.
fn counts_cut_off(line: &crate::harness::logs::LogLine, n: usize) -> bool {
    line.fields().iter().any(|(key, value)| {
        (key.to_lowercase().contains("cut") && value.as_u64() == Some(n as u64))
            || value.as_str().is_some_and(|text| says_cut_off(text, n))
    })
}

/// Text such as `3 request(s) cut off`.
fn says_cut_off(text: &str, n: usize) -> bool {
    let text = text.to_lowercase();
    text.contains("cut")
        && text
            .split(|c: char| !c.is_ascii_digit())
            .any(|word| word == n.to_string())
}

/// A path id that is not a UUID names no row: 404 `NOT_FOUND` in the
/// envelope, exactly like a missing id, on every route that takes `{id}`
/// (users GET; tasks GET, PATCH, DELETE; lesson 11 grades PUT). Like any
/// 404 for a row it comes after 401 (no `X-User-Id`), 415 and 422.
async fn path_id_not_uuid(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let lesson = ctx.lesson();
    let user = new_user(&app, "pathid").await?;
    let changing = crate::flows::changing;
    let missing = Uuid::now_v7().to_string();
    let like_missing = snapshot::redact(
        &app.get(&format!("/api/v1/tasks/{missing}"))
            .user(user)
            .send()
            .await?
            .json,
    );
    for bad in NOT_UUIDS {
        let task = format!("/api/v1/tasks/{bad}");
        let user_path = format!("/api/v1/users/{bad}");
        // PUT (lesson 11) is graded the same way by lesson 11's `put_validation`.
        let attempts = vec![
            app.get(&user_path).user(user),
            app.get(&task).user(user),
            changing(
                app.patch(&task).user(user).json(&json!({"done": true})),
                lesson,
            ),
            app.delete(&task).user(user),
        ];
        all_not_found(attempts).await?;
        let reply = app.get(&task).user(user).send().await?;
        expect_eq(
            &format!("GET {task} answers like a missing task"),
            like_missing.clone(),
            snapshot::redact(&reply.json),
        )?;
        for request in [
            app.get(&user_path),
            app.get(&task),
            app.patch(&task).json(&json!({"done": true})),
            app.delete(&task),
        ] {
            request.send().await?.expect_error(401, "UNAUTHENTICATED")?;
        }
        changing(
            app.patch(&task)
                .user(user)
                .body("text/plain", r#"{"done": true}"#),
            lesson,
        )
        .send()
        .await?
        .expect_error(415, "UNSUPPORTED_MEDIA_TYPE")?;
        changing(
            app.patch(&task).user(user).json(&json!({"done": "yes"})),
            lesson,
        )
        .send()
        .await?
        .expect_error(422, "VALIDATION_FAILED")?;
    }
    let db = ctx.database().await?.inspect().await?;
    let rows = db.number("SELECT count(*) FROM tasks", []).await?;
    db.close().await;
    expect_eq("tasks in the database", 0, rows)
}

/// When several answers apply: no such route (404) or method (405) before
/// 401; 413 before 415; 415 before 400 `MALFORMED_JSON`;
/// 422 before the 404 of a missing or another user's row.
async fn error_order(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let lesson = ctx.lesson();
    let user = new_user(&app, "order").await?;
    let other = new_user(&app, "order-other").await?;
    let foreign = new_task(&app, other, json!({"title": "Not yours"})).await?;
    let foreign = format!("/api/v1/tasks/{}", foreign.id()?);
    let missing = format!("/api/v1/tasks/{}", Uuid::now_v7());
    let huge = format!("{{\"title\": \"{}\"}}", "x".repeat(70_000));
    let changing = crate::flows::changing;
    let cases: Vec<(crate::harness::http::Request, u16, &str)> = vec![
        (app.get("/api/v1/no-such-route"), 404, "NOT_FOUND"),
        (app.get("/api/v1/tasks/extra/segments"), 404, "NOT_FOUND"),
        (app.delete("/api/v1/tasks"), 405, "METHOD_NOT_ALLOWED"),
        (
            app.patch(&format!("/api/v1/users/{user}")),
            405,
            "METHOD_NOT_ALLOWED",
        ),
        (
            app.post("/api/v1/tasks")
                .user(user)
                .body("text/plain", huge),
            413,
            "PAYLOAD_TOO_LARGE",
        ),
        (
            app.post("/api/v1/tasks")
                .user(user)
                .body("text/plain", r#"{"title": "#),
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (
            changing(
                app.patch(&missing).user(user).json(&json!({"done": "yes"})),
                lesson,
            ),
            422,
            "VALIDATION_FAILED",
        ),
        (
            changing(
                app.patch(&foreign).user(user).json(&json!({"title": ""})),
                lesson,
            ),
            422,
            "VALIDATION_FAILED",
        ),
        (
            changing(
                app.patch(&missing)
                    .user(user)
                    .body("application/json", r#"{"done": "#),
                lesson,
            ),
            400,
            "MALFORMED_JSON",
        ),
    ];
    for (request, status, code) in cases {
        request.send().await?.expect_error(status, code)?;
    }
    Ok(())
}

/// Ids in answers are UUIDs of version 7; times are RFC 3339 in UTC with a `Z`.
async fn ids_and_times(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let time = regex::Regex::new(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$")
        .expect("valid pattern");
    let user = app
        .post("/api/v1/users")
        .json(&json!({"email": unique_email("formats"), "password": PASSWORD}))
        .send()
        .await?;
    user.expect(201)?;
    let owner = user.id()?;
    let task = new_task(&app, owner, json!({"title": "Well formed"})).await?;
    let patched = app
        .patch(&format!("/api/v1/tasks/{}", task.id()?))
        .user(owner);
    let patched = crate::flows::changing(patched, ctx.lesson())
        .json(&json!({"done": true}))
        .send()
        .await?;
    patched.expect(200)?;
    for (what, reply, id_fields) in [
        ("the created user", &user, vec!["/id"]),
        ("the created task", &task, vec!["/id", "/userId"]),
        ("the patched task", &patched, vec!["/id", "/userId"]),
    ] {
        for pointer in id_fields {
            let id = reply.str_at(pointer)?;
            let version = Uuid::parse_str(&id).map(|u| u.get_version_num()).ok();
            expect_eq(
                &format!("UUID version of {pointer} of {what} ({id})"),
                Some(7),
                version,
            )?;
        }
        for pointer in ["/createdAt", "/updatedAt"] {
            let at = reply.str_at(pointer)?;
            ensure!(
                time.is_match(&at),
                "{pointer} of {what} is {at:?}: expected RFC 3339 UTC with a Z, like 2026-03-01T12:00:00.123456Z"
            );
        }
    }
    Ok(())
}

/// Until lesson 8 the list is `{"data": [...]}` with every row: 25 tasks, 25 rows, no other key.
async fn list_has_every_row(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let user = new_user(&app, "everything").await?;
    crate::flows::new_tasks(
        &app,
        user,
        25,
        |i| json!({"title": format!("every {i:02}")}),
    )
    .await?;
    let reply = app.get("/api/v1/tasks").user(user).send().await?;
    reply.expect(200)?;
    expect_eq(
        "keys of the list answer",
        vec!["data".to_owned()],
        keys(&reply.json),
    )?;
    expect_eq("rows listed of 25 tasks", 25, reply.data()?.len())
}

/// The completion event's `path` is the matched route (`/api/v1/tasks/{id}`),
/// never the id the client sent.
async fn request_log_names_route(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let user = new_user(&app, "routed").await?;
    let task = new_task(&app, user, json!({"title": "Routed"})).await?;
    let cases = [
        (
            app.get(&format!("/api/v1/tasks/{}", task.id()?)).user(user),
            "check-route-task",
            "GET",
            "/api/v1/tasks/{id}",
            200,
        ),
        (
            app.get(&format!("/api/v1/tasks/{}", Uuid::now_v7()))
                .user(user),
            "check-route-missing",
            "GET",
            "/api/v1/tasks/{id}",
            404,
        ),
        (
            app.get(&format!("/api/v1/users/{user}")).user(user),
            "check-route-user",
            "GET",
            "/api/v1/users/{id}",
            200,
        ),
        (
            app.get("/api/v1/tasks?done=true").user(user),
            "check-route-list",
            "GET",
            "/api/v1/tasks",
            200,
        ),
        (
            app.post("/api/v1/tasks")
                .user(user)
                .json(&json!({"title": 5})),
            "check-route-invalid",
            "POST",
            "/api/v1/tasks",
            422,
        ),
    ];
    for (request, id, method, path, status) in cases {
        request
            .header("x-request-id", id)
            .send()
            .await?
            .expect(status)?;
        crate::lesson01::expect_completion(&app, id, method, path, status).await?;
    }
    Ok(())
}

/// No log line holds a request body or a value from it: the title of a
/// create and of a patch, and a signup's password, never appear in the logs.
async fn no_body_in_logs(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let user = new_user(&app, "quiet").await?;
    let marker = format!("zq-body-{}", &Uuid::new_v4().simple().to_string()[..8]);
    let created = new_task(&app, user, json!({"title": format!("{marker} created")})).await?;
    crate::flows::changing(
        app.patch(&format!("/api/v1/tasks/{}", created.id()?))
            .user(user)
            .json(&json!({"title": format!("{marker} patched"), "done": true})),
        ctx.lesson(),
    )
    .send()
    .await?
    .expect(200)?;
    app.post("/api/v1/tasks")
        .user(user)
        .json(&json!({"title": format!("{marker} refused"), "colour": "red"}))
        .send()
        .await?
        .expect(422)?;
    app.wait_for_log(Duration::from_secs(5), |line| {
        line.get("status").and_then(|s| s.as_u64()) == Some(422)
    })
    .await;
    for line in app.logs.lines() {
        ensure!(
            !line.raw.contains(&marker),
            "a log line holds a value from a request body: {}",
            line.raw
        );
        ensure!(
            !line.raw.contains(PASSWORD),
            "a log line holds the password: {}",
            line.raw
        );
    }
    Ok(())
}
