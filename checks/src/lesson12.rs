//! Lesson 12: optimistic locking. Every task has a `version` (an integer,
//! NOT NULL, 0 to start with) raised by exactly 1 by every change and served
//! as `ETag: "v<version>"`; `PATCH` and a `PUT` that replaces need `If-Match`
//! (428 without it, 412 for anything but `*` or the current tag), and the
//! compare and the write are one `UPDATE … WHERE … version = ?`.

use std::time::Duration;

use regex::Regex;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    check, ensure, fail,
    flows::{new_task, new_user, statements_of},
    harness::{
        Backend, Check, Ctx, Failure, Inspector, Outcome, Reply, RunningApp, expect_eq,
        http::Request, snapshot,
    },
    lesson02::{insert_task, insert_user, migrated},
    lesson03::within,
};

pub fn checks() -> Vec<Check> {
    vec![
        check!(version_column, 12),
        check!(etag_on_get, 12),
        check!(if_match_required, 12),
        check!(stale_if_match, 12),
        check!(if_match_star, 12),
        check!(version_bumps_once, 12),
        check!(if_match_race, 12),
    ]
}

fn task_path(id: impl std::fmt::Display) -> String {
    format!("/api/v1/tasks/{id}")
}

/// The entity tag of a task at `version`, as the contract spells it.
fn tag(version: i64) -> String {
    format!("\"v{version}\"")
}

/// `request` with `If-Match: if_match`, or without the header.
fn if_match(request: Request, if_match: Option<&str>) -> Request {
    match if_match {
        Some(value) => request.header("if-match", value),
        None => request,
    }
}

/// `PATCH /api/v1/tasks/{id}` as `user` with `body`.
fn patch(app: &RunningApp, user: Uuid, id: Uuid, body: &Value, tag: Option<&str>) -> Request {
    if_match(app.patch(&task_path(id)).user(user).json(body), tag)
}

/// `PUT /api/v1/tasks/{id}` as `user` with `body`.
fn put(app: &RunningApp, user: Uuid, id: Uuid, body: &Value, tag: Option<&str>) -> Request {
    if_match(app.put(&task_path(id)).user(user).json(body), tag)
}

/// A task row as the database holds it, `version` included.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stored {
    /// 32 lower-case hex digits.
    user_id: String,
    title: String,
    done: bool,
    due_date: Option<String>,
    version: i64,
    created_at: String,
    updated_at: String,
}

