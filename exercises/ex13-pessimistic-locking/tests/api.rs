//! Lesson 13 in process (SQLite). Run with `cargo test -p ex13-pessimistic-locking`.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use axum::http::{HeaderMap, Method, StatusCode};
use ex13_pessimistic_locking::Lesson;
use sea_orm::sqlx::{Connection, Executor, SqliteConnection};
use serde_json::{Value, json};
use shared::testing::{self, TestApp};
use tokio::task::JoinSet;
use uuid::Uuid;

/// A fresh task of `user`'s; its toggle's path.
async fn toggle_path(app: &TestApp, user: Uuid) -> String {
    let (status, task) = app
        .post("/api/v1/tasks", Some(user), json!({"title": "Plan"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    format!("/api/v1/tasks/{}/toggle", task["id"].as_str().unwrap())
}

/// `POST uri` as `user`, with `headers` and no body.
async fn toggle(
    app: &TestApp,
    user: Uuid,
    uri: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, HeaderMap, Value) {
    app.exchange(Method::POST, uri, Some(user), headers, None)
        .await
}

/// Starts a toggle that holds its lock `hold_ms`, and gives it time to take it.
async fn held_toggle(
    app: &Arc<TestApp>,
    user: Uuid,
    uri: &str,
    hold_ms: &'static str,
) -> tokio::task::JoinHandle<(StatusCode, HeaderMap, Value)> {
    let (app, uri) = (app.clone(), uri.to_owned());
    let held = tokio::spawn(async move {
        toggle(&app, user, &uri, &[("x-fault-hold-lock-ms", hold_ms)]).await
    });
    tokio::time::sleep(Duration::from_millis(150)).await;
    held
}

/// The writer comes back to its pool (it goes back a moment after its
/// request, by a task of the pool's) with no transaction open on it: a
/// `BEGIN` of its own is not nested in a leftover one.
async fn writer_is_free(app: &TestApp) {
    let writer = app.db().write().get_sqlite_connection_pool();
    let mut connection = tokio::time::timeout(Duration::from_millis(500), writer.acquire())
        .await
        .expect("the writer did not come back to its pool")
        .unwrap();
    connection
        .execute("BEGIN IMMEDIATE; ROLLBACK;")
        .await
        .expect("no transaction left open on the writer");
}

/// A toggle flips `done`, raises the version by one, moves `updated_at` and
/// answers the new `ETag`; twice, it is back where it was. Another user's,
/// a missing and a non-UUID task are 404; no caller is 401.
#[tokio::test]
async fn toggle_flips_and_bumps() {
    let app = testing::app::<Lesson>().await;
    let alice = app.sign_up("alice@example.com").await;
    let bob = app.sign_up("bob@example.com").await;
    let uri = toggle_path(&app, alice).await;
    let task_uri = uri.trim_end_matches("/toggle");
    let (_, before) = app.get(task_uri, Some(alice)).await;

    let (status, headers, toggled) = toggle(&app, alice, &uri, &[]).await;
    assert_eq!(status, StatusCode::OK, "{toggled}");
    assert_eq!(
        (toggled["done"].clone(), toggled["version"].clone()),
        (json!(true), json!(1))
    );
    assert_eq!(headers["etag"], "\"v1\"");
    assert!(toggled["updatedAt"].as_str() > before["updatedAt"].as_str());
    assert_eq!(toggled["title"], before["title"]);
    assert_eq!(app.get(task_uri, Some(alice)).await.1, toggled);

    let (_, _, again) = toggle(&app, alice, &uri, &[]).await;
    assert_eq!(
        (again["done"].clone(), again["version"].clone()),
        (json!(false), json!(2))
    );

    for (user, uri) in [
        (bob, uri.clone()),
        (alice, format!("/api/v1/tasks/{}/toggle", Uuid::now_v7())),
        (alice, "/api/v1/tasks/not-a-uuid/toggle".to_owned()),
    ] {
        let (status, _, error) = toggle(&app, user, &uri, &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(error["error"]["code"], "NOT_FOUND");
    }
    let (status, _) = app.request(Method::POST, &uri, None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (_, unchanged) = app.get(task_uri, Some(alice)).await;
    assert_eq!(unchanged["version"], 2, "bob's toggle left it alone");
}

/// A toggle that comes while another holds the lock (600 ms) waits for it,
/// then applies on top of it: both flips count.
#[tokio::test(flavor = "multi_thread")]
async fn a_second_toggle_waits_for_the_held_one() {
    let app = Arc::new(testing::app_with::<Lesson>(&["--workbook-faults", "1"]).await);
    let alice = app.sign_up("alice@example.com").await;
    let uri = toggle_path(&app, alice).await;

    let started = Instant::now();
    let held = held_toggle(&app, alice, &uri, "600").await;
    let (status, _, second) = toggle(&app, alice, &uri, &[]).await;
    let waited = started.elapsed();
    let (held_status, _, first) = held.await.unwrap();

    assert_eq!((held_status, status), (StatusCode::OK, StatusCode::OK));
    assert!(waited >= Duration::from_millis(550), "no wait: {waited:?}");
    assert_eq!(
        (first["done"].clone(), first["version"].clone()),
        (json!(true), json!(1))
    );
    assert_eq!(
        (second["done"].clone(), second["version"].clone()),
        (json!(false), json!(2))
    );
}

/// With `LOCK_TIMEOUT_MS` 300 against a lock held 2 s, the second toggle is
/// 409 `LOCK_TIMEOUT` with `Retry-After` after about 300 ms, changes nothing,
/// and leaves nothing behind: the held toggle and the next one apply.
#[tokio::test(flavor = "multi_thread")]
async fn a_wait_past_the_lock_timeout_is_409() {
    let flags = ["--workbook-faults", "1", "--lock-timeout-ms", "300"];
    let app = Arc::new(testing::app_with::<Lesson>(&flags).await);
    let alice = app.sign_up("alice@example.com").await;
    let uri = toggle_path(&app, alice).await;

    let held = held_toggle(&app, alice, &uri, "2000").await;
    let asked = Instant::now();
    let (status, headers, error) = toggle(&app, alice, &uri, &[]).await;
    let waited = asked.elapsed();
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    assert_eq!(error["error"]["code"], "LOCK_TIMEOUT");
    assert_eq!(headers["retry-after"], "1");
    assert!(
        waited > Duration::from_millis(250) && waited < Duration::from_millis(1500),
        "answered after {waited:?}"
    );

    let (status, _, first) = held.await.unwrap();
    assert_eq!(
        (status, first["version"].clone()),
        (StatusCode::OK, json!(1))
    );
    writer_is_free(&app).await;
    let (status, _, next) = toggle(&app, alice, &uri, &[]).await;
    assert_eq!(
        (status, next["version"].clone()),
        (StatusCode::OK, json!(2))
    );
}

/// SQLite's lock held by another process (here another connection's `BEGIN
/// IMMEDIATE`) is waited for `LOCK_TIMEOUT_MS`, not the busy timeout (5 s):
/// 409, and the cancelled `BEGIN` leaves no transaction on the writer.
#[tokio::test(flavor = "multi_thread")]
async fn a_lock_held_outside_the_pool_is_bounded_too() {
    let app = testing::app_with::<Lesson>(&["--lock-timeout-ms", "300"]).await;
    let alice = app.sign_up("alice@example.com").await;
    let uri = toggle_path(&app, alice).await;

    let writer = app.db().write().get_sqlite_connection_pool();
    let mut outsider = SqliteConnection::connect_with(&writer.connect_options())
        .await
        .unwrap();
    outsider.execute("BEGIN IMMEDIATE").await.unwrap();
    let asked = Instant::now();
    let (status, _, error) = toggle(&app, alice, &uri, &[]).await;
    let waited = asked.elapsed();
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    assert_eq!(error["error"]["code"], "LOCK_TIMEOUT");
    assert!(
        waited < Duration::from_millis(1500),
        "answered after {waited:?}"
    );
    outsider.execute("ROLLBACK").await.unwrap();
    outsider.close().await.unwrap();

    let (status, _, toggled) = toggle(&app, alice, &uri, &[]).await;
    assert_eq!(
        (status, toggled["version"].clone()),
        (StatusCode::OK, json!(1))
    );
    writer_is_free(&app).await;
}

/// Twenty toggles of one task at once: each applies once, one after another
/// (versions 1 to 20, each once), and `done` ends as it began (20 flips).
#[tokio::test(flavor = "multi_thread")]
async fn concurrent_toggles_serialize() {
    let app = Arc::new(testing::app::<Lesson>().await);
    let alice = app.sign_up("alice@example.com").await;
    let uri = toggle_path(&app, alice).await;

    let mut toggles = JoinSet::new();
    for _ in 0..20 {
        let (app, uri) = (app.clone(), uri.clone());
        toggles.spawn(async move { toggle(&app, alice, &uri, &[]).await });
    }
    let mut versions = Vec::new();
    while let Some(answer) = toggles.join_next().await {
        let (status, _, task) = answer.unwrap();
        assert_eq!(status, StatusCode::OK, "{task}");
        // Version n was written by the nth flip: odd ones leave it done.
        let version = task["version"].as_i64().unwrap();
        assert_eq!(task["done"], json!(version % 2 == 1), "{task}");
        versions.push(version);
    }
    versions.sort_unstable();
    assert_eq!(versions, (1..=20).collect::<Vec<_>>());
    let (_, task) = app.get(uri.trim_end_matches("/toggle"), Some(alice)).await;
    assert_eq!(
        (task["done"].clone(), task["version"].clone()),
        (json!(false), json!(20))
    );
}
