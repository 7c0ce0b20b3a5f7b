//! Column shapes the lessons share, spelled out per backend so the stored
//! type is plain to see: ids are `uuid` on PostgreSQL and 16-byte BLOBs on
//! SQLite (how the driver binds a UUID there); times are `timestamptz` on
//! PostgreSQL and fixed-width RFC 3339 text on SQLite, defaulting to the
//! database's clock.

use sea_orm_migration::{
    prelude::*,
    sea_orm::{DbBackend, sea_query::IntoIden},
};
use shared::time::now_sql;

/// A UUID column, not null.
pub fn uuid(backend: DbBackend, name: impl IntoIden) -> ColumnDef {
    let mut column = ColumnDef::new(name);
    match backend {
        DbBackend::Sqlite => column.blob(),
        _ => column.uuid(),
    };
    column.not_null().to_owned()
}

/// The UUID primary key `id`.
pub fn id(backend: DbBackend) -> ColumnDef {
    uuid(backend, "id").primary_key().to_owned()
}

/// A timestamp column, not null, defaulting to the database's current time.
pub fn timestamp_now(backend: DbBackend, name: impl IntoIden) -> ColumnDef {
    let mut column = ColumnDef::new(name);
    match backend {
        DbBackend::Sqlite => column.text(),
        _ => column.timestamp_with_time_zone(),
    };
    column
        .not_null()
        .default(Expr::cust(now_sql(backend)))
        .to_owned()
}

/// A nullable calendar date: `date` on PostgreSQL, `YYYY-MM-DD` text on SQLite.
pub fn date(backend: DbBackend, name: impl IntoIden) -> ColumnDef {
    let mut column = ColumnDef::new(name);
    match backend {
        DbBackend::Sqlite => column.text(),
        _ => column.date(),
    };
    column.null().to_owned()
}