/// The row of `tasks` whose id is `id`, if there is one.
async fn stored(db: &Inspector, id: Uuid) -> Result<Option<Stored>, Failure> {
    let sql = format!(
        "SELECT {} AS owner, title, CASE WHEN done THEN 'true' ELSE 'false' END AS done, \
                CAST(due_date AS text) AS due_date, CAST(version AS bigint) AS version, \
                CAST(created_at AS text) AS created_at, CAST(updated_at AS text) AS updated_at \
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
                version: row.try_get("", "version")?,
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

/// Sets task `id`'s version directly, as writes this check did not see
/// would have left it.
async fn set_version(db: &Inspector, id: Uuid, version: i64) -> Outcome {
    let sql = format!(
        "UPDATE tasks SET version = {} WHERE {} = {}",
        db.param(1),
        db.uuid_hex("id"),
        db.param(2)
    );
    let changed = db
        .execute(&sql, [version.into(), Inspector::hex(id)])
        .await?;
    expect_eq(
        &format!("rows given version {version} directly"),
        1,
        changed,
    )
}

/// `count(*)` of `tasks`.
async fn task_rows(db: &Inspector) -> Result<i64, Failure> {
    db.number("SELECT count(*) FROM tasks", []).await
}

/// Fails unless `reply` is the task at `version`: that `version` in the
/// body and `ETag: "v<version>"`, exactly (a strong tag, quoted).
fn expect_tagged(what: &str, reply: &Reply, version: i64) -> Outcome {
    expect_eq(
        &format!("{what}: version in the body"),
        Some(version),
        reply.json["version"].as_i64(),
    )?;
    expect_eq(
        &format!("{what}: ETag"),
        Some(tag(version).as_str()),
        reply.header("etag"),
    )
}

/// `GET` of task `id` as `user`: 200, and the task at `version` (body and `ETag`).
async fn expect_read_at(
    app: &RunningApp,
    user: Uuid,
    id: Uuid,
    version: i64,
    what: &str,
) -> Result<Reply, Failure> {
    let read = app.get(&task_path(id)).user(user).send().await?;
    read.expect(200).map_err(|err| within(what, err))?;
    expect_tagged(&format!("{what}: GET"), &read, version)?;
    Ok(read)
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

/// Fails unless `reply` is 404 `NOT_FOUND` with the body a missing task gets.
fn expect_like_missing(what: &str, reply: &Reply, like_missing: &Value) -> Outcome {
    reply
        .expect_error(404, "NOT_FOUND")
        .map_err(|err| within(what, err))?;
    expect_eq(
        &format!("{what}: answered like a missing task"),
        like_missing.clone(),
        snapshot::redact(&reply.json),
    )
}

/// `version`'s declared type, whether it may be NULL, and its default, as
/// the database's catalog has them.
async fn version_definition(
    db: &Inspector,
) -> Result<Option<(String, bool, Option<String>)>, Failure> {
    match db.backend() {
        Backend::Sqlite => {
            let rows = db.query("PRAGMA table_info(\"tasks\")", []).await?;
            for row in rows {
                if row.try_get::<String>("", "name")? == "version" {
                    return Ok(Some((
                        row.try_get("", "type")?,
                        row.try_get::<i32>("", "notnull")? == 0,
                        row.try_get("", "dflt_value")?,
                    )));
                }
            }
            Ok(None)
        }
        Backend::Postgres => {
            let rows = db
                .query(
                    "SELECT data_type::text AS data_type, is_nullable::text AS is_nullable, \
                            column_default::text AS column_default \
                     FROM information_schema.columns \
                     WHERE table_schema = current_schema() AND table_name = 'tasks' \
                       AND column_name = 'version'",
                    [],
                )
                .await?;
            rows.first()
                .map(|row| {
                    Ok((
                        row.try_get("", "data_type")?,
                        row.try_get::<String>("", "is_nullable")? == "YES",
                        row.try_get("", "column_default")?,
                    ))
                })
                .transpose()
        }
    }
}

/// A column default as the literal it stands for: `(0)`, `'0'` and
/// `'0'::integer` are all `0`.
fn default_literal(default: &str) -> String {
    let mut text = default.trim();
    loop {
        let before = text;
        text = text
            .strip_suffix("::integer")
            .unwrap_or(text)
            .trim_matches(|c: char| c == '(' || c == ')' || c == '\'' || c.is_whitespace());
        if text == before {
            return text.to_owned();
        }
    }
}

/// Inserts a task for `owner` with SQL, its `version` the SQL text `version`;
/// the database's answer is returned as is.
async fn insert_at_version(
    db: &Inspector,
    owner: Uuid,
    title: &str,
    version: &str,
) -> Result<Result<u64, sea_orm::DbErr>, Failure> {
    let sql = format!(
        "INSERT INTO tasks (id, user_id, title, version) VALUES ({}, {}, {}, {version})",
        db.param(1),
        db.param(2),
        db.param(3)
    );
    let values = [
        db.uuid_value(Uuid::now_v7(), "tasks", "id").await?,
        db.uuid_value(owner, "users", "id").await?,
        title.into(),
    ];
    Ok(db.execute(&sql, values).await)
}

/// After `migrate up`, the database itself says `tasks.version` is an
/// `integer`, NOT NULL, with the default 0 (SQLite's `PRAGMA table_info`,
/// PostgreSQL's `information_schema.columns`). The rules hold for rows
/// written with SQL too: a task inserted without `version` reads 0 (an
/// integer, not text), one inserted with 7 reads 7, and one with a NULL
/// `version` is refused as NOT NULL.
async fn version_column(ctx: Ctx) -> Outcome {
    let db = migrated(&ctx).await?;
    let Some((declared, nullable, default)) = version_definition(&db).await? else {
        fail!(
            "`migrate up` made no column tasks.version; columns of tasks: {:?}",
            db.schema().await?.tables.get("tasks").map(|t| t
                .columns
                .iter()
                .map(|c| c.name.clone())
                .collect::<Vec<_>>())
        );
    };
    expect_eq(
        "the type of tasks.version",
        "integer".to_owned(),
        declared.to_lowercase(),
    )?;
    ensure!(!nullable, "tasks.version is nullable; it must be NOT NULL");
    expect_eq(
        "the default of tasks.version",
        Some("0".to_owned()),
        default.as_deref().map(default_literal),
    )?;

    let owner = insert_user(&db, "versions@example.com").await?;
    if let Err(err) = insert_task(&db, owner, "a task left to its defaults").await? {
        fail!("inserting a task without `version` failed: {err}");
    }
    let defaulted = db
        .number("SELECT CAST(version AS bigint) FROM tasks", [])
        .await?;
    expect_eq("version of a task inserted without one", 0, defaulted)?;
    if db.backend() == Backend::Sqlite {
        expect_eq(
            "typeof(version) of a task inserted without one",
            vec!["integer".to_owned()],
            db.texts("SELECT typeof(version) FROM tasks", []).await?,
        )?;
    }
    if let Err(err) = insert_at_version(&db, owner, "a task at version 7", "7").await? {
        fail!("inserting a task with version 7 failed: {err}");
    }
    match insert_at_version(&db, owner, "a task of no version", "NULL").await? {
        Ok(_) => fail!("a task with a NULL version was inserted: tasks.version must be NOT NULL"),
        Err(err) => {
            let text = err.to_string().to_lowercase();
            ensure!(
                text.contains("not null") || text.contains("not-null"),
                "the task with a NULL version was refused, but not as NOT NULL: {err}"
            );
        }
    }
    let versions = db
        .texts(
            "SELECT CAST(CAST(version AS bigint) AS text) FROM tasks ORDER BY version",
            [],
        )
        .await?;
    db.close().await;
    expect_eq(
        "versions of the two tasks inserted with SQL",
        vec!["0".to_owned(), "7".to_owned()],
        versions,
    )
}

/// `GET /api/v1/tasks/{id}` answers `ETag: "v<version>"`, exactly (a strong
/// tag in quotes), with the same `version` in the body and in the database:
/// `"v0"` for a new task, the same tag on a second read, `"v1"` after a
/// PATCH, `"v2"` after a replacing PUT. The tag is the stored version, not
/// a count of this process's writes: a task given version 41 with SQL is
/// served `"v41"`, while another task of the caller's stays `"v0"`, and the
/// list shows each task with its `version`.
async fn etag_on_get(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let user = new_user(&app, "tagged").await?;
    let db = ctx.database().await?.inspect().await?;
    let created = new_task(&app, user, json!({"title": "Read me with a tag"})).await?;
    let id = created.id()?;
    let other = new_task(&app, user, json!({"title": "Another tag"}))
        .await?
        .id()?;

    let first = expect_read_at(&app, user, id, 0, "a new task").await?;
    expect_eq(
        "version of a new task in the database",
        0,
        stored_row(&db, id, "a new task").await?.version,
    )?;
    let again = expect_read_at(&app, user, id, 0, "a new task read again").await?;
    expect_eq(
        "the task read twice",
        first.json.clone(),
        again.json.clone(),
    )?;

    patch(&app, user, id, &json!({"done": true}), Some("*"))
        .send()
        .await?
        .expect(200)?;
    let read = expect_read_at(&app, user, id, 1, "after a PATCH").await?;
    expect_eq(
        "GET after a PATCH: done",
        Some(true),
        read.json["done"].as_bool(),
    )?;
    expect_eq(
        "version in the database after a PATCH",
        1,
        stored_row(&db, id, "the patched task").await?.version,
    )?;
    put(
        &app,
        user,
        id,
        &json!({"title": "Read me with a new tag"}),
        Some("*"),
    )
    .send()
    .await?
    .expect(200)?;
    let read = expect_read_at(&app, user, id, 2, "after a replacing PUT").await?;
    expect_eq(
        "GET after a replacing PUT: title",
        Some("Read me with a new tag"),
        read.json["title"].as_str(),
    )?;

    set_version(&db, id, 41).await?;
    expect_read_at(&app, user, id, 41, "a task given version 41 with SQL").await?;
    expect_read_at(&app, user, other, 0, "the caller's other task").await?;
    db.close().await;

    let list = app.get("/api/v1/tasks").user(user).send().await?;
    list.expect(200)?;
    let mut versions: Vec<(String, Option<i64>)> = list
        .data()?
        .iter()
        .map(|task| {
            (
                task["id"].as_str().unwrap_or_default().to_owned(),
                task["version"].as_i64(),
            )
        })
        .collect();
    versions.sort();
    let mut expected = vec![(id.to_string(), Some(41)), (other.to_string(), Some(0))];
    expected.sort();
    expect_eq("(id, version) of the listed tasks", expected, versions)
}

/// A change to an existing task without `If-Match` is 428
/// `PRECONDITION_REQUIRED`: a PATCH (of each field, of all three, of none)
/// and a PUT over the caller's task (another body, or the very same one),
/// and the row stays as it was in the database (title, done, due date,
/// version, times). Before that answer come the others: a bad body is 422,
/// another user's task and a missing one are 404 like a missing task (a 428
/// there would say the task exists), and their rows stay too. A PUT without
/// `If-Match` to a free id still creates it (201, version 0, `ETag: "v0"`),
/// and a second such PUT is 428; with the task's tag the change is made.
async fn if_match_required(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let owner = new_user(&app, "careful").await?;
    let intruder = new_user(&app, "careless").await?;
    let db = ctx.database().await?.inspect().await?;
    let mine = json!({"title": "Ask before you change", "done": false, "dueDate": "2026-04-01"});
    let id = new_task(&app, owner, mine.clone()).await?.id()?;
    patch(&app, owner, id, &json!({"done": true}), Some("*"))
        .send()
        .await?
        .expect(200)?;
    let theirs = new_task(&app, intruder, json!({"title": "Ask me too"}))
        .await?
        .id()?;
    let before = stored_row(&db, id, "the caller's task").await?;
    let theirs_before = stored_row(&db, theirs, "another user's task").await?;
    let rows_before = task_rows(&db).await?;

    let patches = [
        json!({"done": false}),
        json!({"title": "Changed without asking"}),
        json!({"dueDate": null}),
        json!({"title": "Changed without asking", "done": false, "dueDate": "2027-01-01"}),
        json!({}),
    ];
    let replaces = [
        json!({"title": "Replaced without asking"}),
        json!({"title": "Ask before you change", "done": true, "dueDate": "2026-04-01"}),
    ];
    let refused = patches
        .iter()
        .map(|body| {
            (
                format!("PATCH {} {body} without If-Match", task_path(id)),
                patch(&app, owner, id, body, None),
            )
        })
        .chain(replaces.iter().map(|body| {
            (
                format!(
                    "PUT {} {body} over the caller's task without If-Match",
                    task_path(id)
                ),
                put(&app, owner, id, body, None),
            )
        }));
    for (what, request) in refused {
        let reply = request.send().await?;
        reply
            .expect_error(428, "PRECONDITION_REQUIRED")
            .map_err(|err| within(&what, err))?;
        snapshot::assert("if_match_required", &snapshot::reply(&reply))?;
    }
    expect_eq(
        "the caller's task in the database after the changes without If-Match",
        before.clone(),
        stored_row(&db, id, "the caller's task").await?,
    )?;
    expect_read_at(&app, owner, id, before.version, "after the refused changes").await?;

    // 422 and 404 come first.
    for (what, reply) in [
        (
            "a PATCH with a bad body and no If-Match",
            patch(&app, owner, id, &json!({"title": 5}), None)
                .send()
                .await?,
        ),
        (
            "a PUT with a bad body and no If-Match",
            put(&app, owner, id, &json!({"title": ""}), None)
                .send()
                .await?,
        ),
    ] {
        reply
            .expect_error(422, "VALIDATION_FAILED")
            .map_err(|err| within(what, err))?;
    }
    let like_missing = missing_answer(&app, intruder).await?;
    let body = json!({"title": "Not yours to change"});
    for (what, reply) in [
        (
            "another user's PATCH without If-Match",
            patch(&app, intruder, id, &body, None).send().await?,
        ),
        (
            "another user's PUT without If-Match",
            put(&app, intruder, id, &body, None).send().await?,
        ),
        (
            "the owner's PATCH without If-Match of another user's task",
            patch(&app, owner, theirs, &body, None).send().await?,
        ),
        (
            "a PATCH without If-Match of a missing task",
            patch(&app, owner, Uuid::now_v7(), &body, None)
                .send()
                .await?,
        ),
    ] {
        expect_like_missing(what, &reply, &like_missing)?;
    }
    expect_eq(
        "the caller's task after the refusals",
        before.clone(),
        stored_row(&db, id, "the caller's task").await?,
    )?;
    expect_eq(
        "another user's task after the refusals",
        theirs_before,
        stored_row(&db, theirs, "another user's task").await?,
    )?;
    expect_eq(
        "task rows after the refusals",
        rows_before,
        task_rows(&db).await?,
    )?;

    // A free id needs no If-Match: nothing is there to overwrite.
    let fresh = Uuid::now_v7();
    let created = put(
        &app,
        owner,
        fresh,
        &json!({"title": "Nothing to ask"}),
        None,
    )
    .send()
    .await?;
    created
        .expect(201)
        .map_err(|err| within("a PUT without If-Match to a free id", err))?;
    expect_tagged("a PUT without If-Match to a free id", &created, 0)?;
    let row = stored_row(&db, fresh, "the task a PUT created").await?;
    expect_eq(
        "the task a PUT without If-Match created: (owner, title, version)",
        (owner.simple().to_string(), "Nothing to ask".to_owned(), 0),
        (row.user_id.clone(), row.title.clone(), row.version),
    )?;
    put(&app, owner, fresh, &json!({"title": "Now ask"}), None)
        .send()
        .await?
        .expect_error(428, "PRECONDITION_REQUIRED")
        .map_err(|err| within("a second PUT without If-Match to that id", err))?;
    expect_eq(
        "the created task after a second PUT without If-Match",
        row,
        stored_row(&db, fresh, "the task a PUT created").await?,
    )?;

    // With the tag it goes through.
    let current = tag(before.version);
    let asked = patch(&app, owner, id, &json!({"done": false}), Some(&current))
        .send()
        .await?;
    asked
        .expect(200)
        .map_err(|err| within(&format!("a PATCH with If-Match: {current}"), err))?;
    let after = stored_row(&db, id, "the caller's task").await?;
    db.close().await;
    expect_eq(
        "(done, version) in the database after the PATCH with the tag",
        (false, before.version + 1),
        (after.done, after.version),
    )
}

/// The tags `stale_if_match` sends to a task at version 2, none of them its
/// `ETag` `"v2"`: old and future versions, the right number spelt another
/// way (weak, unquoted, without the `v`, with a leading zero), lists (with the
/// current tag among them too: `If-Match` holds one tag), and garbage.
const STALE_AT_V2: [&str; 12] = [
    "\"v0\"",
    "\"v1\"",
    "\"v3\"",
    "W/\"v2\"",
    "v2",
    "\"2\"",
    "\"v02\"",
    "\"v1\", \"v2\"",
    "\"v2\", \"v3\"",
    "\"v2\", *",
    "\"\"",
    "not-a-tag",
];

/// An `If-Match` that is neither `*` nor the task's current tag is 412
/// `PRECONDITION_FAILED`, on PATCH (an empty one too) and on PUT, and the row
/// stays as it was in the database: an older or a later version, a weak
/// tag, the number unquoted or spelt differently, a list (with the current
/// tag in it, or sent as two `If-Match` headers), garbage. Another user's
/// task answers 404 like a missing task whatever the tag (stale, current,
/// `*`, garbage), and so does a missing one; a PUT with a tag to a free id
/// is 404 and makes no row (a tag names a version to replace; it never
/// creates). Then the current tag is accepted.
async fn stale_if_match(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let owner = new_user(&app, "staler").await?;
    let intruder = new_user(&app, "fresher").await?;
    let db = ctx.database().await?.inspect().await?;
    let id = new_task(
        &app,
        owner,
        json!({"title": "Keep up", "done": false, "dueDate": "2026-06-06"}),
    )
    .await?
    .id()?;
    for (n, body) in [json!({"done": true}), json!({"title": "Keep up, please"})]
        .iter()
        .enumerate()
    {
        let current = tag(i64::try_from(n).unwrap_or_default());
        patch(&app, owner, id, body, Some(&current))
            .send()
            .await?
            .expect(200)
            .map_err(|err| within(&format!("a PATCH with If-Match: {current}"), err))?;
    }
    let before = stored_row(&db, id, "the task at version 2").await?;
    expect_eq("version after two PATCHes", 2, before.version)?;
    let rows_before = task_rows(&db).await?;

    let change = json!({"title": "Overwritten", "done": false, "dueDate": null});
    let mut refused = Vec::new();
    for stale in STALE_AT_V2 {
        refused.push((
            format!("PATCH {} with If-Match: {stale}", task_path(id)),
            patch(&app, owner, id, &change, Some(stale)),
        ));
        refused.push((
            format!("PUT {} with If-Match: {stale}", task_path(id)),
            put(&app, owner, id, &change, Some(stale)),
        ));
    }
    refused.push((
        format!("PATCH {} {{}} with If-Match: \"v1\"", task_path(id)),
        patch(&app, owner, id, &json!({}), Some("\"v1\"")),
    ));
    for (verb, request) in [
        ("PATCH", app.patch(&task_path(id))),
        ("PUT", app.put(&task_path(id))),
    ] {
        refused.push((
            format!(
                "{verb} {} with two If-Match headers, each \"v2\"",
                task_path(id)
            ),
            request
                .user(owner)
                .json(&change)
                .header("if-match", "\"v2\"")
                .header("if-match", "\"v2\""),
        ));
    }
    for (what, request) in refused {
        let reply = request.send().await?;
        reply
            .expect_error(412, "PRECONDITION_FAILED")
            .map_err(|err| within(&what, err))?;
        snapshot::assert("stale_if_match", &snapshot::reply(&reply))?;
    }
    expect_eq(
        "the task in the database after the refused changes",
        before.clone(),
        stored_row(&db, id, "the task at version 2").await?,
    )?;
    expect_read_at(&app, owner, id, 2, "after the refused changes").await?;

    // Another user's task, or none: 404 whatever the tag.
    let like_missing = missing_answer(&app, intruder).await?;
    for tried in ["\"v2\"", "\"v0\"", "*", "not-a-tag"] {
        for (what, reply) in [
            (
                format!("another user's PATCH with If-Match: {tried}"),
                patch(&app, intruder, id, &change, Some(tried))
                    .send()
                    .await?,
            ),
            (
                format!("another user's PUT with If-Match: {tried}"),
                put(&app, intruder, id, &change, Some(tried)).send().await?,
            ),
            (
                format!("a PATCH of a missing task with If-Match: {tried}"),
                patch(&app, owner, Uuid::now_v7(), &change, Some(tried))
                    .send()
                    .await?,
            ),
        ] {
            expect_like_missing(&what, &reply, &like_missing)?;
        }
    }
    let fresh = Uuid::now_v7();
    for tried in ["\"v0\"", "\"v2\""] {
        let reply = put(&app, owner, fresh, &change, Some(tried)).send().await?;
        expect_like_missing(
            &format!("a PUT with If-Match: {tried} to a free id"),
            &reply,
            &like_missing,
        )?;
    }
    ensure!(
        stored(&db, fresh).await?.is_none(),
        "a PUT with a tag to the free id {} was refused, yet the database holds a row with that id",
        task_path(fresh)
    );
    expect_eq(
        "the task in the database after the other user's attempts",
        before.clone(),
        stored_row(&db, id, "the task at version 2").await?,
    )?;
    expect_eq(
        "task rows after the refused changes",
        rows_before,
        task_rows(&db).await?,
    )?;

    let current = patch(&app, owner, id, &change, Some("\"v2\""))
        .send()
        .await?;
    current
        .expect(200)
        .map_err(|err| within("a PATCH with the current tag \"v2\"", err))?;
    let after = stored_row(&db, id, "the task").await?;
    db.close().await;
    expect_eq(
        "(title, version) in the database after the PATCH with the current tag",
        ("Overwritten".to_owned(), 3),
        (after.title, after.version),
    )
}

/// `If-Match: *` matches any version: a PATCH and a replacing PUT with it
/// are applied to a task at version 0 and to one moved to version 17 with
/// SQL (as writes this client never saw would leave it), each answered 200
/// with the version one up, the change in the database. A PUT with `*` to a
/// free id creates it (201, version 0) and a second one replaces it (200,
/// version 1). Another user's task stays 404 with `*`, its row unchanged.
async fn if_match_star(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let owner = new_user(&app, "star").await?;
    let intruder = new_user(&app, "comet").await?;
    let db = ctx.database().await?.inspect().await?;
    let id = new_task(&app, owner, json!({"title": "Any version will do"}))
        .await?
        .id()?;

    let first = patch(&app, owner, id, &json!({"done": true}), Some("*"))
        .send()
        .await?;
    first
        .expect(200)
        .map_err(|err| within("a PATCH with If-Match: * of a task at version 0", err))?;
    expect_tagged("a PATCH with If-Match: * at version 0", &first, 1)?;
    let row = stored_row(&db, id, "the task").await?;
    expect_eq(
        "(done, version) in the database after PATCH with If-Match: *",
        (true, 1),
        (row.done, row.version),
    )?;

    set_version(&db, id, 17).await?;
    let patched = patch(
        &app,
        owner,
        id,
        &json!({"title": "Any version at all"}),
        Some("*"),
    )
    .send()
    .await?;
    patched
        .expect(200)
        .map_err(|err| within("a PATCH with If-Match: * of a task at version 17", err))?;
    expect_tagged("a PATCH with If-Match: * at version 17", &patched, 18)?;
    let replaced = put(
        &app,
        owner,
        id,
        &json!({"title": "Replaced at any version", "dueDate": "2026-12-24"}),
        Some("*"),
    )
    .send()
    .await?;
    replaced
        .expect(200)
        .map_err(|err| within("a PUT with If-Match: * of a task at version 18", err))?;
    expect_tagged("a PUT with If-Match: * at version 18", &replaced, 19)?;
    let row = stored_row(&db, id, "the task").await?;
    expect_eq(
        "(title, done, due_date, version) in the database after PUT with If-Match: *",
        (
            "Replaced at any version".to_owned(),
            false,
            Some("2026-12-24".to_owned()),
            19,
        ),
        (
            row.title.clone(),
            row.done,
            row.due_date.clone(),
            row.version,
        ),
    )?;

    let fresh = Uuid::now_v7();
    let created = put(
        &app,
        owner,
        fresh,
        &json!({"title": "A star is born"}),
        Some("*"),
    )
    .send()
    .await?;
    created
        .expect(201)
        .map_err(|err| within("a PUT with If-Match: * to a free id", err))?;
    expect_tagged("a PUT with If-Match: * to a free id", &created, 0)?;
    let again = put(
        &app,
        owner,
        fresh,
        &json!({"title": "A star again"}),
        Some("*"),
    )
    .send()
    .await?;
    again
        .expect(200)
        .map_err(|err| within("a second PUT with If-Match: * to that id", err))?;
    expect_tagged("a second PUT with If-Match: * to that id", &again, 1)?;

    let like_missing = missing_answer(&app, intruder).await?;
    let body = json!({"title": "Mine now"});
    for (what, reply) in [
        (
            "another user's PATCH with If-Match: *",
            patch(&app, intruder, id, &body, Some("*")).send().await?,
        ),
        (
            "another user's PUT with If-Match: *",
            put(&app, intruder, id, &body, Some("*")).send().await?,
        ),
    ] {
        expect_like_missing(what, &reply, &like_missing)?;
    }
    let after = stored_row(&db, id, "the task").await?;
    db.close().await;
    expect_eq(
        "the task in the database after another user's changes with If-Match: *",
        row,
        after,
    )
}

/// One change: `what`, sent as `request`, to a task at `from`; the answer
/// (200), `GET` and the database all show version `from + 1`.
async fn expect_one_up(
    app: &RunningApp,
    db: &Inspector,
    (user, id): (Uuid, Uuid),
    what: &str,
    request: Request,
    from: i64,
) -> Outcome {
    let reply = request.send().await?;
    reply.expect(200).map_err(|err| within(what, err))?;
    expect_tagged(what, &reply, from + 1)?;
    expect_eq(
        &format!("{what}: version in the database"),
        from + 1,
        stored_row(db, id, what).await?.version,
    )?;
    expect_read_at(app, user, id, from + 1, what).await?;
    Ok(())
}

/// A task starts at version 0 (POST, and a creating PUT: the body, the
/// `ETag` and the database), and every change raises it by exactly 1, read
/// from the answer, its `ETag`, `GET` and the database: a PATCH of the
/// title, of `done`, of the due date, of its clearing and of all three, with
/// the tag or `*`, and a replacing PUT with either; from version 1000 too
/// (so the new version is the row's plus one, not a count). A PATCH of no
/// field (`{}`) changes nothing: 200 at the same version, the row as it
/// was. A refused change (a taken title, 409) leaves the version. Ten PATCHes
/// with `*` at once raise it by exactly ten. A task at a version above 0 is
/// deleted without `If-Match` (204), and is then gone (404).
async fn version_bumps_once(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let user = new_user(&app, "counter").await?;
    let db = ctx.database().await?.inspect().await?;
    let created = new_task(&app, user, json!({"title": "Count my changes"})).await?;
    let id = created.id()?;
    expect_tagged("POST /api/v1/tasks", &created, 0)?;
    expect_eq(
        "version of a created task in the database",
        0,
        stored_row(&db, id, "the created task").await?.version,
    )?;
    let fresh = Uuid::now_v7();
    let put_created = put(&app, user, fresh, &json!({"title": "Put in place"}), None)
        .send()
        .await?;
    put_created.expect(201)?;
    expect_tagged("a creating PUT", &put_created, 0)?;
    expect_eq(
        "version of a task created by PUT in the database",
        0,
        stored_row(&db, fresh, "the task created by PUT")
            .await?
            .version,
    )?;

    let target = (user, id);
    let steps: [(Value, bool, bool); 8] = [
        (json!({"title": "Count my changes again"}), false, true),
        (json!({"done": true}), false, false),
        (json!({"dueDate": "2026-10-10"}), false, true),
        (json!({"dueDate": null}), false, false),
        (
            json!({"title": "Count them all", "done": false, "dueDate": "2027-02-02"}),
            false,
            true,
        ),
        (json!({"title": "Replaced once", "done": true}), true, true),
        (json!({"title": "Replaced twice"}), true, false),
        (json!({"done": false}), false, false),
    ];
    let mut version = 0;
    for (body, replace, by_tag) in &steps {
        let current = tag(version);
        let if_match = if *by_tag { current.as_str() } else { "*" };
        let (verb, request) = if *replace {
            ("PUT", put(&app, user, id, body, Some(if_match)))
        } else {
            ("PATCH", patch(&app, user, id, body, Some(if_match)))
        };
        let what = format!("{verb} {body} with If-Match: {if_match} at version {version}");
        expect_one_up(&app, &db, target, &what, request, version).await?;
        version += 1;
    }

    // No field, no change.
    let before = stored_row(&db, id, "the task").await?;
    let current = tag(version);
    for if_match in [current.as_str(), "*"] {
        let what = format!("PATCH {{}} with If-Match: {if_match} at version {version}");
        let reply = patch(&app, user, id, &json!({}), Some(if_match))
            .send()
            .await?;
        reply.expect(200).map_err(|err| within(&what, err))?;
        expect_tagged(&what, &reply, version)?;
        expect_eq(
            &format!("{what}: the row in the database"),
            before.clone(),
            stored_row(&db, id, &what).await?,
        )?;
    }

    // The row's version plus one, whatever it is.
    set_version(&db, id, 1000).await?;
    let what = "PATCH with If-Match: * of a task at version 1000";
    let request = patch(&app, user, id, &json!({"done": true}), Some("*"));
    expect_one_up(&app, &db, target, what, request, 1000).await?;
    let what = "PUT with If-Match: \"v1001\"";
    let request = put(
        &app,
        user,
        id,
        &json!({"title": "A thousand and two"}),
        Some("\"v1001\""),
    );
    expect_one_up(&app, &db, target, what, request, 1001).await?;

    // A refused change is no change.
    let taken = json!({"title": "Put in place"});
    for (what, request) in [
        (
            "a PATCH with a taken title",
            patch(&app, user, id, &taken, Some("*")),
        ),
        (
            "a PUT with a taken title",
            put(&app, user, id, &taken, Some("\"v1002\"")),
        ),
    ] {
        request
            .send()
            .await?
            .expect_error(409, "DUPLICATE_TITLE")
            .map_err(|err| within(what, err))?;
        expect_eq(
            &format!("{what}: version in the database"),
            1002,
            stored_row(&db, id, what).await?.version,
        )?;
    }

    // Ten changes at once, each with `*`: ten versions up, none lost.
    const AT_ONCE: i64 = 10;
    let attempts: Vec<_> = (0..AT_ONCE)
        .map(|i| {
            let body = json!({"done": i % 2 == 0});
            tokio::spawn(patch(&app, user, id, &body, Some("*")).send())
        })
        .collect();
    for attempt in attempts {
        let reply = attempt.await.map_err(|e| Failure::Error(e.to_string()))??;
        reply
            .expect(200)
            .map_err(|err| within("one of ten PATCHes at once with If-Match: *", err))?;
    }
    expect_eq(
        "version in the database after ten PATCHes at once from version 1002",
        1002 + AT_ONCE,
        stored_row(&db, id, "the task").await?.version,
    )?;
    expect_read_at(&app, user, id, 1002 + AT_ONCE, "after ten PATCHes at once").await?;
    db.close().await;

    let deleted = app.delete(&task_path(id)).user(user).send().await?;
    deleted
        .expect(204)
        .map_err(|err| within("DELETE without If-Match of a task at version 1012", err))?;
    app.get(&task_path(id))
        .user(user)
        .send()
        .await?
        .expect_error(404, "NOT_FOUND")
        .map_err(|err| within("GET of the deleted task", err))?;
    Ok(())
}

/// Whether a statement names the table `tasks` (not `task_activities`).
fn on_tasks(sql: &str) -> bool {
    Regex::new(r#"(?i)(^|[^a-z0-9_])"?tasks"?([^a-z0-9_]|$)"#)
        .expect("valid pattern")
        .is_match(sql)
}

fn is_select(sql: &str) -> bool {
    sql.trim_start().to_uppercase().starts_with("SELECT")
}

/// Whether a statement writes `tasks`: an `UPDATE` of it or an `INSERT` into it.
fn writes_tasks(sql: &str) -> bool {
    Regex::new(r#"(?i)^\s*(UPDATE\s+"?tasks"?\s|INSERT\s+INTO\s+"?tasks"?[\s(])"#)
        .expect("valid pattern")
        .is_match(sql)
}

/// Whether the statement's `WHERE` (up to a `RETURNING`) names `version`.
fn where_names_version(sql: &str) -> bool {
    Regex::new(r#"(?is)\bWHERE\b(.*?)(\bRETURNING\b|$)"#)
        .expect("valid pattern")
        .captures(sql)
        .and_then(|found| found.get(1))
        .is_some_and(|condition| {
            Regex::new(r#"(?i)(^|[^a-z0-9_])"?version"?([^a-z0-9_]|$)"#)
                .expect("valid pattern")
                .is_match(condition.as_str())
        })
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

/// The statuses of `replies`, and the one that is 200 if exactly one is;
/// fails on anything but one 200 and 412s.
fn one_winner(what: &str, replies: &[Reply]) -> Result<usize, Failure> {
    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    let winners: Vec<usize> = (0..replies.len())
        .filter(|&i| replies[i].status == 200)
        .collect();
    let losers = statuses.iter().filter(|&&s| s == 412).count();
    ensure!(
        winners.len() == 1 && losers == replies.len() - 1,
        "{what}: expected exactly one 200 and {} 412, got {statuses:?}{}",
        replies.len() - 1,
        replies
            .iter()
            .find(|r| r.status != 200 && r.status != 412)
            .map(|r| format!(" (for instance {})", r.brief()))
            .unwrap_or_default()
    );
    for reply in replies.iter().filter(|r| r.status == 412) {
        reply
            .expect_error(412, "PRECONDITION_FAILED")
            .map_err(|err| within(what, err))?;
    }
    Ok(winners[0])
}

/// Twenty PATCHes at once, all with the task's current tag and each with
/// its own title: exactly one 200 (the task one version up, its `ETag`),
/// nineteen 412 `PRECONDITION_FAILED`, no 5xx; the database holds the
/// winner's title at the old version plus one. Five rounds, then three of
/// twenty PUTs with one tag, alike. And the SQL, read from the log lines of
/// a successful PATCH and of a successful PUT with a tag: one statement
/// writes `tasks`, its `WHERE` names `version` (the compare and the write
/// are one statement), and no `SELECT` of the task runs before it (a read,
/// then a write, leaves a gap that another writer slips into).
async fn if_match_race(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let user = new_user(&app, "racer").await?;
    let db = ctx.database().await?.inspect().await?;
    let id = new_task(&app, user, json!({"title": "Everyone wants me"}))
        .await?
        .id()?;
    const WRITERS: usize = 20;
    let mut version = 0;
    for (round, replace) in [false, false, false, false, false, true, true, true]
        .into_iter()
        .enumerate()
    {
        let current = tag(version);
        let verb = if replace { "PUT" } else { "PATCH" };
        let attempts: Vec<_> = (0..WRITERS)
            .map(|i| {
                let body = json!({"title": format!("Round {round} writer {i}")});
                let request = if replace {
                    put(&app, user, id, &body, Some(&current))
                } else {
                    patch(&app, user, id, &body, Some(&current))
                };
                tokio::spawn(request.send())
            })
            .collect();
        let mut replies = Vec::new();
        for attempt in attempts {
            replies.push(attempt.await.map_err(|e| Failure::Error(e.to_string()))??);
        }
        let what = format!(
            "round {}: {WRITERS} {verb}s at once with If-Match: {current}",
            round + 1
        );
        let winner = one_winner(&what, &replies)?;
        expect_tagged(&format!("{what}: the 200"), &replies[winner], version + 1)?;
        let row = stored_row(&db, id, &what).await?;
        expect_eq(
            &format!("{what}: (title, version) in the database"),
            (format!("Round {round} writer {winner}"), version + 1),
            (row.title, row.version),
        )?;
        version += 1;
    }
    db.close().await;

    let unique = Uuid::new_v4().simple().to_string();
    for (verb, replace) in [("PATCH", false), ("PUT", true)] {
        let current = tag(version);
        let body = json!({"title": format!("Logged {verb}")});
        let request = if replace {
            put(&app, user, id, &body, Some(&current))
        } else {
            patch(&app, user, id, &body, Some(&current))
        };
        let what = format!("{verb} {} with If-Match: {current}", task_path(id));
        let request_id = format!("check-if-match-{}-{unique}", verb.to_lowercase());
        let statements = logged(&app, request, &request_id, 200).await?;
        version += 1;
        ensure!(
            !statements.is_empty(),
            "{what} logged no SQL statement with its request id: every statement is a DEBUG \
             event (target sql, field db.statement) inside the request's span"
        );
        let writes: Vec<(usize, &String)> = statements
            .iter()
            .enumerate()
            .filter(|(_, sql)| writes_tasks(sql))
            .collect();
        let [(at, write)] = writes.as_slice() else {
            fail!(
                "{what} should run exactly one statement that writes tasks (UPDATE tasks … \
                 WHERE … version = …); its writes of tasks: {:?} (all statements: {statements:?})",
                writes.iter().map(|(_, sql)| sql).collect::<Vec<_>>()
            );
        };
        ensure!(
            where_names_version(write),
            "{what}: the statement that writes tasks does not name version in its WHERE, so it \
             does not compare the version it overwrites: {write}"
        );
        let reads: Vec<&String> = statements[..*at]
            .iter()
            .filter(|sql| on_tasks(sql) && is_select(sql))
            .collect();
        ensure!(
            reads.is_empty(),
            "{what} read the task before writing it: {reads:?}; the one UPDATE … WHERE … \
             version = … compares and writes at once (all statements: {statements:?})"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_read_as_their_literal() {
        for spelt in ["0", "(0)", "'0'", "'0'::integer", "((0))"] {
            assert_eq!(default_literal(spelt), "0", "{spelt}");
        }
        assert_eq!(default_literal("1"), "1");
    }

    #[test]
    fn the_compare_is_found_in_the_where() {
        let sqlite = r#"UPDATE "tasks" SET "updated_at" = strftime('%Y', 'now'), "version" = "tasks"."version" + ?, "done" = ? WHERE "tasks"."user_id" = ? AND "tasks"."id" = ? AND "tasks"."version" = ? RETURNING "id", "version""#;
        assert!(writes_tasks(sqlite) && where_names_version(sqlite));
        let blind = r#"UPDATE "tasks" SET "version" = "tasks"."version" + $1 WHERE "tasks"."user_id" = $2 AND "tasks"."id" = $3 RETURNING "version""#;
        assert!(writes_tasks(blind) && !where_names_version(blind));
        assert!(!writes_tasks(
            r#"INSERT INTO "task_activities" ("id") VALUES ($1)"#
        ));
        assert!(on_tasks(
            r#"SELECT "tasks"."id" FROM "tasks" WHERE "tasks"."id" = $1"#
        ));
        assert!(!on_tasks(r#"SELECT "id" FROM "users" WHERE "id" = $1"#));
    }
}
