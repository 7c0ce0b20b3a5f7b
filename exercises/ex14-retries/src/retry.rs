//! The retry loop, written by hand because it is the lesson: run an attempt;
//! if it fails with an error worth retrying and the backoff has a delay
//! left, log it, sleep, and run the next; otherwise stop. Every attempt logs
//! one event (`op`, `attempt` from 1, `outcome`, and `delay_ms` before a
//! retry):
//!
//! | `outcome` | when | answer |
//! |---|---|---|
//! | `ok` | the attempt committed | the write's |
//! | `retry` | retryable, and a delay is left | (the next attempt's) |
//! | `gave_up` | retryable, and none is left | 503 `SERVICE_UNAVAILABLE`, `Retry-After` |
//! | `not_retryable` | anything else | as lesson 13 answered it |
//!
//! A service in production would use a crate for the loop: with `backon`,
//! `(|| attempt()).retry(ExponentialBuilder::default().with_min_delay(..)
//! .with_max_times(2).with_jitter()).when(is_retryable).notify(log)`; with
//! `tokio-retry`, `RetryIf::spawn(strategy.map(jitter).take(2), attempt,
//! is_retryable)`. [`run`] has the same three parts: an attempt to repeat
//! (a closure that makes a new future each time), a backoff (an iterator
//! of delays) and a predicate.

use std::fmt::Display;

use sea_orm::DatabaseConnection;
use shared::{ApiError, ErrorCode};

use crate::{
    policy::Policy,
    retryable::{self, DatabaseCause},
};

/// How a retried operation failed.
#[derive(Debug)]
pub enum Retried<E> {
    /// With an error no retry cures, on the attempt it happened: answered
    /// as the error itself is.
    Failed(E),
    /// With a retryable error on every attempt (this is the last one).
    Exhausted(E),
}

/// Retries that ran out are 503 with `Retry-After` (the client may try
/// again a moment later, as the loop did); any other failure is answered
/// as without retries (409, 412, 500 …).
impl<E: Into<ApiError>> From<Retried<E>> for ApiError {
    fn from(retried: Retried<E>) -> Self {
        match retried {
            Retried::Failed(err) => err.into(),
            Retried::Exhausted(_) => ApiError::new(
                ErrorCode::ServiceUnavailable,
                "the database stayed busy through every attempt, try again",
            )
            .with_retry_after(1),
        }
    }
}

/// Runs `attempt` (called with its number, from 1) until it succeeds, fails
/// with an error `retryable` refuses, or `policy` has no delay left; sleeps
/// each delay between attempts. Logs one event per attempt, for `op`.
pub async fn run<T, E, Fut>(
    policy: Policy,
    op: &'static str,
    retryable: impl Fn(&E) -> bool,
    mut attempt: impl FnMut(u32) -> Fut,
) -> Result<T, Retried<E>>
where
    E: Display,
    Fut: Future<Output = Result<T, E>>,
{
    // starter: take `policy.backoff()`; for attempt 1, 2, …: `ok` returns the value; an error
    // `retryable` refuses is `not_retryable` (`Retried::Failed`); a retryable one with a next
    // delay is `retry` (log `delay_ms`, then sleep it); without one, `gave_up`
    // (`Retried::Exhausted`). Log each attempt with `op`, `attempt` and `outcome`.
    // stand-in: let _ = (policy, op, retryable);
    // attempt(1).await.map_err(Retried::Failed)
    let mut backoff = policy.backoff();
    let mut number = 1;
    loop {
        let err = match attempt(number).await {
            Ok(done) => {
                tracing::info!(op, attempt = number, outcome = "ok", "write attempt");
                return Ok(done);
            }
            Err(err) => err,
        };
        if !retryable(&err) {
            // The answer's conversion logs the cause, at its own level.
            tracing::info!(op, attempt = number, outcome = "not_retryable", error = %err, "write attempt");
            return Err(Retried::Failed(err));
        }
        let Some(delay) = backoff.next() else {
            tracing::warn!(op, attempt = number, outcome = "gave_up", error = %err, "write attempt");
            return Err(Retried::Exhausted(err));
        };
        let delay_ms = delay.as_secs_f64() * 1000.0;
        tracing::warn!(op, attempt = number, outcome = "retry", delay_ms, error = %err, "write attempt");
        tokio::time::sleep(delay).await;
        number += 1;
    }
}

