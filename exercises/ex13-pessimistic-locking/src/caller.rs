//! Who is calling a toggle: lesson 3's `Caller`, looked up on the read pool.
//!
//! Lesson 3's `Caller` looks its user up on the connection its request will
//! use, and for a `POST` on SQLite that is the writer. But a toggle's wait for
//! the writer *is* its lock wait, which `LOCK_TIMEOUT_MS` must bound. Were the
//! lookup to queue for the writer first, it would wait out a held lock there,
//! bounded only by the pool's acquire timeout, and the lock wait after it
//! would find the writer free: never a 409. So a toggle reads its user, and
//! its only wait for the writer is the lock's. (On PostgreSQL both are one pool.)

use axum::{extract::FromRequestParts, http::request::Parts};
use ex12_optimistic_locking::prelude::Caller;
use shared::{ApiError, AppState};

/// The calling user, proven to exist by a read on the read pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadCaller(pub Caller);

impl FromRequestParts<AppState> for ReadCaller {
    type Rejection = ApiError;

    /// Lesson 3's lookup on the read pool: the same 401s.
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Caller::lookup(parts, state.db.read()).await.map(Self)
    }
}
