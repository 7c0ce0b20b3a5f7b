//! Lesson 5 in process. Run with `cargo test -p ex05-unique-title`.

use axum::http::StatusCode;
use serde_json::json;
use shared::testing;

/// A second task with a title the caller already has is 409
/// `DUPLICATE_TITLE` and writes nothing; another user may use the title.
#[tokio::test]
async fn a_title_is_unique_per_user() {
    let app = testing::app::<ex05_unique_title::Lesson>().await;
    let alice = app.sign_up("alice@example.com").await;
    let bob = app.sign_up("bob@example.com").await;
    let task = json!({"title": "Plan the sprint"});

    let (status, _) = app.post("/api/v1/tasks", Some(alice), task.clone()).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, again) = app.post("/api/v1/tasks", Some(alice), task.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(again["error"]["code"], "DUPLICATE_TITLE");

    let (_, list) = app.get("/api/v1/tasks", Some(alice)).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    let (status, _) = app.post("/api/v1/tasks", Some(bob), task).await;
    assert_eq!(status, StatusCode::CREATED);
}
