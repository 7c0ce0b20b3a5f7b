//! Lesson 8 in process. Run with `cargo test -p ex08-pagination`.

use axum::http::StatusCode;
use serde_json::json;
use shared::testing;

/// Of 25 tasks, `limit=10&offset=10` is rows 11 to 20 of the whole list,
/// and `meta.total` counts all 25.
#[tokio::test]
async fn an_offset_page_is_a_slice_of_the_list() {
    let app = testing::app::<ex08_pagination::Lesson>().await;
    let alice = app.sign_up("alice@example.com").await;
    for i in 0..25 {
        let body = json!({"title": format!("task {i:02}")});
        let (status, _) = app.post("/api/v1/tasks", Some(alice), body).await;
        assert_eq!(status, StatusCode::CREATED);
    }

    let (_, everything) = app.get("/api/v1/tasks?limit=100", Some(alice)).await;
    let all = everything["data"].as_array().unwrap();
    assert_eq!(all.len(), 25);

    let (status, page) = app
        .get("/api/v1/tasks?limit=10&offset=10", Some(alice))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["data"].as_array().unwrap(), &all[10..20]);
    let meta = json!({"total": 25, "limit": 10, "offset": 10});
    assert_eq!(page["meta"], meta);
}
