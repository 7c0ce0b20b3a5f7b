//! Lesson 9 in process. Run with `cargo test -p ex09-keyset-pagination`.

use axum::http::StatusCode;
use serde_json::{Value, json};
use shared::testing;

/// Following `meta.nextCursor` from `cursor=` visits each of 23 tasks once,
/// in the order they were created, in 5 pages of at most 5; the last page's
/// `nextCursor` is `null`.
#[tokio::test]
async fn a_cursor_walk_visits_every_task_once() {
    let app = testing::app::<ex09_keyset_pagination::Lesson>().await;
    let alice = app.sign_up("alice@example.com").await;
    let mut created = Vec::new();
    for i in 0..23 {
        let body = json!({"title": format!("task {i:02}")});
        let (status, task) = app.post("/api/v1/tasks", Some(alice), body).await;
        assert_eq!(status, StatusCode::CREATED);
        created.push(task["id"].clone());
    }

    let (mut visited, mut pages, mut cursor) = (Vec::new(), 0, String::new());
    loop {
        let uri = format!("/api/v1/tasks?cursor={cursor}&limit=5");
        let (status, page) = app.get(&uri, Some(alice)).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        pages += 1;
        assert!(pages <= 5, "still paging after 5 pages");
        let data = page["data"].as_array().unwrap();
        visited.extend(data.iter().map(|task| task["id"].clone()));
        match &page["meta"]["nextCursor"] {
            Value::String(next) => cursor = next.clone(),
            Value::Null => break,
            other => panic!("nextCursor should be a string or null, got {other}"),
        }
    }
    assert_eq!(pages, 5);
    assert_eq!(visited, created);
}
