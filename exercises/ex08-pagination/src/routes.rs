//! Lesson 8's API: lesson 7's, with the list paged by offset.

use axum::{
    Json, Router,
    extract::State,
    routing::{get, post},
};
use ex07_indexing::prelude::{self as previous, Caller, HasDueDate, task::Entity as Tasks};
use shared::{ApiError, AppState, db::Database, extract::ValidQuery};
use uuid::Uuid;

use crate::{
    api::{ListQuery, OffsetMeta, Page},
    repo as tasks,
};

/// The lesson's API: its own handlers, and the previous lesson's (`previous::`).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/users", post(previous::create_user))
        .route("/api/v1/users/{id}", get(previous::get_user))
        .route(
            "/api/v1/tasks",
            get(list_tasks::<Tasks>).post(previous::create_task),
        )
        .route(
            "/api/v1/tasks/{id}",
            get(previous::get_task::<Tasks>)
                .patch(previous::update_task)
                .delete(previous::delete_task::<Tasks>),
        )
}

/// `GET /api/v1/tasks?…&limit=…&offset=…`.
pub async fn list_tasks<T: HasDueDate>(
    State(db): State<Database>,
    caller: Caller,
    ValidQuery(query): ValidQuery<ListQuery>,
) -> Result<Json<Page<T::Model>>, ApiError> {
    Ok(Json(offset_page::<T>(db.read(), caller.id, &query).await?))
}

/// The offset page as the API answers it (lesson 9 keeps it for requests without a cursor).
pub async fn offset_page<T: HasDueDate>(
    db: &impl sea_orm::ConnectionTrait,
    owner: Uuid,
    query: &ListQuery,
) -> Result<Page<T::Model>, ApiError> {
    let (data, total) = tasks::page::<T>(db, owner, query).await?;
    Ok(Page {
        data,
        meta: OffsetMeta {
            total,
            limit: query.limit(),
            offset: query.offset(),
        },
    })
}
