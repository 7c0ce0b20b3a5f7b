//! Who is calling: the user named by `X-User-Id` (a gateway in front sets it
//! after authentication). Missing, malformed or unknown: 401.

use axum::{extract::FromRequestParts, http::request::Parts};
use sea_orm::{DbErr, SqlErr};
use shared::{ApiError, AppState, ErrorCode};
use uuid::Uuid;

use crate::repo::users;

/// The calling user, proven to exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub id: Uuid,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let unauthenticated = |message| ApiError::new(ErrorCode::Unauthenticated, message);
        let header = parts
            .headers
            .get("x-user-id")
            .ok_or_else(|| unauthenticated("X-User-Id is missing"))?;
        let id = header
            .to_str()
            .ok()
            .and_then(|value| Uuid::try_parse(value.trim()).ok())
            .ok_or_else(|| unauthenticated("X-User-Id is not a user id"))?;
        if !users::exists(&state.db, id).await? {
            return Err(no_such_user());
        }
        Ok(Self { id })
    }
}

fn no_such_user() -> ApiError {
    ApiError::new(ErrorCode::Unauthenticated, "X-User-Id names no user")
}

/// A write naming the caller fails its foreign key if the user was deleted
/// after [`Caller`] found it: that is still 401, not a server error.
pub fn vanished_or(err: DbErr) -> ApiError {
    match err.sql_err() {
        Some(SqlErr::ForeignKeyConstraintViolation(_)) => no_such_user(),
        _ => err.into(),
    }
}
