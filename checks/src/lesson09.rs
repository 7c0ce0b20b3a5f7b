//! Lesson 9: pages by key on `(created_at, id)`.

use std::collections::HashSet;

use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    check, ensure, fail,
    flows::{logged_list_plan, new_task, new_tasks, new_user, seeded},
    harness::{Backend, Check, Ctx, Failure, Inspector, Outcome, RunningApp, expect_eq, snapshot},
};

pub fn checks() -> Vec<Check> {
    vec![
        check!(keyset_index_used, 9).timeout_secs(180),
        check!(cursor_walk, 9),
        check!(cursor_ties, 9),
        check!(cursor_stable_under_inserts, 9),
        check!(cursor_with_offset_rejected, 9),
        check!(damaged_cursor_rejected, 9),
    ]
}

/// Follows `nextCursor` from `cursor=` to the end; returns the tasks in the
/// order visited and the number of pages.
async fn walk(
    app: &RunningApp,
    user: Uuid,
    extra: &str,
    limit: usize,
) -> Result<(Vec<Value>, usize), Failure> {
    let mut visited = Vec::new();
    let mut cursor = String::new();
    for pages in 1..=1000 {
        let reply = app
            .get(&format!(
                "/api/v1/tasks?cursor={cursor}&limit={limit}{extra}"
            ))
            .user(user)
            .send()
            .await?;
        reply.expect(200)?;
        let data = reply.data()?;
        ensure!(
            data.len() <= limit,
            "a page of limit {limit} held {} rows",
            data.len()
        );
        visited.extend(data.iter().cloned());
        match reply.json.pointer("/meta/nextCursor") {
            Some(Value::String(next)) => {
                ensure!(!data.is_empty(), "an empty page still gave a nextCursor");
                ensure!(
                    next.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                    "nextCursor should be URL-safe without padding, got {next:?}"
                );
                cursor = next.clone();
            }
            Some(Value::Null) => return Ok((visited, pages)),
            other => fail!(
                "meta.nextCursor should be a string or null, got {other:?} in {}",
                reply.brief()
            ),
        }
    }
    fail!("still paging after 1000 pages: the cursor does not advance")
}

fn key(task: &Value) -> (String, String) {
    (
        task["createdAt"].as_str().unwrap_or_default().to_owned(),
        task["id"].as_str().unwrap_or_default().to_owned(),
    )
}

/// Every task exactly once, in `(created_at, id)` order.
fn expect_each_once_in_order(what: &str, mut expected: Vec<Value>, visited: &[Value]) -> Outcome {
    expected.sort_by_key(key);
    let want: Vec<(String, String)> = expected.iter().map(key).collect();
    let got: Vec<(String, String)> = visited.iter().map(key).collect();
    let unique: HashSet<&(String, String)> = got.iter().collect();
    ensure!(
        unique.len() == got.len(),
        "{what}: a task was visited twice"
    );
    expect_eq(
        &format!("{what}: (createdAt, id) of the tasks visited"),
        want,
        got,
    )
}

/// The index `(user_id, created_at, id)` exists, and the plan of the cursor
/// query on 6,000 tasks uses it with no separate sort step.
async fn keyset_index_used(ctx: Ctx) -> Outcome {
    let (db, user) = seeded(&ctx, 3, 6000).await?;
    let indexes = db.indexes("tasks").await?;
    let Some(index) = indexes
        .iter()
        .find(|i| i.columns.len() >= 3 && i.columns[..3] == ["user_id", "created_at", "id"])
    else {
        fail!("no index on tasks (user_id, created_at, id); indexes: {indexes:?}");
    };
    let app = ctx.app().start().await?;
    let first = app
        .get("/api/v1/tasks?cursor=&limit=20")
        .user(user)
        .send()
        .await?;
    first.expect(200)?;
    let next = first.str_at("/meta/nextCursor")?;
    let (statement, plan) = logged_list_plan(
        &app,
        &db,
        user,
        &format!("/api/v1/tasks?cursor={next}&limit=20"),
    )
    .await?;
    db.close().await;
    ensure!(
        plan.contains(&index.name),
        "the plan of the cursor query\n  {statement}\ndoes not use {}:\n{plan}",
        index.name
    );
    let sorts = match ctx.backend() {
        Backend::Sqlite => plan.contains("TEMP B-TREE"),
        Backend::Postgres => plan.lines().any(|line| line.contains("Sort")),
    };
    ensure!(
        !sorts,
        "the plan of the cursor query sorts rows instead of reading them in index order:\n{plan}"
    );
    Ok(())
}

