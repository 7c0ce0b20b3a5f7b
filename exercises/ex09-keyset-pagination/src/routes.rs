//! Lesson 9's API: lesson 8's, with the list paged by key when asked with
//! `cursor`.

use axum::{
    Json, Router,
    extract::State,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use ex08_pagination::prelude::{
    self as previous, Caller, HasDueDate, offset_page, task::Entity as Tasks,
};
use shared::{ApiError, AppState, db::Database, extract::ValidQuery};

use crate::{
    api::{KeysetMeta, KeysetPage, ListQuery},
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

/// `GET /api/v1/tasks`: by key with `cursor`, by offset without.
pub async fn list_tasks<T: HasDueDate>(
    State(db): State<Database>,
    caller: Caller,
    ValidQuery(query): ValidQuery<ListQuery>,
) -> Result<Response, ApiError> {
    let ListQuery { by_offset, cursor } = query;
    let Some(cursor) = cursor else {
        return Ok(Json(offset_page::<T>(db.read(), caller.id, &by_offset).await?).into_response());
    };
    let limit = by_offset.limit();
    let done = by_offset.sorted.done;
    let (data, next) = tasks::keyset_page::<T>(db.read(), caller.id, done, cursor, limit).await?;
    Ok(Json(KeysetPage {
        data,
        meta: KeysetMeta {
            limit,
            next_cursor: next.map(|position| position.encode()),
        },
    })
    .into_response())
}
