//! Lesson 10: `task_activities`, and a create that writes the task and its
//! `CREATED` activity in one transaction: both rows or neither.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use regex::Regex;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    check, ensure, fail,
    flows::{NOT_UUIDS, ids, keys, new_task, new_tasks, new_user, statements_of},
    harness::{
        Backend, Check, Ctx, Failure, Inspector, Outcome, Reply, RunningApp, expect_eq, snapshot,
    },
    lesson02::{insert_user, migrated},
};

pub fn checks() -> Vec<Check> {
    vec![
        check!(activities_schema, 10),
        check!(create_writes_activity, 10),
        check!(failed_activity_rolls_back, 10),
        check!(activities_scoped, 10),
        // Lesson 16 picks the foreign keys' delete actions (RESTRICT may refuse
        // this delete) and lesson 17 makes a delete soft, keeping the row.
        check!(delete_with_activities, 10).until(15),
    ]
}

/// The header that makes a create's activity insert fail (with `WORKBOOK_FAULTS=1`).
const FAIL_ACTIVITY: &str = "x-fault-fail-activity";

/// The fields of an activity, sorted.
const ACTIVITY_KEYS: [&str; 4] = ["createdAt", "id", "kind", "taskId"];

fn activities_path(task: &str) -> String {
    format!("/api/v1/tasks/{task}/activities")
}

/// `count(*)` of `table` rows whose `column` (a UUID) is `id`.
async fn count_where(db: &Inspector, table: &str, column: &str, id: Uuid) -> Result<i64, Failure> {
    db.number(
        &format!(
            "SELECT count(*) FROM {table} WHERE {} = {}",
            db.uuid_hex(column),
            db.param(1)
        ),
        [Inspector::hex(id)],
    )
    .await
}

/// The kinds of task `task`'s activity rows, as the database holds them.
async fn kinds_of(db: &Inspector, task: Uuid) -> Result<Vec<Option<String>>, Failure> {
    let rows = db
        .query(
            &format!(
                "SELECT kind FROM task_activities WHERE {} = {} ORDER BY created_at",
                db.uuid_hex("task_id"),
                db.param(1)
            ),
            [Inspector::hex(task)],
        )
        .await?;
    rows.iter()
        .map(|row| {
            row.try_get_by_index::<Option<String>>(0)
                .map_err(Failure::from)
        })
        .collect()
}

/// A time as the database stores it: fixed-width text on SQLite; on
/// PostgreSQL the same text, cast where it is used (see [`time_param`]).
fn stored_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The `n`th placeholder as a timestamp.
fn time_param(db: &Inspector, n: usize) -> String {
    match db.backend() {
        Backend::Sqlite => db.param(n),
        Backend::Postgres => format!("CAST({} AS timestamptz)", db.param(n)),
    }
}

/// Inserts an activity row for `task` directly, with its own id and time.
async fn insert_activity(
    db: &Inspector,
    id: Uuid,
    task: Uuid,
    kind: &str,
    at: DateTime<Utc>,
) -> Result<(), Failure> {
    let id_value = db.uuid_value(id, "task_activities", "id").await?;
    let task_value = db.uuid_value(task, "tasks", "id").await?;
    let sql = format!(
        "INSERT INTO task_activities (id, task_id, kind, created_at) VALUES ({}, {}, {}, {})",
        db.param(1),
        db.param(2),
        db.param(3),
        time_param(db, 4)
    );
    db.execute(
        &sql,
        [id_value, task_value, kind.into(), stored_time(at).into()],
    )
    .await?;
    Ok(())
}

/// A version 7 UUID for the moment `at`, so that id order agrees with time order.
fn id_at(at: DateTime<Utc>) -> Uuid {
    let seconds = u64::try_from(at.timestamp()).unwrap_or_default();
    Uuid::new_v7(uuid::Timestamp::from_unix(
        uuid::NoContext,
        seconds,
        at.timestamp_subsec_nanos(),
    ))
}

fn parse_time(what: &str, text: Option<&str>) -> Result<DateTime<Utc>, Failure> {
    let text = text.ok_or_else(|| Failure::Failed(format!("{what}: no time")))?;
    ensure!(
        text.ends_with('Z'),
        "{what}: {text:?} is not RFC 3339 UTC with a `Z`"
    );
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|err| Failure::Failed(format!("{what}: {text:?} is not RFC 3339: {err}")))
}

