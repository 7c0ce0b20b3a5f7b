//! Lesson 4 in process: the `seed` command's code on a database of its own,
//! then the API over what it wrote. Run with `cargo test -p ex04-seeds`.

use axum::http::StatusCode;
use ex04_seeds::{
    prelude::{task, user},
    seed::{self, NoExtraColumns, SeedArgs},
};
use sea_orm::{EntityTrait, PaginatorTrait};
use shared::testing;

/// `seed` (2 users, 20 tasks) fills both tables, a second run adds nothing,
/// and each seeded user lists their own half of the tasks.
#[tokio::test]
async fn seed_fills_the_tables_once() {
    let app = testing::app::<ex04_seeds::Lesson>().await;
    let db = app.db().write();
    let args = SeedArgs {
        users: 2,
        tasks: 20,
    };
    seed::run::<NoExtraColumns>(db, &args).await.unwrap();
    seed::run::<NoExtraColumns>(db, &args).await.unwrap();
    assert_eq!(user::Entity::find().count(db).await.unwrap(), 2);
    assert_eq!(task::Entity::find().count(db).await.unwrap(), 20);

    for seeded in user::Entity::find().all(db).await.unwrap() {
        let (status, list) = app.get("/api/v1/tasks", Some(seeded.id)).await;
        assert_eq!(status, StatusCode::OK);
        let tasks = list["data"].as_array().unwrap();
        assert_eq!(tasks.len(), 10, "tasks of {}", seeded.email);
        assert!(tasks.iter().all(|t| t["userId"] == seeded.id.to_string()));
    }
}
