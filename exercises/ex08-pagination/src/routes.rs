//! Lesson 7's routes with the list paged by offset.

use axum::{Json, Router, extract::State, routing::get};
use ex03_repository::caller::Caller;
use ex06_due_date::{api::Task, routes::router_with_list};
use sea_orm::DatabaseConnection;
use shared::{ApiError, AppState, extract::ValidQuery};

use crate::{
    api::{ListQuery, OffsetMeta, Page},
    repo,
};

pub fn router() -> Router<AppState> {
    router_with_list(get(list))
}

/// `GET /api/v1/tasks?…&limit=…&offset=…`.
pub async fn list(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ValidQuery(query): ValidQuery<ListQuery>,
) -> Result<Json<Page<Task>>, ApiError> {
    Ok(Json(offset_page(&db, caller.id, &query).await?))
}

/// The offset page as the API answers it (lesson 9 keeps it for requests without a cursor).
pub async fn offset_page(
    db: &DatabaseConnection,
    owner: sea_orm::prelude::Uuid,
    query: &ListQuery,
) -> Result<Page<Task>, ApiError> {
    let (rows, total) = repo::page(db, owner, query).await?;
    Ok(Page {
        data: rows.into_iter().map(Task::from).collect(),
        meta: OffsetMeta {
            total,
            limit: query.limit(),
            offset: query.offset(),
        },
    })
}
