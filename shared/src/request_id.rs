//! `X-Request-Id`: a client's own id is kept if it is 1..=128 visible ASCII
//! characters; any other request gets a new UUIDv7.

use axum::{
    extract::Request,
    http::{HeaderName, HeaderValue},
};
use tower_http::request_id::{MakeRequestId, RequestId};

/// The request id header, read from clients and set on every answer.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The request's id, once [`NewRequestId`] has made sure it has one.
pub fn of(request: &Request) -> Option<&str> {
    request
        .headers()
        .get(REQUEST_ID)
        .and_then(|id| id.to_str().ok())
}

/// A client's request id is kept only if it is 1..=128 visible ASCII characters.
fn is_valid(value: &HeaderValue) -> bool {
    (1..=128).contains(&value.len()) && value.as_bytes().iter().all(|b| b.is_ascii_graphic())
}

/// Removes a client's id that is not valid, so that a new one is made.
pub fn drop_invalid(request: &mut Request) {
    if request
        .headers()
        .get(REQUEST_ID)
        .is_some_and(|id| !is_valid(id))
    {
        request.headers_mut().remove(REQUEST_ID);
    }
}

/// New request ids are UUIDs v7, like every other id here.
#[derive(Debug, Clone, Copy)]
pub struct NewRequestId;

impl MakeRequestId for NewRequestId {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
        let id = uuid::Uuid::now_v7().hyphenated().encode_lower(&mut text);
        HeaderValue::from_str(id).ok().map(RequestId::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_visible_ascii_up_to_128() {
        let ok = |s: &str| is_valid(&HeaderValue::from_str(s).unwrap());
        assert!(ok("abc-123"));
        assert!(ok(&"x".repeat(128)));
        assert!(!ok(&"x".repeat(129)));
        assert!(!ok("has space"));
        assert!(!ok(""));
    }
}
