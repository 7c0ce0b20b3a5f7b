//! The user repository.

use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, SqlErr,
};
use uuid::Uuid;

use crate::entity::user;

/// Creating a user can fail because the email is taken.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("the email is taken")]
    EmailTaken,
    #[error(transparent)]
    Database(#[from] DbErr),
}

/// Inserts a user; the unique index on `email` decides races between two signups.
pub async fn create(
    db: &impl ConnectionTrait,
    email: String,
    password_hash: String,
) -> Result<user::Model, CreateError> {
    let row = user::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(email),
        password_hash: Set(password_hash),
        ..Default::default()
    };
    match user::Entity::insert_many([row])
        .exec_with_returning(db)
        .await
    {
        Ok(mut rows) => rows
            .pop()
            .ok_or(CreateError::Database(DbErr::RecordNotInserted)),
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            Err(CreateError::EmailTaken)
        }
        Err(err) => Err(err.into()),
    }
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find_by_id(id).one(db).await
}

pub async fn exists(db: &impl ConnectionTrait, id: Uuid) -> Result<bool, DbErr> {
    Ok(user::Entity::find()
        .filter(user::Column::Id.eq(id))
        .count(db)
        .await?
        > 0)
}
