//! Lesson 11: `PUT /api/v1/tasks/{id}`, a whole task put by one
//! `INSERT … ON CONFLICT (id) DO UPDATE … WHERE` that creates it with the
//! client's id (201), replaces the caller's (200), or, for another user's id,
//! touches nothing (404).

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use regex::Regex;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    check, ensure, fail,
    flows::{
        NOT_UUIDS, bad_due_dates, changing, ids, keys, new_task, new_user, statements_of,
        task_as_of, task_keys,
    },
    harness::{
        Backend, Check, Ctx, Failure, Inspector, Outcome, Reply, RunningApp, expect_eq,
        http::Request, snapshot,
    },
    lesson03::{bad_task_bodies, detail_fields, within},
};

pub fn checks() -> Vec<Check> {
    vec![
        check!(put_creates_with_id, 11),
        check!(put_replaces, 11),
        check!(put_is_one_statement, 11),
        check!(put_never_hijacks, 11),
        check!(put_duplicate_title, 11),
        check!(put_validation, 11),
    ]
}

fn task_path(id: impl std::fmt::Display) -> String {
    format!("/api/v1/tasks/{id}")
}

/// `PUT /api/v1/tasks/{id}` as `user` with `body` and no `If-Match`: what a
/// create sends (and another user's PUT, which must be 404 before anything else).
fn put(app: &RunningApp, user: Uuid, id: Uuid, body: &Value) -> Request {
    app.put(&task_path(id)).user(user).json(body)
}

/// A `PUT` over the caller's existing task (from lesson 12 with `If-Match: *`).
fn replace(app: &RunningApp, user: Uuid, id: Uuid, body: &Value, lesson: u8) -> Request {
    changing(put(app, user, id, body), lesson)
}

/// A task row as the database holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stored {
    /// 32 lower-case hex digits.
    user_id: String,
    title: String,
    done: bool,
    due_date: Option<String>,
    created_at: String,
    updated_at: String,
}

/// The row of `tasks` whose id is `id`, if there is one.
async fn stored(db: &Inspector, id: Uuid) -> Result<Option<Stored>, Failure> {
    let sql = format!(
        "SELECT {} AS owner, title, CASE WHEN done THEN 'true' ELSE 'false' END AS done, \
                CAST(due_date AS text) AS due_date, CAST(created_at AS text) AS created_at, \
                CAST(updated_at AS text) AS updated_at \
         FROM tasks WHERE {} = {}",
        db.uuid_hex("user_id"),
        db.uuid_hex("id"),
        db.param(1)
    );
    let rows = db.query(&sql, [Inspector::hex(id)]).await?;
    ensure!(rows.len() <= 1, "{} task rows have the id {id}", rows.len());
    rows.first()
        .map(|row| {
            Ok(Stored {
                user_id: row.try_get("", "owner")?,
                title: row.try_get("", "title")?,
                done: row.try_get::<String>("", "done")? == "true",
                due_date: row.try_get("", "due_date")?,
                created_at: row.try_get("", "created_at")?,
                updated_at: row.try_get("", "updated_at")?,
            })
        })
        .transpose()
}

/// The row of `tasks` whose id is `id`; fails if there is none.
async fn stored_row(db: &Inspector, id: Uuid, what: &str) -> Result<Stored, Failure> {
    match stored(db, id).await? {
        Some(row) => Ok(row),
        None => fail!("{what}: the database has no task with id {id}"),
    }
}

/// Fails unless the stored row holds `title`, `done` and `due_date`, owned by `owner`.
fn expect_stored(
    what: &str,
    row: &Stored,
    owner: Uuid,
    (title, done, due_date): (&str, bool, Option<&str>),
) -> Outcome {
    expect_eq(
        &format!("{what}: user_id in the database"),
        owner.simple().to_string(),
        row.user_id.clone(),
    )?;
    expect_eq(
        &format!("{what}: (title, done, due_date) in the database"),
        (title, done, due_date),
        (row.title.as_str(), row.done, row.due_date.as_deref()),
    )
}

/// Fails unless the answer's task holds `title`, `done` and `dueDate`, owned by `owner`.
fn expect_fields(
    what: &str,
    reply: &Reply,
    owner: Uuid,
    (title, done, due_date): (&str, bool, Option<&str>),
) -> Outcome {
    let task = &reply.json;
    expect_eq(
        &format!("{what}: userId"),
        Some(owner.to_string().as_str()),
        task["userId"].as_str(),
    )?;
    expect_eq(
        &format!("{what}: (title, done, dueDate) in the answer"),
        (
            Some(title),
            Some(done),
            due_date.map_or(Value::Null, Value::from),
        ),
        (
            task["title"].as_str(),
            task["done"].as_bool(),
            task["dueDate"].clone(),
        ),
    )
}

/// The kinds of task `task`'s activities, oldest first.
async fn activity_kinds(db: &Inspector, task: Uuid) -> Result<Vec<String>, Failure> {
    db.texts(
        &format!(
            "SELECT kind FROM task_activities WHERE {} = {} ORDER BY created_at, id",
            db.uuid_hex("task_id"),
            db.param(1)
        ),
        [Inspector::hex(task)],
    )
    .await
}

