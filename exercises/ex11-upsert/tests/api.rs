//! Lesson 11 in process. Run with `cargo test -p ex11-upsert`.

use axum::http::{Method, StatusCode};
use serde_json::json;
use shared::testing;
use uuid::Uuid;

/// A PUT to a new id creates the task with that id (201); a second PUT
/// replaces it (200, absent fields reset); another user's PUT to it is 404.
#[tokio::test]
async fn put_creates_then_replaces_and_never_hijacks() {
    let app = testing::app::<ex11_upsert::Lesson>().await;
    let alice = app.sign_up("alice@example.com").await;
    let bob = app.sign_up("bob@example.com").await;
    let uri = format!("/api/v1/tasks/{}", Uuid::now_v7());
    let put = |user, body| app.request(Method::PUT, &uri, Some(user), Some(body));

    let (status, created) = put(alice, json!({"title": "Plan", "done": true})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, replaced) = put(alice, json!({"title": "Plan again"})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(replaced["id"], created["id"]);
    assert_eq!(replaced["done"], false, "an absent field is reset");

    let (status, _) = put(bob, json!({"title": "Mine now"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, still) = app.get(&uri, Some(alice)).await;
    assert_eq!(still["title"], "Plan again");
}
