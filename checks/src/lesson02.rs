//! Lesson 2: the first migration, `users` and `tasks`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use regex::Regex;
use uuid::Uuid;

use crate::{
    check, ensure, fail,
    harness::{Backend, Check, Ctx, Failure, Inspector, Outcome, expect_eq, snapshot},
};

pub fn checks() -> Vec<Check> {
    vec![
        // Lesson 5 adds an index to `tasks`, so this snapshot holds until lesson 4.
        check!(migrate_creates_schema, 2).until(4),
        check!(fk_enforced, 2),
        check!(unique_email, 2),
        check!(tasks_user_index, 2),
        check!(timestamps_default_utc, 2),
        check!(migrate_down_and_status, 2),
        check!(migrate_commands_idempotent, 2),
        check!(auto_migrate_setting, 2),
    ]
}

/// Runs `migrate up` and opens the database.
pub async fn migrated(ctx: &Ctx) -> Result<Inspector, Failure> {
    ctx.app()
        .args(&["migrate", "up"])
        .run(Duration::from_secs(60))
        .await?
        .expect_success("migrate up")?;
    ctx.database().await?.inspect().await
}

/// Inserts a user directly (all required columns, timestamps left to their
/// defaults) and returns its id.
pub async fn insert_user(db: &Inspector, email: &str) -> Result<Uuid, Failure> {
    let id = Uuid::now_v7();
    let id_value = db.uuid_value(id, "users", "id").await?;
    let sql = format!(
        "INSERT INTO users (id, email, password_hash) VALUES ({}, {}, {})",
        db.param(1),
        db.param(2),
        db.param(3)
    );
    db.execute(
        &sql,
        [id_value, email.into(), "$argon2id$not-a-real-hash".into()],
    )
    .await?;
    Ok(id)
}

/// Inserts a task for `owner` directly; the database's answer is returned as is.
pub async fn insert_task(
    db: &Inspector,
    owner: Uuid,
    title: &str,
) -> Result<Result<u64, sea_orm::DbErr>, Failure> {
    let id_value = db.uuid_value(Uuid::now_v7(), "tasks", "id").await?;
    let owner_value = db.uuid_value(owner, "users", "id").await?;
    let sql = format!(
        "INSERT INTO tasks (id, user_id, title) VALUES ({}, {}, {})",
        db.param(1),
        db.param(2),
        db.param(3)
    );
    Ok(db
        .execute(&sql, [id_value, owner_value, title.into()])
        .await)
}

/// `migrate up` creates `users` and `tasks` as the contract names them; a
/// task inserted without `done` is not done.
async fn migrate_creates_schema(ctx: Ctx) -> Outcome {
    let db = migrated(&ctx).await?;
    let schema = db.schema().await?;

    // The snapshot says `done` has a default, not which: a task inserted
    // without `done` must read back not done.
    let owner = insert_user(&db, "defaults@example.com").await?;
    if let Err(err) = insert_task(&db, owner, "a task left to its defaults").await? {
        fail!("inserting a task without `done` failed: {err}");
    }
    let tasks = db.number("SELECT count(*) FROM tasks", []).await?;
    let done = db
        .number("SELECT count(*) FROM tasks WHERE done", [])
        .await?;
    db.close().await;
    expect_eq("tasks after inserting one", 1, tasks)?;
    ensure!(
        done == 0,
        "a task inserted without `done` reads back done: tasks.done must default to false"
    );

    let value = serde_json::to_value(&schema).map_err(|e| Failure::Error(e.to_string()))?;
    snapshot::assert(&format!("migrate_creates_schema-{}", ctx.backend()), &value)
}

/// The foreign key `tasks.user_id → users.id` rejects a task of no user.
async fn fk_enforced(ctx: Ctx) -> Outcome {
    let db = migrated(&ctx).await?;
    let owner = insert_user(&db, "owner@example.com").await?;
    if let Err(err) = insert_task(&db, owner, "a task with an owner").await? {
        fail!("inserting a task of an existing user failed: {err}");
    }
    match insert_task(&db, Uuid::now_v7(), "a task of nobody").await? {
        Ok(_) => fail!(
            "a task whose user_id names no user was inserted: the foreign key is missing or not enforced"
        ),
        Err(err) => ensure!(
            err.to_string().to_lowercase().contains("foreign key"),
            "the orphan task was refused, but not by a foreign key: {err}"
        ),
    }
    db.close().await;
    Ok(())
}

