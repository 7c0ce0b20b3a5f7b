//! Extractors that reject in the error envelope, with the contract's status
//! and code, and name the field at fault.

mod json;
mod path;
mod query;

pub use json::{MAX_BODY_BYTES, ValidJson, non_null, nullable};
pub use path::PathId;
pub use query::{FromQuery, QueryParams, ValidQuery};

use crate::error::{ApiError, ErrorCode, FieldError};

/// Rules a JSON body must meet once it has the right shape (lengths,
/// ranges). Report every failing field, not only the first. A body whose
/// types already carry its rules implements it empty.
pub trait Validate {
    fn validate(&self) -> Result<(), Vec<FieldError>> {
        Ok(())
    }
}

/// Collects the failures of [`Validate::validate`].
#[derive(Debug, Default)]
pub struct Problems(Vec<FieldError>);

impl Problems {
    /// Records `message` against `field` unless `ok`.
    pub fn check(&mut self, ok: bool, field: &str, message: &str) -> &mut Self {
        if !ok {
            self.0.push(FieldError::new(field, message));
        }
        self
    }

    pub fn finish(self) -> Result<(), Vec<FieldError>> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self.0)
        }
    }
}

/// An error naming every field at fault, in its message and its details.
fn rejection(code: ErrorCode, what: &str, details: Vec<FieldError>) -> ApiError {
    let fields: Vec<&str> = details.iter().map(|d| d.field.as_str()).collect();
    ApiError::new(code, format!("{what}: {}", fields.join(", "))).with_details(details)
}

/// The field a serde error is about: its path, or for errors raised on the
/// whole object (a missing or duplicate field) the name serde quotes.
fn field_of<E: std::fmt::Display>(err: &serde_path_to_error::Error<E>) -> String {
    let path = err.path().to_string();
    if path != "." {
        return path;
    }
    let message = err.inner().to_string();
    message
        .split('`')
        .nth(1)
        .map_or_else(|| "body".to_owned(), str::to_owned)
}

/// A message for people from a serde error, without serde's jargon where it helps.
fn describe<E: std::fmt::Display>(err: &serde_path_to_error::Error<E>) -> String {
    let message = err.inner().to_string();
    if message.starts_with("missing field") {
        "is required".to_owned()
    } else if message.starts_with("unknown field") {
        "is not a known field".to_owned()
    } else if message.starts_with("duplicate field") {
        "is given more than once".to_owned()
    } else {
        message
    }
}
