//! Query strings, read parameter by parameter.
//!
//! Each lesson's list takes the previous lesson's parameters and adds its
//! own (`sort` at 7, `limit`/`offset` at 8, `cursor` at 9). With serde that
//! would mean restating every field at every lesson: `#[serde(flatten)]`
//! cannot be combined with `deny_unknown_fields`, and it would hand the
//! inner struct text where it expects a number. So a query type takes its
//! parameters from [`QueryParams`] itself, the previous lesson's type takes
//! its own the same way, and whatever nobody took is an unknown parameter.

use std::{fmt::Display, str::FromStr};

use axum::{extract::FromRequestParts, http::request::Parts};

use super::rejection;
use crate::error::{ApiError, ErrorCode, FieldError};

/// A type read from a query string, one parameter at a time.
pub trait FromQuery: Sized {
    /// Takes this type's parameters out of `query`. A missing parameter gets
    /// its default; a problem is recorded in `query`, which rejects the
    /// request once every parameter has been looked at.
    fn from_query(query: &mut QueryParams) -> Self;
}

/// The parameters of one query string, taken by name.
#[derive(Debug, Default)]
pub struct QueryParams {
    pairs: Vec<(String, String)>,
    problems: Vec<FieldError>,
}

impl QueryParams {
    /// Splits `query` (without the `?`) into decoded pairs.
    pub fn parse(query: &str) -> Self {
        Self {
            pairs: form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect(),
            problems: Vec::new(),
        }
    }

    /// Takes `name` and parses its value with `FromStr`; `None` if it is
    /// absent. A value that does not parse, or a parameter given twice, is
    /// recorded as a problem (and also gives `None`).
    pub fn take<T>(&mut self, name: &str) -> Option<T>
    where
        T: FromStr,
        T::Err: Display,
    {
        let mut values = Vec::new();
        self.pairs.retain(|(key, value)| {
            let wanted = key == name;
            if wanted {
                values.push(value.clone());
            }
            !wanted
        });
        match values.as_slice() {
            [] => None,
            [value] => match value.parse() {
                Ok(parsed) => Some(parsed),
                Err(err) => {
                    self.reject(name, format!("is not a valid value: {err}"));
                    None
                }
            },
            _ => {
                self.reject(name, "is given more than once");
                None
            }
        }
    }

    /// Records a problem with `name`: for rules about more than one parameter,
    /// or a value that parses but is out of range.
    pub fn reject(&mut self, name: &str, message: impl Into<String>) {
        if !self.problems.iter().any(|problem| problem.field == name) {
            self.problems.push(FieldError::new(name, message));
        }
    }

    /// Every problem, and one for each parameter that nobody took.
    fn finish(mut self) -> Result<(), Vec<FieldError>> {
        for (name, _) in std::mem::take(&mut self.pairs) {
            self.reject(&name, "is not a known parameter");
        }
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(self.problems)
        }
    }
}

/// A query string read as `T`. An unknown parameter, a malformed value or one
/// out of range is 400 `INVALID_QUERY` naming each parameter at fault.
#[derive(Debug, Clone, Copy, Default)]
pub struct ValidQuery<T>(pub T);

impl<T: FromQuery> ValidQuery<T> {
    /// Reads `T` from a query string (without the `?`).
    pub fn parse(query: &str) -> Result<Self, ApiError> {
        let mut params = QueryParams::parse(query);
        let parsed = T::from_query(&mut params);
        params.finish().map_err(|problems| {
            rejection(ErrorCode::InvalidQuery, "invalid query parameter", problems)
        })?;
        Ok(Self(parsed))
    }
}

impl<S, T> FromRequestParts<S> for ValidQuery<T>
where
    S: Send + Sync,
    T: FromQuery,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        Self::parse(parts.uri.query().unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct Filter {
        done: Option<bool>,
    }

    impl FromQuery for Filter {
        fn from_query(query: &mut QueryParams) -> Self {
            Self {
                done: query.take("done"),
            }
        }
    }

    /// A later lesson's query: the filter, and a limit of its own.
    #[derive(Debug, PartialEq)]
    struct Page {
        filter: Filter,
        limit: u64,
    }

    impl FromQuery for Page {
        fn from_query(query: &mut QueryParams) -> Self {
            let filter = Filter::from_query(query);
            let limit = query.take("limit").unwrap_or(20);
            if !(1..=100).contains(&limit) {
                query.reject("limit", "must be from 1 to 100");
            }
            Self { filter, limit }
        }
    }

    fn fields<T: FromQuery>(query: &str) -> Vec<String> {
        match ValidQuery::<T>::parse(query) {
            Ok(_) => Vec::new(),
            Err(err) => err.details().iter().map(|d| d.field.clone()).collect(),
        }
    }

    #[test]
    fn each_type_takes_its_own_parameters() {
        let ValidQuery(page) = ValidQuery::<Page>::parse("limit=5&done=true").unwrap();
        assert_eq!(
            page,
            Page {
                filter: Filter { done: Some(true) },
                limit: 5
            }
        );
        assert_eq!(fields::<Filter>("limit=5"), ["limit"]);
    }

    #[test]
    fn names_every_parameter_at_fault() {
        assert!(fields::<Page>("").is_empty());
        assert_eq!(fields::<Page>("done=maybe"), ["done"]);
        assert_eq!(fields::<Page>("done="), ["done"]);
        assert_eq!(fields::<Page>("done=true&done=false"), ["done"]);
        assert_eq!(fields::<Page>("limit=0&colour=red"), ["limit", "colour"]);
        assert_eq!(fields::<Page>("limit=-1"), ["limit"]);
    }
}