/// The unique `users.email` rejects a second user with the same email.
async fn unique_email(ctx: Ctx) -> Outcome {
    let db = migrated(&ctx).await?;
    insert_user(&db, "twice@example.com").await?;
    match insert_user(&db, "twice@example.com").await {
        Ok(_) => fail!("a second user with the same email was inserted: users.email is not unique"),
        Err(Failure::Failed(message)) => {
            let lower = message.to_lowercase();
            ensure!(
                lower.contains("unique") || lower.contains("duplicate"),
                "the duplicate was refused, but not as a unique violation: {message}"
            );
        }
        Err(other) => return Err(other),
    }
    db.close().await;
    Ok(())
}

/// An index on `tasks(user_id)` (or one that starts with it).
async fn tasks_user_index(ctx: Ctx) -> Outcome {
    let db = migrated(&ctx).await?;
    let indexes = db.indexes("tasks").await?;
    db.close().await;
    ensure!(
        indexes
            .iter()
            .any(|index| index.columns.first().map(String::as_str) == Some("user_id")),
        "no index on tasks starts with user_id; found {indexes:?}"
    );
    Ok(())
}

/// `created_at` and `updated_at` default to now, in UTC: `timestamptz` on
/// PostgreSQL, fixed-width RFC 3339 text with microseconds and `Z` on SQLite.
async fn timestamps_default_utc(ctx: Ctx) -> Outcome {
    let db = migrated(&ctx).await?;
    let owner = insert_user(&db, "clock@example.com").await?;
    if let Err(err) = insert_task(&db, owner, "a task on the clock").await? {
        fail!("inserting a task failed: {err}");
    }
    let fixed_width =
        Regex::new(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$").expect("valid pattern");
    for table in ["users", "tasks"] {
        match ctx.backend() {
            Backend::Postgres => {
                let types = db
                    .texts(
                        "SELECT data_type::text FROM information_schema.columns \
                         WHERE table_schema = current_schema() AND table_name = $1 \
                           AND column_name IN ('created_at', 'updated_at') ORDER BY column_name",
                        [table.into()],
                    )
                    .await?;
                expect_eq(
                    &format!("{table} timestamp types"),
                    vec!["timestamp with time zone".to_owned(); 2],
                    types,
                )?;
                let skew = db
                    .number(
                        &format!(
                            "SELECT CAST(max(abs(extract(epoch FROM now() - created_at)) + \
                                            abs(extract(epoch FROM now() - updated_at))) AS bigint) FROM {table}"
                        ),
                        [],
                    )
                    .await?;
                ensure!(
                    skew < 300,
                    "{table}: default timestamps are {skew} s away from now()"
                );
            }
            Backend::Sqlite => {
                let rows = db
                    .query(&format!("SELECT created_at, updated_at FROM {table}"), [])
                    .await?;
                for row in rows {
                    for column in ["created_at", "updated_at"] {
                        let text: String = row.try_get("", column).map_err(|e| {
                            Failure::Failed(format!("{table}.{column} is not text: {e}"))
                        })?;
                        ensure!(
                            fixed_width.is_match(&text),
                            "{table}.{column} = {text:?}: expected UTC text like 2026-03-01T12:00:00.123456Z"
                        );
                        let at = DateTime::parse_from_rfc3339(&text)
                            .map_err(|e| Failure::Failed(e.to_string()))?;
                        let skew = (Utc::now() - at.with_timezone(&Utc)).num_seconds().abs();
                        ensure!(
                            skew < 300,
                            "{table}.{column} = {text}: {skew} s away from now (UTC)"
                        );
                    }
                }
            }
        }
    }
    db.close().await;
    Ok(())
}

/// One `migrate status` line per migration, `<name> applied|pending`.
async fn statuses(ctx: &Ctx) -> Result<Vec<(String, String)>, Failure> {
    let output = ctx
        .app()
        .args(&["migrate", "status"])
        .run(Duration::from_secs(60))
        .await?;
    output.expect_success("migrate status")?;
    let lines: Vec<(String, String)> = output
        .printed()
        .iter()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            match (words.next(), words.next_back()) {
                (Some(name), Some(state @ ("applied" | "pending"))) => {
                    Some((name.to_owned(), state.to_owned()))
                }
                _ => None,
            }
        })
        .collect();
    if lines.is_empty() {
        fail!(
            "`migrate status` printed no `<name> applied|pending` line: {:?}",
            output.printed()
        );
    }
    Ok(lines)
}

