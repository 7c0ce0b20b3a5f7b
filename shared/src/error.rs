//! One error shape for every failure, from any layer:
//! `{"error":{"code","message","requestId","details"?}}`.
//!
//! Handlers, extractors, fallbacks and the panic handler all return an
//! [`ApiError`]. Its response carries the error as an extension; the
//! [`render`] middleware, which knows the request id, writes the body. So no
//! error can reach a client in another shape or without its request id.

use std::borrow::Cow;

use axum::{
    Json,
    extract::Request,
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use sea_orm::DbErr;
use serde::Serialize;

/// The `code` of an error: the part of the contract a client may rely on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    MalformedJson,
    InvalidQuery,
    ConstraintViolation,
    Unauthenticated,
    NotFound,
    MethodNotAllowed,
    DuplicateTitle,
    DuplicateEmail,
    UserHasTasks,
    LockTimeout,
    PreconditionFailed,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
    PreconditionRequired,
    Internal,
    ServiceUnavailable,
}

impl ErrorCode {
    pub const fn status(self) -> StatusCode {
        match self {
            Self::MalformedJson | Self::InvalidQuery | Self::ConstraintViolation => {
                StatusCode::BAD_REQUEST
            }
            Self::Unauthenticated => StatusCode::UNAUTHORIZED,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::DuplicateTitle
            | Self::DuplicateEmail
            | Self::UserHasTasks
            | Self::LockTimeout => StatusCode::CONFLICT,
            Self::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::ValidationFailed => StatusCode::UNPROCESSABLE_ENTITY,
            Self::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

/// One problem with one field of a body or query string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// An error answer, rendered into the envelope by [`render`].
#[derive(Debug, Clone)]
pub struct ApiError {
    code: ErrorCode,
    message: Cow<'static, str>,
    details: Vec<FieldError>,
    retry_after_secs: Option<u32>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            message: message.into(),
            details: Vec::new(),
            retry_after_secs: None,
        }
    }

    pub fn with_details(mut self, details: Vec<FieldError>) -> Self {
        self.details = details;
        self
    }

    /// Adds `Retry-After: secs` to the answer.
    pub fn with_retry_after(mut self, secs: u32) -> Self {
        self.retry_after_secs = Some(secs);
        self
    }

    pub fn not_found(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    /// 500 with a message that tells nothing of the cause; log the cause before.
    pub fn internal() -> Self {
        Self::new(ErrorCode::Internal, "internal error")
    }

    /// 503 with `Retry-After: 1`.
    pub fn unavailable() -> Self {
        Self::new(
            ErrorCode::ServiceUnavailable,
            "the database is unavailable, try again",
        )
        .with_retry_after(1)
    }

    pub fn code(&self) -> ErrorCode {
        self.code
    }

    pub fn details(&self) -> &[FieldError] {
        &self.details
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = self.code.status().into_response();
        if let Some(secs) = self.retry_after_secs {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response.extensions_mut().insert(self);
        response
    }
}

/// Unavailability is 503; anything else the database says is a 500 whose
/// cause goes to the log, never to the client.
impl From<DbErr> for ApiError {
    fn from(err: DbErr) -> Self {
        if crate::db::is_unavailable(&err) {
            tracing::warn!(error = %err, "database unavailable");
            Self::unavailable()
        } else {
            tracing::error!(error = %err, "database error");
            Self::internal()
        }
    }
}

#[derive(Serialize)]
struct Envelope<'a> {
    error: Body<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Body<'a> {
    code: ErrorCode,
    message: &'a str,
    request_id: Option<&'a str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    details: &'a [FieldError],
}

/// Middleware: writes the envelope of any [`ApiError`] answer, with the request id.
pub async fn render(request: Request, next: Next) -> Response {
    let request_id = request
        .headers()
        .get(crate::request_id::REQUEST_ID)
        .cloned();
    let response = next.run(request).await;
    let Some(error) = response.extensions().get::<ApiError>().cloned() else {
        return response;
    };
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    let body = Envelope {
        error: Body {
            code: error.code,
            message: &error.message,
            request_id: request_id.as_ref().and_then(|id| id.to_str().ok()),
            details: &error.details,
        },
    };
    let rendered = Json(body).into_response();
    let (rendered_parts, rendered_body) = rendered.into_parts();
    parts.headers.extend(rendered_parts.headers);
    Response::from_parts(parts, rendered_body)
}