/// `GET /api/v1/tasks/{task}/activities` as `user`: 200 `{"data":[…]}`, each
/// entry exactly `{id, taskId, kind, createdAt}` with `taskId` the task and a
/// UTC time; returns the entries.
async fn activities_of(app: &RunningApp, user: Uuid, task: Uuid) -> Result<Vec<Value>, Failure> {
    let reply = app
        .get(&activities_path(&task.to_string()))
        .user(user)
        .send()
        .await?;
    reply.expect(200)?;
    expect_eq(
        "keys of the activities answer",
        vec!["data".to_owned()],
        keys(&reply.json),
    )?;
    let data = reply.data()?.clone();
    for activity in &data {
        expect_eq(
            "activity fields",
            ACTIVITY_KEYS.to_vec(),
            keys(activity).iter().map(String::as_str).collect(),
        )?;
        expect_eq(
            "activity taskId",
            Some(task.to_string().as_str()),
            activity["taskId"].as_str(),
        )?;
        let id = activity["id"].as_str().unwrap_or_default();
        ensure!(
            Uuid::parse_str(id).is_ok(),
            "activity id {} is not a UUID",
            activity["id"]
        );
        ensure!(
            activity["kind"].is_string(),
            "activity kind should be a string, got {}",
            activity["kind"]
        );
        parse_time("activity createdAt", activity["createdAt"].as_str())?;
    }
    Ok(data)
}

