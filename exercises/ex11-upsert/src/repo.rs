//! Lesson 10's task repository, with `put`: create with a given id, or
//! replace, in one statement.

/// The repositories as lesson 10 has them, `tasks` with `put`.
pub mod tasks {
    pub use ex10_transactions::prelude::tasks::*;

    use ex10_transactions::prelude::{NewTask, activities, activity, task};
    use sea_orm::{
        ActiveValue::Set,
        ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, TransactionTrait,
        sea_query::{Alias, Expr, ExprTrait, OnConflict},
    };
    use uuid::Uuid;

    use super::Put;

    /// Puts the whole task `id` for `owner`: inserted if the id is new,
    /// replaced if `owner` has it (fields the body leaves out reset to their
    /// defaults), `None` if another user has it, whose row stays untouched.
    /// One statement decides all three; a created task's `CREATED` activity
    /// joins it in the transaction.
    pub async fn put(
        db: &DatabaseConnection,
        owner: Uuid,
        id: Uuid,
        new: &NewTask,
    ) -> Result<Option<(task::Model, Put)>, WriteError> {
        // starter: in one transaction on `db`: the upsert, then, if it inserted
        // (`created_at == updated_at`, see `replaced_at`), the `CREATED` activity; `None`
        // when the id is another user's.
        let txn = db.begin().await?;
        let Some(task) = upsert(&txn, owner, id, new).await? else {
            return Ok(None);
        };
        // An insert writes both times with one clock reading; a replace moves
        // `updated_at` past `created_at` (see `replaced_at`).
        let put = if task.created_at == task.updated_at {
            activities::record(&txn, task.id, activity::CREATED).await?;
            Put::Created
        } else {
            Put::Replaced
        };
        txn.commit().await?;
        Ok(Some((task, put)))
    }

    /// `INSERT … ON CONFLICT (id) DO UPDATE SET … WHERE tasks.user_id =
    /// excluded.user_id RETURNING …`: no row back when the id is another user's.
    async fn upsert(
        db: &impl ConnectionTrait,
        owner: Uuid,
        id: Uuid,
        new: &NewTask,
    ) -> Result<Option<task::Model>, WriteError> {
        // starter: one `INSERT … ON CONFLICT (id) DO UPDATE SET` title, done, due_date
        // (from `excluded`) and `updated_at = replaced_at(…)`, `WHERE` the existing row is
        // the owner's, `RETURNING` the row: none when the id is another user's.
        let row = task::ActiveModel {
            id: Set(id),
            user_id: Set(owner),
            title: Set(new.title.to_string()),
            done: Set(new.done.unwrap_or(false)),
            due_date: Set(new.due_date.map(|d| d.0)),
            ..Default::default()
        };
        let on_conflict = OnConflict::column(task::Column::Id)
            .update_columns([
                task::Column::Title,
                task::Column::Done,
                task::Column::DueDate,
            ])
            .value(
                task::Column::UpdatedAt,
                replaced_at(db.get_database_backend()),
            )
            .action_and_where(
                Expr::col((task::Entity, task::Column::UserId))
                    .equals((Alias::new("excluded"), task::Column::UserId)),
            )
            .to_owned();
        let mut rows = task::Entity::insert_many([row])
            .on_conflict(on_conflict)
            .exec_with_returning(db)
            .await?;
        Ok(rows.pop())
    }

    /// `updated_at` of a replaced row: now, and always after `created_at`,
    /// even when the row was created within the same clock tick (SQLite's
    /// clock counts milliseconds), so that `created_at = updated_at` means
    /// "inserted by this statement" on both databases.
    pub fn replaced_at(backend: DbBackend) -> Expr {
        match backend {
            DbBackend::Sqlite => Expr::cust(
                "max(strftime('%Y-%m-%dT%H:%M:%f000Z', 'now'), \
                 strftime('%Y-%m-%dT%H:%M:%f000Z', \"tasks\".\"created_at\", '+0.001 seconds'))",
            ),
            _ => Expr::cust("greatest(now(), \"tasks\".\"created_at\" + interval '1 microsecond')"),
        }
    }
}

/// What a `PUT` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Put {
    Created,
    Replaced,
}
