use axum::{
    extract::{FromRequestParts, Path},
    http::request::Parts,
};
use uuid::Uuid;

use crate::error::ApiError;

/// The `{id}` of a path, checked when the handler asks for it with
/// [`PathId::uuid`]: an id that is not a UUID names no row, so it is the same
/// 404 as a missing row, and like it comes after any 401, 415 or 422 the
/// request has earned (extractors that read headers or the body run first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathId(String);

impl PathId {
    /// The id, or 404 `NOT_FOUND` if it is not a UUID.
    pub fn uuid(&self) -> Result<Uuid, ApiError> {
        Uuid::try_parse(&self.0).map_err(|_| ApiError::not_found("not found"))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<String>::from_request_parts(parts, state)
            .await
            .map(|Path(raw)| Self(raw))
            .map_err(|_| ApiError::not_found("not found"))
    }
}
