//! Lesson 7: sorting, the list index, and timing around list queries.

use std::{cmp::Ordering, time::Duration};

use serde_json::{Value, json};

use crate::{
    check, ensure,
    flows::{expect_invalid_list_queries, ids, logged_list_plan, new_tasks, new_user, seeded},
    harness::{Check, Ctx, Failure, Inspector, Outcome, expect_eq},
    lesson02::migrated,
};

pub fn checks() -> Vec<Check> {
    vec![
        check!(list_index_exists, 7),
        check!(list_query_uses_index, 7).timeout_secs(180),
        check!(sort_orders, 7),
        check!(list_timing_logged, 7),
    ]
}

/// The index `(user_id, done, due_date)` (or one that starts with those columns).
async fn find_list_index(db: &Inspector) -> Result<String, Failure> {
    let indexes = db.indexes("tasks").await?;
    indexes
        .iter()
        .find(|index| {
            index.columns.len() >= 3 && index.columns[..3] == ["user_id", "done", "due_date"]
        })
        .map(|index| index.name.clone())
        .ok_or_else(|| {
            Failure::Failed(format!(
                "no index on tasks (user_id, done, due_date); indexes: {indexes:?}"
            ))
        })
}

async fn list_index_exists(ctx: Ctx) -> Outcome {
    let db = migrated(&ctx).await?;
    let found = find_list_index(&db).await;
    db.close().await;
    found.map(drop)
}

/// The statement behind `GET /api/v1/tasks?done=true&sort=due_date`, on 5,000
/// seeded tasks after ANALYZE, is planned with the list index.
async fn list_query_uses_index(ctx: Ctx) -> Outcome {
    let (db, user) = seeded(&ctx, 50, 5000).await?;
    let index = find_list_index(&db).await?;
    let app = ctx.app().start().await?;
    let (statement, plan) =
        logged_list_plan(&app, &db, user, "/api/v1/tasks?done=true&sort=due_date").await?;
    db.close().await;
    ensure!(
        plan.contains(&index),
        "the plan of\n  {statement}\ndoes not use {index}:\n{plan}"
    );
    Ok(())
}

/// Compares two tasks by a sort key; `None` (no due date) sorts last either way.
fn by_key(a: &Value, b: &Value, key: &str, descending: bool) -> Ordering {
    let (x, y) = (a[key].as_str(), b[key].as_str());
    let primary = match (x, y) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => return Ordering::Greater,
        (Some(_), None) => return Ordering::Less,
        (Some(x), Some(y)) => x.cmp(y),
    };
    let ordering = primary.then_with(|| a["id"].as_str().cmp(&b["id"].as_str()));
    if descending {
        ordering.reverse()
    } else {
        ordering
    }
}

/// All four sorts, ties broken by id in the same direction, tasks without a
/// due date last in both directions; an unknown sort is 400.
async fn sort_orders(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let user = new_user(&app, "sorter").await?;
    let dates = [
        Some("2026-05-01"),
        None,
        Some("2026-03-01"),
        Some("2026-03-01"),
        None,
        Some("2026-04-01"),
        Some("2026-03-01"),
        Some("2026-06-01"),
    ];
    let tasks = new_tasks(
        &app,
        user,
        dates.len(),
        |i| json!({"title": format!("sorted {i}"), "dueDate": dates[i], "done": i % 2 == 0}),
    )
    .await?;
    for (query, key, descending) in [
        ("", "createdAt", false),
        ("?sort=created_at", "createdAt", false),
        ("?sort=-created_at", "createdAt", true),
        ("?sort=due_date", "dueDate", false),
        ("?sort=-due_date", "dueDate", true),
    ] {
        let mut expected = tasks.clone();
        expected.sort_by(|a, b| by_key(a, b, key, descending));
        let expected: Vec<String> = expected
            .iter()
            .filter_map(|t| t["id"].as_str().map(str::to_owned))
            .collect();
        let reply = app
            .get(&format!("/api/v1/tasks{query}"))
            .user(user)
            .send()
            .await?;
        reply.expect(200)?;
        expect_eq(
            &format!("order of GET /api/v1/tasks{query}"),
            expected,
            ids(&reply)?,
        )?;
    }
    let mut open: Vec<&Value> = tasks.iter().filter(|t| t["done"] == false).collect();
    open.sort_by(|a, b| by_key(a, b, "dueDate", true));
    let expected: Vec<String> = open
        .iter()
        .filter_map(|t| t["id"].as_str().map(str::to_owned))
        .collect();
    let reply = app
        .get("/api/v1/tasks?done=false&sort=-due_date")
        .user(user)
        .send()
        .await?;
    expect_eq(
        "order of ?done=false&sort=-due_date",
        expected,
        ids(&reply)?,
    )?;

    expect_invalid_list_queries(
        &app,
        user,
        "sort_orders-invalid",
        &[
            ("sort=title", "sort"),
            ("sort=", "sort"),
            ("sort=CREATED_AT", "sort"),
            ("sort=Due_Date", "sort"),
            ("sort=%2Bcreated_at", "sort"),
            ("sort=--due_date", "sort"),
            ("sort=due_date,created_at", "sort"),
            ("sort=created_at&sort=due_date", "sort"),
            ("sort=due_date&sort=due_date", "sort"),
            ("sort=created_at&done=TRUE", "done"),
        ],
    )
    .await
}

/// Each repository call that lists tasks logs `op` and `elapsed_ms` within its request.
async fn list_timing_logged(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let user = new_user(&app, "timed").await?;
    new_tasks(&app, user, 3, |i| json!({"title": format!("timed {i}")})).await?;
    let request_id = "check-list-timing";
    app.get("/api/v1/tasks?sort=due_date")
        .user(user)
        .header("x-request-id", request_id)
        .send()
        .await?
        .expect(200)?;
    let timed = app
        .wait_for_log(Duration::from_secs(5), |line| {
            line.raw.contains(request_id)
                && line
                    .get("op")
                    .and_then(|op| op.as_str().map(|s| s.contains("list")))
                    == Some(true)
                && line.get("elapsed_ms").is_some_and(|ms| ms.is_number())
        })
        .await;
    ensure!(
        timed.is_some(),
        "no log event with `op` (such as tasks.list) and a numeric `elapsed_ms` carrying the request id {request_id}"
    );
    Ok(())
}
