//! In-process tests of a lesson: its router, built as the binary builds it, on
//! a SQLite database of its own, driven with `tower::ServiceExt::oneshot`
//! (no port, no process, no HTTP client).
//!
//! A test in a lesson crate's `tests/` (with `tokio` and `serde_json` as
//! dev-dependencies):
//!
//! ```ignore
//! use axum::http::StatusCode;
//! use serde_json::json;
//!
//! #[tokio::test]
//! async fn a_created_task_reads_back() {
//!     let app = shared::testing::app::<my_lesson::Lesson>().await;
//!     let alice = app.sign_up("alice@example.com").await;
//!     let body = json!({"title": "Plan the sprint"});
//!     let (status, task) = app.post("/api/v1/tasks", Some(alice), body).await;
//!     assert_eq!(status, StatusCode::CREATED);
//!     let path = format!("/api/v1/tasks/{}", task["id"].as_str().unwrap());
//!     assert_eq!(app.get(&path, Some(alice)).await, (StatusCode::OK, task));
//! }
//! ```

use std::sync::Arc;

use axum::{
    Router,
    body::Body,
    http::{HeaderMap, Method, Request, StatusCode, header},
};
use clap::{Args, Command, FromArgMatches};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tempfile::TempDir;
use tower::ServiceExt;
use uuid::Uuid;

use crate::{
    app::Lesson,
    config::Config,
    db::{self, Database, Purpose},
    migrate,
    server::{self, InFlight},
    state::AppState,
};

/// The password [`TestApp::sign_up`] gives every user, for tests that need it.
pub const PASSWORD: &str = "correct horse battery";

/// One lesson's application on a fresh, migrated database that lives as long as it does.
pub struct TestApp {
    router: Router,
    state: AppState,
    /// Declared last, so it is dropped after the pools that hold its file.
    _dir: TempDir,
}

/// Lesson `L` as its binary would serve it, on an empty SQLite file in a new temporary directory.
pub async fn app<L: Lesson>() -> TestApp {
    app_with::<L>(&[]).await
}

/// Like [`app`], with flags such as `["--db-pool-max", "1"]`, for a test about a setting.
///
/// Only the defaults and these flags count: unlike the binary, a test reads
/// neither the environment nor `.env`, so it passes the same on every machine.
pub async fn app_with<L: Lesson>(flags: &[&str]) -> TestApp {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join(format!("{}.db", L::NAME)).display()
    );
    let config = config(&url, flags);

    // As `serve` does: migrate on a connection of its own, closed before the application's open.
    let migrator = db::connect(&config, L::NAME, Purpose::Migrate)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    migrate::up::<L::Migrator>(&migrator)
        .await
        .unwrap_or_else(|err| panic!("migration failed: {err}"));
    let _ = migrator.close().await;

    let db = L::open(&config, L::NAME)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let state = AppState {
        db,
        config: Arc::new(config),
    };
    let routes = L::probes().merge(L::routes());
    TestApp {
        router: server::router(routes, state.clone(), InFlight::default()),
        state,
        _dir: dir,
    }
}

/// The configuration of `--database-url URL FLAGS…`, from flags and defaults only.
fn config(url: &str, flags: &[&str]) -> Config {
    let command = Config::augment_args(Command::new("test")).mut_args(|arg| arg.env(None::<&str>));
    let args = ["test", "--database-url", url]
        .into_iter()
        .chain(flags.iter().copied());
    let config = command
        .try_get_matches_from(args)
        .and_then(|matches| Config::from_arg_matches(&matches))
        .unwrap_or_else(|err| panic!("flags {flags:?}: {err}"));
    config
        .validate()
        .unwrap_or_else(|err| panic!("flags {flags:?}: {err}"));
    config
}

impl TestApp {
    /// The whole application, middleware included, for requests the helpers below do not build.
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    /// The application's connections, to prepare or inspect rows behind the API's back.
    pub fn db(&self) -> &Database {
        &self.state.db
    }

    /// Sends one request, as `user` (`X-User-Id`) if given, with `body` as JSON
    /// if given; returns the status and the JSON body (`null` when empty).
    pub async fn request(
        &self,
        method: Method,
        uri: &str,
        user: Option<Uuid>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let (status, _, body) = self.exchange(method, uri, user, &[], body).await;
        (status, body)
    }

    /// Like [`request`](Self::request), with more `headers`, returning the
    /// answer's headers too (for `ETag`, `Retry-After` and the like).
    pub async fn exchange(
        &self,
        method: Method,
        uri: &str,
        user: Option<Uuid>,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> (StatusCode, HeaderMap, Value) {
        let shown = format!("{method} {uri}");
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(user) = user {
            request = request.header("x-user-id", user.to_string());
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = match body {
            Some(body) => request
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string())),
            None => request.body(Body::empty()),
        }
        .unwrap_or_else(|err| panic!("{shown}: not a request: {err}"));

        let Ok(response) = self.router().oneshot(request).await;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .unwrap_or_else(|err| panic!("{shown}: the body could not be read: {err}"))
            .to_bytes();
        if bytes.is_empty() {
            return (status, headers, Value::Null);
        }
        let json = serde_json::from_slice(&bytes).unwrap_or_else(|err| {
            let text = String::from_utf8_lossy(&bytes);
            panic!("{shown}: {status} with a body that is not JSON ({err}): {text}")
        });
        (status, headers, json)
    }

    /// `GET uri`, as `user` if given.
    pub async fn get(&self, uri: &str, user: Option<Uuid>) -> (StatusCode, Value) {
        self.request(Method::GET, uri, user, None).await
    }

    /// `POST uri` with a JSON body, as `user` if given.
    pub async fn post(&self, uri: &str, user: Option<Uuid>, body: Value) -> (StatusCode, Value) {
        self.request(Method::POST, uri, user, Some(body)).await
    }

    /// From lesson 3 on: signs up a user (with [`PASSWORD`]) to act as `X-User-Id`; returns its id.
    pub async fn sign_up(&self, email: &str) -> Uuid {
        let body = json!({"email": email, "password": PASSWORD});
        let (status, user) = self.post("/api/v1/users", None, body).await;
        assert_eq!(status, StatusCode::CREATED, "signing up {email}: {user}");
        user["id"]
            .as_str()
            .and_then(|id| Uuid::parse_str(id).ok())
            .unwrap_or_else(|| panic!("signing up {email}: no id in {user}"))
    }
}