/// A write on `db` retried by [`Policy::WRITES`], while it fails with an
/// error whose database code is retryable on `db`'s backend.
pub async fn write<T, E, Fut>(
    db: &DatabaseConnection,
    op: &'static str,
    attempt: impl FnMut(u32) -> Fut,
) -> Result<T, Retried<E>>
where
    E: DatabaseCause + Display,
    Fut: Future<Output = Result<T, E>>,
{
    let backend = db.get_database_backend();
    let retryable = |err: &E| {
        err.database_error()
            .is_some_and(|err| retryable::is_retryable(backend, err))
    };
    run(Policy::WRITES, op, retryable, attempt).await
}

#[cfg(test)]
mod tests {
    use std::{
        cell::Cell,
        time::{Duration, Instant},
    };

    use axum::{http::header, response::IntoResponse};

    use super::*;

    /// An attempt's error: `true` if retryable.
    #[derive(Debug)]
    struct Failure(bool);

    impl Display for Failure {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "failure (retryable: {})", self.0)
        }
    }

    /// Runs [`run`] with the writes' policy over attempts that fail as
    /// `failures` says (in order; past its end they succeed); returns the
    /// outcome, the attempts made and the time taken.
    async fn attempts(failures: &[bool]) -> (Result<u32, Retried<Failure>>, u32, Duration) {
        let made = Cell::new(0);
        let started = Instant::now();
        let outcome = run(
            Policy::WRITES,
            "test",
            |err: &Failure| err.0,
            |number| {
                made.set(made.get() + 1);
                let failure = failures.get(number as usize - 1).copied();
                async move {
                    match failure {
                        Some(retryable) => Err(Failure(retryable)),
                        None => Ok(number),
                    }
                }
            },
        )
        .await;
        (outcome, made.get(), started.elapsed())
    }

    #[tokio::test]
    async fn a_success_is_not_repeated() {
        let (outcome, made, _) = attempts(&[]).await;
        assert!(matches!(outcome, Ok(1)));
        assert_eq!(made, 1);
    }

    /// Two retryable failures, then a success on the third attempt, after
    /// both delays (at least 12.5 + 25 ms).
    #[tokio::test]
    async fn retryable_failures_are_tried_again() {
        let (outcome, made, took) = attempts(&[true, true]).await;
        assert!(matches!(outcome, Ok(3)), "{outcome:?}");
        assert_eq!(made, 3);
        assert!(took >= Duration::from_micros(37_500), "{took:?}");
    }

    #[tokio::test]
    async fn three_attempts_at_most() {
        let (outcome, made, _) = attempts(&[true, true, true, true]).await;
        assert!(matches!(outcome, Err(Retried::Exhausted(Failure(true)))));
        assert_eq!(made, 3);
    }

    /// A failure the predicate refuses stops the loop at once, even after
    /// a retry, and without sleeping first.
    #[tokio::test]
    async fn other_failures_stop_at_once() {
        let (outcome, made, took) = attempts(&[false, true]).await;
        assert!(matches!(outcome, Err(Retried::Failed(Failure(false)))));
        assert_eq!(made, 1);
        assert!(took < Duration::from_millis(10), "{took:?}");

        let (outcome, made, _) = attempts(&[true, false]).await;
        assert!(matches!(outcome, Err(Retried::Failed(Failure(false)))));
        assert_eq!(made, 2);
    }

    #[test]
    fn exhausted_retries_are_503_with_retry_after() {
        let exhausted = ApiError::from(Retried::Exhausted(sea_orm::DbErr::Custom("busy".into())));
        assert_eq!(exhausted.code(), ErrorCode::ServiceUnavailable);
        let response = exhausted.into_response();
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");

        let failed = ApiError::from(Retried::Failed(sea_orm::DbErr::Custom("no".into())));
        assert_eq!(failed.code(), ErrorCode::Internal, "as the error itself");
    }
}
