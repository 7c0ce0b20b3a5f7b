//! The user handlers.

use axum::{Json, extract::State};
use shared::{
    ApiError, ErrorCode,
    db::Database,
    extract::{PathId, ValidJson},
    response::Created,
};

use crate::{
    api::{NewUser, User},
    caller::Caller,
    password,
    repo::users::{self, CreateError},
};

/// How a failed signup is answered.
impl From<CreateError> for ApiError {
    fn from(err: CreateError) -> Self {
        match err {
            CreateError::EmailTaken => {
                ApiError::new(ErrorCode::DuplicateEmail, "the email is taken")
            }
            CreateError::Database(err) => err.into(),
        }
    }
}

/// `POST /api/v1/users`: no `X-User-Id` needed.
pub async fn create_user(
    State(db): State<Database>,
    ValidJson(new): ValidJson<NewUser>,
) -> Result<Created<User>, ApiError> {
    let hash = password::hash(new.password().to_owned()).await?;
    let user = users::create(db.write(), new.email(), hash).await?;
    Ok(Created::at(
        format!("/api/v1/users/{}", user.id),
        user.into(),
    ))
}

/// `GET /api/v1/users/{id}`: only the user itself; anyone else gets 404.
pub async fn get_user(
    State(db): State<Database>,
    caller: Caller,
    id: PathId,
) -> Result<Json<User>, ApiError> {
    let id = id.uuid()?;
    if id != caller.id {
        return Err(ApiError::not_found("user not found"));
    }
    let user = users::find(db.read(), id)
        .await?
        .ok_or_else(|| ApiError::not_found("user not found"))?;
    Ok(Json(user.into()))
}
