//! The user repository.

use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, SqlErr,
    sea_query::{Expr, Query},
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
    // starter: insert the user with a new UUIDv7 id in one statement whose RETURNING row is
    // read to the end (`insert_many([row]).exec_with_returning`), and turn a unique
    // violation on `email` into `CreateError::EmailTaken`.
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

/// The user `id`, if there is one (by primary key, so without `LIMIT`).
pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<user::Model>, DbErr> {
    // starter: the user with this primary key, or `None`.
    Ok(user::Entity::find_by_id(id).all(db).await?.pop())
}

/// Whether user `id` exists: `SELECT 1 FROM users WHERE id = ?`, nothing
/// read or counted.
pub async fn exists(db: &impl ConnectionTrait, id: Uuid) -> Result<bool, DbErr> {
    // starter: whether a user has this id, reading no row: `SELECT 1 FROM users WHERE id =
    // ?`.
    let query = Query::select()
        .expr(Expr::val(1))
        .from(user::Entity)
        .and_where(user::Column::Id.eq(id))
        .to_owned();
    Ok(!db.query_all(&query).await?.is_empty())
}
