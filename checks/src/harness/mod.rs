//! What every check stands on: the [`Check`] table entry, its [`Ctx`] (a
//! binary, a fresh database, a scratch directory), how a criterion fails.
//!
//! # The lessons a check holds for
//!
//! One rule, in one place: a check holds from the lesson that introduces it
//! through the last lesson, or through `.until(m)` when lesson m + 1 changes
//! what it observes ([`Check::holds_at`]). Within that range the check makes
//! every one of its assertions at every lesson. It may adapt what it sends or
//! expects to the lesson of the binary ([`Ctx::lesson`], through
//! `flows::task_keys`, `flows::task_as_of` and `flows::changing`: the fields
//! a later lesson adds, the `If-Match` lesson 12 requires), and it may assert
//! more from a later lesson on (another user's `PUT` from lesson 11), but it
//! never leaves an assertion out at some lesson. An assertion that stops
//! holding belongs in a check of its own, ended with `.until`; so a result
//! never says more than was observed. (`lib.rs` has a test that no check
//! compares the lesson with `<`, the shape such a skip takes.)

pub mod app;
pub mod database;
pub mod feedback;
pub mod http;
pub mod logs;
pub mod report;
pub mod runner;
pub mod snapshot;

use std::{
    fmt,
    future::Future,
    path::{Path, PathBuf},
    pin::Pin,
    sync::Arc,
    time::Duration,
};

use tokio::sync::OnceCell;

pub use app::{AppBuilder, Output, RunningApp};
pub use database::{Inspector, TestDatabase};
pub use http::Reply;

/// The last lesson of the workbook; a check that never stops holding runs until here.
pub const LAST_LESSON: u8 = 20;

/// The database a check runs the binary against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        })
    }
}

/// How a check ends when it does not pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The criterion does not hold: what was expected and what came back.
    Failed(String),
    /// The check could not run: the binary did not start, the database could not be made.
    Error(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Failed(message) | Self::Error(message) => f.write_str(message),
        }
    }
}

/// So that tools built on the harness (xtask's benches) can use `?` with anyhow.
impl std::error::Error for Failure {}

/// What a check returns.
pub type Outcome = Result<(), Failure>;

/// Fails the check with a formatted message.
#[macro_export]
macro_rules! fail {
    ($($arg:tt)*) => {
        return Err($crate::harness::Failure::Failed(format!($($arg)*)))
    };
}

/// Fails the check unless the condition holds.
#[macro_export]
macro_rules! ensure {
    ($condition:expr, $($arg:tt)*) => {
        if !$condition {
            $crate::fail!($($arg)*);
        }
    };
}

/// Fails with "what: expected …, got …" unless the two are equal.
pub fn expect_eq<T: PartialEq + fmt::Debug>(what: &str, expected: T, got: T) -> Outcome {
    if expected == got {
        Ok(())
    } else {
        Err(Failure::Failed(format!(
            "{what}: expected {expected:?}, got {got:?}"
        )))
    }
}

/// A boxed check body.
pub type CheckFuture = Pin<Box<dyn Future<Output = Outcome> + Send>>;

/// One acceptance criterion: a named check, the lessons it holds for, the
/// databases it applies to.
#[derive(Clone, Copy)]
pub struct Check {
    pub name: &'static str,
    /// The lesson that introduces the criterion.
    pub lesson: u8,
    /// The last lesson it still holds for (a later lesson may change the answer).
    pub until: u8,
    /// `Some` for a criterion about one database only.
    pub only: Option<Backend>,
    pub timeout: Duration,
    pub run: fn(Ctx) -> CheckFuture,
}

impl Check {
    pub const fn new(name: &'static str, lesson: u8, run: fn(Ctx) -> CheckFuture) -> Self {
        Self {
            name,
            lesson,
            until: LAST_LESSON,
            only: None,
            timeout: Duration::from_secs(90),
            run,
        }
    }

    /// Holds only through `lesson`.
    pub const fn until(mut self, lesson: u8) -> Self {
        self.until = lesson;
        self
    }

    /// Applies to one database only.
    pub const fn only(mut self, backend: Backend) -> Self {
        self.only = Some(backend);
        self
    }

    pub const fn timeout_secs(mut self, secs: u64) -> Self {
        self.timeout = Duration::from_secs(secs);
        self
    }

    pub fn holds_at(&self, lesson: u8) -> bool {
        (self.lesson..=self.until).contains(&lesson)
    }

    pub fn applies_to(&self, backend: Backend) -> bool {
        self.only.is_none_or(|only| only == backend)
    }

    /// Where the check applies, as a skipped line says it (`PostgreSQL only`).
    pub fn applicability(&self) -> String {
        match self.only {
            Some(Backend::Postgres) => "PostgreSQL only".to_owned(),
            Some(Backend::Sqlite) => "SQLite only".to_owned(),
            None => "both databases".to_owned(),
        }
    }
}

/// Wraps an `async fn(Ctx) -> Outcome` for the [`Check`] table.
#[macro_export]
macro_rules! check {
    ($name:ident, $lesson:expr) => {
        $crate::harness::Check::new(stringify!($name), $lesson, |ctx| Box::pin($name(ctx)))
    };
}

/// Where PostgreSQL databases for checks come from: `WORKBOOK_PG_URL`.
#[derive(Debug, Clone)]
pub struct Postgres {
    pub admin_url: String,
}

