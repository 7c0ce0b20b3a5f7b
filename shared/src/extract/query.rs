use axum::{extract::FromRequestParts, http::request::Parts};
use serde::de::DeserializeOwned;

use super::{Validate, describe, field_of, rejection};
use crate::error::{ApiError, ErrorCode, FieldError};

/// A query string of type `T` (declare it `deny_unknown_fields`). An unknown
/// parameter, a malformed value or one out of range is 400 `INVALID_QUERY`
/// naming the parameter.
#[derive(Debug, Clone, Copy, Default)]
pub struct ValidQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ValidQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Validate,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        let deserializer =
            serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        let parsed: T = serde_path_to_error::deserialize(deserializer)
            .map_err(|err| invalid(vec![FieldError::new(field_of(&err), describe(&err))]))?;
        parsed.validate().map_err(invalid)?;
        Ok(Self(parsed))
    }
}

fn invalid(details: Vec<FieldError>) -> ApiError {
    rejection(ErrorCode::InvalidQuery, "invalid query parameter", details)
}
