//! Lesson 13: optimistic against pessimistic locking on one hot row. For 1,
//! 4, 16 and 64 writers, each flips the same task's `done` again and again
//! for a few seconds, one way or the other:
//!
//! - optimistic (lesson 12): read the task for its `ETag`, `PATCH` with
//!   `If-Match`; a 412 means another writer won, so read again and retry
//!   (each 412 is a wasted attempt);
//! - pessimistic (lesson 13): `POST …/toggle`, which waits for the row lock
//!   (a 409 `LOCK_TIMEOUT` is a wasted attempt).
//!
//! Reported per point: successful writes per second, the p99 latency of a
//! successful write (from its first attempt to its 200), and wasted attempts
//! per successful write. Any lesson from 13 on serves both ways.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use checks::{
    flows::{new_task, new_user},
    harness::{Backend, RunningApp},
};
use serde_json::json;
use uuid::Uuid;

use super::{Bench, chart, quantile};

/// Concurrent writers per measurement.
const WRITERS: [usize; 4] = [1, 4, 16, 64];
/// How long each measurement runs.
const DURATION: Duration = Duration::from_secs(3);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Strategy {
    Optimistic,
    Pessimistic,
}

impl Strategy {
    fn name(self) -> &'static str {
        match self {
            Self::Optimistic => "optimistic (If-Match, retry on 412)",
            Self::Pessimistic => "pessimistic (row lock)",
        }
    }
}

/// What one writer saw.
#[derive(Debug, Default)]
struct Tally {
    /// Milliseconds from the first attempt of each successful write to its 200.
    latencies: Vec<f64>,
    /// 412s (optimistic) or 409s (pessimistic).
    wasted: u64,
    /// Answers that were neither a success nor a wasted attempt (5xx, say).
    failed: u64,
    /// The status of the last such answer.
    failed_status: Option<u16>,
}

impl Tally {
    fn fail(&mut self, status: u16) {
        self.failed += 1;
        self.failed_status = Some(status);
    }
}

/// One measurement.
#[derive(Debug, Clone, Copy)]
struct Point {
    writers: usize,
    writes_per_second: f64,
    p99_ms: f64,
    wasted_per_write: f64,
    failed: u64,
}

pub async fn run(bench: &Bench, backends: &[Backend]) -> anyhow::Result<()> {
    for backend in backends {
        let ctx = bench.ctx("bench13", 13, *backend)?;
        let app = Arc::new(ctx.app().env("RUST_LOG", "info").start().await?);
        let user = new_user(&app, "hot-row").await?;
        let mut results = Vec::new();
        for strategy in [Strategy::Optimistic, Strategy::Pessimistic] {
            let mut points = Vec::new();
            for writers in WRITERS {
                eprintln!("{backend}: {} with {writers} writers…", strategy.name());
                points.push(measure(&app, user, strategy, writers).await?);
            }
            results.push((strategy, points));
        }
        if let Ok(app) = Arc::try_unwrap(app) {
            let _ = app.stop().await;
        }
        ctx.cleanup().await;
        report(bench, *backend, &results)?;
    }
    Ok(())
}

