//! Who is calling: the user named by `X-User-Id` (a gateway in front sets it
//! after authentication). Missing, malformed or unknown: 401.

use axum::{extract::FromRequestParts, http::request::Parts};
use sea_orm::ConnectionTrait;
use shared::{ApiError, AppState, ErrorCode};
use uuid::Uuid;

use crate::repo::users;

/// The calling user, proven to exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub id: Uuid,
}

impl Caller {
    /// The user `X-User-Id` names, looked up on `db`: what the extractor does
    /// on the request's connection, for a route that must pick another.
    pub async fn lookup(parts: &Parts, db: &impl ConnectionTrait) -> Result<Self, ApiError> {
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
        if !users::exists(db, id).await? {
            return Err(unknown());
        }
        Ok(Self { id })
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    /// On the connection the request's method goes to ([`Database::for_method`](shared::db::Database::for_method)).
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Self::lookup(parts, state.db.for_method(&parts.method)).await
    }
}

/// 401: `X-User-Id` names no user (also when the user went away mid-request).
pub fn unknown() -> ApiError {
    ApiError::new(ErrorCode::Unauthenticated, "X-User-Id names no user")
}
