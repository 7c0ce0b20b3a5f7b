//! Lesson 6 in process. Run with `cargo test -p ex06-due-date`.

use axum::http::{Method, StatusCode};
use serde_json::json;
use shared::testing;

/// `dueDate` is stored and read back as the same date, `null` clears it, and
/// a date not written exactly `YYYY-MM-DD` is 422 naming `dueDate`.
#[tokio::test]
async fn due_date_round_trips() {
    let app = testing::app::<ex06_due_date::Lesson>().await;
    let alice = app.sign_up("alice@example.com").await;

    let body = json!({"title": "File taxes", "dueDate": "2026-03-01"});
    let (status, created) = app.post("/api/v1/tasks", Some(alice), body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["dueDate"], "2026-03-01");
    let path = format!("/api/v1/tasks/{}", created["id"].as_str().unwrap());
    let (_, read) = app.get(&path, Some(alice)).await;
    assert_eq!(read["dueDate"], "2026-03-01");

    let clear = json!({"dueDate": null});
    let (status, cleared) = app
        .request(Method::PATCH, &path, Some(alice), Some(clear))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(cleared["dueDate"].is_null());

    let loose = json!({"title": "Loose date", "dueDate": "2026-3-1"});
    let (status, refused) = app.post("/api/v1/tasks", Some(alice), loose).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused["error"]["code"], "VALIDATION_FAILED");
    let field = &refused["error"]["details"][0]["field"];
    assert_eq!(field, "dueDate", "{refused}");
}
