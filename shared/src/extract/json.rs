use std::collections::BTreeMap;

use axum::{
    body::{Body, Bytes},
    extract::{FromRequest, Request},
    http::{HeaderMap, header},
};
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, value::RawValue};

use super::{Validate, describe, field_of, rejection};
use crate::error::{ApiError, ErrorCode, FieldError};

/// Largest accepted request body, in bytes.
pub const MAX_BODY_BYTES: usize = 65_536;

/// A body over the limit is still read (and dropped) up to this size before
/// the 413 goes out: a server that closes a connection with unread data makes
/// the kernel reset it, and the client may never see the answer.
const DRAIN_BYTES: usize = 4 * 1024 * 1024;

/// A JSON body of type `T`, checked in the contract's order: 413 too large,
/// 415 not `application/json`, 400 not JSON, 422 the wrong shape or values,
/// with one detail per field at fault.
#[derive(Debug, Clone, Copy, Default)]
pub struct ValidJson<T>(pub T);

impl<S, T> FromRequest<S> for ValidJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Validate,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, ApiError> {
        let (parts, body) = request.into_parts();
        let declared_too_large =
            declared_length(&parts.headers).is_some_and(|length| length > MAX_BODY_BYTES);
        let bytes = read_limited(body).await?;
        if declared_too_large {
            return Err(too_large());
        }
        if !is_json(&parts.headers) {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "send the body as Content-Type: application/json",
            ));
        }
        // Most bodies are right: one pass straight into `T`. Only a body that
        // fails it is read again, field by field, to name every field at fault.
        // (An object only: serde would also read a struct from an array.)
        if bytes.trim_ascii_start().starts_with(b"{")
            && let Ok(parsed) = serde_json::from_slice::<T>(&bytes)
            && parsed.validate().is_ok()
        {
            return Ok(ValidJson(parsed));
        }
        let value: Box<RawValue> = serde_json::from_slice(&bytes)
            .map_err(|_| ApiError::new(ErrorCode::MalformedJson, "the body is not valid JSON"))?;
        let Ok(fields) = serde_json::from_str::<BTreeMap<String, Box<RawValue>>>(value.get())
        else {
            return Err(invalid(vec![FieldError::new(
                "body",
                "must be a JSON object",
            )]));
        };
        let (object, out_of_range) = values_in_range(fields);
        parse_object(object, out_of_range)
            .map(ValidJson)
            .map_err(invalid)
    }
}

/// Each field's value, and a problem for each field holding a number that no
/// Rust number can hold (`1e400`): well-formed JSON, so 422, not 400. Read
/// as raw text first, the syntax is checked without converting numbers.
fn values_in_range(
    fields: BTreeMap<String, Box<RawValue>>,
) -> (Map<String, Value>, Vec<FieldError>) {
    let mut object = Map::new();
    let mut problems = Vec::new();
    for (field, raw) in fields {
        match serde_json::from_str::<Value>(raw.get()) {
            Ok(value) => {
                object.insert(field, value);
            }
            Err(_) => problems.push(FieldError::new(field, "holds a number out of range")),
        }
    }
    (object, problems)
}

/// Deserializes `T`, collecting a detail for every field at fault: a key of the
/// wrong type or unknown is recorded and removed, and the rest tried again, so
/// one answer names them all; then the value's own rules are checked.
fn parse_object<T: DeserializeOwned + Validate>(
    mut object: Map<String, Value>,
    mut problems: Vec<FieldError>,
) -> Result<T, Vec<FieldError>> {
    let parsed = loop {
        match serde_path_to_error::deserialize::<_, T>(Value::Object(object.clone())) {
            Ok(parsed) => break Some(parsed),
            Err(err) => {
                let field = field_of(&err);
                let known = problems.iter().any(|p| p.field == field);
                if !known {
                    problems.push(FieldError::new(field.clone(), describe(&err)));
                }
                let key = field.split(['.', '[']).next().unwrap_or_default();
                if known || object.remove(key).is_none() {
                    break None;
                }
            }
        }
    };
    if let Some(Err(failures)) = parsed.as_ref().map(Validate::validate) {
        for failure in failures {
            if !problems.iter().any(|p| p.field == failure.field) {
                problems.push(failure);
            }
        }
    }
    match parsed {
        Some(parsed) if problems.is_empty() => Ok(parsed),
        _ => Err(problems),
    }
}