/// Everything one run of one check needs. Cheap to clone.
#[derive(Clone)]
pub struct Ctx(Arc<Inner>);

struct Inner {
    check: &'static str,
    lesson: u8,
    backend: Backend,
    binary: PathBuf,
    workdir: tempfile::TempDir,
    postgres: Option<Postgres>,
    database: OnceCell<TestDatabase>,
    /// The output and last request of every process the check started, for its failure report.
    watched: std::sync::Mutex<Vec<(logs::Logs, feedback::LastRequest)>>,
}

impl Ctx {
    pub fn new(
        check: &'static str,
        lesson: u8,
        backend: Backend,
        binary: PathBuf,
        postgres: Option<Postgres>,
    ) -> std::io::Result<Self> {
        Self::build(check, lesson, backend, binary, postgres, false)
    }

    /// A context whose scratch directory and database outlive it unless
    /// [`Ctx::discard`] is called: `check --keep` keeps a failed check's.
    pub fn kept(
        check: &'static str,
        lesson: u8,
        backend: Backend,
        binary: PathBuf,
        postgres: Option<Postgres>,
    ) -> std::io::Result<Self> {
        Self::build(check, lesson, backend, binary, postgres, true)
    }

    fn build(
        check: &'static str,
        lesson: u8,
        backend: Backend,
        binary: PathBuf,
        postgres: Option<Postgres>,
        keep: bool,
    ) -> std::io::Result<Self> {
        let workdir = tempfile::Builder::new()
            .prefix(&format!("wb-{check}-"))
            .disable_cleanup(keep)
            .tempdir()?;
        Ok(Self(Arc::new(Inner {
            check,
            lesson,
            backend,
            binary,
            workdir,
            postgres,
            database: OnceCell::new(),
            watched: std::sync::Mutex::new(Vec::new()),
        })))
    }

    /// Keeps a started process's output (and its last request) for the failure report.
    pub(crate) fn watch(&self, logs: logs::Logs, last: feedback::LastRequest) {
        if let Ok(mut watched) = self.0.watched.lock() {
            watched.push((logs, last));
        }
    }

    /// Writes every started process's output into the scratch directory and
    /// says where it all is: for a kept failure.
    pub fn keep_report(&self) -> String {
        let watched = self.watched();
        let mut logs = Vec::new();
        for (n, (output, _)) in watched.iter().enumerate() {
            let path = self.workdir().join(format!("output-{}.log", n + 1));
            let mut text: Vec<String> = output.lines().into_iter().map(|line| line.raw).collect();
            text.extend(
                output
                    .stderr()
                    .into_iter()
                    .map(|line| format!("stderr: {line}")),
            );
            if std::fs::write(&path, text.join("\n") + "\n").is_ok() {
                logs.push(path.display().to_string());
            }
        }
        let mut out = vec![format!(
            "kept: {} (the binary ran there)",
            self.workdir().display()
        )];
        if !logs.is_empty() {
            out.push(format!("kept: its output in {}", logs.join(", ")));
        }
        if let Some(database) = self.0.database.get() {
            out.push(format!("kept: the database {}", database.url()));
        }
        out.join("\n")
    }

    /// The processes started so far: their output and last request.
    fn watched(&self) -> Vec<(logs::Logs, feedback::LastRequest)> {
        self.0
            .watched
            .lock()
            .map(|watched| watched.clone())
            .unwrap_or_default()
    }

    /// Removes what [`Ctx::kept`] would keep: for a kept check that passed.
    pub async fn discard(&self) {
        self.cleanup().await;
        let _ = std::fs::remove_dir_all(self.workdir());
    }

    /// What a failure of this check shows below its message: see [`feedback::report`].
    pub fn failure_report(&self) -> String {
        let watched = self.watched();
        feedback::report(self.0.check, &watched)
    }

    /// The lesson of the binary under test: what a check may adapt its
    /// requests and expectations to, never what it skips an assertion by
    /// (see the module's rule).
    pub fn lesson(&self) -> u8 {
        self.0.lesson
    }

    pub fn backend(&self) -> Backend {
        self.0.backend
    }

    pub fn check_name(&self) -> &'static str {
        self.0.check
    }

    pub fn binary(&self) -> &Path {
        &self.0.binary
    }

    /// A scratch directory of this check's own; the binary runs in it.
    pub fn workdir(&self) -> &Path {
        self.0.workdir.path()
    }

    /// This check's own fresh database, made on first use.
    pub async fn database(&self) -> Result<&TestDatabase, Failure> {
        self.0
            .database
            .get_or_try_init(|| {
                TestDatabase::create(
                    self.0.check,
                    self.0.backend,
                    self.workdir(),
                    self.0.postgres.as_ref(),
                )
            })
            .await
    }

    /// The `postgres` admin connection string, for `pg_stat_activity`.
    pub fn postgres(&self) -> Option<&Postgres> {
        self.0.postgres.as_ref()
    }

    /// A binary run to start with the check's defaults (`PORT=0`, JSON logs, faults on).
    pub fn app(&self) -> AppBuilder {
        AppBuilder::new(self.clone())
    }

    /// Drops the PostgreSQL database, if one was made.
    pub async fn cleanup(&self) {
        if let Some(database) = self.0.database.get() {
            database.drop_database(self.0.postgres.as_ref()).await;
        }
    }
}
