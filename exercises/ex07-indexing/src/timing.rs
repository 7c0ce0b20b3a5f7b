//! How long a repository call took, as a log event: `op` and `elapsed_ms`.

use std::{future::Future, time::Instant};

/// Runs `call` and logs `op` with its duration (and whether it failed).
pub async fn timed<T, E>(
    op: &'static str,
    call: impl Future<Output = Result<T, E>>,
) -> Result<T, E> {
    // starter: run `call` and log one event with `op`, `elapsed_ms` and whether it failed.
    // stand-in: call.await
    let started = Instant::now();
    let outcome = call.await;
    tracing::info!(
        op,
        elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
        failed = outcome.is_err(),
        "repository call",
    );
    outcome
}
