//! Lesson 3 in process: the router the binary serves, on a database of its
//! own, called without a port. Run with `cargo test -p ex03-repository`.

use axum::http::StatusCode;
use serde_json::json;
use shared::testing;
use uuid::Uuid;

/// A task reads back for its owner; for another user it is 404, answered
/// exactly like a task that does not exist.
#[tokio::test]
async fn a_task_is_visible_to_its_owner_only() {
    let app = testing::app::<ex03_repository::Lesson>().await;
    let alice = app.sign_up("alice@example.com").await;
    let bob = app.sign_up("bob@example.com").await;

    let body = json!({"title": "Plan the sprint"});
    let (status, created) = app.post("/api/v1/tasks", Some(alice), body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["userId"], alice.to_string());
    assert_eq!(created["done"], false);

    let path = format!("/api/v1/tasks/{}", created["id"].as_str().unwrap());
    let (status, read) = app.get(&path, Some(alice)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read, created);

    let (status, hidden) = app.get(&path, Some(bob)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(hidden["error"]["code"], "NOT_FOUND");
    let missing = format!("/api/v1/tasks/{}", Uuid::now_v7());
    let (status, absent) = app.get(&missing, Some(bob)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(hidden["error"]["message"], absent["error"]["message"]);
}
