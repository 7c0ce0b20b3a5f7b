//! Lesson 14: what retries buy under contention, and what they cost. The
//! same load runs against lesson 13's binary (no retries) and lesson 14's:
//! 16 writers creating tasks for a few seconds while another connection
//! (a `seed`, a shell, a second service) takes the database's write lock for
//! 150 ms in every 300 — SQLite's `BEGIN IMMEDIATE`, PostgreSQL's `LOCK
//! TABLE tasks IN EXCLUSIVE MODE` — with `DB_BUSY_TIMEOUT_MS=50`, so that a
//! SQLite write that meets the lock fails busy instead of waiting it out.
//!
//! Reported for each binary: requests answered, the share that failed
//! (not 2xx), and the median and p99 latency of all of them.

use std::{
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use checks::{
    flows::new_user,
    harness::{Backend, Ctx, RunningApp},
};
use serde_json::json;
use uuid::Uuid;

use super::{Bench, chart, quantile};

/// Concurrent writers.
const WRITERS: usize = 16;
/// How long each binary is measured.
const DURATION: Duration = Duration::from_secs(4);
/// The outside lock: held this long…
const HOLD: Duration = Duration::from_millis(150);
/// …then let go this long.
const GAP: Duration = Duration::from_millis(150);

/// One binary's figures.
#[derive(Debug, Clone, Copy)]
struct Figures {
    requests: usize,
    failed: usize,
    p50_ms: f64,
    p99_ms: f64,
}

/// `without`: lesson 13's binary; `bench.binary`: the one with retries.
pub async fn run(bench: &Bench, without: PathBuf, backends: &[Backend]) -> anyhow::Result<()> {
    for backend in backends {
        let mut rows = Vec::new();
        for (label, binary, lesson) in [
            ("without retries (lesson 13)", without.clone(), 13),
            ("with retries (lesson 14)", bench.binary.clone(), 14),
        ] {
            eprintln!("{backend}: {label}…");
            let ctx = Ctx::new("bench14", lesson, *backend, binary, bench.postgres.clone())?;
            let figures = measure(&ctx).await?;
            ctx.cleanup().await;
            rows.push((label, figures));
        }
        report(bench, *backend, &rows)?;
    }
    Ok(())
}

/// The load on one binary, with the outside lock coming and going.
async fn measure(ctx: &Ctx) -> anyhow::Result<Figures> {
    let app = Arc::new(
        ctx.app()
            .env("RUST_LOG", "info")
            .env("DB_BUSY_TIMEOUT_MS", "50")
            .start()
            .await?,
    );
    let user = new_user(&app, "contended").await?;
    let db = ctx.database().await?.inspect().await?;
    let running = Arc::new(AtomicBool::new(true));
    let contender = {
        let running = Arc::clone(&running);
        async move {
            while running.load(Ordering::Relaxed) {
                let lock = db.block_writes("tasks").await?;
                tokio::time::sleep(HOLD).await;
                lock.rollback().await?;
                tokio::time::sleep(GAP).await;
            }
            db.close().await;
            anyhow::Ok(())
        }
    };
    let deadline = Instant::now() + DURATION;
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let app = Arc::clone(&app);
            tokio::spawn(async move { write_until(&app, user, writer, deadline).await })
        })
        .collect();
    let contender = tokio::spawn(contender);
    let mut latencies = Vec::new();
    let mut failed = 0;
    for writer in writers {
        let (mine, failures) = writer.await??;
        latencies.extend(mine);
        failed += failures;
    }
    running.store(false, Ordering::Relaxed);
    contender.await??;
    if let Ok(app) = Arc::try_unwrap(app) {
        let _ = app.stop().await;
    }
    let requests = latencies.len();
    Ok(Figures {
        requests,
        failed,
        p50_ms: quantile(&mut latencies, 0.5),
        p99_ms: quantile(&mut latencies, 0.99),
    })
}

/// Creates tasks until `deadline`: every latency, and how many were not 2xx.
async fn write_until(
    app: &RunningApp,
    user: Uuid,
    writer: usize,
    deadline: Instant,
) -> anyhow::Result<(Vec<f64>, usize)> {
    let mut latencies = Vec::new();
    let mut failed = 0;
    let mut n = 0;
    while Instant::now() < deadline {
        n += 1;
        let started = Instant::now();
        let reply = app
            .post("/api/v1/tasks")
            .user(user)
            .json(&json!({ "title": format!("writer {writer} task {n}") }))
            .send()
            .await?;
        latencies.push(started.elapsed().as_secs_f64() * 1000.0);
        if !(200..300).contains(&reply.status) {
            failed += 1;
        }
    }
    Ok((latencies, failed))
}

fn report(bench: &Bench, backend: Backend, rows: &[(&str, Figures)]) -> anyhow::Result<()> {
    println!(
        "lesson 14, {backend}: {WRITERS} writers creating for {} s, the write lock taken from outside {} ms in every {} ms (DB_BUSY_TIMEOUT_MS=50)",
        DURATION.as_secs(),
        HOLD.as_millis(),
        (HOLD + GAP).as_millis()
    );
    println!(
        "{:<30} {:>9} {:>9} {:>9} {:>9}",
        "binary", "requests", "failed %", "p50 ms", "p99 ms"
    );
    for (label, f) in rows {
        println!(
            "{label:<30} {:>9} {:>9.1} {:>9.1} {:>9.1}",
            f.requests,
            failed_share(f),
            f.p50_ms,
            f.p99_ms
        );
    }
    let labels: Vec<&str> = rows.iter().map(|(label, _)| *label).collect();
    let groups = vec![
        (
            "failed %".to_owned(),
            rows.iter().map(|(_, f)| failed_share(f)).collect(),
        ),
        (
            "p50 ms".to_owned(),
            rows.iter().map(|(_, f)| f.p50_ms).collect(),
        ),
        (
            "p99 ms".to_owned(),
            rows.iter().map(|(_, f)| f.p99_ms).collect(),
        ),
    ];
    let file = bench.out.join(format!("lesson14-{backend}.svg"));
    chart::grouped_bars(
        &file,
        &format!("Lesson 14 ({backend}): creates under an outside write lock"),
        "per cent / milliseconds",
        &labels,
        &groups,
    )?;
    println!("chart: {}", file.display());
    Ok(())
}

fn failed_share(figures: &Figures) -> f64 {
    100.0 * figures.failed as f64 / figures.requests.max(1) as f64
}
