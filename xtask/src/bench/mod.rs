//! `cargo xtask bench N`: the measurements behind a lesson's claim, printed
//! and drawn as an SVG chart under `target/bench/`; `cargo xtask bench http`:
//! a lesson's release binary under HTTP load beside the hand-written peer.
//! Numbers, not pass/fail: they vary with the machine.

mod chart;
mod http;
mod lesson07;
mod lesson09;
mod lesson13;
mod lesson14;

use std::{path::PathBuf, sync::Arc, time::Instant};

use anyhow::{Context, anyhow, bail};
use checks::harness::{Backend, Ctx, Postgres, RunningApp};
use uuid::Uuid;

use crate::{
    build,
    check::Databases,
    lessons::{Lessons, workspace_root},
};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to measure: 7 (the list index), 9 (offset and keyset pages), 13
    /// (optimistic against pessimistic locking on one hot row), 14 (writes
    /// under an outside lock, without and with retries) or http (a lesson's
    /// release binary under load, beside the axum+sqlx peer)
    #[arg(value_parser = parse_target)]
    target: Target,
    /// Which database to measure
    #[arg(long, value_enum, default_value = "sqlite")]
    db: Databases,
    /// Timed requests per measurement (the median is reported; 25 unless
    /// given); benches 7 and 9
    #[arg(long)]
    runs: Option<usize>,
    #[command(flatten)]
    http: http::HttpArgs,
}

/// The positional argument of `cargo xtask bench`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// The bench of lesson 7 or 9.
    Lesson(u8),
    /// `http`: the load bench.
    Http,
}

fn parse_target(text: &str) -> Result<Target, String> {
    match text {
        "http" => Ok(Target::Http),
        "7" => Ok(Target::Lesson(7)),
        "9" => Ok(Target::Lesson(9)),
        "13" => Ok(Target::Lesson(13)),
        "14" => Ok(Target::Lesson(14)),
        _ => Err("expected 7, 9, 13, 14 (lessons with benchmarks) or http".to_owned()),
    }
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let number = match args.target {
        Target::Http if args.runs.is_some() => {
            bail!("--runs belongs to the benches of lessons 7 and 9; `bench http` takes --rounds")
        }
        Target::Http => return http::run(args.http, args.db),
        Target::Lesson(13) if args.runs.is_some() => {
            bail!(
                "--runs belongs to the benches of lessons 7 and 9; bench 13 runs for a fixed time"
            )
        }
        Target::Lesson(number) => number,
    };
    if let Some(flag) = args.http.given() {
        bail!("{flag} belongs to `cargo xtask bench http`, not to the bench of lesson {number}");
    }
    let backends = args.db.backends();
    let postgres = crate::check::postgres(&backends)?;
    let binary = match args.http.bin() {
        // A learner's binary measured as the lesson's (build it with --release).
        Some(bin) => std::fs::canonicalize(bin)
            .map_err(|err| anyhow!("no binary at {}: {err}", bin.display()))?,
        None => {
            let workspace = Lessons::discover()?;
            let lesson = workspace.package(number)?;
            eprintln!("building {}…", lesson.package);
            build::binaries(&[lesson])?
                .executable(lesson)
                .map_err(|compiler| anyhow!(compiler))?
        }
    };
    // Bench 14 compares with lesson 13's reference, which has no retries.
    let without_retries = if number == 14 {
        let workspace = Lessons::discover()?;
        let lesson = workspace.package(13)?;
        eprintln!("building {} (without retries)…", lesson.package);
        Some(
            build::binaries(&[lesson])?
                .executable(lesson)
                .map_err(|compiler| anyhow!(compiler))?,
        )
    } else {
        None
    };
    let bench = Bench {
        binary,
        postgres,
        runs: args.runs.unwrap_or(25).max(3),
        out: output_dir()?,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        match number {
            7 => lesson07::run(&bench, &backends).await,
            9 => lesson09::run(&bench, &backends).await,
            13 => lesson13::run(&bench, &backends).await,
            _ => {
                let without = without_retries.context("lesson 13's binary")?;
                lesson14::run(&bench, without, &backends).await
            }
        }
    })
}

