//! Lesson 6: an optional due date, and a migration that rolls back cleanly.

use std::time::Duration;

use serde_json::{Value, json};

use crate::{
    check, ensure,
    flows::{changing, keys, new_task, new_user, task_as_of, task_keys},
    harness::{Check, Ctx, Failure, Inspector, Outcome, expect_eq, snapshot},
    lesson02::migrated,
};

pub fn checks() -> Vec<Check> {
    vec![
        check!(due_date_round_trip, 6),
        // Lesson 7 adds a migration after this one, so `migrate down` stops removing it.
        check!(rollback_drops_only_due_date, 6).until(6),
    ]
}

/// `dueDate` on create and patch: a date is stored and returned, `null`
/// clears it, leaving it out keeps it, and impossible dates are 422.
async fn due_date_round_trip(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let lesson = ctx.lesson();
    let user = new_user(&app, "due").await?;

    let dated = new_task(
        &app,
        user,
        json!({"title": "File taxes", "dueDate": "2026-03-01"}),
    )
    .await?;
    expect_eq(
        "dueDate on create",
        Some("2026-03-01"),
        dated.json["dueDate"].as_str(),
    )?;
    expect_eq(
        "task fields",
        task_keys(lesson),
        keys(&dated.json).iter().map(String::as_str).collect(),
    )?;
    // The fields lesson 6 knows, as it answers them; what later lessons add
    // (`version` at 12) is pinned by their own checks, and the key set above
    // is this lesson's.
    snapshot::assert(
        "due_date_round_trip-created",
        &json!({"status": dated.status, "body": snapshot::redact(&task_as_of(6, &dated.json))}),
    )?;
    for body in [
        json!({"title": "No date"}),
        json!({"title": "Null date", "dueDate": null}),
    ] {
        let undated = new_task(&app, user, body).await?;
        ensure!(
            undated.json["dueDate"].is_null(),
            "dueDate should be null, got {}",
            undated.json["dueDate"]
        );
    }

    let path = format!("/api/v1/tasks/{}", dated.id()?);
    let patch = |body: Value| changing(app.patch(&path).user(user).json(&body), lesson).send();
    let moved = patch(json!({"dueDate": "2026-04-15"})).await?;
    moved.expect(200)?;
    expect_eq(
        "dueDate after PATCH",
        Some("2026-04-15"),
        moved.json["dueDate"].as_str(),
    )?;
    let db = ctx.database().await?.inspect().await?;
    let stored = db
        .value_of("tasks", "CAST(due_date AS text)", dated.id()?)
        .await?;
    db.close().await;
    expect_eq(
        "due_date in the database",
        vec!["2026-04-15".to_owned()],
        stored,
    )?;

    let kept = patch(json!({"done": true})).await?;
    kept.expect(200)?;
    expect_eq(
        "dueDate after a PATCH without it",
        Some("2026-04-15"),
        kept.json["dueDate"].as_str(),
    )?;
    let cleared = patch(json!({"dueDate": null})).await?;
    cleared.expect(200)?;
    ensure!(
        cleared.json["dueDate"].is_null(),
        "\"dueDate\": null should clear it, got {}",
        cleared.json["dueDate"]
    );
    let read = app.get(&path).user(user).send().await?;
    ensure!(
        read.json["dueDate"].is_null(),
        "after clearing, GET shows dueDate {}",
        read.json["dueDate"]
    );

    // The edges of the range are dates too: the first and the last day allowed.
    for edge in ["1970-01-01", "9999-12-31", "2024-02-29"] {
        let edged = patch(json!({"dueDate": edge})).await?;
        edged.expect(200)?;
        expect_eq(
            "dueDate at the edge of the range",
            Some(edge),
            edged.json["dueDate"].as_str(),
        )?;
    }

    for bad in crate::flows::bad_due_dates() {
        let created = app
            .post("/api/v1/tasks")
            .user(user)
            .json(&json!({"title": "Bad date", "dueDate": bad}))
            .send()
            .await?;
        created.expect_error(422, "VALIDATION_FAILED")?;
        ensure!(
            created.text.contains("dueDate"),
            "a dueDate of {bad} was refused without naming dueDate: {}",
            created.brief()
        );
        let patched = patch(json!({"dueDate": bad})).await?;
        patched.expect_error(422, "VALIDATION_FAILED")?;
    }
    snapshot::assert(
        "due_date_round_trip-impossible",
        &snapshot::reply(&patch(json!({"dueDate": "2026-02-30"})).await?),
    )?;
    Ok(())
}

/// Every row of `tasks` but `due_date`, to compare before and after a rollback.
async fn rows_without_due_date(db: &Inspector) -> Result<Vec<String>, Failure> {
    db.texts(
        &format!(
            "SELECT {} || '|' || {} || '|' || title || '|' || CAST(done AS text) || '|' || \
                    CAST(created_at AS text) || '|' || CAST(updated_at AS text) FROM tasks ORDER BY 1",
            db.uuid_hex("id"),
            db.uuid_hex("user_id")
        ),
        [],
    )
    .await
}

/// `migrate down` removes `due_date` and nothing else: every other column,
/// index and row stays; `migrate up` brings the column back.
async fn rollback_drops_only_due_date(ctx: Ctx) -> Outcome {
    migrated(&ctx).await?.close().await;
    let app = ctx.app().start().await?;
    let user = new_user(&app, "rollback").await?;
    new_task(
        &app,
        user,
        json!({"title": "Keep me", "dueDate": "2026-05-01"}),
    )
    .await?;
    new_task(&app, user, json!({"title": "Keep me too", "done": true})).await?;
    app.stop().await?;

    let db = ctx.database().await?.inspect().await?;
    let before = db.schema().await?;
    let rows = rows_without_due_date(&db).await?;
    db.close().await;

    ctx.app()
        .args(&["migrate", "down"])
        .run(Duration::from_secs(60))
        .await?
        .expect_success("migrate down")?;
    let db = ctx.database().await?.inspect().await?;
    let down = db.schema().await?;
    let rows_down = rows_without_due_date(&db).await?;
    db.close().await;
    let mut expected = before.clone();
    if let Some(tasks) = expected.tables.get_mut("tasks") {
        tasks.columns.retain(|column| column.name != "due_date");
    }
    ensure!(
        before.tables["tasks"]
            .columns
            .iter()
            .any(|c| c.name == "due_date"),
        "tasks has no due_date column before the rollback"
    );
    if down != expected {
        let value =
            |s: &crate::harness::database::Schema| serde_json::to_string(s).unwrap_or_default();
        return Err(Failure::Failed(format!(
            "after `migrate down` the schema should be the same without due_date;\nexpected {}\ngot      {}",
            value(&expected),
            value(&down)
        )));
    }
    expect_eq("rows after `migrate down`", rows.clone(), rows_down)?;

    ctx.app()
        .args(&["migrate", "up"])
        .run(Duration::from_secs(60))
        .await?
        .expect_success("migrate up")?;
    let db = ctx.database().await?.inspect().await?;
    let up = db.schema().await?;
    let rows_up = rows_without_due_date(&db).await?;
    db.close().await;
    expect_eq("schema after `migrate up` again", before, up)?;
    expect_eq("rows after `migrate up` again", rows, rows_up)
}
