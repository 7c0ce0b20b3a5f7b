//! Lesson 7 in process. Run with `cargo test -p ex07-indexing`.

use axum::http::StatusCode;
use serde_json::{Value, json};
use shared::testing;

/// The titles of a list answer, in the order given.
fn titles(list: &Value) -> Vec<&str> {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|task| task["title"].as_str().unwrap())
        .collect()
}

/// The list honours `sort`: oldest first by default, by due date either way
/// with undated tasks last in both directions.
#[tokio::test]
async fn the_list_honours_sort() {
    let app = testing::app::<ex07_indexing::Lesson>().await;
    let alice = app.sign_up("alice@example.com").await;
    for (title, due) in [
        ("May", json!("2026-05-01")),
        ("Someday", json!(null)),
        ("March", json!("2026-03-01")),
        ("April", json!("2026-04-01")),
    ] {
        let body = json!({"title": title, "dueDate": due});
        let (status, _) = app.post("/api/v1/tasks", Some(alice), body).await;
        assert_eq!(status, StatusCode::CREATED);
    }

    for (query, expected) in [
        ("", ["May", "Someday", "March", "April"]),
        ("?sort=-created_at", ["April", "March", "Someday", "May"]),
        ("?sort=due_date", ["March", "April", "May", "Someday"]),
        ("?sort=-due_date", ["May", "April", "March", "Someday"]),
    ] {
        let (status, list) = app.get(&format!("/api/v1/tasks{query}"), Some(alice)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(titles(&list), expected, "GET /api/v1/tasks{query}");
    }
}
