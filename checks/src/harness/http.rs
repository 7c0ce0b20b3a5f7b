//! Talking to a [`RunningApp`] over HTTP.

use reqwest::{Method, header::HeaderMap};
use serde_json::Value;
use uuid::Uuid;

use super::{Failure, RunningApp, feedback};

/// A request being built; sent with [`Request::send`].
pub struct Request {
    label: String,
    builder: reqwest::RequestBuilder,
    last: feedback::LastRequest,
}

impl RunningApp {
    pub fn request(&self, method: Method, path: &str) -> Request {
        Request {
            label: format!("{method} {path}"),
            builder: self
                .client
                .request(method, format!("{}{path}", self.base_url())),
            last: self.last_request.clone(),
        }
    }

    pub fn get(&self, path: &str) -> Request {
        self.request(Method::GET, path)
    }

    pub fn post(&self, path: &str) -> Request {
        self.request(Method::POST, path)
    }

    pub fn patch(&self, path: &str) -> Request {
        self.request(Method::PATCH, path)
    }

    pub fn put(&self, path: &str) -> Request {
        self.request(Method::PUT, path)
    }

    pub fn delete(&self, path: &str) -> Request {
        self.request(Method::DELETE, path)
    }
}

impl Request {
    /// Acts as this user (`X-User-Id`).
    pub fn user(self, id: Uuid) -> Self {
        self.header("x-user-id", &id.to_string())
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.builder = self.builder.header(name, value);
        self
    }

    /// A JSON body with `Content-Type: application/json`.
    pub fn json(mut self, body: &Value) -> Self {
        self.builder = self.builder.json(body);
        self
    }

    /// A raw body with the given content type.
    pub fn body(mut self, content_type: &str, body: impl Into<reqwest::Body>) -> Self {
        self.builder = self.builder.header("content-type", content_type).body(body);
        self
    }

    pub async fn send(self) -> Result<Reply, Failure> {
        let curl = self
            .builder
            .try_clone()
            .and_then(|builder| builder.build().ok())
            .map(|request| feedback::curl(&request));
        let sent = self.builder.send().await;
        let request_id = sent.as_ref().ok().and_then(|response| {
            response
                .headers()
                .get("x-request-id")
                .and_then(|id| id.to_str().ok())
                .map(str::to_owned)
        });
        if let Some(curl) = curl {
            self.last.record(curl, request_id);
        }
        let response =
            sent.map_err(|err| Failure::Failed(format!("{}: no answer: {err}", self.label)))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.map_err(|err| {
            Failure::Failed(format!("{}: body could not be read: {err}", self.label))
        })?;
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok(Reply {
            label: self.label,
            status,
            headers,
            text,
            json,
        })
    }
}

/// An answer from the server.
#[derive(Debug, Clone)]
pub struct Reply {
    /// `METHOD /path`, for messages.
    pub label: String,
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
    /// The body as JSON, or `Null` if it is not JSON.
    pub json: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `error.code` of an error envelope.
    pub fn code(&self) -> Option<&str> {
        self.json.pointer("/error/code").and_then(Value::as_str)
    }

    /// A short form of the body for messages.
    pub fn brief(&self) -> String {
        let text = self.text.trim();
        if text.chars().count() > 300 {
            format!("{}…", text.chars().take(300).collect::<String>())
        } else {
            text.to_owned()
        }
    }

    /// Fails unless the status is `status`.
    pub fn expect(&self, status: u16) -> Result<&Self, Failure> {
        if self.status == status {
            Ok(self)
        } else {
            Err(Failure::Failed(format!(
                "{}: expected status {status}, got {} {}",
                self.label,
                self.status,
                self.brief()
            )))
        }
    }

    /// Fails unless this is the error envelope with `status` and `code`.
    pub fn expect_error(&self, status: u16, code: &str) -> Result<&Self, Failure> {
        if self.status == status && self.code() == Some(code) {
            Ok(self)
        } else {
            Err(Failure::Failed(format!(
                "{}: expected {status} {code}, got {} {}",
                self.label,
                self.status,
                self.brief()
            )))
        }
    }

    /// Fails unless this is 400 `INVALID_QUERY` naming `parameter`.
    pub fn expect_invalid_query(&self, parameter: &str) -> Result<&Self, Failure> {
        self.expect_error(400, "INVALID_QUERY")?;
        if self.text.contains(parameter) {
            Ok(self)
        } else {
            Err(Failure::Failed(format!(
                "{}: the answer should name `{parameter}`: {}",
                self.label,
                self.brief()
            )))
        }
    }

    /// A string field of the JSON body, by JSON pointer (`/id`).
    pub fn str_at(&self, pointer: &str) -> Result<String, Failure> {
        self.json
            .pointer(pointer)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| {
                Failure::Failed(format!(
                    "{}: no string at {pointer} in {}",
                    self.label,
                    self.brief()
                ))
            })
    }

    /// The `id` of the body, as a UUID.
    pub fn id(&self) -> Result<Uuid, Failure> {
        let id = self.str_at("/id")?;
        Uuid::parse_str(&id)
            .map_err(|_| Failure::Failed(format!("{}: id {id:?} is not a UUID", self.label)))
    }

    /// The `data` array of a list answer.
    pub fn data(&self) -> Result<&Vec<Value>, Failure> {
        self.json
            .get("data")
            .and_then(Value::as_array)
            .ok_or_else(|| {
                Failure::Failed(format!(
                    "{}: no `data` array in {}",
                    self.label,
                    self.brief()
                ))
            })
    }
}
