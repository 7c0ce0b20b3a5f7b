//! Runs checks in parallel, each with its own database, scratch directory and port.

use std::{
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

use serde::Serialize;
use tokio::sync::Semaphore;

use super::{Backend, Check, Ctx, Failure, Postgres};

/// The binary a group of checks grades.
#[derive(Debug, Clone)]
pub struct Target {
    /// The lesson whose criteria it is graded against.
    pub lesson: u8,
    pub binary: PathBuf,
    /// Why the binary could not be built, if it could not.
    pub unusable: Option<String>,
    /// Keep a failed check's scratch directory, database and output (`check --keep`).
    pub keep: bool,
}

/// One check against one target on one database.
#[derive(Clone)]
pub struct Job {
    pub check: Check,
    pub target: Arc<Target>,
    pub backend: Backend,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    Error,
    /// Not run: the criterion does not apply to this database (never counted as passed).
    Skip,
}

/// How one job ended.
#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    pub name: &'static str,
    /// The lesson of the binary graded.
    pub lesson: u8,
    /// The lesson that introduced the criterion.
    pub introduced: u8,
    pub db: Backend,
    pub status: Status,
    pub message: String,
    #[serde(rename = "durationMs")]
    pub duration_ms: u128,
}

/// Runs every job, at most `parallel` at a time, calling `done` as each ends.
pub async fn run(
    mut jobs: Vec<Job>,
    parallel: usize,
    postgres: Option<Postgres>,
    done: impl Fn(&CheckResult) + Send + Sync + 'static,
) -> Vec<CheckResult> {
    // Longest first, so a slow check does not start last.
    jobs.sort_by_key(|job| std::cmp::Reverse(job.check.timeout));
    let permits = Arc::new(Semaphore::new(parallel.max(1)));
    let done = Arc::new(done);
    let mut handles = Vec::new();
    for job in jobs {
        let permits = permits.clone();
        let postgres = postgres.clone();
        let done = done.clone();
        handles.push(tokio::spawn(async move {
            let _permit = permits.acquire_owned().await.expect("semaphore open");
            let result = run_one(&job, postgres).await;
            done(&result);
            result
        }));
    }
    let mut results = Vec::new();
    for handle in handles {
        if let Ok(result) = handle.await {
            results.push(result);
        }
    }
    results.sort_by(|a, b| {
        (a.lesson, a.introduced, a.name, a.db).cmp(&(b.lesson, b.introduced, b.name, b.db))
    });
    results
}

async fn run_one(job: &Job, postgres: Option<Postgres>) -> CheckResult {
    let started = Instant::now();
    let outcome = match &job.target.unusable {
        Some(reason) => Err(Failure::Error(reason.clone())),
        None => run_check(job, postgres).await,
    };
    let (status, message) = match outcome {
        Ok(()) => (Status::Pass, String::new()),
        Err(Failure::Failed(message)) => (Status::Fail, message),
        Err(Failure::Error(message)) => (Status::Error, message),
    };
    CheckResult {
        name: job.check.name,
        lesson: job.target.lesson,
        introduced: job.check.lesson,
        db: job.backend,
        status,
        message,
        duration_ms: started.elapsed().as_millis(),
    }
}

async fn run_check(job: &Job, postgres: Option<Postgres>) -> Result<(), Failure> {
    let make = if job.target.keep { Ctx::kept } else { Ctx::new };
    let ctx = make(
        job.check.name,
        job.target.lesson,
        job.backend,
        job.target.binary.clone(),
        postgres,
    )
    .map_err(|err| Failure::Error(format!("cannot make a scratch directory: {err}")))?;
    let body = tokio::spawn(tokio::time::timeout(
        job.check.timeout,
        (job.check.run)(ctx.clone()),
    ));
    let outcome = match body.await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(_elapsed)) => Err(Failure::Failed(format!(
            "did not finish within {} s",
            job.check.timeout.as_secs()
        ))),
        Err(join) if join.is_panic() => {
            Err(Failure::Error(format!("the check itself panicked: {join}")))
        }
        Err(join) => Err(Failure::Error(format!("the check was cancelled: {join}"))),
    };
    // A failure says what to do next: the request to replay, the binary's log
    // for it, and where the criterion is taught.
    let outcome = outcome.map_err(|failure| match failure {
        Failure::Failed(message) => {
            let report = ctx.failure_report();
            if report.is_empty() {
                Failure::Failed(message)
            } else {
                Failure::Failed(format!("{message}\n{report}"))
            }
        }
        other => other,
    });
    // Give killed children a moment to let go of the database before it is dropped.
    tokio::time::sleep(Duration::from_millis(20)).await;
    match outcome {
        Err(Failure::Failed(message)) if job.target.keep => {
            Err(Failure::Failed(format!("{message}\n{}", ctx.keep_report())))
        }
        Err(Failure::Error(message)) if job.target.keep => {
            Err(Failure::Error(format!("{message}\n{}", ctx.keep_report())))
        }
        outcome if job.target.keep => {
            ctx.discard().await;
            outcome
        }
        outcome => {
            ctx.cleanup().await;
            outcome
        }
    }
}