/// What every benchmark needs.
pub struct Bench {
    binary: PathBuf,
    postgres: Option<Postgres>,
    runs: usize,
    out: PathBuf,
}

impl Bench {
    /// A fresh database and scratch directory for one measurement series.
    fn ctx(&self, name: &'static str, lesson: u8, backend: Backend) -> anyhow::Result<Ctx> {
        Ok(Ctx::new(
            name,
            lesson,
            backend,
            self.binary.clone(),
            self.postgres.clone(),
        )?)
    }
}

/// `target/bench/` (or under `CARGO_TARGET_DIR`).
fn output_dir() -> anyhow::Result<PathBuf> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    let dir = target.join("bench");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

/// Runs a binary's command to completion (seed, migrate), failing on a non-zero exit.
async fn command(ctx: &Ctx, args: &[&str]) -> anyhow::Result<()> {
    let output = ctx
        .app()
        .args(args)
        .run(std::time::Duration::from_secs(600))
        .await?;
    output.expect_success(&args.join(" "))?;
    Ok(())
}

/// ANALYZE, then the first user (by email) of a seeded database.
async fn first_user(ctx: &Ctx) -> anyhow::Result<Uuid> {
    let db = ctx.database().await?.inspect().await?;
    db.analyze().await?;
    let user = checks::flows::first_user(&db).await;
    db.close().await;
    Ok(user?)
}

/// Medians of one measured request: as the client saw it, and the list query
/// as the lesson's own timing event logged it.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub http_ms: f64,
    pub query_ms: f64,
}

/// Sends `path` `runs` times (after two warm-ups) and returns the medians.
async fn measure(
    app: &Arc<RunningApp>,
    user: Uuid,
    path: &str,
    runs: usize,
    label: &str,
) -> anyhow::Result<Timing> {
    let mut http = Vec::new();
    let mut query = Vec::new();
    for run in 0..runs + 2 {
        let request_id = format!("bench-{label}-{run}-{}", Uuid::new_v4().simple());
        let started = Instant::now();
        let reply = app
            .get(path)
            .user(user)
            .header("x-request-id", &request_id)
            .send()
            .await?;
        let elapsed = started.elapsed().as_secs_f64() * 1000.0;
        reply.expect(200)?;
        let logged = app
            .wait_for_log(std::time::Duration::from_secs(5), |line| {
                line.raw.contains(&request_id)
                    && line
                        .get("op")
                        .is_some_and(|op| op.as_str() == Some("tasks.list"))
            })
            .await
            .and_then(|line| line.get("elapsed_ms"))
            .and_then(|ms| ms.as_f64())
            .context("no tasks.list timing event for a measured request")?;
        if run >= 2 {
            http.push(elapsed);
            query.push(logged);
        }
    }
    Ok(Timing {
        http_ms: median(&mut http),
        query_ms: median(&mut query),
    })
}

/// The `q` quantile of `samples` (nearest rank), 0 for none.
fn quantile(samples: &mut [f64], q: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    samples.sort_by(f64::total_cmp);
    let rank = ((q * samples.len() as f64).ceil() as usize).clamp(1, samples.len());
    samples[rank - 1]
}

fn median(samples: &mut [f64]) -> f64 {
    samples.sort_by(f64::total_cmp);
    let middle = samples.len() / 2;
    if samples.len().is_multiple_of(2) {
        (samples[middle - 1] + samples[middle]) / 2.0
    } else {
        samples[middle]
    }
}

#[cfg(test)]
mod tests {
    use super::{Target, median, parse_target, quantile};

    #[test]
    fn medians() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
    }

    #[test]
    fn nearest_rank_quantiles() {
        let mut samples: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile(&mut samples, 0.5), 50.0);
        assert_eq!(quantile(&mut samples, 0.99), 99.0);
        assert_eq!(quantile(&mut [5.0], 0.99), 5.0);
        assert_eq!(quantile(&mut [], 0.99), 0.0);
    }

    #[test]
    fn targets() {
        assert_eq!(parse_target("http"), Ok(Target::Http));
        assert_eq!(parse_target("9"), Ok(Target::Lesson(9)));
        assert!(parse_target("8").is_err());
    }
}