/// `migrate status` tracks `up` and `down`; `down` rolls back exactly the last
/// migration (at lesson 2: both tables go), `up` brings it back.
async fn migrate_down_and_status(ctx: Ctx) -> Outcome {
    let before = statuses(&ctx).await?;
    ensure!(
        before.iter().all(|(_, s)| s == "pending"),
        "before `migrate up`, every migration should be pending: {before:?}"
    );
    migrated(&ctx).await?.close().await;
    let up = statuses(&ctx).await?;
    let names: Vec<&String> = before.iter().map(|(n, _)| n).collect();
    expect_eq(
        "migrations listed",
        names.clone(),
        up.iter().map(|(n, _)| n).collect(),
    )?;
    ensure!(
        up.iter().all(|(_, s)| s == "applied"),
        "after `migrate up`, every migration should be applied: {up:?}"
    );

    ctx.app()
        .args(&["migrate", "down"])
        .run(Duration::from_secs(60))
        .await?
        .expect_success("migrate down")?;
    let down = statuses(&ctx).await?;
    let expected: Vec<&str> = (0..up.len())
        .map(|i| {
            if i + 1 == up.len() {
                "pending"
            } else {
                "applied"
            }
        })
        .collect();
    expect_eq(
        "statuses after `migrate down`",
        expected,
        down.iter().map(|(_, s)| s.as_str()).collect(),
    )?;
    let db = ctx.database().await?.inspect().await?;
    let tables = db.tables().await?;
    if up.len() == 1 {
        ensure!(
            !tables.iter().any(|t| t == "users" || t == "tasks"),
            "after rolling back lesson 2's migration, users and tasks should be gone; tables: {tables:?}"
        );
    }
    db.close().await;

    migrated(&ctx).await?.close().await;
    let again = statuses(&ctx).await?;
    ensure!(
        again.iter().all(|(_, s)| s == "applied"),
        "after `migrate up` again: {again:?}"
    );
    let db = ctx.database().await?.inspect().await?;
    let tables = db.tables().await?;
    ensure!(
        tables.iter().any(|t| t == "users") && tables.iter().any(|t| t == "tasks"),
        "after `migrate up` again, users and tasks should exist; tables: {tables:?}"
    );
    db.close().await;
    Ok(())
}

/// Runs `migrate <args>` and expects exit status 0.
async fn migrate(ctx: &Ctx, args: &[&str]) -> Outcome {
    let mut all = vec!["migrate"];
    all.extend_from_slice(args);
    ctx.app()
        .args(&all)
        .run(Duration::from_secs(60))
        .await?
        .expect_success(&all.join(" "))?;
    Ok(())
}

