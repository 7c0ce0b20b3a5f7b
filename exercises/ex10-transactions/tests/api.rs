//! Lesson 10 in process. Run with `cargo test -p ex10-transactions`.

use axum::{body::Body, http::Request, http::StatusCode};
use ex10_transactions::prelude::activity;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;
use shared::testing;
use tower::ServiceExt;

/// A create records one `CREATED` activity; when the activity insert fails
/// (the fault header), the task goes too: the transaction leaves no row.
#[tokio::test]
async fn a_create_and_its_activity_are_one_transaction() {
    let app = testing::app_with::<ex10_transactions::Lesson>(&["--workbook-faults", "1"]).await;
    let alice = app.sign_up("alice@example.com").await;

    let (status, task) = app
        .post("/api/v1/tasks", Some(alice), json!({"title": "Plan"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let uri = format!("/api/v1/tasks/{}/activities", task["id"].as_str().unwrap());
    let (status, activities) = app.get(&uri, Some(alice)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(activities["data"][0]["kind"], "CREATED");
    assert_eq!(activities["data"].as_array().unwrap().len(), 1);

    let refused = Request::post("/api/v1/tasks")
        .header("x-user-id", alice.to_string())
        .header("content-type", "application/json")
        .header("x-fault-fail-activity", "1")
        .body(Body::from(r#"{"title":"Never"}"#))
        .unwrap();
    let reply = app.router().oneshot(refused).await.unwrap();
    assert_eq!(reply.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let (_, list) = app.get("/api/v1/tasks", Some(alice)).await;
    assert_eq!(list["meta"]["total"], 1, "the refused create left its task");
    let rows = activity::Entity::find()
        .count(app.db().read())
        .await
        .unwrap();
    assert_eq!(rows, 1, "only the first create's activity");
}