/// Following `nextCursor` from `cursor=` visits each task once, in
/// `(created_at, id)` order, and the last page's `nextCursor` is null.
async fn cursor_walk(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let user = new_user(&app, "walker").await?;
    let other = new_user(&app, "stranger").await?;
    let tasks = new_tasks(
        &app,
        user,
        53,
        |i| json!({"title": format!("walk {i:02}"), "done": i % 4 == 0}),
    )
    .await?;
    new_tasks(&app, other, 5, |i| json!({"title": format!("hidden {i}")})).await?;

    let (visited, pages) = walk(&app, user, "", 10).await?;
    expect_each_once_in_order("cursor walk, limit 10", tasks.clone(), &visited)?;
    expect_eq("pages of 10 for 53 tasks", 6, pages)?;
    let (whole, pages) = walk(&app, user, "", 53).await?;
    expect_eq("pages when the limit equals the count", 1, pages)?;
    expect_each_once_in_order("cursor walk, limit 53", tasks.clone(), &whole)?;
    let done: Vec<Value> = tasks
        .iter()
        .filter(|t| t["done"] == true)
        .cloned()
        .collect();
    let (visited, _) = walk(&app, user, "&done=true", 4).await?;
    expect_each_once_in_order("cursor walk with done=true", done, &visited)?;

    let first = app
        .get("/api/v1/tasks?cursor=&limit=10")
        .user(user)
        .send()
        .await?;
    expect_eq("meta.limit", Some(10), first.json["meta"]["limit"].as_u64())?;
    snapshot::assert(
        "cursor_walk-first_page_meta",
        &snapshot::redact(&json!({"meta": first.json["meta"]})),
    )?;
    Ok(())
}

/// Inserts a task for `owner` directly, with a `created_at` (and `updated_at`)
/// of the check's choosing, in the stored format; returns its id.
async fn insert_at(db: &Inspector, owner: Uuid, title: &str, at: &str) -> Result<Uuid, Failure> {
    let stamp = match db.backend() {
        Backend::Sqlite => db.param(4),
        Backend::Postgres => format!("CAST({} AS timestamptz)", db.param(4)),
    };
    let sql = format!(
        "INSERT INTO tasks (id, user_id, title, created_at, updated_at) VALUES ({}, {}, {}, {stamp}, {stamp})",
        db.param(1),
        db.param(2),
        db.param(3),
    );
    let id = Uuid::now_v7();
    let values = [
        db.uuid_value(id, "tasks", "id").await?,
        db.uuid_value(owner, "tasks", "user_id").await?,
        title.into(),
        at.into(),
    ];
    db.execute(&sql, values).await?;
    Ok(id)
}

/// Rows with identical `created_at`, inserted directly, are neither skipped
/// nor repeated: `id` breaks the tie.
async fn cursor_ties(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let user = new_user(&app, "tied").await?;
    let mut tasks = new_tasks(
        &app,
        user,
        3,
        |i| json!({"title": format!("before the tie {i}")}),
    )
    .await?;
    let db = ctx.database().await?.inspect().await?;
    let at = "2030-01-01T12:00:00.000000Z";
    for i in 0..12 {
        let id = insert_at(&db, user, &format!("tied {i:02}"), at).await?;
        tasks.push(json!({"id": id.to_string(), "createdAt": at}));
    }
    db.close().await;
    let (visited, _) = walk(&app, user, "", 5).await?;
    let visited: Vec<Value> = visited
        .iter()
        .map(|t| json!({"id": t["id"], "createdAt": t["createdAt"]}))
        .collect();
    let tasks: Vec<Value> = tasks
        .iter()
        .map(|t| json!({"id": t["id"], "createdAt": t["createdAt"]}))
        .collect();
    expect_each_once_in_order(
        "cursor walk over 12 tasks with one created_at",
        tasks,
        &visited,
    )
}