/// Every `migrate` command, with each of its flags, may run twice: `down`
/// with nothing applied changes nothing; `up -n 1` applies exactly one;
/// `up` again leaves the schema as it was; `fresh` (twice) leaves the same
/// schema with no rows; `down -n N` rolls back all N (twice changes nothing
/// more); `up` then restores the schema.
async fn migrate_commands_idempotent(ctx: Ctx) -> Outcome {
    let states = |list: &[(String, String)]| -> Vec<String> {
        list.iter().map(|(_, state)| state.clone()).collect()
    };
    let count = statuses(&ctx).await?.len();
    let pending = vec!["pending".to_owned(); count];
    let applied = vec!["applied".to_owned(); count];

    migrate(&ctx, &["down"]).await?;
    expect_eq(
        "statuses after `migrate down` with nothing applied",
        pending.clone(),
        states(&statuses(&ctx).await?),
    )?;
    migrate(&ctx, &["up", "-n", "1"]).await?;
    let mut one = pending.clone();
    one[0] = "applied".to_owned();
    expect_eq(
        "statuses after `migrate up -n 1`",
        one,
        states(&statuses(&ctx).await?),
    )?;
    migrate(&ctx, &["up"]).await?;
    let db = ctx.database().await?.inspect().await?;
    let schema = db.schema().await?;
    db.close().await;
    for run in ["once more", "a third time"] {
        migrate(&ctx, &["up"]).await?;
        expect_eq(
            &format!("statuses after `migrate up` {run}"),
            applied.clone(),
            states(&statuses(&ctx).await?),
        )?;
        let db = ctx.database().await?.inspect().await?;
        let again = db.schema().await?;
        db.close().await;
        ensure!(again == schema, "`migrate up` {run} changed the schema");
    }

    let db = ctx.database().await?.inspect().await?;
    insert_user(&db, "before-fresh@example.com").await?;
    db.close().await;
    for run in ["", " again"] {
        migrate(&ctx, &["fresh"]).await?;
        expect_eq(
            &format!("statuses after `migrate fresh`{run}"),
            applied.clone(),
            states(&statuses(&ctx).await?),
        )?;
        let db = ctx.database().await?.inspect().await?;
        let after = db.schema().await?;
        let users = db.number("SELECT count(*) FROM users", []).await?;
        db.close().await;
        ensure!(
            after == schema,
            "`migrate fresh`{run} left a schema other than `migrate up` makes"
        );
        expect_eq(&format!("users after `migrate fresh`{run}"), 0, users)?;
    }

    let all = count.to_string();
    for run in ["", " again"] {
        migrate(&ctx, &["down", "-n", &all]).await?;
        expect_eq(
            &format!("statuses after `migrate down -n {all}`{run}"),
            pending.clone(),
            states(&statuses(&ctx).await?),
        )?;
        let db = ctx.database().await?.inspect().await?;
        let tables = db.tables().await?;
        db.close().await;
        ensure!(
            !tables.iter().any(|t| t == "users" || t == "tasks"),
            "after `migrate down -n {all}`{run} users and tasks should be gone; tables: {tables:?}"
        );
    }
    migrate(&ctx, &["up"]).await?;
    let db = ctx.database().await?.inspect().await?;
    let restored = db.schema().await?;
    db.close().await;
    ensure!(
        restored == schema,
        "`migrate up` after rolling everything back did not restore the schema"
    );
    Ok(())
}

/// `serve` applies pending migrations first by default, and not with
/// `AUTO_MIGRATE=false`.
async fn auto_migrate_setting(ctx: Ctx) -> Outcome {
    ctx.app()
        .env("AUTO_MIGRATE", "false")
        .start()
        .await?
        .stop()
        .await?;
    let after_off = statuses(&ctx).await?;
    ensure!(
        after_off.iter().all(|(_, s)| s == "pending"),
        "`serve` with AUTO_MIGRATE=false applied migrations: {after_off:?}"
    );
    let tables = |db: Inspector| async move {
        let tables = db.tables().await;
        db.close().await;
        tables
    };
    let before = tables(ctx.database().await?.inspect().await?).await?;
    ensure!(
        !before.iter().any(|t| t == "users" || t == "tasks"),
        "`serve` with AUTO_MIGRATE=false created tables: {before:?}"
    );
    ctx.app().start().await?.stop().await?;
    let after_on = statuses(&ctx).await?;
    ensure!(
        after_on.iter().all(|(_, s)| s == "applied"),
        "`serve` with the default AUTO_MIGRATE=true left migrations pending: {after_on:?}"
    );
    // Applied must mean done: the schema is there, not only its row in seaql_migrations.
    let after = tables(ctx.database().await?.inspect().await?).await?;
    ensure!(
        ["users", "tasks"]
            .iter()
            .all(|t| after.iter().any(|have| have == t)),
        "`serve` with the default AUTO_MIGRATE=true applied the migrations, but the database has no users and tasks tables: {after:?}"
    );
    Ok(())
}
