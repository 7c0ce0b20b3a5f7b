//! Lesson 3: repositories, and the users and tasks routes on top of them.
//!
//! The layers, from the database up:
//!
//! - [`entity`]: SeaORM entities, one per table, exactly the columns of lesson 2;
//!   a task row is also the task the API answers;
//! - [`table`]: [`TaskTable`](table::TaskTable), what the task reads need of an
//!   entity, so that later lessons' task tables reuse them;
//! - [`repo`]: every query, in functions that take a connection (or a transaction)
//!   and return rows or their own errors; nothing else in the crate builds a query;
//! - [`api`]: what requests carry: bodies and query strings, and their rules;
//! - [`caller`]: who is calling, from `X-User-Id`;
//! - [`routes`]: the route table, and handlers that extract, call a repository
//!   and answer, turning repository errors into the error envelope. They never
//!   touch SQL or a SeaORM query.

pub mod api;
pub mod caller;
pub mod entity;
pub mod password;
pub mod repo;
pub mod routes;
pub mod table;

/// What lesson 4 builds on, under the names every later lesson keeps:
/// `task` is the task entity, `tasks` the task repository, and the handlers
/// are named for what they do. A later lesson's prelude re-exports this one
/// and puts its own items in place of those it changes.
pub mod prelude {
    pub use crate::{
        api::{Data, NewTask, NewUser, TaskFilter, TaskPatch, Title, User},
        caller::Caller,
        entity::{task, user},
        repo::{tasks, users},
        routes::{
            tasks::{
                create_task, delete_task, get_task, list_tasks, location, not_found, update_task,
            },
            users::{create_user, get_user},
        },
        table::TaskTable,
    };
}

/// Lesson 3 as a [`shared::Lesson`].
pub struct Lesson;

impl shared::Lesson for Lesson {
    const NAME: &'static str = env!("CARGO_PKG_NAME");
    type Migrator = migration::UpTo<3>;
    type Command = shared::NoCommand;

    fn routes() -> axum::Router<shared::AppState> {
        routes::router()
    }
}