/// Inserts a task for `owner` directly, undone and undated, with both
/// `created_at` and `updated_at` at `at`, stored as the binary stores times
/// (fixed-width text on SQLite, `timestamptz` on PostgreSQL).
async fn insert_task_at(
    db: &Inspector,
    id: Uuid,
    owner: Uuid,
    title: &str,
    at: DateTime<Utc>,
) -> Outcome {
    let time = |n: usize| match db.backend() {
        Backend::Sqlite => db.param(n),
        Backend::Postgres => format!("CAST({} AS timestamptz)", db.param(n)),
    };
    let sql = format!(
        "INSERT INTO tasks (id, user_id, title, done, created_at, updated_at) \
         VALUES ({}, {}, {}, {}, {}, {})",
        db.param(1),
        db.param(2),
        db.param(3),
        db.param(4),
        time(5),
        time(5)
    );
    let stamp = at.to_rfc3339_opts(SecondsFormat::Micros, true);
    db.execute(
        &sql,
        [
            db.uuid_value(id, "tasks", "id").await?,
            db.uuid_value(owner, "users", "id").await?,
            title.into(),
            false.into(),
            stamp.into(),
        ],
    )
    .await?;
    Ok(())
}

/// A time field of the answer, parsed.
fn time_at(reply: &Reply, pointer: &str) -> Result<DateTime<Utc>, Failure> {
    let text = reply.str_at(pointer)?;
    DateTime::parse_from_rfc3339(&text)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|err| {
            Failure::Failed(format!(
                "{}: {pointer} {text:?} is not RFC 3339: {err}",
                reply.label
            ))
        })
}

/// The redacted body of a missing task's 404, for answers that must look the same.
async fn missing_answer(app: &RunningApp, user: Uuid) -> Result<Value, Failure> {
    let missing = app
        .get(&task_path(Uuid::now_v7()))
        .user(user)
        .send()
        .await?;
    missing.expect_error(404, "NOT_FOUND")?;
    Ok(snapshot::redact(&missing.json))
}

/// `count(*)` of a table.
async fn count(db: &Inspector, table: &str) -> Result<i64, Failure> {
    db.number(&format!("SELECT count(*) FROM {table}"), [])
        .await
}

/// A PUT to a new id (a UUIDv7 the check made) creates the task with that
/// id: 201, `Location: /api/v1/tasks/{id}`, the task with that `id`, the
/// caller as `userId` and the body's fields (`done` false and `dueDate` null
/// when left out or null). The database holds exactly that row, owned by the
/// caller, with its one `CREATED` activity (lesson 10); GET answers the same
/// task and the list shows every task so made.
async fn put_creates_with_id(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let lesson = ctx.lesson();
    let user = new_user(&app, "chooser").await?;
    let db = ctx.database().await?.inspect().await?;
    let cases = [
        (
            json!({"title": "Chosen id", "done": true, "dueDate": "2026-07-14"}),
            ("Chosen id", true, Some("2026-07-14")),
        ),
        (
            json!({"title": "Only a title"}),
            ("Only a title", false, None),
        ),
        (
            json!({"title": "Said nothing", "done": false, "dueDate": null}),
            ("Said nothing", false, None),
        ),
    ];
    let mut made = Vec::new();
    for (n, (body, fields)) in cases.iter().enumerate() {
        let id = Uuid::now_v7();
        let path = task_path(id);
        let what = format!("PUT {path} {body} (a new id)");
        let created = put(&app, user, id, body).send().await?;
        created.expect(201)?;
        expect_eq(
            &format!("{what}: Location"),
            Some(path.as_str()),
            created.header("location"),
        )?;
        expect_eq(
            &format!("{what}: id of the task (the id in the path)"),
            id,
            created.id()?,
        )?;
        expect_eq(
            &format!("{what}: task fields"),
            task_keys(lesson),
            keys(&created.json).iter().map(String::as_str).collect(),
        )?;
        expect_fields(&what, &created, user, *fields)?;
        if n == 0 {
            snapshot::assert(
                "put_creates_with_id-created",
                &json!({"status": created.status, "body": snapshot::redact(&task_as_of(11, &created.json))}),
            )?;
        }
        let row = stored_row(&db, id, &what).await?;
        expect_stored(&what, &row, user, *fields)?;
        expect_eq(
            &format!("{what}: activities of the created task"),
            vec!["CREATED".to_owned()],
            activity_kinds(&db, id).await?,
        )?;
        let read = app.get(&path).user(user).send().await?;
        read.expect(200)?;
        expect_eq(
            &format!("GET {path} after the creating PUT"),
            created.json.clone(),
            read.json.clone(),
        )?;
        made.push(id.to_string());
    }
    let rows = count(&db, "tasks").await?;
    db.close().await;
    expect_eq("task rows after three creating PUTs", 3, rows)?;
    let list = app.get("/api/v1/tasks").user(user).send().await?;
    list.expect(200)?;
    let mut listed = ids(&list)?;
    listed.sort();
    made.sort();
    expect_eq("ids listed after three creating PUTs", made, listed)
}