/// `writers` writers on a new task for [`DURATION`].
async fn measure(
    app: &Arc<RunningApp>,
    user: Uuid,
    strategy: Strategy,
    writers: usize,
) -> anyhow::Result<Point> {
    let title = format!("hot row {}", Uuid::new_v4().simple());
    let task = new_task(app, user, json!({ "title": title })).await?.id()?;
    let path = format!("/api/v1/tasks/{task}");
    let started = Instant::now();
    let deadline = started + DURATION;
    let handles: Vec<_> = (0..writers)
        .map(|_| {
            let app = Arc::clone(app);
            let path = path.clone();
            tokio::spawn(async move {
                let mut tally = Tally::default();
                while Instant::now() < deadline {
                    let attempt = match strategy {
                        Strategy::Optimistic => optimistic(&app, user, &path, &mut tally).await,
                        Strategy::Pessimistic => pessimistic(&app, user, &path, &mut tally).await,
                    };
                    attempt?;
                }
                anyhow::Ok(tally)
            })
        })
        .collect();
    let mut all = Tally::default();
    for handle in handles {
        let tally = handle.await??;
        all.latencies.extend(tally.latencies);
        all.wasted += tally.wasted;
        all.failed += tally.failed;
        all.failed_status = all.failed_status.or(tally.failed_status);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let writes = all.latencies.len();
    if let (0, Some(status)) = (writes, all.failed_status) {
        anyhow::bail!(
            "{} with {writers} writers: no write succeeded (the last answer was {status}); \
             the binary must serve lesson 12's If-Match and lesson 13's toggle",
            strategy.name()
        );
    }
    Ok(Point {
        writers,
        writes_per_second: writes as f64 / elapsed,
        p99_ms: quantile(&mut all.latencies, 0.99),
        wasted_per_write: all.wasted as f64 / writes.max(1) as f64,
        failed: all.failed,
    })
}

/// One successful flip by tag: read, `PATCH` with `If-Match`, again on 412.
async fn optimistic(
    app: &RunningApp,
    user: Uuid,
    path: &str,
    tally: &mut Tally,
) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        let read = app.get(path).user(user).send().await?;
        if read.status != 200 {
            tally.fail(read.status);
            return Ok(());
        }
        let tag = read.header("etag").unwrap_or("*").to_owned();
        let done = read.json["done"].as_bool().unwrap_or(false);
        let write = app
            .patch(path)
            .user(user)
            .header("if-match", &tag)
            .json(&json!({ "done": !done }))
            .send()
            .await?;
        match write.status {
            200 => {
                tally.latencies.push(ms(started));
                return Ok(());
            }
            412 => tally.wasted += 1,
            status => {
                tally.fail(status);
                return Ok(());
            }
        }
    }
}

/// One toggle under the row lock.
async fn pessimistic(
    app: &RunningApp,
    user: Uuid,
    path: &str,
    tally: &mut Tally,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let reply = app
        .post(&format!("{path}/toggle"))
        .user(user)
        .send()
        .await?;
    match reply.status {
        200 => tally.latencies.push(ms(started)),
        409 => tally.wasted += 1,
        status => tally.fail(status),
    }
    Ok(())
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

fn report(
    bench: &Bench,
    backend: Backend,
    results: &[(Strategy, Vec<Point>)],
) -> anyhow::Result<()> {
    println!(
        "lesson 13, {backend}: one hot row, {} s per point",
        DURATION.as_secs()
    );
    println!(
        "{:<38} {:>7} {:>10} {:>9} {:>14} {:>7}",
        "strategy", "writers", "writes/s", "p99 ms", "wasted/write", "failed"
    );
    for (strategy, points) in results {
        for p in points {
            println!(
                "{:<38} {:>7} {:>10.1} {:>9.1} {:>14.2} {:>7}",
                strategy.name(),
                p.writers,
                p.writes_per_second,
                p.p99_ms,
                p.wasted_per_write,
                p.failed
            );
        }
    }
    let series = |value: fn(&Point) -> f64| -> Vec<(&str, Vec<(f64, f64)>)> {
        results
            .iter()
            .map(|(strategy, points)| {
                (
                    strategy.name(),
                    points
                        .iter()
                        .map(|p| (p.writers as f64, value(p)))
                        .collect(),
                )
            })
            .collect()
    };
    for (name, title, value) in [
        (
            "throughput",
            "successful writes per second",
            (|p: &Point| p.writes_per_second) as fn(&Point) -> f64,
        ),
        (
            "p99",
            "p99 latency of a successful write, ms",
            |p: &Point| p.p99_ms,
        ),
    ] {
        let file = bench.out.join(format!("lesson13-{name}-{backend}.svg"));
        chart::lines(
            &file,
            &format!("Lesson 13 ({backend}): {title}, one hot row"),
            "concurrent writers",
            &series(value),
        )?;
        println!("chart: {}", file.display());
    }
    Ok(())
}
