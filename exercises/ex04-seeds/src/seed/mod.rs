//! `seed`: demo data that is the same on every machine and every run.
//!
//! Every row is a pure function of its index: its id (a UUIDv7 whose time is
//! the row's `created_at`), its title, whether it is done, its dates. Rows are
//! inserted with `ON CONFLICT DO NOTHING`, so a second run inserts nothing and
//! a larger `--tasks` only adds the missing rows. Tasks go in multi-row
//! `INSERT`s of [`ROWS_PER_INSERT`], committed every [`ROWS_PER_TRANSACTION`]:
//! one transaction per row would make SQLite sync to disk 100,000 times.

mod data;

use std::{fmt, time::Instant};

use indicatif::{ProgressBar, ProgressStyle};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter,
    TransactionTrait, Value,
    prelude::*,
    sea_query::{OnConflict, Query, SimpleExpr},
};
use shared::{CommandError, time};

use ex03_repository::prelude::{task, user};

pub use data::SeedTask;

/// Tasks per `INSERT` statement: 6 columns × 1000 rows stays under both
/// SQLite's (32,766) and PostgreSQL's (65,535) limit on bound parameters.
pub const ROWS_PER_INSERT: usize = 1_000;
/// Tasks per transaction.
pub const ROWS_PER_TRANSACTION: usize = 10_000;

/// `seed [--users N] [--tasks N]`.
#[derive(Debug, Clone, clap::Args)]
pub struct SeedArgs {
    /// How many users
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub users: u32,
    /// How many tasks in all, spread over the users in turn
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(0..=10_000_000))]
    pub tasks: u32,
}

/// The columns a later lesson adds to each seeded task, with their values.
pub trait ExtraColumns: fmt::Debug + Send + Sync + 'static {
    fn of(task: &SeedTask, backend: DbBackend) -> Vec<(&'static str, Value)>;
}

/// Lesson 4's tasks have no columns beyond lesson 2's.
#[derive(Debug)]
pub struct NoExtraColumns;

impl ExtraColumns for NoExtraColumns {
    fn of(_: &SeedTask, _: DbBackend) -> Vec<(&'static str, Value)> {
        Vec::new()
    }
}

/// Seeds users, then tasks, and prints what it did.
pub async fn run<E: ExtraColumns>(
    db: &DatabaseConnection,
    args: &SeedArgs,
) -> Result<(), CommandError> {
    let started = Instant::now();
    let owners = seed_users(db, args.users).await?;
    let inserted = seed_tasks::<E>(db, &owners, args.tasks as usize).await?;
    let seconds = started.elapsed().as_secs_f64();
    tracing::info!(
        users = owners.len(),
        tasks = args.tasks,
        inserted,
        seconds,
        "seeded"
    );
    println!(
        "seeded {} users and {} tasks ({inserted} new) in {seconds:.2} s",
        owners.len(),
        args.tasks
    );
    Ok(())
}

/// Inserts the users that are missing (by email) and returns every seed
/// user's id in order, including users that already existed.
async fn seed_users(db: &DatabaseConnection, count: u32) -> Result<Vec<Uuid>, CommandError> {
    // starter: insert the seed users that are missing (`ON CONFLICT (email) DO NOTHING`),
    // then read back every seed user's id, in order.
    let backend = db.get_database_backend();
    let users: Vec<data::SeedUser> = (0..count as usize).map(data::SeedUser::new).collect();
    let password_hash = data::password_hash()?;
    for batch in users.chunks(ROWS_PER_INSERT) {
        let mut insert = Query::insert();
        insert
            .into_table(user::Entity)
            .columns([
                user::Column::Id,
                user::Column::Email,
                user::Column::PasswordHash,
                user::Column::CreatedAt,
                user::Column::UpdatedAt,
            ])
            .on_conflict(
                OnConflict::column(user::Column::Email)
                    .do_nothing()
                    .to_owned(),
            );
        for seed in batch {
            let at: SimpleExpr = time::bind(backend, seed.created_at).into();
            insert
                .values([
                    seed.id.into(),
                    seed.email.clone().into(),
                    password_hash.clone().into(),
                    at.clone(),
                    at,
                ])
                .map_err(|err| DbErr::Custom(err.to_string()))?;
        }
        db.execute(&insert).await?;
    }
    let emails: Vec<String> = users.iter().map(|u| u.email.clone()).collect();
    let stored = user::Entity::find()
        .filter(user::Column::Email.is_in(emails))
        .all(db)
        .await?;
    Ok(users
        .iter()
        .filter_map(|seed| {
            stored
                .iter()
                .find(|row| row.email == seed.email)
                .map(|row| row.id)
        })
        .collect())
}

/// Inserts the missing tasks in batches; returns how many were new.
async fn seed_tasks<E: ExtraColumns>(
    db: &DatabaseConnection,
    owners: &[Uuid],
    count: usize,
) -> Result<u64, DbErr> {
    // starter: insert the tasks that are missing in multi-row INSERTs of ROWS_PER_INSERT
    // (`ON CONFLICT (id) DO NOTHING`), a transaction every ROWS_PER_TRANSACTION, ticking
    // the progress bar; return how many were new.
    let backend = db.get_database_backend();
    let progress = ProgressBar::new(count as u64).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} tasks  {per_sec}  eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut inserted = 0;
    for transaction_start in (0..count).step_by(ROWS_PER_TRANSACTION) {
        let transaction = db.begin().await?;
        let transaction_end = (transaction_start + ROWS_PER_TRANSACTION).min(count);
        for start in (transaction_start..transaction_end).step_by(ROWS_PER_INSERT) {
            let end = (start + ROWS_PER_INSERT).min(transaction_end);
            let tasks: Vec<SeedTask> = (start..end).map(|i| SeedTask::new(i, owners)).collect();
            inserted += transaction
                .execute(&insert_tasks::<E>(&tasks, backend)?)
                .await?
                .rows_affected();
            progress.inc((end - start) as u64);
        }
        transaction.commit().await?;
    }
    progress.finish_and_clear();
    Ok(inserted)
}

fn insert_tasks<E: ExtraColumns>(
    tasks: &[SeedTask],
    backend: DbBackend,
) -> Result<sea_orm::sea_query::InsertStatement, DbErr> {
    let extra_names: Vec<&'static str> = tasks
        .first()
        .map(|t| {
            E::of(t, backend)
                .into_iter()
                .map(|(name, _)| name)
                .collect()
        })
        .unwrap_or_default();
    let mut insert = Query::insert();
    insert
        .into_table(task::Entity)
        .columns(
            ["id", "user_id", "title", "done", "created_at", "updated_at"]
                .into_iter()
                .chain(extra_names.iter().copied()),
        )
        .on_conflict(OnConflict::column(task::Column::Id).do_nothing().to_owned());
    for task in tasks {
        let at = time::bind(backend, task.created_at);
        let values: Vec<SimpleExpr> = [
            Value::from(task.id),
            task.owner.into(),
            task.title.clone().into(),
            task.done.into(),
            at.clone(),
            at,
        ]
        .into_iter()
        .chain(E::of(task, backend).into_iter().map(|(_, value)| value))
        .map(SimpleExpr::from)
        .collect();
        insert
            .values(values)
            .map_err(|err| DbErr::Custom(err.to_string()))?;
    }
    Ok(insert)
}
