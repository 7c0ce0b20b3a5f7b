//! What every lesson binary uses unchanged.
//!
//! A lesson crate implements [`Lesson`] (its migrations, its routes, its extra
//! commands) and hands it to [`main`]; everything else lives here:
//!
//! | module | what it holds |
//! |---|---|
//! | [`config`] | every setting, from flags, environment, `.env` and defaults, validated at start |
//! | [`cli`] | the command line: `serve`, `migrate …`, and the lesson's own commands |
//! | [`database_url`] | `DATABASE_URL`, shown without its password |
//! | [`db`] | the pool, SQLite pragmas, PostgreSQL `statement_timeout`, the start-up probe, SQL logging |
//! | [`time`] | one timestamp format for the API and for SQLite |
//! | [`error`] | the error envelope every failure is answered with |
//! | [`extract`] | JSON bodies, query strings and path ids, each rejected in the envelope |
//! | [`server`] | the router's middleware, `listening`, graceful shutdown |
//! | [`state`] | what handlers reach: the pool and the configuration |
//! | [`request_id`] | `X-Request-Id`: kept when valid, else a new UUIDv7 |
//! | [`probes`] | `/health` and `/ready` |
//! | [`response`] | answers with a shape of their own, such as 201 `Created` |
//! | [`faults`] | the fault-injection headers of lesson 1, off unless `WORKBOOK_FAULTS=1` |
//! | [`logging`] | JSON or human logs on stdout |
//! | [`migrate`] | the `migrate` subcommand |
//! | [`testing`] | in-process tests: a lesson's router on a temporary SQLite database, and requests to it |

pub mod app;
pub mod cli;
pub mod config;
pub mod database_url;
pub mod db;
pub mod error;
pub mod extract;
pub mod faults;
pub mod logging;
pub mod migrate;
pub mod probes;
pub mod request_id;
pub mod response;
pub mod server;
pub mod state;
pub mod testing;
pub mod time;

pub use app::{CommandError, Lesson, LessonCommand, NoCommand, main};
pub use config::Config;
pub use error::{ApiError, ErrorCode, FieldError};
pub use state::AppState;
