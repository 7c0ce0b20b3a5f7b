//! Entity tags: the `ETag` a task is served with and the `If-Match` a change
//! must carry.
//!
//! A task's tag is its version, `"v<version>"`. `If-Match` holds one tag;
//! `*` matches any version; anything else (a list, a weak tag, a tag this
//! service never made) is a tag no version has, so it is 412 too.

use std::convert::Infallible;

use axum::{
    extract::FromRequestParts,
    http::{HeaderValue, header, request::Parts},
};

use crate::repo::Expected;

/// The `ETag` of a task at `version`.
pub fn etag(version: i32) -> String {
    format!("\"v{version}\"")
}

/// What a request's `If-Match` asks of the task it changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfMatch {
    /// No `If-Match`: a change to an existing task is refused (428).
    Missing,
    /// `If-Match: *`: any version.
    Any,
    /// `If-Match: "v<n>"`: only version `n`.
    Version(i32),
    /// A value no task's tag can equal: always 412.
    Unmatchable,
}

impl IfMatch {
    /// Reads the header value (the request's only `If-Match`, if any).
    pub fn parse(value: Option<&HeaderValue>) -> Self {
        // starter: `None` is `Missing`; `*` is `Any`; `"v<n>"` (the quotes included, `n` a
        // whole number) is `Version(n)`; anything else is `Unmatchable`.
        // stand-in: let _ = value;
        // Self::Any
        let Some(value) = value else {
            return Self::Missing;
        };
        let Ok(value) = value.to_str() else {
            return Self::Unmatchable;
        };
        let value = value.trim();
        if value == "*" {
            return Self::Any;
        }
        // Strong comparison: the tag must be one this service makes, to the
        // letter (`"v02"` is not `"v2"`, `"v+2"` is nothing).
        value
            .strip_prefix("\"v")
            .and_then(|rest| rest.strip_suffix('"'))
            .and_then(|digits| digits.parse().ok())
            .filter(|version| *version >= 0 && etag(*version) == value)
            .map_or(Self::Unmatchable, Self::Version)
    }
}

impl IfMatch {
    /// The versions this `If-Match` lets a change overwrite; `None`: no
    /// change may be written (the header is missing, or no version has its tag).
    pub fn expected(self) -> Option<Expected> {
        match self {
            Self::Any => Some(Expected::Any),
            Self::Version(version) => Some(Expected::Version(version)),
            Self::Missing | Self::Unmatchable => None,
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = Infallible;

    /// Two `If-Match` headers are a list, which holds more than one tag.
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        let mut values = parts.headers.get_all(header::IF_MATCH).iter();
        Ok(match (values.next(), values.next()) {
            (first, None) => Self::parse(first),
            (Some(_), Some(_)) => Self::Unmatchable,
            (None, Some(_)) => unreachable!("a second value without a first"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(value: &str) -> IfMatch {
        IfMatch::parse(Some(&HeaderValue::from_str(value).unwrap()))
    }

    #[test]
    fn reads_its_own_tags_and_the_star() {
        assert_eq!(IfMatch::parse(None), IfMatch::Missing);
        assert_eq!(parsed("*"), IfMatch::Any);
        assert_eq!(parsed(" \"v0\" "), IfMatch::Version(0));
        assert_eq!(parsed(&etag(41)), IfMatch::Version(41));
    }

    #[test]
    fn anything_else_matches_no_version() {
        for value in [
            "v3",
            "\"3\"",
            "W/\"v3\"",
            "\"v3\", \"v4\"",
            "\"v\"",
            "\"v-1\"",
            "\"v+1\"",
            "\"v99999999999\"",
            "\"v02\"",
            "\"v00\"",
            "\"v 2\"",
            "**",
            "",
        ] {
            assert_eq!(parsed(value), IfMatch::Unmatchable, "{value:?}");
        }
    }
}
