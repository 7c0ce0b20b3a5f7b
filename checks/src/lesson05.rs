//! Lesson 5: task titles are unique per user.

use serde_json::json;

use crate::{
    check, ensure,
    flows::{changing, new_task, new_user},
    harness::{Check, Ctx, Failure, Inspector, Outcome, expect_eq, snapshot},
};

pub fn checks() -> Vec<Check> {
    vec![
        check!(duplicate_title_conflict, 5),
        check!(duplicate_title_race, 5),
        check!(rename_to_duplicate, 5),
        check!(unique_index_exists, 5),
    ]
}

/// The same title twice for one user is 409 `DUPLICATE_TITLE`; another user may use it.
async fn duplicate_title_conflict(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let (alice, bob) = (new_user(&app, "alice").await?, new_user(&app, "bob").await?);
    new_task(&app, alice, json!({"title": "Plan the sprint"})).await?;
    let again = app
        .post("/api/v1/tasks")
        .user(alice)
        .json(&json!({"title": "Plan the sprint"}))
        .send()
        .await?;
    again.expect_error(409, "DUPLICATE_TITLE")?;
    snapshot::assert("duplicate_title_conflict", &snapshot::reply(&again))?;
    new_task(&app, bob, json!({"title": "Plan the sprint"})).await?;
    Ok(())
}

/// 20 simultaneous creates of one title by one user: exactly one 201, the rest
/// 409, no 5xx, one row.
async fn duplicate_title_race(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let user = new_user(&app, "racer").await?;
    let attempts: Vec<_> = (0..20)
        .map(|_| {
            tokio::spawn(
                app.post("/api/v1/tasks")
                    .user(user)
                    .json(&json!({"title": "Only once"}))
                    .send(),
            )
        })
        .collect();
    let mut statuses = Vec::new();
    for attempt in attempts {
        let reply = attempt.await.map_err(|e| Failure::Error(e.to_string()))??;
        if reply.status == 409 {
            reply.expect_error(409, "DUPLICATE_TITLE")?;
        }
        statuses.push(reply.status);
    }
    statuses.sort_unstable();
    let created = statuses.iter().filter(|s| **s == 201).count();
    let conflicts = statuses.iter().filter(|s| **s == 409).count();
    ensure!(
        created == 1 && conflicts == 19,
        "20 concurrent creates of one title: expected one 201 and nineteen 409, got {statuses:?}"
    );
    let db = ctx.database().await?.inspect().await?;
    let rows = db
        .number(
            &format!(
                "SELECT count(*) FROM tasks WHERE title = 'Only once' AND {} = {}",
                db.uuid_hex("user_id"),
                db.param(1)
            ),
            [Inspector::hex(user)],
        )
        .await?;
    db.close().await;
    expect_eq("rows with that title", 1, rows)
}

/// Renaming a task to a title the user already has is 409, and changes nothing.
async fn rename_to_duplicate(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let user = new_user(&app, "renamer").await?;
    new_task(&app, user, json!({"title": "Write the report"})).await?;
    let other = new_task(&app, user, json!({"title": "Review the report"})).await?;
    let path = format!("/api/v1/tasks/{}", other.id()?);
    let reply = changing(
        app.patch(&path)
            .user(user)
            .json(&json!({"title": "Write the report"})),
        ctx.lesson(),
    )
    .send()
    .await?;
    reply.expect_error(409, "DUPLICATE_TITLE")?;
    let after = app.get(&path).user(user).send().await?;
    expect_eq(
        "title after the refused rename",
        Some("Review the report"),
        after.json["title"].as_str(),
    )?;
    changing(
        app.patch(&path)
            .user(user)
            .json(&json!({"title": "Review the report twice"})),
        ctx.lesson(),
    )
    .send()
    .await?
    .expect(200)?;
    Ok(())
}

/// The schema holds a unique index on `tasks (user_id, title)` (from lesson 17
/// it may be partial, for live tasks only).
async fn unique_index_exists(ctx: Ctx) -> Outcome {
    let db = crate::lesson02::migrated(&ctx).await?;
    let indexes = db.indexes("tasks").await?;
    db.close().await;
    let found = indexes.iter().any(|index| {
        let columns: Vec<&str> = index.columns.iter().map(String::as_str).collect();
        index.unique
            && (columns == ["user_id", "title"] || columns == ["title", "user_id"])
            && index
                .predicate
                .as_deref()
                .is_none_or(|p| p == "deleted_at is null")
    });
    ensure!(
        found,
        "no unique index on tasks (user_id, title); indexes: {indexes:?}"
    );
    Ok(())
}
