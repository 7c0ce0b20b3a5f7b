//! Lesson 8's routes; the list pages by key when asked with `cursor`.

use axum::{
    Json, Router,
    extract::State,
    response::{IntoResponse, Response},
    routing::get,
};
use ex03_repository::caller::Caller;
use ex06_due_date::{api::Task, routes::router_with_list};
use ex08_pagination::routes::offset_page;
use sea_orm::DatabaseConnection;
use shared::{ApiError, AppState, extract::ValidQuery};

use crate::{
    api::{KeysetMeta, KeysetPage, ListQuery},
    repo,
};

pub fn router() -> Router<AppState> {
    router_with_list(get(list))
}

/// `GET /api/v1/tasks`: by key with `cursor`, by offset without.
pub async fn list(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ValidQuery(query): ValidQuery<ListQuery>,
) -> Result<Response, ApiError> {
    let Some(cursor) = query.cursor else {
        return Ok(Json(offset_page(&db, caller.id, &query.by_offset()).await?).into_response());
    };
    let limit = query.by_offset().limit();
    let (rows, next) = repo::page(&db, caller.id, query.done, cursor, limit).await?;
    Ok(Json(KeysetPage {
        data: rows.into_iter().map(Task::from).collect(),
        meta: KeysetMeta {
            limit,
            next_cursor: next.map(|position| position.encode()),
        },
    })
    .into_response())
}