/// Two PUTs of task `id` as `user`, written together on one connection
/// (HTTP/1.1 pipelining) before either answer is read, so that the server
/// starts on the second the moment it has answered the first: a replace as
/// close behind its create as any client can send it. The second carries
/// `If-Match: *` from lesson 12, as [`changing`] would add it. Both answers,
/// in order.
async fn put_pipelined(
    app: &RunningApp,
    user: Uuid,
    id: Uuid,
    first: &Value,
    second: &Value,
    lesson: u8,
) -> Result<(Reply, Reply), Failure> {
    use tokio::io::AsyncWriteExt;
    let path = task_path(id);
    let label = format!("PUT {path} (pipelined)");
    let request = |body: &Value, extra: &str| {
        let body = body.to_string();
        format!(
            "PUT {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
             X-User-Id: {user}\r\nContent-Length: {}\r\n{extra}\r\n{body}",
            app.addr,
            body.len()
        )
    };
    let if_match = if lesson >= 12 { "If-Match: *\r\n" } else { "" };
    let io = |err: std::io::Error| Failure::Failed(format!("{label}: {err}"));
    let exchange = async {
        let stream = tokio::net::TcpStream::connect(app.addr).await.map_err(io)?;
        let (read, mut write) = stream.into_split();
        let both = request(first, "") + &request(second, if_match);
        write.write_all(both.as_bytes()).await.map_err(io)?;
        let mut reader = tokio::io::BufReader::new(read);
        let one = read_reply(&mut reader, &label).await?;
        let two = read_reply(&mut reader, &label).await?;
        Ok::<_, Failure>((one, two))
    };
    tokio::time::timeout(Duration::from_secs(30), exchange)
        .await
        .map_err(|_| Failure::Failed(format!("{label}: no answers within 30 s")))?
}

/// One HTTP/1.1 answer read off a connection (its body by `Content-Length`).
async fn read_reply(
    reader: &mut tokio::io::BufReader<tokio::net::tcp::OwnedReadHalf>,
    label: &str,
) -> Result<Reply, Failure> {
    use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
    use tokio::io::{AsyncBufReadExt, AsyncReadExt};
    let io = |err: std::io::Error| Failure::Failed(format!("{label}: {err}"));
    let mut line = String::new();
    reader.read_line(&mut line).await.map_err(io)?;
    let Some(status) = line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse::<u16>().ok())
    else {
        fail!("{label}: no HTTP status line, got {line:?}");
    };
    let mut headers = HeaderMap::new();
    loop {
        line.clear();
        reader.read_line(&mut line).await.map_err(io)?;
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.trim().as_bytes()),
                HeaderValue::from_str(value.trim()),
            )
        {
            headers.append(name, value);
        }
    }
    let Some(length) = headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
    else {
        fail!("{label}: an answer without Content-Length (status {status})");
    };
    let mut body = vec![0; length];
    reader.read_exact(&mut body).await.map_err(io)?;
    let text = String::from_utf8_lossy(&body).into_owned();
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Ok(Reply {
        label: label.to_owned(),
        status,
        headers,
        text,
        json,
    })
}