/// For a field that may be left out but not set to `null`:
/// `#[serde(default, deserialize_with = "shared::extract::non_null")]`.
pub fn non_null<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// Reads the body, keeping at most [`MAX_BODY_BYTES`]; a larger body is 413
/// once it has been drained (up to [`DRAIN_BYTES`]).
async fn read_limited(mut body: Body) -> Result<Bytes, ApiError> {
    let mut kept = Vec::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame
            .map_err(|_| ApiError::new(ErrorCode::MalformedJson, "the body could not be read"))?;
        let Some(data) = frame.data_ref() else {
            continue;
        };
        seen += data.len();
        if seen <= MAX_BODY_BYTES {
            kept.extend_from_slice(data);
        } else if seen > DRAIN_BYTES {
            break;
        }
    }
    if seen > MAX_BODY_BYTES {
        Err(too_large())
    } else {
        Ok(Bytes::from(kept))
    }
}

/// For a field that may be left out (`None`), set to `null` (`Some(None)`) or
/// given (`Some(Some(value))`), as PATCH needs to clear a value:
/// `#[serde(default, deserialize_with = "shared::extract::nullable")]`.
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}

fn invalid(details: Vec<FieldError>) -> ApiError {
    rejection(ErrorCode::ValidationFailed, "invalid fields", details)
}

fn too_large() -> ApiError {
    ApiError::new(
        ErrorCode::PayloadTooLarge,
        format!("the body is larger than {MAX_BODY_BYTES} bytes"),
    )
}

fn declared_length(headers: &HeaderMap) -> Option<usize> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// `application/json`, or any `application/…+json`, with or without parameters.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(content_type) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Sample {
        title: String,
        done: Option<bool>,
    }

    impl Validate for Sample {
        fn validate(&self) -> Result<(), Vec<FieldError>> {
            let mut problems = super::super::Problems::default();
            problems.check(!self.title.trim().is_empty(), "title", "must not be blank");
            problems.finish()
        }
    }

    fn fields(json: &str) -> Vec<String> {
        let Value::Object(object) = serde_json::from_str(json).unwrap() else {
            panic!()
        };
        match parse_object::<Sample>(object, Vec::new()) {
            Ok(_) => vec![],
            Err(problems) => problems.into_iter().map(|p| p.field).collect(),
        }
    }

    #[test]
    fn names_every_field_at_fault() {
        assert_eq!(fields(r#"{"title":"a"}"#), Vec::<String>::new());
        assert_eq!(fields(r#"{}"#), ["title"]);
        assert_eq!(
            fields(r#"{"title":5,"done":"x","colour":1}"#),
            ["colour", "done", "title"]
        );
        assert_eq!(fields(r#"{"title":" ","done":"x"}"#), ["done", "title"]);
        assert_eq!(fields(r#"{"title":null}"#), ["title"]);
    }

    #[test]
    fn numbers_out_of_range_are_named_not_malformed() {
        let fields: BTreeMap<String, Box<RawValue>> =
            serde_json::from_str(r#"{"title": "x", "done": -1e400}"#).unwrap();
        let (object, problems) = values_in_range(fields);
        assert_eq!(object.keys().collect::<Vec<_>>(), ["title"]);
        assert_eq!(
            problems,
            [FieldError::new("done", "holds a number out of range")]
        );
    }

    #[test]
    fn recognises_json_content_types() {
        let with = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, value.parse().unwrap());
            is_json(&headers)
        };
        assert!(with("application/json"));
        assert!(with("Application/JSON; charset=utf-8"));
        assert!(with("application/merge-patch+json"));
        assert!(!with("text/plain"));
        assert!(!is_json(&HeaderMap::new()));
    }
}
