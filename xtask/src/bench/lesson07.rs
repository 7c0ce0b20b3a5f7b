//! Lesson 7: the list query on 20,000 tasks, without the index
//! `(user_id, done, due_date)` (lesson 7's migration rolled back) and with it.
//!
//! An index pays when it lets the database skip most rows. The dataset makes
//! one task in a hundred open, like a long-lived account, and measures both
//! lists: the open tasks (the index finds 1 row in 100 directly) and the done
//! tasks (99 in 100: nothing to skip, so nothing to gain).

use std::sync::Arc;

use checks::harness::{Backend, Ctx};
use uuid::Uuid;

use super::{
    Bench, Timing,
    chart::{self, BarPair, Panel},
    command, first_user, measure,
};

const QUERIES: [(&str, &str); 2] = [
    (
        "open tasks by due date (1 in 100)",
        "/api/v1/tasks?done=false&sort=due_date",
    ),
    (
        "done tasks by due date (99 in 100)",
        "/api/v1/tasks?done=true&sort=due_date",
    ),
];

pub async fn run(bench: &Bench, backends: &[Backend]) -> anyhow::Result<()> {
    // (query, database, without, with)
    let mut results: Vec<(usize, Backend, Timing, Timing)> = Vec::new();
    for backend in backends {
        let ctx = bench.ctx("bench07", 7, *backend)?;
        eprintln!("{backend}: seeding 20,000 tasks for 2 users, 1 in 100 open…");
        command(&ctx, &["seed", "--users", "2", "--tasks", "20000"]).await?;
        mostly_done(&ctx).await?;
        let user = first_user(&ctx).await?;
        let with = timed(&ctx, user, bench.runs, "with").await?;
        command(&ctx, &["migrate", "down"]).await?;
        first_user(&ctx).await?; // ANALYZE again, without the index
        let without = timed(&ctx, user, bench.runs, "without").await?;
        ctx.cleanup().await;
        for (query, (with, without)) in with.into_iter().zip(without).enumerate() {
            results.push((query, *backend, without, with));
        }
    }

    println!(
        "lesson 7: 20,000 tasks, 2 users, 1 task in 100 open; medians of {} runs per cell",
        bench.runs
    );
    println!(
        "{:<36} {:<9} {:>21} {:>21} {:>7}",
        "list", "database", "without index", "with index", "ratio"
    );
    for (query, backend, without, with) in &results {
        println!(
            "{:<36} {:<9} {:>9.2} ms ({:>6.2}) {:>9.2} ms ({:>6.2}) {:>6.1}×",
            QUERIES[*query].0,
            backend.to_string(),
            without.http_ms,
            without.query_ms,
            with.http_ms,
            with.query_ms,
            without.query_ms / with.query_ms
        );
    }
    println!(
        "(request latency, then in brackets the list query's own time from its tasks.list event; the ratio is of query times)"
    );
    let panels: Vec<Panel<'_>> = QUERIES
        .iter()
        .enumerate()
        .map(|(i, (caption, _))| Panel {
            caption,
            pairs: results
                .iter()
                .filter(|(query, ..)| *query == i)
                .map(|(_, backend, without, with)| BarPair {
                    label: backend.to_string(),
                    first: without.query_ms,
                    second: with.query_ms,
                })
                .collect(),
        })
        .collect();
    let file = bench.out.join("lesson07.svg");
    chart::paired_bars(
        &file,
        "Lesson 7: the list query without and with its index",
        ("without index", "with index"),
        &panels,
    )?;
    println!("chart: {}", file.display());
    Ok(())
}

/// Marks every task done but one in a hundred (by id order), the same way on both databases.
async fn mostly_done(ctx: &Ctx) -> anyhow::Result<()> {
    let db = ctx.database().await?.inspect().await?;
    db.execute(
        &format!("UPDATE tasks SET done = {}", db.param(1)),
        [true.into()],
    )
    .await?;
    db.execute(
        &format!(
            "UPDATE tasks SET done = {} WHERE id IN (SELECT id FROM \
             (SELECT id, row_number() OVER (ORDER BY id) AS n FROM tasks) AS numbered WHERE n % 100 = 0)",
            db.param(1)
        ),
        [false.into()],
    )
    .await?;
    db.close().await;
    Ok(())
}

/// Starts the binary on the prepared database (no automatic migration) and
/// measures each list.
async fn timed(ctx: &Ctx, user: Uuid, runs: usize, label: &str) -> anyhow::Result<Vec<Timing>> {
    let app = Arc::new(
        ctx.app()
            .env("AUTO_MIGRATE", "false")
            .env("RUST_LOG", "info")
            .start()
            .await?,
    );
    let mut timings = Vec::new();
    for (_, path) in QUERIES {
        timings.push(measure(&app, user, path, runs, label).await?);
    }
    if let Ok(app) = Arc::try_unwrap(app) {
        let _ = app.stop().await;
    }
    Ok(timings)
}