fn activity_ids(data: &[Value]) -> Vec<String> {
    data.iter()
        .map(|a| a["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Runs `insert` (an activity of `task_id` and `kind`, with a fresh id); the
/// database's answer is returned as is.
async fn try_activity(
    db: &Inspector,
    insert: &str,
    task_id: sea_orm::Value,
    kind: sea_orm::Value,
) -> Result<Result<u64, sea_orm::DbErr>, Failure> {
    let id = db
        .uuid_value(Uuid::now_v7(), "task_activities", "id")
        .await?;
    Ok(db.execute(insert, [id, task_id, kind]).await)
}

/// `task_activities` exists with `id` (the primary key), `task_id`, `kind`
/// and `created_at` (defaulting to now), all NOT NULL, and a foreign key
/// `task_id → tasks.id` that the database enforces: an activity of no task
/// and an activity with a NULL `kind` are refused, a complete one is taken.
async fn activities_schema(ctx: Ctx) -> Outcome {
    let db = migrated(&ctx).await?;
    let schema = db.schema().await?;
    let Some(table) = schema.tables.get("task_activities") else {
        fail!(
            "`migrate up` made no task_activities table; tables: {:?}",
            db.tables().await?
        );
    };
    let mut columns = table.columns.clone();
    columns.sort_by(|a, b| a.name.cmp(&b.name));
    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    expect_eq(
        "columns of task_activities",
        vec!["created_at", "id", "kind", "task_id"],
        names,
    )?;
    for column in &columns {
        ensure!(
            !column.nullable,
            "task_activities.{} is nullable; it must be NOT NULL",
            column.name
        );
    }
    let primary: Vec<&str> = columns
        .iter()
        .filter(|c| c.primary_key)
        .map(|c| c.name.as_str())
        .collect();
    expect_eq("primary key of task_activities", vec!["id"], primary)?;
    let to_tasks: Vec<_> = table
        .foreign_keys
        .iter()
        .filter(|fk| fk.column == "task_id")
        .collect();
    ensure!(
        to_tasks.len() == 1 && to_tasks[0].references == "tasks.id",
        "expected one foreign key task_activities.task_id → tasks.id; foreign keys: {:?}",
        table.foreign_keys
    );
    // The delete action is lesson 16's subject (and `delete_with_activities`'
    // until then), so the snapshot leaves it out; the indexes are free to choose.
    let pinned = json!({
        "columns": columns,
        "foreign_keys": table.foreign_keys.iter()
            .map(|fk| json!({"column": fk.column, "references": fk.references}))
            .collect::<Vec<_>>(),
    });
    snapshot::assert(&format!("activities_schema-{}", ctx.backend()), &pinned)?;

    // The rules hold in the database, not only on paper.
    let owner = insert_user(&db, "activities@example.com").await?;
    let task = Uuid::now_v7();
    let task_value = db.uuid_value(task, "tasks", "id").await?;
    let owner_value = db.uuid_value(owner, "users", "id").await?;
    db.execute(
        &format!(
            "INSERT INTO tasks (id, user_id, title) VALUES ({}, {}, 'a task with a history')",
            db.param(1),
            db.param(2)
        ),
        [task_value.clone(), owner_value],
    )
    .await?;
    let insert = format!(
        "INSERT INTO task_activities (id, task_id, kind) VALUES ({}, {}, {})",
        db.param(1),
        db.param(2),
        db.param(3)
    );
    if let Err(err) = try_activity(&db, &insert, task_value.clone(), "CREATED".into()).await? {
        fail!("inserting a complete activity (created_at left to its default) failed: {err}");
    }
    let orphan = db.uuid_value(Uuid::now_v7(), "tasks", "id").await?;
    match try_activity(&db, &insert, orphan, "CREATED".into()).await? {
        Ok(_) => fail!(
            "an activity whose task_id names no task was inserted: the foreign key is missing or not enforced"
        ),
        Err(err) => ensure!(
            err.to_string().to_lowercase().contains("foreign key"),
            "the orphan activity was refused, but not by a foreign key: {err}"
        ),
    }
    match try_activity(&db, &insert, task_value, sea_orm::Value::String(None)).await? {
        Ok(_) => fail!("an activity with a NULL kind was inserted: kind must be NOT NULL"),
        Err(err) => {
            let text = err.to_string().to_lowercase();
            ensure!(
                text.contains("not null") || text.contains("not-null"),
                "the activity with a NULL kind was refused, but not as NOT NULL: {err}"
            );
        }
    }
    let rows = count_where(&db, "task_activities", "task_id", task).await?;
    let skew = match ctx.backend() {
        Backend::Postgres => {
            db.number(
                "SELECT CAST(max(abs(extract(epoch FROM now() - created_at))) AS bigint) FROM task_activities",
                [],
            )
            .await?
        }
        Backend::Sqlite => {
            let texts = db.texts("SELECT created_at FROM task_activities", []).await?;
            let mut worst = 0;
            for text in texts {
                let at = parse_time("task_activities.created_at", Some(&text))?;
                worst = worst.max((Utc::now() - at).num_seconds().abs());
            }
            worst
        }
    };
    db.close().await;
    expect_eq("activities of the task after the inserts", 1, rows)?;
    ensure!(
        skew < 300,
        "task_activities.created_at defaulted to a time {skew} s away from now"
    );
    Ok(())
}

/// Each created task has exactly one activity row, of kind `CREATED`, in the
/// database (ten creates at once too), and `GET /api/v1/tasks/{id}/activities`
/// answers `{"data":[{id,taskId,kind,createdAt}]}` with that row: only the
/// task's own activities, oldest first (rows added directly, out of order,
/// come back in `created_at` order with the times stored).
async fn create_writes_activity(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let user = new_user(&app, "history").await?;
    let first = new_task(&app, user, json!({"title": "Start a history"})).await?;
    let first_id = first.id()?;
    let more = new_tasks(
        &app,
        user,
        10,
        |i| json!({"title": format!("Busy task {i}")}),
    )
    .await?;
    let mut tasks = vec![first_id];
    for task in &more {
        let id = task["id"].as_str().unwrap_or_default();
        tasks.push(
            Uuid::parse_str(id)
                .map_err(|_| Failure::Failed(format!("task id {id:?} is not a UUID")))?,
        );
    }

    let db = ctx.database().await?.inspect().await?;
    for task in &tasks {
        let kinds = kinds_of(&db, *task).await?;
        expect_eq(
            &format!("activity rows of task {task} after its create"),
            vec![Some("CREATED".to_owned())],
            kinds,
        )?;
    }
    let total = db
        .number("SELECT count(*) FROM task_activities", [])
        .await?;
    expect_eq(
        "activity rows after 11 creates",
        i64::try_from(tasks.len()).unwrap_or_default(),
        total,
    )?;

    let reply = app
        .get(&activities_path(&first_id.to_string()))
        .user(user)
        .send()
        .await?;
    snapshot::assert("create_writes_activity", &snapshot::reply(&reply))?;
    for task in &tasks {
        let data = activities_of(&app, user, *task).await?;
        ensure!(
            data.len() == 1 && data[0]["kind"] == "CREATED",
            "GET {} should list one CREATED activity, got {data:?}",
            activities_path(&task.to_string())
        );
        let stored = db
            .texts(
                &format!(
                    "SELECT {} FROM task_activities WHERE {} = {}",
                    db.uuid_hex("id"),
                    db.uuid_hex("task_id"),
                    db.param(1)
                ),
                [Inspector::hex(*task)],
            )
            .await?;
        let listed = data[0]["id"]
            .as_str()
            .and_then(|id| Uuid::parse_str(id).ok())
            .map(|id| id.simple().to_string());
        expect_eq(
            "the listed activity's id, as the database holds it",
            stored.first().cloned(),
            listed,
        )?;
    }

    // Oldest first: one row an hour older and one an hour newer than the
    // CREATED activity, inserted newest first, so that neither insertion
    // order nor newest first passes.
    let created = activities_of(&app, user, first_id).await?;
    let created_at = parse_time("CREATED createdAt", created[0]["createdAt"].as_str())?;
    let (older_at, newer_at) = (
        created_at - TimeDelta::hours(1),
        created_at + TimeDelta::hours(1),
    );
    let (older, newer) = (id_at(older_at), id_at(newer_at));
    insert_activity(&db, newer, first_id, "CREATED", newer_at).await?;
    insert_activity(&db, older, first_id, "CREATED", older_at).await?;
    db.close().await;
    let history = activities_of(&app, user, first_id).await?;
    expect_eq(
        "activity ids, oldest first",
        vec![
            older.to_string(),
            created[0]["id"].as_str().unwrap_or_default().to_owned(),
            newer.to_string(),
        ],
        activity_ids(&history),
    )?;
    for (entry, at) in [(&history[0], older_at), (&history[2], newer_at)] {
        expect_eq(
            "createdAt of an activity stored directly",
            stored_time(at),
            stored_time(parse_time(
                "activity createdAt",
                entry["createdAt"].as_str(),
            )?),
        )?;
    }
    let other = activities_of(&app, user, tasks[1]).await?;
    expect_eq(
        "activities of another task after adding to the first",
        1,
        other.len(),
    )?;
    Ok(())
}

/// The INSERT into `tasks` among the statements a request logged.
fn task_insert(statements: &[String]) -> Option<&String> {
    let insert = Regex::new(r#"(?i)^\s*INSERT\s+INTO\s+"?tasks"?[\s(]"#).expect("valid pattern");
    statements.iter().find(|sql| insert.is_match(sql))
}

/// Fails unless `reply` is the generic 500 `INTERNAL` envelope, with no SQL
/// or driver text in it.
fn expect_internal(reply: &Reply) -> Outcome {
    reply.expect_error(500, "INTERNAL")?;
    let lower = reply.text.to_lowercase();
    for leak in [
        "insert",
        "task_activities",
        "constraint",
        "not null",
        "sqlite",
        "sqlx",
    ] {
        ensure!(
            !lower.contains(leak),
            "the 500 answer shows driver or SQL text ({leak:?}): {}",
            reply.brief()
        );
    }
    Ok(())
}

/// With `X-Fault-Fail-Activity: 1` a create's activity insert fails after
/// its task insert ran (the request logs an INSERT into `tasks`): the answer
/// is the generic 500 `INTERNAL`, and the database holds neither the task nor
/// an activity, so the title is free. Twenty such creates at once, among ten
/// ordinary ones, leave only the ordinary tasks, each with its one activity,
/// and every ordinary create is 201. Without `WORKBOOK_FAULTS` the header is
/// ignored.
async fn failed_activity_rolls_back(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let user = new_user(&app, "rollback").await?;
    let request_id = format!("check-fail-activity-{}", Uuid::new_v4().simple());
    let failed = app
        .post("/api/v1/tasks")
        .user(user)
        .header(FAIL_ACTIVITY, "1")
        .header("x-request-id", &request_id)
        .json(&json!({"title": "Never half written"}))
        .send()
        .await?;
    expect_internal(&failed)?;
    snapshot::assert("failed_activity_rolls_back", &snapshot::reply(&failed))?;
    app.wait_for_log(Duration::from_secs(5), |line| {
        line.raw.contains(&request_id) && line.get("status").is_some()
    })
    .await;
    let statements = statements_of(&app, &request_id);
    ensure!(
        task_insert(&statements).is_some(),
        "the create with X-Fault-Fail-Activity logged no INSERT into tasks: the fault must fail \
         the activity insert after the task's, inside the transaction; statements: {statements:?}"
    );

    let db = ctx.database().await?.inspect().await?;
    let tasks = db.number("SELECT count(*) FROM tasks", []).await?;
    let activities = db
        .number("SELECT count(*) FROM task_activities", [])
        .await?;
    expect_eq("task rows after the failed create", 0, tasks)?;
    expect_eq("activity rows after the failed create", 0, activities)?;
    let list = app.get("/api/v1/tasks").user(user).send().await?;
    list.expect(200)?;
    ensure!(
        ids(&list)?.is_empty(),
        "the list shows a task whose create failed: {}",
        list.brief()
    );
    let again = new_task(&app, user, json!({"title": "Never half written"})).await?;
    expect_eq(
        "activity rows of the task created after the failure",
        vec![Some("CREATED".to_owned())],
        kinds_of(&db, again.id()?).await?,
    )?;

    // Twenty failing creates at once, interleaved with ten ordinary ones.
    let attempts: Vec<_> = (0..30)
        .map(|i| {
            let ordinary = i % 3 == 2;
            let title = if ordinary {
                format!("Ordinary {i}")
            } else {
                format!("Doomed {i}")
            };
            let mut request = app
                .post("/api/v1/tasks")
                .user(user)
                .json(&json!({"title": title}));
            if !ordinary {
                request = request.header(FAIL_ACTIVITY, "1");
            }
            (ordinary, tokio::spawn(request.send()))
        })
        .collect();
    let mut created = vec![again.id()?];
    let mut statuses = Vec::new();
    for (ordinary, attempt) in attempts {
        let reply = attempt.await.map_err(|e| Failure::Error(e.to_string()))??;
        statuses.push(reply.status);
        if ordinary {
            reply.expect(201)?;
            created.push(reply.id()?);
        } else {
            expect_internal(&reply)?;
        }
    }
    let tasks = db.number("SELECT count(*) FROM tasks", []).await?;
    let doomed = db
        .number("SELECT count(*) FROM tasks WHERE title LIKE 'Doomed%'", [])
        .await?;
    let activities = db
        .number("SELECT count(*) FROM task_activities", [])
        .await?;
    expect_eq("task rows of the twenty failed creates", 0, doomed)?;
    expect_eq(
        "task rows after 11 ordinary creates and 21 failed ones",
        11,
        tasks,
    )?;
    expect_eq(
        "activity rows after 11 ordinary creates and 21 failed ones",
        11,
        activities,
    )?;
    for task in &created {
        expect_eq(
            &format!("activity rows of task {task}"),
            vec![Some("CREATED".to_owned())],
            kinds_of(&db, *task).await?,
        )?;
    }
    let after = new_task(&app, user, json!({"title": "Doomed 0"})).await?;
    expect_eq(
        "activity rows of a create after the failures",
        vec![Some("CREATED".to_owned())],
        kinds_of(&db, after.id()?).await?,
    )?;
    app.stop().await?;

    // The header is the checks' own: without WORKBOOK_FAULTS it changes nothing.
    let app = ctx.app().without("WORKBOOK_FAULTS").start().await?;
    let ignored = app
        .post("/api/v1/tasks")
        .user(user)
        .header(FAIL_ACTIVITY, "1")
        .json(&json!({"title": "Faults are off"}))
        .send()
        .await?;
    ignored.expect(201)?;
    let kinds = kinds_of(&db, ignored.id()?).await?;
    db.close().await;
    expect_eq(
        "activity rows of a create with X-Fault-Fail-Activity and WORKBOOK_FAULTS unset",
        vec![Some("CREATED".to_owned())],
        kinds,
    )
}

/// `GET /api/v1/tasks/{id}/activities` of another user's task is 404
/// `NOT_FOUND` exactly like a missing task's, and so is a path id that is
/// not a UUID; without `X-User-Id` it is 401 first. The owner still reads them.
async fn activities_scoped(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let owner = new_user(&app, "keeper").await?;
    let intruder = new_user(&app, "snoop").await?;
    let task = new_task(&app, owner, json!({"title": "My own history"})).await?;
    let task_id = task.id()?;
    let theirs = new_task(&app, intruder, json!({"title": "The snoop's task"})).await?;
    let path = activities_path(&task_id.to_string());

    let missing = app
        .get(&activities_path(&Uuid::now_v7().to_string()))
        .user(owner)
        .send()
        .await?;
    missing.expect_error(404, "NOT_FOUND")?;
    snapshot::assert(
        "activities_scoped-not_found",
        &snapshot::status_and_code(&missing),
    )?;
    let like_missing = snapshot::redact(&missing.json);

    let foreign = app.get(&path).user(intruder).send().await?;
    foreign.expect_error(404, "NOT_FOUND")?;
    expect_eq(
        "another user's task's activities answer like a missing task's",
        like_missing.clone(),
        snapshot::redact(&foreign.json),
    )?;
    let reverse = app
        .get(&activities_path(&theirs.id()?.to_string()))
        .user(owner)
        .send()
        .await?;
    reverse.expect_error(404, "NOT_FOUND")?;

    for bad in NOT_UUIDS {
        let reply = app.get(&activities_path(bad)).user(owner).send().await?;
        reply.expect_error(404, "NOT_FOUND")?;
        expect_eq(
            &format!("GET {} answers like a missing task", activities_path(bad)),
            like_missing.clone(),
            snapshot::redact(&reply.json),
        )?;
        app.get(&activities_path(bad))
            .send()
            .await?
            .expect_error(401, "UNAUTHENTICATED")?;
    }
    app.get(&path)
        .send()
        .await?
        .expect_error(401, "UNAUTHENTICATED")?;

    let own = activities_of(&app, owner, task_id).await?;
    ensure!(
        own.len() == 1 && own[0]["kind"] == "CREATED",
        "the owner should read the task's one CREATED activity, got {own:?}"
    );
    Ok(())
}

/// `DELETE` of a task that has activities (its `CREATED` one and two more)
/// is 204, not a 500 from the foreign key: the task and its activities are
/// gone from the database, its `/activities` is 404, and another task's
/// activities (another user's too) stay.
async fn delete_with_activities(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let user = new_user(&app, "cleaner").await?;
    let other_user = new_user(&app, "bystander").await?;
    let doomed = new_task(&app, user, json!({"title": "Short-lived"}))
        .await?
        .id()?;
    let kept = new_task(&app, user, json!({"title": "Long-lived"}))
        .await?
        .id()?;
    let theirs = new_task(&app, other_user, json!({"title": "Not yours"}))
        .await?
        .id()?;

    let db = ctx.database().await?.inspect().await?;
    let now = Utc::now();
    for minutes in [1, 2] {
        let at = now + TimeDelta::minutes(minutes);
        insert_activity(&db, id_at(at), doomed, "CREATED", at).await?;
    }
    expect_eq(
        "activity rows of the task before its delete",
        3,
        count_where(&db, "task_activities", "task_id", doomed).await?,
    )?;

    let deleted = app
        .delete(&format!("/api/v1/tasks/{doomed}"))
        .user(user)
        .send()
        .await?;
    deleted.expect(204)?;
    expect_eq(
        "task rows of the deleted task",
        0,
        count_where(&db, "tasks", "id", doomed).await?,
    )?;
    expect_eq(
        "activity rows of the deleted task",
        0,
        count_where(&db, "task_activities", "task_id", doomed).await?,
    )?;
    for task in [kept, theirs] {
        expect_eq(
            &format!("activity rows of task {task}, which was not deleted"),
            1,
            count_where(&db, "task_activities", "task_id", task).await?,
        )?;
    }
    db.close().await;
    app.get(&activities_path(&doomed.to_string()))
        .user(user)
        .send()
        .await?
        .expect_error(404, "NOT_FOUND")?;
    app.get(&format!("/api/v1/tasks/{doomed}"))
        .user(user)
        .send()
        .await?
        .expect_error(404, "NOT_FOUND")?;
    let still = activities_of(&app, user, kept).await?;
    expect_eq("activities of the task that stays", 1, still.len())?;
    Ok(())
}
