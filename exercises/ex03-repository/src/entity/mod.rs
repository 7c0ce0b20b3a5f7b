//! The tables as SeaORM entities, with the columns they have at lesson 2.

pub mod task;
pub mod user;
