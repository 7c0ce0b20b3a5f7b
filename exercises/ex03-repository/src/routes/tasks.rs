//! The task handlers: extract, call the repository, answer. Those that only
//! read or delete are generic over the lesson's [`TaskTable`]; create and
//! update are lesson 3's, like the writes they call.

use axum::{Json, extract::State, http::StatusCode};
use shared::{
    ApiError,
    db::Database,
    extract::{PathId, ValidJson, ValidQuery},
    response::Created,
};
use uuid::Uuid;

use crate::{
    api::{Data, NewTask, TaskFilter, TaskPatch},
    caller::{self, Caller},
    entity::task,
    repo::tasks::{self, WriteError},
    table::TaskTable,
};

/// The 404 of a task that is missing or another user's.
pub fn not_found() -> ApiError {
    ApiError::not_found("task not found")
}

/// Where a created task can be read: `Location` of the 201.
pub fn location(id: Uuid) -> String {
    format!("/api/v1/tasks/{id}")
}

/// How a failed task write is answered.
impl From<WriteError> for ApiError {
    fn from(err: WriteError) -> Self {
        match err {
            WriteError::NoOwner => caller::unknown(),
            WriteError::Database(err) => err.into(),
        }
    }
}

/// `POST /api/v1/tasks`.
pub async fn create_task(
    State(db): State<Database>,
    caller: Caller,
    ValidJson(new): ValidJson<NewTask>,
) -> Result<Created<task::Model>, ApiError> {
    let task = tasks::create(db.write(), caller.id, &new).await?;
    Ok(Created::at(location(task.id), task))
}

/// `GET /api/v1/tasks[?done=…]`.
pub async fn list_tasks<T: TaskTable>(
    State(db): State<Database>,
    caller: Caller,
    ValidQuery(filter): ValidQuery<TaskFilter>,
) -> Result<Json<Data<T::Model>>, ApiError> {
    let data = tasks::list::<T>(db.read(), caller.id, filter.done).await?;
    Ok(Json(Data { data }))
}

/// `GET /api/v1/tasks/{id}`.
pub async fn get_task<T: TaskTable>(
    State(db): State<Database>,
    caller: Caller,
    id: PathId,
) -> Result<Json<T::Model>, ApiError> {
    let task = tasks::find::<T>(db.read(), caller.id, id.uuid()?)
        .await?
        .ok_or_else(not_found)?;
    Ok(Json(task))
}

/// `PATCH /api/v1/tasks/{id}`.
pub async fn update_task(
    State(db): State<Database>,
    caller: Caller,
    id: PathId,
    ValidJson(patch): ValidJson<TaskPatch>,
) -> Result<Json<task::Model>, ApiError> {
    let task = tasks::update(db.write(), caller.id, id.uuid()?, &patch)
        .await?
        .ok_or_else(not_found)?;
    Ok(Json(task))
}

/// `DELETE /api/v1/tasks/{id}`: 204, or 404.
pub async fn delete_task<T: TaskTable>(
    State(db): State<Database>,
    caller: Caller,
    id: PathId,
) -> Result<StatusCode, ApiError> {
    if tasks::delete::<T>(db.write(), caller.id, id.uuid()?).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found())
    }
}