/// A PUT over the caller's own task replaces it: 200, the same `id`,
/// `userId` and `createdAt`, an `updatedAt` no earlier than before, and every
/// field from the body, the ones it leaves out reset (`done` false, `dueDate`
/// null; a task done and dated, replaced with only a title, comes back
/// undone and undated), in the answer, in GET and in the database. A replace
/// records no activity (the task keeps its one `CREATED`) and leaves the
/// caller's other task alone. A task whose stored times lie an hour ahead of
/// the database's clock (as after the clock was set back) is replaced too
/// (200), its `updatedAt` not before its `createdAt`. Then fifty times a PUT
/// that creates with a PUT that replaces right behind it (pipelined on one
/// connection, so that the two often fall in one tick of SQLite's millisecond
/// clock): the first is 201, the second 200, never 201, with the body's
/// fields (reset ones too, in the database) and the create's `createdAt`;
/// each task has one `CREATED`.
async fn put_replaces(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let lesson = ctx.lesson();
    let user = new_user(&app, "replacer").await?;
    let db = ctx.database().await?.inspect().await?;
    let posted = new_task(
        &app,
        user,
        json!({"title": "Draft", "done": true, "dueDate": "2026-05-01"}),
    )
    .await?;
    let id = posted.id()?;
    let path = task_path(id);
    let neighbour = new_task(
        &app,
        user,
        json!({"title": "Neighbour", "done": true, "dueDate": "2026-06-01"}),
    )
    .await?
    .id()?;
    let neighbour_before = stored_row(&db, neighbour, "the caller's other task").await?;
    let created_in_db = stored_row(&db, id, "the task made by POST")
        .await?
        .created_at;

    let steps = [
        (json!({"title": "Final"}), ("Final", false, None)),
        (
            json!({"title": "Final", "done": true, "dueDate": "2027-01-02"}),
            ("Final", true, Some("2027-01-02")),
        ),
        (
            json!({"title": "Renamed", "done": true}),
            ("Renamed", true, None),
        ),
        (
            json!({"title": "Renamed", "dueDate": "2027-03-04"}),
            ("Renamed", false, Some("2027-03-04")),
        ),
        (
            json!({"title": "Renamed", "done": true, "dueDate": null}),
            ("Renamed", true, None),
        ),
    ];
    let mut before = posted;
    for (n, (body, fields)) in steps.iter().enumerate() {
        let what = format!("PUT {path} {body} over the caller's task");
        let replaced = replace(&app, user, id, body, lesson).send().await?;
        replaced.expect(200)?;
        expect_eq(&format!("{what}: id"), id, replaced.id()?)?;
        expect_eq(
            &format!("{what}: task fields"),
            task_keys(lesson),
            keys(&replaced.json).iter().map(String::as_str).collect(),
        )?;
        expect_fields(&what, &replaced, user, *fields)?;
        expect_eq(
            &format!("{what}: createdAt"),
            before.json["createdAt"].clone(),
            replaced.json["createdAt"].clone(),
        )?;
        let (was, now) = (
            time_at(&before, "/updatedAt")?,
            time_at(&replaced, "/updatedAt")?,
        );
        ensure!(
            now >= was,
            "{what}: updatedAt went back, from {was} to {now}"
        );
        if n == 0 {
            snapshot::assert(
                "put_replaces-replaced",
                &json!({"status": replaced.status, "body": snapshot::redact(&task_as_of(11, &replaced.json))}),
            )?;
        }
        let row = stored_row(&db, id, &what).await?;
        expect_stored(&what, &row, user, *fields)?;
        expect_eq(
            &format!("{what}: created_at in the database"),
            created_in_db.clone(),
            row.created_at.clone(),
        )?;
        let read = app.get(&path).user(user).send().await?;
        read.expect(200)?;
        expect_eq(
            &format!("GET {path} after the replace"),
            replaced.json.clone(),
            read.json.clone(),
        )?;
        before = replaced;
    }
    expect_eq(
        "activities of the task after five replaces",
        vec!["CREATED".to_owned()],
        activity_kinds(&db, id).await?,
    )?;
    expect_eq(
        "the caller's other task after the replaces",
        neighbour_before,
        stored_row(&db, neighbour, "the caller's other task").await?,
    )?;

    // A task whose times lie ahead of the database's clock, as after the
    // clock was set back (or within one tick of its create, seen from the
    // clock's side): its replace is 200, and `updatedAt` does not go back
    // before `createdAt`, which a bare `updated_at = now` would do.
    let ahead = Uuid::now_v7();
    let at = DateTime::from_timestamp_millis((Utc::now() + TimeDelta::hours(1)).timestamp_millis())
        .unwrap_or_default();
    insert_task_at(&db, ahead, user, "Set in the future", at).await?;
    let what = format!(
        "PUT {} over the caller's task whose times are an hour ahead",
        task_path(ahead)
    );
    let replaced = replace(
        &app,
        user,
        ahead,
        &json!({"title": "Back in the present"}),
        lesson,
    )
    .send()
    .await?;
    replaced.expect(200).map_err(|err| within(&what, err))?;
    expect_fields(&what, &replaced, user, ("Back in the present", false, None))?;
    expect_eq(
        &format!("{what}: createdAt"),
        at,
        time_at(&replaced, "/createdAt")?,
    )?;
    let now = time_at(&replaced, "/updatedAt")?;
    ensure!(
        now >= at,
        "{what}: updatedAt {now} is before the task's createdAt and updatedAt {at}: a replace's \
         updated_at is now, but never less than created_at (plus a tick)"
    );
    expect_eq(
        &format!("{what}: its activities (it was made without one, and a replace records none)"),
        Vec::<String>::new(),
        activity_kinds(&db, ahead).await?,
    )?;

    // A replace right behind its create: written on one connection with it,
    // so that the two often fall in one tick of the clock (SQLite's counts
    // milliseconds), and the second is still a replace.
    const PAIRS: usize = 50;
    let mut quick = Vec::new();
    for i in 0..PAIRS {
        let id = Uuid::now_v7();
        let create = json!({"title": format!("Quick {i}"), "done": true, "dueDate": "2026-09-09"});
        let body = json!({"title": format!("Quick {i} replaced")});
        let (created, replaced) = put_pipelined(&app, user, id, &create, &body, lesson).await?;
        created.expect(201)?;
        ensure!(
            replaced.status == 200,
            "pair {}: the PUT right behind the PUT that created {} answered {} (expected 200: \
             the task exists, so it is replaced, however soon after its create): {}",
            i + 1,
            task_path(id),
            replaced.status,
            replaced.brief()
        );
        let what = format!("pair {}: the replace right behind the create", i + 1);
        expect_fields(
            &what,
            &replaced,
            user,
            (&format!("Quick {i} replaced"), false, None),
        )?;
        expect_eq(
            &format!("{what}: createdAt"),
            created.json["createdAt"].clone(),
            replaced.json["createdAt"].clone(),
        )?;
        let (was, now) = (
            time_at(&created, "/updatedAt")?,
            time_at(&replaced, "/updatedAt")?,
        );
        ensure!(
            now >= was,
            "{what}: updatedAt went back, from {was} to {now}"
        );
        quick.push((id, i));
    }
    for (id, i) in quick {
        let what = format!("the task of pair {}", i + 1);
        let row = stored_row(&db, id, &what).await?;
        expect_stored(
            &what,
            &row,
            user,
            (&format!("Quick {i} replaced"), false, None),
        )?;
        expect_eq(
            &format!("{what}: its activities"),
            vec!["CREATED".to_owned()],
            activity_kinds(&db, id).await?,
        )?;
    }
    let activities = count(&db, "task_activities").await?;
    db.close().await;
    expect_eq(
        "activity rows after the creates (the task made directly has none)",
        i64::try_from(2 + PAIRS).unwrap_or_default(),
        activities,
    )
}

