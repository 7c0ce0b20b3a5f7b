//! One seeded database and a copy of it per target, so that every target
//! starts from the same rows and the seeding (the slow part) happens once.

use std::{
    path::{Path, PathBuf},
    str::FromStr,
};

use anyhow::{Context, bail};
use checks::harness::{Backend, Ctx};
use sqlx::{
    AssertSqlSafe, Connection, PgConnection, SqliteConnection, sqlite::SqliteConnectOptions,
};
use uuid::Uuid;

/// Task ids of the reading user sampled for `GET /api/v1/tasks/{id}`.
const SAMPLE: usize = 1_000;

/// What the scenarios need to know of the seeded rows.
#[derive(Debug, Clone)]
pub struct Seeded {
    /// The user with the most tasks: every read acts as this user.
    pub reader: Uuid,
    /// Another user, who creates: the reader's rows stay as seeded.
    pub writer: Uuid,
    /// How many tasks the reader has.
    pub reader_tasks: i64,
    /// A random sample of the reader's task ids.
    pub ids: Vec<Uuid>,
}

/// After `seed` exited: ANALYZE (and VACUUM on PostgreSQL, so that no
/// autovacuum visits the template while it is copied), SQLite's log folded
/// into the file, then the users and ids the scenarios use.
pub async fn prepare(ctx: &Ctx) -> anyhow::Result<Seeded> {
    let database = ctx.database().await?;
    match ctx.backend() {
        Backend::Sqlite => {
            let options = SqliteConnectOptions::from_str(database.url())?;
            let mut db = SqliteConnection::connect_with(&options).await?;
            sqlx::raw_sql("ANALYZE").execute(&mut db).await?;
            sqlx::raw_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&mut db)
                .await?;
            db.close().await?;
        }
        Backend::Postgres => {
            let mut db = PgConnection::connect(database.url()).await?;
            sqlx::raw_sql("VACUUM ANALYZE").execute(&mut db).await?;
            db.close().await?;
        }
    }

    let db = database.inspect().await?;
    let by_tasks = db
        .query(
            &format!(
                "SELECT {} AS id, count(*) AS n FROM tasks GROUP BY user_id ORDER BY n DESC, id",
                db.uuid_hex("user_id")
            ),
            [],
        )
        .await?;
    let Some(first) = by_tasks.first() else {
        bail!("the seeded database has no tasks");
    };
    let reader = Uuid::parse_str(&first.try_get::<String>("", "id")?)?;
    let reader_tasks = first.try_get::<i64>("", "n")?;
    let others = db
        .texts(
            &format!(
                "SELECT {} FROM users WHERE {} <> {} ORDER BY email",
                db.uuid_hex("id"),
                db.uuid_hex("id"),
                db.param(1)
            ),
            [checks::harness::Inspector::hex(reader)],
        )
        .await?;
    let writer = match others.first() {
        Some(hex) => Uuid::parse_str(hex)?,
        None => reader,
    };
    let ids = db
        .texts(
            &format!(
                "SELECT {} FROM tasks WHERE {} = {} ORDER BY random() LIMIT {SAMPLE}",
                db.uuid_hex("id"),
                db.uuid_hex("user_id"),
                db.param(1)
            ),
            [checks::harness::Inspector::hex(reader)],
        )
        .await?
        .iter()
        .map(|hex| Uuid::parse_str(hex))
        .collect::<Result<Vec<_>, _>>()?;
    db.close().await;
    if ids.is_empty() {
        bail!("the reading user has no tasks");
    }
    Ok(Seeded {
        reader,
        writer,
        reader_tasks,
        ids,
    })
}

/// One target's own database.
#[derive(Debug)]
pub struct Copy {
    /// The `DATABASE_URL` to give the target.
    pub url: String,
    /// SQLite: the database file.
    file: Option<PathBuf>,
    /// PostgreSQL: the admin URL and the copy's name, to drop it.
    postgres: Option<(String, String)>,
}

impl Copy {
    /// SQLite: how large the `-wal` is now (0 if there is none).
    pub fn wal_bytes(&self) -> Option<u64> {
        let file = self.file.as_ref()?;
        Some(std::fs::metadata(wal_of(file)).map_or(0, |m| m.len()))
    }

    /// Drops a PostgreSQL copy (its target stopped first); a SQLite copy
    /// goes with the seeding context's scratch directory.
    pub async fn remove(&self) {
        if let Some((admin, name)) = &self.postgres
            && let Ok(mut db) = PgConnection::connect(admin).await
        {
            let drop = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
            let _ = sqlx::raw_sql(AssertSqlSafe(drop)).execute(&mut db).await;
            let _ = db.close().await;
        }
    }
}

/// A copy of `ctx`'s database named after `target`: the file (and any log)
/// copied on SQLite, `CREATE DATABASE … TEMPLATE` on PostgreSQL.
pub async fn copy(ctx: &Ctx, target: &str) -> anyhow::Result<Copy> {
    let database = ctx.database().await?;
    match ctx.backend() {
        Backend::Sqlite => {
            let source = database
                .sqlite_file()
                .context("a SQLite database without a file")?;
            let file = ctx.workdir().join(format!("{target}.db"));
            std::fs::copy(source, &file)
                .with_context(|| format!("copying {}", source.display()))?;
            let wal = wal_of(source);
            if wal.exists() {
                std::fs::copy(&wal, wal_of(&file))?;
            }
            Ok(Copy {
                url: format!("sqlite://{}?mode=rwc", file.display()),
                file: Some(file),
                postgres: None,
            })
        }
        Backend::Postgres => {
            let admin = &ctx
                .postgres()
                .context("PostgreSQL needs WORKBOOK_PG_URL")?
                .admin_url;
            let template = database
                .postgres_name()
                .context("a PostgreSQL database without a name")?;
            let name = format!("{template}_{target}");
            let mut db = PgConnection::connect(admin).await?;
            let create = format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"");
            // A connection still closing (or an autovacuum worker) on the
            // template makes CREATE fail for a moment: try again.
            let mut tries = 0;
            loop {
                match sqlx::raw_sql(AssertSqlSafe(create.clone()))
                    .execute(&mut db)
                    .await
                {
                    Ok(_) => break,
                    Err(err) if tries < 20 && err.to_string().contains("being accessed") => {
                        tries += 1;
                        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
                    }
                    Err(err) => return Err(err).context(format!("creating {name}")),
                }
            }
            db.close().await?;
            Ok(Copy {
                url: with_database(database.url(), &name)?,
                file: None,
                postgres: Some((admin.clone(), name)),
            })
        }
    }
}

fn wal_of(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

/// `postgres://user@host:5432/db?x=y` naming database `name` instead.
fn with_database(url: &str, name: &str) -> anyhow::Result<String> {
    let (scheme, rest) = url.split_once("://").context("not a URL")?;
    let (before_query, query) = match rest.split_once('?') {
        Some((before, query)) => (before, Some(query)),
        None => (rest, None),
    };
    let authority = before_query.split('/').next().unwrap_or(before_query);
    let mut out = format!("{scheme}://{authority}/{name}");
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_names_another_database() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/wb_x", "wb_x_peer").unwrap(),
            "postgres://postgres@127.0.0.1:5432/wb_x_peer"
        );
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "c").unwrap(),
            "postgres://u:p@h/c?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://h", "c").unwrap(),
            "postgres://h/c"
        );
    }

    #[test]
    fn the_log_sits_beside_the_file() {
        assert_eq!(
            wal_of(Path::new("/tmp/w/lesson.db")),
            PathBuf::from("/tmp/w/lesson.db-wal")
        );
    }
}