/// Rows inserted while a client pages (newer ones through the API, older ones
/// directly) make no pre-existing row repeat or vanish.
async fn cursor_stable_under_inserts(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let user = new_user(&app, "steady").await?;
    let before = new_tasks(
        &app,
        user,
        30,
        |i| json!({"title": format!("steady {i:02}")}),
    )
    .await?;
    let db = ctx.database().await?.inspect().await?;
    let mut visited: Vec<Value> = Vec::new();
    let mut cursor = String::new();
    for page in 0..100 {
        let reply = app
            .get(&format!("/api/v1/tasks?cursor={cursor}&limit=7"))
            .user(user)
            .send()
            .await?;
        reply.expect(200)?;
        visited.extend(reply.data()?.iter().cloned());
        // A newer task through the API, an older one behind the client's back.
        new_task(
            &app,
            user,
            json!({"title": format!("arrived during page {page}")}),
        )
        .await?;
        insert_at(
            &db,
            user,
            &format!("backdated {page}"),
            "2001-01-01T00:00:00.000000Z",
        )
        .await?;
        match reply
            .json
            .pointer("/meta/nextCursor")
            .and_then(Value::as_str)
        {
            Some(next) if page < 8 => cursor = next.to_owned(),
            _ => break,
        }
    }
    db.close().await;
    let seen: Vec<String> = visited
        .iter()
        .filter_map(|t| t["id"].as_str().map(str::to_owned))
        .collect();
    let unique: HashSet<&String> = seen.iter().collect();
    ensure!(
        unique.len() == seen.len(),
        "a task came back twice while rows were being inserted"
    );
    for task in &before {
        let id = task["id"].as_str().unwrap_or_default().to_owned();
        ensure!(
            seen.contains(&id),
            "task {} vanished from the walk while rows were being inserted",
            task["title"]
        );
    }
    ensure!(
        !visited.iter().any(|t| t["title"]
            .as_str()
            .is_some_and(|title| title.starts_with("backdated"))),
        "a row created before the cursor's position appeared on a later page"
    );
    let keys: Vec<(String, String)> = visited.iter().map(key).collect();
    ensure!(
        keys.windows(2).all(|pair| pair[0] < pair[1]),
        "the walk went backwards in (createdAt, id)"
    );
    Ok(())
}

/// A real cursor to tamper with: the `nextCursor` of the first page of one.
async fn second_page_cursor(app: &RunningApp, user: Uuid) -> Result<String, Failure> {
    app.get("/api/v1/tasks?cursor=&limit=1")
        .user(user)
        .send()
        .await?
        .str_at("/meta/nextCursor")
}

/// `cursor` with `offset`, with any sort other than `created_at`
/// (`-created_at`, `due_date`, `-due_date`), or given twice, is 400
/// `INVALID_QUERY`; with `sort=created_at` it pages.
async fn cursor_with_offset_rejected(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let user = new_user(&app, "mixer").await?;
    new_tasks(&app, user, 3, |i| json!({"title": format!("mixed {i}")})).await?;
    let next = second_page_cursor(&app, user).await?;
    for query in [
        "cursor=&offset=0".to_owned(),
        format!("cursor={next}&offset=10"),
        "cursor=&sort=due_date".to_owned(),
        "cursor=&sort=-due_date".to_owned(),
        "cursor=&sort=-created_at".to_owned(),
        format!("cursor={next}&sort=-created_at"),
        format!("cursor={next}&sort=due_date"),
        "cursor=&cursor=".to_owned(),
        format!("cursor={next}&cursor={next}"),
    ] {
        let reply = app
            .get(&format!("/api/v1/tasks?{query}"))
            .user(user)
            .send()
            .await?;
        reply.expect_error(400, "INVALID_QUERY")?;
        snapshot::assert(
            "cursor_with_offset_rejected",
            &snapshot::status_and_code(&reply),
        )?;
    }
    let sorted = app
        .get(&format!("/api/v1/tasks?cursor={next}&sort=created_at"))
        .user(user)
        .send()
        .await?;
    sorted.expect(200)?;
    expect_eq(
        "rows after the first of 3 with sort=created_at",
        2,
        sorted.data()?.len(),
    )?;
    Ok(())
}

/// A cursor that does not decode to a position is 400 `INVALID_QUERY` naming `cursor`.
async fn damaged_cursor_rejected(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let user = new_user(&app, "damage").await?;
    new_tasks(&app, user, 3, |i| json!({"title": format!("damaged {i}")})).await?;
    let next = second_page_cursor(&app, user).await?;
    let truncated = next[..next.len() / 2].to_owned();
    let extended = format!("{next}AAAA");
    let garbage = "not-a-cursor".to_owned();
    let padded = format!("{next}==");
    let mut flipped = next.clone().into_bytes();
    flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).unwrap_or_default();
    for damaged in [truncated, extended, garbage, padded, flipped] {
        let reply = app
            .get(&format!("/api/v1/tasks?cursor={damaged}"))
            .user(user)
            .send()
            .await?;
        reply.expect_invalid_query("cursor")?;
        snapshot::assert("damaged_cursor_rejected", &snapshot::reply(&reply))?;
    }
    Ok(())
}