/// Whether a statement names the table `tasks` (not `task_activities`).
fn on_tasks(sql: &str) -> bool {
    Regex::new(r#"(?i)(^|[^a-z0-9_])"?tasks"?([^a-z0-9_]|$)"#)
        .expect("valid pattern")
        .is_match(sql)
}

/// Whether a statement is the upsert: `INSERT INTO tasks … ON CONFLICT (id)
/// DO UPDATE …`, or `DO NOTHING` (from lesson 12 a PUT without `If-Match`
/// may create, never replace).
fn is_upsert(sql: &str) -> bool {
    Regex::new(
        r#"(?is)^\s*INSERT\s+INTO\s+"?tasks"?\s*\(.*\bON\s+CONFLICT\s*\(\s*"?id"?\s*\)\s*DO\s+(UPDATE|NOTHING)\b"#,
    )
    .expect("valid pattern")
    .is_match(sql)
}

/// Whether a statement inserts into `task_activities`.
fn is_activity_insert(sql: &str) -> bool {
    Regex::new(r#"(?i)^\s*INSERT\s+INTO\s+"?task_activities"?[\s(]"#)
        .expect("valid pattern")
        .is_match(sql)
}

/// Sends `request` with the request id `request_id`, expects `status`, and
/// returns the SQL statements it logged.
async fn logged(
    app: &RunningApp,
    request: Request,
    request_id: &str,
    status: u16,
) -> Result<Vec<String>, Failure> {
    let reply = request.header("x-request-id", request_id).send().await?;
    reply.expect(status)?;
    app.wait_for_log(Duration::from_secs(5), |line| {
        line.raw.contains(request_id) && line.get("status").is_some()
    })
    .await;
    Ok(statements_of(app, request_id))
}

/// The SQL a PUT runs, read from its log lines by request id: a creating PUT
/// (201), a replacing PUT (200) and another user's PUT to that id (404) each
/// run exactly one statement on `tasks`, the `INSERT INTO tasks … ON CONFLICT
/// (id) DO UPDATE …` (from lesson 12 the creating PUT, sent without
/// `If-Match`, may say `DO NOTHING` instead: it may create, never replace):
/// no `SELECT` of the task before it (a read, then a write, leaves a gap
/// another request can slip into), no separate `UPDATE`, no `DELETE`, no
/// second `INSERT`. Besides it the caller's lookup in `users`
/// may run, and for the create its activity's `INSERT INTO task_activities`;
/// the replace and the refused PUT write no activity.
async fn put_is_one_statement(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let lesson = ctx.lesson();
    let user = new_user(&app, "onestep").await?;
    let intruder = new_user(&app, "sidestep").await?;
    let id = Uuid::now_v7();
    let path = task_path(id);
    let unique = Uuid::new_v4().simple().to_string();
    let cases = [
        (
            "a creating PUT",
            put(
                &app,
                user,
                id,
                &json!({"title": "One step", "done": true, "dueDate": "2026-08-01"}),
            ),
            format!("check-put-create-{unique}"),
            201,
            1,
        ),
        (
            "a replacing PUT",
            replace(&app, user, id, &json!({"title": "One more step"}), lesson),
            format!("check-put-replace-{unique}"),
            200,
            0,
        ),
        // With `If-Match: *` from lesson 12, so that the refusal needs no
        // read there either (no 428 or 412 to tell from the 404).
        (
            "another user's PUT to the id",
            replace(&app, intruder, id, &json!({"title": "Side step"}), lesson),
            format!("check-put-foreign-{unique}"),
            404,
            0,
        ),
    ];
    for (what, request, request_id, status, activities) in cases {
        let statements = logged(&app, request, &request_id, status).await?;
        ensure!(
            !statements.is_empty(),
            "{what} (PUT {path}) logged no SQL statement with its request id: every statement \
             is a DEBUG event (target sql, field db.statement) inside the request's span"
        );
        let on: Vec<&String> = statements.iter().filter(|sql| on_tasks(sql)).collect();
        let reads: Vec<&&String> = on
            .iter()
            .filter(|sql| sql.trim_start().to_uppercase().starts_with("SELECT"))
            .collect();
        ensure!(
            reads.is_empty(),
            "{what} (PUT {path}) read the task: {reads:?}; the one INSERT … ON CONFLICT (id) \
             DO UPDATE decides create, replace or refuse by itself, with no read before or \
             after it (all statements: {statements:?})"
        );
        ensure!(
            on.len() == 1 && is_upsert(on[0]),
            "{what} (PUT {path}) should run exactly one statement on tasks, \
             INSERT INTO tasks … ON CONFLICT (id) DO UPDATE … (or DO NOTHING, for a PUT \
             that may not replace); its statements on tasks: {on:?}"
        );
        let inserted = statements
            .iter()
            .filter(|sql| is_activity_insert(sql))
            .count();
        expect_eq(
            &format!("{what} (PUT {path}): inserts into task_activities"),
            activities,
            inserted,
        )?;
    }
    Ok(())
}

/// Another user's task id is 404 `NOT_FOUND` to a PUT, answered exactly as a
/// missing task is, whatever the body (a whole task, a title only, the
/// owner's title, a title the intruder already has), and the owner's row
/// stays as it was in the database (owner, title, done, due date, times);
/// the intruder gets no task. Then the race: twenty times two users PUT the
/// same new id at once: exactly one 201, the other 404, no 5xx, and the row
/// is the winner's (owner and title); ten times the owner replaces while
/// the other user PUTs: the owner's 200, the other's 404, and the row never
/// moves to the other user.
async fn put_never_hijacks(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let lesson = ctx.lesson();
    let owner = new_user(&app, "landlord").await?;
    let intruder = new_user(&app, "squatter").await?;
    let id = Uuid::now_v7();
    let path = task_path(id);
    let mine = json!({"title": "My flat", "done": true, "dueDate": "2026-10-01"});
    let created = put(&app, owner, id, &mine).send().await?;
    created.expect(201)?;
    new_task(&app, intruder, json!({"title": "Squatter's own"})).await?;
    let db = ctx.database().await?.inspect().await?;
    let before = stored_row(&db, id, "the owner's task").await?;
    let like_missing = missing_answer(&app, intruder).await?;

    let bodies = [
        json!({"title": "Taken over", "done": false, "dueDate": null}),
        json!({"title": "Taken over"}),
        json!({"title": "My flat", "done": true, "dueDate": "2026-10-01"}),
        json!({"title": "Squatter's own"}),
    ];
    for body in &bodies {
        for request in [
            put(&app, intruder, id, body),
            replace(&app, intruder, id, body, lesson),
        ] {
            let reply = request.send().await?;
            let what = format!("another user's PUT {path} {body}");
            reply
                .expect_error(404, "NOT_FOUND")
                .map_err(|err| within(&what, err))?;
            snapshot::assert(
                "put_never_hijacks-foreign",
                &snapshot::status_and_code(&reply),
            )?;
            expect_eq(
                &format!("{what}: answered like a missing task"),
                like_missing.clone(),
                snapshot::redact(&reply.json),
            )?;
        }
    }
    expect_eq(
        "the owner's row after another user's PUTs",
        before,
        stored_row(&db, id, "the owner's task").await?,
    )?;
    expect_eq(
        "task rows after another user's PUTs (one each)",
        2,
        count(&db, "tasks").await?,
    )?;
    let read = app.get(&path).user(owner).send().await?;
    read.expect(200)?;
    expect_eq(
        "the owner's GET after another user's PUTs",
        created.json.clone(),
        read.json.clone(),
    )?;
    let theirs = app.get("/api/v1/tasks").user(intruder).send().await?;
    theirs.expect(200)?;
    ensure!(
        !ids(&theirs)?.contains(&id.to_string()),
        "the other user's list shows the owner's task after their PUTs: {}",
        theirs.brief()
    );

    // Two users PUT one new id at once: one owner.
    const ROUNDS: usize = 20;
    let users = [(owner, "landlord"), (intruder, "squatter")];
    for round in 1..=ROUNDS {
        let id = Uuid::now_v7();
        let attempts: Vec<_> = users
            .iter()
            .map(|(user, name)| {
                let body = json!({"title": format!("Race {round} {name}")});
                tokio::spawn(put(&app, *user, id, &body).send())
            })
            .collect();
        let mut replies = Vec::new();
        for attempt in attempts {
            replies.push(attempt.await.map_err(|e| Failure::Error(e.to_string()))??);
        }
        let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
        let winners: Vec<usize> = (0..2).filter(|&i| replies[i].status == 201).collect();
        ensure!(
            winners.len() == 1 && replies[1 - winners[0]].status == 404,
            "round {round}: two users PUT {} at once: expected one 201 and one 404, got {statuses:?} \
             ({} / {})",
            task_path(id),
            replies[0].brief(),
            replies[1].brief()
        );
        let (winner, name) = users[winners[0]];
        replies[1 - winners[0]]
            .expect_error(404, "NOT_FOUND")
            .map_err(|err| within(&format!("round {round}, the loser"), err))?;
        let what = format!("round {round}, the row of {}", task_path(id));
        expect_fields(
            &format!("round {round}, the winner's 201"),
            &replies[winners[0]],
            winner,
            (&format!("Race {round} {name}"), false, None),
        )?;
        let row = stored_row(&db, id, &what).await?;
        expect_stored(
            &what,
            &row,
            winner,
            (&format!("Race {round} {name}"), false, None),
        )?;
    }

    // The owner replaces while the other user PUTs: the row stays the owner's.
    for round in 1..=10 {
        let id = Uuid::now_v7();
        put(&app, owner, id, &json!({"title": format!("Held {round}")}))
            .send()
            .await?
            .expect(201)?;
        let kept = json!({"title": format!("Held {round} kept"), "done": true});
        let grab = json!({"title": format!("Held {round} grabbed")});
        let owners = tokio::spawn(replace(&app, owner, id, &kept, lesson).send());
        let other = tokio::spawn(put(&app, intruder, id, &grab).send());
        let owners = owners.await.map_err(|e| Failure::Error(e.to_string()))??;
        let other = other.await.map_err(|e| Failure::Error(e.to_string()))??;
        let what = format!("round {round} of a replace beside another user's PUT");
        owners.expect(200).map_err(|err| within(&what, err))?;
        other
            .expect_error(404, "NOT_FOUND")
            .map_err(|err| within(&what, err))?;
        let row = stored_row(&db, id, &what).await?;
        expect_stored(
            &what,
            &row,
            owner,
            (&format!("Held {round} kept"), true, None),
        )?;
    }
    let rows = count(&db, "tasks").await?;
    db.close().await;
    expect_eq(
        "task rows after the races (2, 20 raced for, 10 held)",
        i64::try_from(2 + ROUNDS + 10).unwrap_or_default(),
        rows,
    )
}

/// A PUT giving a title the caller already has on another task is 409
/// `DUPLICATE_TITLE` (lesson 5's answer), whether it would create or
/// replace: no row is made for the new id, and the task it would have
/// replaced keeps its title and every other field, in the database too. A
/// replace that keeps the task's own title is no conflict (200), and another
/// user may PUT that title (201).
async fn put_duplicate_title(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let lesson = ctx.lesson();
    let (alice, bob) = (new_user(&app, "alice").await?, new_user(&app, "bob").await?);
    let db = ctx.database().await?.inspect().await?;
    let report = new_task(&app, alice, json!({"title": "Write the report"}))
        .await?
        .id()?;
    let review = new_task(
        &app,
        alice,
        json!({"title": "Review the report", "done": true, "dueDate": "2026-11-11"}),
    )
    .await?
    .id()?;
    let review_before = stored_row(&db, review, "the task to be renamed").await?;
    let taken = json!({"title": "Write the report"});

    let fresh = Uuid::now_v7();
    let created = put(&app, alice, fresh, &taken).send().await?;
    created
        .expect_error(409, "DUPLICATE_TITLE")
        .map_err(|err| within("a PUT to a new id with a title the caller has", err))?;
    snapshot::assert("duplicate_title_conflict", &snapshot::reply(&created))?;
    ensure!(
        stored(&db, fresh).await?.is_none(),
        "the PUT to {} with a taken title was refused, yet the database holds a row with that id",
        task_path(fresh)
    );

    let renamed = replace(&app, alice, review, &taken, lesson).send().await?;
    renamed
        .expect_error(409, "DUPLICATE_TITLE")
        .map_err(|err| {
            within(
                "a PUT over the caller's task with the title of another of theirs",
                err,
            )
        })?;
    snapshot::assert("duplicate_title_conflict", &snapshot::reply(&renamed))?;
    expect_eq(
        "the task after the refused PUT with a taken title",
        review_before,
        stored_row(&db, review, "the task to be renamed").await?,
    )?;
    let read = app.get(&task_path(review)).user(alice).send().await?;
    read.expect(200)?;
    expect_fields(
        "GET of the task after the refused PUT",
        &read,
        alice,
        ("Review the report", true, Some("2026-11-11")),
    )?;
    expect_stored(
        "the other task, whose title it is",
        &stored_row(&db, report, "the task with the title").await?,
        alice,
        ("Write the report", false, None),
    )?;

    let same = json!({"title": "Write the report", "done": true});
    replace(&app, alice, report, &same, lesson)
        .send()
        .await?
        .expect(200)
        .map_err(|err| within("a PUT over a task keeping its own title", err))?;
    let theirs = Uuid::now_v7();
    let bobs = put(&app, bob, theirs, &taken).send().await?;
    bobs.expect(201)
        .map_err(|err| within("another user's PUT of the title", err))?;
    expect_stored(
        "another user's task with the title",
        &stored_row(&db, theirs, "another user's task with the title").await?,
        bob,
        ("Write the report", false, None),
    )?;
    let rows = count(&db, "tasks").await?;
    db.close().await;
    expect_eq("task rows (two of alice's, one of bob's)", 3, rows)
}

/// A reply as bad bodies are compared: status, code and the fields named.
fn verdict(reply: &Reply) -> (u16, Option<String>, Vec<String>) {
    (
        reply.status,
        reply.code().map(str::to_owned),
        detail_fields(reply)
            .into_iter()
            .map(str::to_owned)
            .collect(),
    )
}

/// Lesson 3's corpus of bad bodies and lesson 6's impossible dates get on a
/// PUT the answer they get on POST (the same status, code and fields named,
/// and lesson 3's snapshots), whether the PUT would create, replace the
/// caller's task or meet another user's (422 comes before that 404); a body
/// without `title` is 422 naming `title` alone. A path id that is not a UUID
/// is 404 like a missing task (after 422 for a bad body); without
/// `X-User-Id` (or with an unknown one) it is 401 first. Nothing is written:
/// the rows of `tasks` and `task_activities` stay as they were.
async fn put_validation(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let lesson = ctx.lesson();
    let user = new_user(&app, "strict").await?;
    let other = new_user(&app, "bystander").await?;
    let own = new_task(
        &app,
        user,
        json!({"title": "Valid", "done": true, "dueDate": "2026-12-01"}),
    )
    .await?
    .id()?;
    let foreign = new_task(&app, other, json!({"title": "Not yours"}))
        .await?
        .id()?;
    let fresh = Uuid::now_v7();
    let db = ctx.database().await?.inspect().await?;
    let (own_before, foreign_before) = (
        stored_row(&db, own, "the caller's task").await?,
        stored_row(&db, foreign, "another user's task").await?,
    );
    let (tasks_before, activities_before) = (
        count(&db, "tasks").await?,
        count(&db, "task_activities").await?,
    );
    let targets = [
        ("a new id", fresh),
        ("the caller's task", own),
        ("another user's task", foreign),
    ];
    // A PUT without its body yet (from lesson 12 with `If-Match: *`).
    let puts = |id: Uuid| changing(app.put(&task_path(id)).user(user), lesson);

    for case in bad_task_bodies() {
        let posted = case
            .sent(app.post("/api/v1/tasks").user(user))
            .send()
            .await?;
        for (target, id) in targets {
            let what = format!("{} on a PUT to {target}", case.name);
            let reply = case.sent(puts(id)).send().await?;
            case.expect(&reply).map_err(|err| within(&what, err))?;
            expect_eq(
                &format!("{what}: (status, code, fields) as POST answers it"),
                verdict(&posted),
                verdict(&reply),
            )?;
            snapshot::assert(
                &format!("validation-{}", case.name),
                &snapshot::reply(&reply),
            )?;
        }
    }

    let untitled = json!({"done": true, "dueDate": "2026-01-01"});
    for (target, id) in targets {
        let reply = puts(id).json(&untitled).send().await?;
        let what = format!("a PUT to {target} without a title");
        reply
            .expect_error(422, "VALIDATION_FAILED")
            .map_err(|err| within(&what, err))?;
        expect_eq(
            &format!("{what}: fields named in details"),
            vec!["title"],
            detail_fields(&reply),
        )?;
    }

    for bad in bad_due_dates() {
        let body = json!({"title": "Bad date", "dueDate": bad});
        let posted = app
            .post("/api/v1/tasks")
            .user(user)
            .json(&body)
            .send()
            .await?;
        for (target, id) in targets {
            let what = format!("a PUT to {target} with the dueDate {bad}");
            let reply = puts(id).json(&body).send().await?;
            reply
                .expect_error(422, "VALIDATION_FAILED")
                .map_err(|err| within(&what, err))?;
            expect_eq(
                &format!("{what}: fields named in details"),
                vec!["dueDate"],
                detail_fields(&reply),
            )?;
            expect_eq(
                &format!("{what}: (status, code, fields) as POST answers it"),
                verdict(&posted),
                verdict(&reply),
            )?;
            if bad == json!("2026-02-30") {
                snapshot::assert("due_date_round_trip-impossible", &snapshot::reply(&reply))?;
            }
        }
    }

    let like_missing = missing_answer(&app, user).await?;
    let valid = json!({"title": "Never made", "done": false, "dueDate": null});
    for bad in NOT_UUIDS {
        let path = task_path(bad);
        let reply = changing(app.put(&path).user(user).json(&valid), lesson)
            .send()
            .await?;
        reply
            .expect_error(404, "NOT_FOUND")
            .map_err(|err| within(&format!("PUT {path}"), err))?;
        expect_eq(
            &format!("PUT {path}: answered like a missing task"),
            like_missing.clone(),
            snapshot::redact(&reply.json),
        )?;
        app.put(&path)
            .user(user)
            .json(&json!({"title": 5}))
            .send()
            .await?
            .expect_error(422, "VALIDATION_FAILED")
            .map_err(|err| within(&format!("PUT {path} with a bad body"), err))?;
        app.put(&path)
            .json(&valid)
            .send()
            .await?
            .expect_error(401, "UNAUTHENTICATED")
            .map_err(|err| within(&format!("PUT {path} without X-User-Id"), err))?;
    }
    let stranger = Uuid::now_v7().to_string();
    for (target, id) in targets {
        let path = task_path(id);
        for (how, request) in [
            ("without X-User-Id", app.put(&path).json(&valid)),
            (
                "without X-User-Id, with a bad body",
                app.put(&path).json(&json!({"title": 5})),
            ),
            (
                "with an unknown X-User-Id",
                app.put(&path).header("x-user-id", &stranger).json(&valid),
            ),
        ] {
            let reply = request.send().await?;
            reply
                .expect_error(401, "UNAUTHENTICATED")
                .map_err(|err| within(&format!("a PUT to {target} {how}"), err))?;
        }
    }

    let after = (
        count(&db, "tasks").await?,
        count(&db, "task_activities").await?,
    );
    let rows = (
        stored_row(&db, own, "the caller's task").await?,
        stored_row(&db, foreign, "another user's task").await?,
        stored(&db, fresh).await?,
    );
    db.close().await;
    expect_eq(
        "rows of tasks and task_activities after the refused PUTs",
        (tasks_before, activities_before),
        after,
    )?;
    expect_eq(
        "the caller's task, another user's task and the new id after the refused PUTs",
        (own_before, foreign_before, None),
        rows,
    )
}
