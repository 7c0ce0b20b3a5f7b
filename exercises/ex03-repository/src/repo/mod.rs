//! Every query of the application, one module per table.
//!
//! Functions take `&impl ConnectionTrait`, so a caller can pass the pool or a
//! transaction, and return rows or an error of their own, never an HTTP
//! answer. Rows that a write returns are read with `RETURNING` through
//! `insert_many`/`update_many` and `exec_with_returning`, which read the result
//! to its end: SQLite only checkpoints its write-ahead log when a statement
//! finishes, and a `RETURNING` row fetched one at a time never finishes it (the
//! `-wal` file then grows without bound).
//!
//! A read by primary key has no `LIMIT`: SeaORM's `.one()` adds `LIMIT ?`
//! with the 1 bound as a parameter, and SQLite plans a bound `LIMIT` by its
//! value, so it re-prepares such a statement every time it runs (measured: an
//! eighth of the CPU of `GET /api/v1/tasks/{id}`). `.all()` of a primary-key
//! lookup is the same row without it.

pub mod tasks;
pub mod users;
