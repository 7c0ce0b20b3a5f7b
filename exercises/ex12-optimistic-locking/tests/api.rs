//! Lesson 12 in process. Run with `cargo test -p ex12-optimistic-locking`.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use shared::testing::{self, TestApp};
use uuid::Uuid;

async fn patch(
    app: &TestApp,
    user: Uuid,
    uri: &str,
    if_match: Option<&str>,
    body: Value,
) -> (StatusCode, Value) {
    let headers: Vec<(&str, &str)> = if_match.map(|tag| ("if-match", tag)).into_iter().collect();
    let (status, _, body) = app
        .exchange(Method::PATCH, uri, Some(user), &headers, Some(body))
        .await;
    (status, body)
}

/// A task starts at version 0 with `ETag: "v0"`; a PATCH needs `If-Match`
/// (428), a stale one is 412, the current one or `*` applies and bumps the
/// version by one; another user's task is 404 whatever `If-Match` says.
#[tokio::test]
async fn if_match_guards_every_change() {
    let app = testing::app::<ex12_optimistic_locking::Lesson>().await;
    let alice = app.sign_up("alice@example.com").await;
    let bob = app.sign_up("bob@example.com").await;
    let (status, task) = app
        .post("/api/v1/tasks", Some(alice), json!({"title": "Plan"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(task["version"], 0);
    let uri = format!("/api/v1/tasks/{}", task["id"].as_str().unwrap());

    let (status, headers, _) = app
        .exchange(Method::GET, &uri, Some(alice), &[], None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["etag"], "\"v0\"");

    let body = json!({"done": true});
    let (status, error) = patch(&app, alice, &uri, None, body.clone()).await;
    assert_eq!(status, StatusCode::PRECONDITION_REQUIRED);
    assert_eq!(error["error"]["code"], "PRECONDITION_REQUIRED");
    let (status, _) = patch(&app, alice, &uri, Some("\"v7\""), body.clone()).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    let (status, patched) = patch(&app, alice, &uri, Some("\"v0\""), body.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(patched["version"], 1);
    let (status, _) = patch(&app, alice, &uri, Some("\"v0\""), body.clone()).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED, "v0 is stale now");
    let (status, patched) = patch(&app, alice, &uri, Some("*"), body.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(patched["version"], 2);

    for if_match in [None, Some("*"), Some("\"v2\""), Some("\"v0\"")] {
        let (status, _) = patch(&app, bob, &uri, if_match, body.clone()).await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "bob with If-Match {if_match:?}"
        );
    }
}

/// A PUT to a free id creates without `If-Match`; replacing needs it.
#[tokio::test]
async fn put_replaces_only_with_if_match() {
    let app = testing::app::<ex12_optimistic_locking::Lesson>().await;
    let alice = app.sign_up("alice@example.com").await;
    let uri = format!("/api/v1/tasks/{}", Uuid::now_v7());
    let put = |if_match: &'static [(&'static str, &'static str)], title: &str| {
        app.exchange(
            Method::PUT,
            &uri,
            Some(alice),
            if_match,
            Some(json!({"title": title})),
        )
    };
    let (status, headers, created) = put(&[], "Plan").await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(created["version"], 0);
    assert_eq!(headers["etag"], "\"v0\"");
    let (status, _, _) = put(&[], "Plan again").await;
    assert_eq!(status, StatusCode::PRECONDITION_REQUIRED);
    let (status, _, _) = put(&[("if-match", "\"v1\"")], "Plan again").await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    let (status, _, replaced) = put(&[("if-match", "\"v0\"")], "Plan again").await;
    assert_eq!(
        (status, replaced["version"].clone()),
        (StatusCode::OK, json!(1))
    );
    let (status, _, replaced) = put(&[("if-match", "*")], "Plan once more").await;
    assert_eq!(
        (status, replaced["version"].clone()),
        (StatusCode::OK, json!(2))
    );
}
