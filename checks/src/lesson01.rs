//! Lesson 1: connection, pool, probes, request ids, the error envelope,
//! clear failures, graceful shutdown, fault injection.

use std::{
    path::Path,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::{
    check, ensure, fail,
    harness::{Backend, Check, Ctx, Failure, Outcome, Reply, expect_eq, snapshot},
};

pub fn checks() -> Vec<Check> {
    vec![
        check!(health, 1),
        check!(ready, 1),
        check!(unreachable_db_exits, 1),
        check!(bad_config_exits, 1),
        check!(pool_limits, 1),
        check!(graceful_shutdown, 1),
        check!(request_id, 1),
        check!(error_envelope, 1),
        check!(statement_timeout, 1).only(Backend::Postgres),
        check!(faults_off_by_default, 1),
        check!(config_sources, 1),
        // Lesson 2 brings the first migration, so `migrate` has work to do.
        check!(migrate_nothing_to_do, 1).until(1),
        check!(request_logged, 1),
        check!(sql_statements_logged, 1),
        check!(acquire_timeout, 1),
    ]
}

/// `/health` and `/healthz`: 200 `{"status":"ok"}`, without touching the database.
async fn health(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    for path in ["/health", "/healthz"] {
        let reply = app
            .get(path)
            .header("x-request-id", &format!("health-{}", &path[1..]))
            .send()
            .await?;
        reply.expect(200)?;
        snapshot::assert("health", &snapshot::reply(&reply))?;
    }
    let statements: Vec<String> = app
        .logs
        .lines()
        .into_iter()
        .filter(|line| line.raw.contains("health-health"))
        .filter_map(|line| line.statement())
        .collect();
    ensure!(
        statements.is_empty(),
        "/health ran SQL, but it must not touch the database: {statements:?}"
    );
    Ok(())
}

/// `/ready` and `/readyz`: 200 with `checks.db` true; 503 `not_ready` when
/// `SELECT 1` cannot run within a second (here: the only pooled connection is held).
async fn ready(ctx: Ctx) -> Outcome {
    let app = ctx
        .app()
        .env("DB_POOL_MIN", "1")
        .env("DB_POOL_MAX", "1")
        .start()
        .await?;
    for path in ["/ready", "/readyz"] {
        let reply = app.get(path).send().await?;
        reply.expect(200)?;
        expect_eq(
            &format!("{path} status"),
            Some("ready"),
            reply.json["status"].as_str(),
        )?;
        expect_eq(
            &format!("{path} checks.db"),
            Some(true),
            reply.json["checks"]["db"].as_bool(),
        )?;
    }
    let holder = {
        let request = app.get("/health").header("x-fault-delay-ms", "3000");
        tokio::spawn(request.send())
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let reply = app.get("/ready").send().await?;
    reply.expect(503)?;
    expect_eq(
        "/ready status while the database cannot answer",
        Some("not_ready"),
        reply.json["status"].as_str(),
    )?;
    expect_eq(
        "/ready checks.db while the database cannot answer",
        Some(false),
        reply.json["checks"]["db"].as_bool(),
    )?;
    ensure!(
        started.elapsed() < Duration::from_millis(2500),
        "/ready took {:?} to say not ready; the database check must give up within about 1 s",
        started.elapsed()
    );
    let _ = holder.await;
    let reply = app.get("/ready").send().await?;
    reply.expect(200)?;
    Ok(())
}

/// An unreachable database: exit status 1 within `DB_CONNECT_TIMEOUT_MS`, one
/// stderr line `error: database unreachable…`, and never the password.
async fn unreachable_db_exits(ctx: Ctx) -> Outcome {
    const PASSWORD: &str = "Pa55-w0rd-s3cret";
    const TIMEOUT_MS: u64 = 1500;
    // A server that accepts connections and never answers: only a timeout ends the wait.
    let silent = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| Failure::Error(e.to_string()))?;
    let port = silent
        .local_addr()
        .map_err(|e| Failure::Error(e.to_string()))?
        .port();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            open.push(socket);
        }
    });
    let url = match ctx.backend() {
        Backend::Postgres => format!("postgres://workbook:{PASSWORD}@127.0.0.1:{port}/nowhere"),
        Backend::Sqlite => {
            // A file where the database's directory should be: nothing can open it.
            let blocker = ctx.workdir().join("not-a-directory");
            std::fs::write(&blocker, b"").map_err(|e| Failure::Error(e.to_string()))?;
            format!("sqlite://{}?mode=rwc", blocker.join("app.db").display())
        }
    };
    let output = ctx
        .app()
        .no_database()
        .env("DATABASE_URL", url)
        .env("DB_CONNECT_TIMEOUT_MS", TIMEOUT_MS.to_string())
        .run(Duration::from_secs(20))
        .await?;
    held.abort();
    expect_eq("exit status", Some(1), output.code)?;
    let first = output.stderr().into_iter().next().unwrap_or_default();
    ensure!(
        first.starts_with("error: database unreachable"),
        "first stderr line: expected `error: database unreachable…`, got {first:?}"
    );
    let limit = Duration::from_millis(TIMEOUT_MS + 3000);
    ensure!(
        output.elapsed <= limit,
        "exited after {:?}; DB_CONNECT_TIMEOUT_MS={TIMEOUT_MS} should end the wait well before {limit:?}",
        output.elapsed
    );
    let everything = format!(
        "{}\n{}",
        output.logs.tail(usize::MAX),
        output.stderr().join("\n")
    );
    ensure!(
        !everything.contains(PASSWORD),
        "the password appears in the output:\n{}",
        output.logs.tail(5)
    );
    ensure!(
        !output
            .logs
            .lines()
            .iter()
            .any(|l| l.message().as_deref() == Some("listening")),
        "the binary said `listening` without a database"
    );
    Ok(())
}

/// Each bad setting (a timeout of 0 ms among them) stops the binary with
/// status 2 and a first stderr line `error: …` naming the variable; a
/// password is never echoed.
async fn bad_config_exits(ctx: Ctx) -> Outcome {
    /// The settings to give, and the variables the error may name.
    type Case = (
        &'static [(&'static str, &'static str)],
        &'static [&'static str],
    );
    let cases: [Case; 21] = [
        (&[("DB_POOL_MAX", "abc")], &["DB_POOL_MAX"]),
        (
            &[("DB_POOL_MIN", "5"), ("DB_POOL_MAX", "2")],
            &["DB_POOL_MIN", "DB_POOL_MAX"],
        ),
        (
            &[("DATABASE_URL", "mysql://root:Sup3r-S3cret@localhost/app")],
            &["DATABASE_URL"],
        ),
        (&[("PORT", "99999")], &["PORT"]),
        (
            &[("DB_CONNECT_TIMEOUT_MS", "soon")],
            &["DB_CONNECT_TIMEOUT_MS"],
        ),
        (&[("AUTO_MIGRATE", "perhaps")], &["AUTO_MIGRATE"]),
        (&[("DB_POOL_MIN", "abc")], &["DB_POOL_MIN"]),
        (&[("HOST", "not-a-host")], &["HOST"]),
        (
            &[("DB_ACQUIRE_TIMEOUT_MS", "never")],
            &["DB_ACQUIRE_TIMEOUT_MS"],
        ),
        (&[("DB_BUSY_TIMEOUT_MS", "-5")], &["DB_BUSY_TIMEOUT_MS"]),
        (
            &[("DB_STATEMENT_TIMEOUT_MS", "1.5")],
            &["DB_STATEMENT_TIMEOUT_MS"],
        ),
        (
            &[("SHUTDOWN_TIMEOUT_MS", "later")],
            &["SHUTDOWN_TIMEOUT_MS"],
        ),
        (&[("LOG_FORMAT", "xml")], &["LOG_FORMAT"]),
        (&[("RUST_LOG", "info,[")], &["RUST_LOG"]),
        (&[("WORKBOOK_FAULTS", "maybe")], &["WORKBOOK_FAULTS"]),
        (&[("DATABASE_URL", "not a url")], &["DATABASE_URL"]),
        // A duration must be 1 ms or more: 0 is as wrong as "soon".
        (
            &[("DB_CONNECT_TIMEOUT_MS", "0")],
            &["DB_CONNECT_TIMEOUT_MS"],
        ),
        (
            &[("DB_ACQUIRE_TIMEOUT_MS", "0")],
            &["DB_ACQUIRE_TIMEOUT_MS"],
        ),
        (&[("DB_BUSY_TIMEOUT_MS", "0")], &["DB_BUSY_TIMEOUT_MS"]),
        (
            &[("DB_STATEMENT_TIMEOUT_MS", "0")],
            &["DB_STATEMENT_TIMEOUT_MS"],
        ),
        (&[("SHUTDOWN_TIMEOUT_MS", "0")], &["SHUTDOWN_TIMEOUT_MS"]),
    ];
    for (settings, names) in cases {
        let mut run = ctx.app();
        for (key, value) in settings {
            run = run.env(key, *value);
        }
        let output = run.run(Duration::from_secs(15)).await?;
        let shown = settings
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ");
        expect_eq(&format!("exit status with {shown}"), Some(2), output.code)?;
        let first = output.stderr().into_iter().next().unwrap_or_default();
        ensure!(
            first.starts_with("error:") && names.iter().any(|name| first.contains(name)),
            "with {shown}: the first stderr line must start `error:` and name {}, got {first:?}",
            names.join(" or ")
        );
        ensure!(
            !output.stderr().join("\n").contains("Sup3r-S3cret"),
            "with {shown}: the password was echoed: {first:?}"
        );
    }
    Ok(())
}

/// The pool never holds more than `DB_POOL_MAX` connections, even with 20
/// requests each wanting one, and keeps `DB_POOL_MIN` open; without either
/// variable the start-up log states the defaults, 1 and 10.
///
/// A minimum of 4: on SQLite a binary that ignores `DB_POOL_MIN` still holds
/// three handles on the file after start-up (measured on the reference: the
/// probed writer, one probed reader, and the migration connection's handle,
/// which SQLite keeps after closing it until a new connection reuses it), so
/// a smaller minimum would be met without being honoured.
async fn pool_limits(ctx: Ctx) -> Outcome {
    const MIN: usize = 4;
    const MAX: usize = 5;
    let app = ctx
        .app()
        .env("DB_POOL_MIN", MIN.to_string())
        .env("DB_POOL_MAX", MAX.to_string())
        .env("DB_ACQUIRE_TIMEOUT_MS", "20000")
        .start()
        .await?;
    let database = ctx.database().await?;
    let count_connections = || async {
        match ctx.backend() {
            Backend::Postgres => {
                let postgres = ctx
                    .postgres()
                    .ok_or_else(|| Failure::Error("no PostgreSQL".into()))?;
                Ok(database.app_connections(postgres).await? as usize)
            }
            Backend::Sqlite => open_files(app.pid(), database.sqlite_file()),
        }
    };

    // The minimum: connections opened and kept while idle.
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut idle = count_connections().await?;
    while idle < MIN && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        idle = count_connections().await?;
    }
    ensure!(
        idle >= MIN,
        "with DB_POOL_MIN={MIN} the idle pool holds {idle} connection(s)"
    );

    // The maximum: 20 requests that each hold a connection for 300 ms.
    let finished = Arc::new(AtomicBool::new(false));
    let requests: Vec<_> = (0..20)
        .map(|_| tokio::spawn(app.get("/health").header("x-fault-delay-ms", "300").send()))
        .collect();
    let watcher = {
        let finished = finished.clone();
        async move {
            let mut most = 0;
            while !finished.load(Ordering::SeqCst) {
                most = most.max(count_connections().await?);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Ok::<usize, Failure>(most)
        }
    };
    let answers = async {
        let mut replies = Vec::new();
        for request in requests {
            replies.push(request.await.map_err(|e| Failure::Error(e.to_string()))?);
        }
        finished.store(true, Ordering::SeqCst);
        Ok::<Vec<Result<Reply, Failure>>, Failure>(replies)
    };
    let (most, replies) = tokio::join!(watcher, answers);
    for reply in replies? {
        reply?.expect(200)?;
    }
    let most = most?;
    ensure!(
        most <= MAX,
        "with DB_POOL_MAX={MAX}, {most} connections were open at once"
    );
    ensure!(
        most == MAX,
        "20 requests each holding a connection should fill the pool to DB_POOL_MAX={MAX}, but at most {most} were open"
    );

    if ctx.backend() == Backend::Sqlite {
        ensure!(
            states_pool_limits(&app.logs.lines(), MIN, MAX),
            "no start-up log event states the pool limits (fields with min={MIN} and max={MAX})"
        );
    }
    app.stop().await?;

    // The defaults: without DB_POOL_MIN and DB_POOL_MAX the pool is 1..=10.
    let app = ctx
        .app()
        .without("DB_POOL_MIN")
        .without("DB_POOL_MAX")
        .start()
        .await?;
    let lines = app.logs.lines();
    app.stop().await?;
    ensure!(
        states_pool_limits(&lines, 1, 10),
        "without DB_POOL_MIN and DB_POOL_MAX the pool should default to 1 and 10, but no start-up log event says so (`database connected` with pool_min=1 and pool_max=10); it logged: {:?}",
        lines
            .iter()
            .find(|line| line.message().as_deref() == Some("database connected"))
            .map(|line| line.raw.clone())
    );
    Ok(())
}

/// Whether a log line states the pool limits: a field whose name holds `min`
/// equal to `min` and one whose name holds `max` equal to `max` (the
/// reference logs `database connected` with `pool_min` and `pool_max`).
fn states_pool_limits(lines: &[crate::harness::logs::LogLine], min: usize, max: usize) -> bool {
    lines.iter().any(|line| {
        let fields = line.fields();
        let has = |part: &str, value: usize| {
            fields
                .iter()
                .any(|(k, v)| k.to_lowercase().contains(part) && v.as_u64() == Some(value as u64))
        };
        has("min", min) && has("max", max)
    })
}

/// How many file descriptors of process `pid` point at the database file:
/// one per open SQLite connection.
fn open_files(pid: Option<u32>, file: Option<&Path>) -> Result<usize, Failure> {
    let (Some(pid), Some(file)) = (pid, file) else {
        return Err(Failure::Error(
            "no process or no database file to inspect".into(),
        ));
    };
    let file = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf());
    let entries = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map_err(|err| Failure::Error(format!("counting SQLite connections needs /proc: {err}")))?;
    Ok(entries
        .filter_map(Result::ok)
        .filter_map(|entry| std::fs::read_link(entry.path()).ok())
        .filter(|target| *target == file)
        .count())
}

/// SIGTERM while 5 slow requests run: all 5 answer 200, `shutdown complete`,
/// exit status 0, and (PostgreSQL) no connection left behind.
async fn graceful_shutdown(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let requests: Vec<_> = (0..5)
        .map(|_| tokio::spawn(app.get("/health").header("x-fault-delay-ms", "1500").send()))
        .collect();
    tokio::time::sleep(Duration::from_millis(400)).await;
    app.terminate();
    for request in requests {
        let reply = request.await.map_err(|e| Failure::Error(e.to_string()))?;
        let reply = reply.map_err(|e| {
            Failure::Failed(format!("an in-flight request was cut off by SIGTERM: {e}"))
        })?;
        reply.expect(200)?;
    }
    let stopped = app.stop().await?;
    expect_eq("exit status after SIGTERM", Some(0), stopped.code)?;
    ensure!(
        stopped
            .logs
            .lines()
            .iter()
            .any(|l| l.message().as_deref() == Some("shutdown complete")),
        "no `shutdown complete` event in the log"
    );
    if let (Backend::Postgres, Some(postgres)) = (ctx.backend(), ctx.postgres()) {
        let database = ctx.database().await?;
        let deadline = Instant::now() + Duration::from_secs(3);
        let mut left = database.app_connections(postgres).await?;
        while left > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
            left = database.app_connections(postgres).await?;
        }
        expect_eq("connections left open after shutdown", 0, left)?;
    }
    Ok(())
}

/// `X-Request-Id` is echoed when valid, made up when missing or invalid,
/// carried in the error envelope and on every log line of its request.
async fn request_id(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;

    let mine = "check-request-id-7f3a";
    let before = app.logs.len();
    let reply = app
        .get("/ready")
        .header("x-request-id", mine)
        .send()
        .await?;
    reply.expect(200)?;
    expect_eq(
        "echoed X-Request-Id",
        Some(mine),
        reply.header("x-request-id"),
    )?;
    let completed = app
        .wait_for_log(Duration::from_secs(5), |line| {
            line.raw.contains(mine) && line.get("status").is_some()
        })
        .await;
    ensure!(
        completed.is_some(),
        "no completion event carrying the request id {mine}"
    );
    let during: Vec<_> = app
        .logs
        .since(before)
        .into_iter()
        .filter(|l| l.json.is_some())
        .collect();
    ensure!(
        during.iter().any(|line| line.statement().is_some()),
        "no SQL statement was logged while /ready ran (run with RUST_LOG=info,sql=debug)"
    );
    if let Some(missing) = during.iter().find(|line| !line.raw.contains(mine)) {
        fail!(
            "a line logged while the request ran does not carry its id {mine}: {}",
            missing.raw
        );
    }

    let reply = app.get("/health").send().await?;
    let made = reply.header("x-request-id").unwrap_or_default();
    ensure!(
        uuid::Uuid::parse_str(made).is_ok(),
        "without X-Request-Id the answer should carry a new UUID, got {made:?}"
    );

    for invalid in ["has spaces in it", &"x".repeat(129)] {
        let reply = app
            .get("/health")
            .header("x-request-id", invalid)
            .send()
            .await?;
        let given = reply.header("x-request-id").unwrap_or_default();
        ensure!(
            given != invalid && uuid::Uuid::parse_str(given).is_ok(),
            "an invalid X-Request-Id ({} characters) should be replaced by a UUID, got {given:?}",
            invalid.len()
        );
    }

    let reply = app
        .get("/no/such/route")
        .header("x-request-id", "check-envelope-id")
        .send()
        .await?;
    reply.expect_error(404, "NOT_FOUND")?;
    expect_eq(
        "error.requestId",
        Some("check-envelope-id"),
        reply
            .json
            .pointer("/error/requestId")
            .and_then(Value::as_str),
    )?;
    Ok(())
}

/// Unknown route 404, wrong method 405, a panic 500 `INTERNAL`, each in the
/// envelope with the request id; the server keeps serving after the panic.
async fn error_envelope(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let cases = [
        (
            "error_envelope-not_found",
            app.get("/no/such/route"),
            404,
            "NOT_FOUND",
        ),
        (
            "error_envelope-method_not_allowed",
            app.delete("/health"),
            405,
            "METHOD_NOT_ALLOWED",
        ),
        (
            "error_envelope-panic",
            app.get("/health").header("x-fault-panic", "1"),
            500,
            "INTERNAL",
        ),
    ];
    for (name, request, status, code) in cases {
        let reply = request.send().await?;
        reply.expect_error(status, code)?;
        expect_eq(
            &format!("{}: error.requestId", reply.label),
            reply.header("x-request-id"),
            reply
                .json
                .pointer("/error/requestId")
                .and_then(Value::as_str),
        )?;
        snapshot::assert(name, &snapshot::reply(&reply))?;
        if status == 500 {
            let message = reply
                .json
                .pointer("/error/message")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let lower = message.to_lowercase();
            ensure!(
                !["panic", ".rs:", "fault", "thread"]
                    .iter()
                    .any(|word| lower.contains(word)),
                "the 500 message reveals internals: {message:?}"
            );
        }
    }
    app.get("/health").send().await?.expect(200)?;
    Ok(())
}

/// PostgreSQL: a query longer than `DB_STATEMENT_TIMEOUT_MS` is cut and answered 503.
async fn statement_timeout(ctx: Ctx) -> Outcome {
    let app = ctx
        .app()
        .env("DB_STATEMENT_TIMEOUT_MS", "300")
        .start()
        .await?;
    let started = Instant::now();
    let reply = app
        .get("/health")
        .header("x-fault-slow-query-ms", "5000")
        .send()
        .await?;
    let took = started.elapsed();
    reply.expect_error(503, "SERVICE_UNAVAILABLE")?;
    expect_retry_after(&reply)?;
    snapshot::assert("statement_timeout", &snapshot::reply(&reply))?;
    ensure!(
        took < Duration::from_millis(3000),
        "a 5 s query with a 300 ms statement timeout took {took:?} to answer"
    );
    app.get("/health")
        .header("x-fault-slow-query-ms", "50")
        .send()
        .await?
        .expect(200)?;
    app.get("/ready").send().await?.expect(200)?;
    Ok(())
}

/// Without `WORKBOOK_FAULTS=1`, fault headers change nothing.
async fn faults_off_by_default(ctx: Ctx) -> Outcome {
    let app = ctx.app().without("WORKBOOK_FAULTS").start().await?;
    let reply = app
        .get("/health")
        .header("x-fault-panic", "1")
        .send()
        .await?;
    reply.expect(200)?;
    expect_eq(
        "/health body with X-Fault-Panic",
        json!({"status": "ok"}),
        reply.json.clone(),
    )?;
    for header in ["x-fault-delay-ms", "x-fault-slow-query-ms"] {
        let started = Instant::now();
        app.get("/health")
            .header(header, "5000")
            .send()
            .await?
            .expect(200)?;
        ensure!(
            started.elapsed() < Duration::from_millis(2500),
            "{header}: 5000 took effect ({:?}) although WORKBOOK_FAULTS is not set",
            started.elapsed()
        );
    }
    Ok(())
}

/// A 503 carries `Retry-After`: a number of seconds or an HTTP date.
pub fn expect_retry_after(reply: &Reply) -> Outcome {
    let value = reply.header("retry-after").unwrap_or_default().trim();
    ensure!(
        !value.is_empty() && (value.bytes().all(|b| b.is_ascii_digit()) || value.ends_with("GMT")),
        "{}: a 503 must carry Retry-After (seconds or an HTTP date), got {:?}",
        reply.label,
        reply.header("retry-after")
    );
    Ok(())
}

/// With the only pooled connection held, a request that needs one waits at
/// most `DB_ACQUIRE_TIMEOUT_MS`, then answers 503 `SERVICE_UNAVAILABLE` with
/// `Retry-After`.
async fn acquire_timeout(ctx: Ctx) -> Outcome {
    let app = ctx
        .app()
        .env("DB_POOL_MIN", "1")
        .env("DB_POOL_MAX", "1")
        .env("DB_ACQUIRE_TIMEOUT_MS", "300")
        .start()
        .await?;
    let holder = tokio::spawn(app.get("/health").header("x-fault-delay-ms", "4000").send());
    tokio::time::sleep(Duration::from_millis(400)).await;
    let started = Instant::now();
    let reply = app
        .get("/health")
        .header("x-fault-delay-ms", "10")
        .send()
        .await?;
    let waited = started.elapsed();
    reply.expect_error(503, "SERVICE_UNAVAILABLE")?;
    expect_retry_after(&reply)?;
    ensure!(
        waited < Duration::from_millis(2500),
        "with DB_ACQUIRE_TIMEOUT_MS=300 a request waited {waited:?} for a pooled connection"
    );
    holder
        .await
        .map_err(|e| Failure::Error(e.to_string()))??
        .expect(200)?;
    Ok(())
}

/// Configuration comes from flags, then the environment, then `.env` in the
/// working directory, then defaults: a bad value in `.env` stops the binary,
/// the environment overrides it, a flag overrides the environment; every
/// variable is also a kebab-case flag; without `DATABASE_URL` the binary
/// makes `data/` and a SQLite file in it; without `LOG_FORMAT`, logs to a
/// pipe are JSON.
async fn config_sources(ctx: Ctx) -> Outcome {
    let dotenv = ctx.workdir().join(".env");
    std::fs::write(&dotenv, "DB_POOL_MAX=abc\n").map_err(|e| Failure::Error(e.to_string()))?;
    let output = ctx
        .app()
        .without("DB_POOL_MAX")
        .args(&["migrate", "status"])
        .run(Duration::from_secs(15))
        .await?;
    expect_eq(
        "exit status with DB_POOL_MAX=abc in .env",
        Some(2),
        output.code,
    )?;
    let first = output.stderr().into_iter().next().unwrap_or_default();
    ensure!(
        first.starts_with("error:") && first.contains("DB_POOL_MAX"),
        "with DB_POOL_MAX=abc in .env the first stderr line must start `error:` and name DB_POOL_MAX, got {first:?}"
    );
    let started = |what: &'static str, app: Result<crate::harness::RunningApp, Failure>| async move {
        match app {
            Ok(app) => {
                app.stop().await?;
                Ok(())
            }
            Err(Failure::Error(reason)) => fail!("{what}: the binary did not start: {reason}"),
            Err(other) => Err(other),
        }
    };
    started(
        "DB_POOL_MAX=4 in the environment over DB_POOL_MAX=abc in .env",
        ctx.app().env("DB_POOL_MAX", "4").start().await,
    )
    .await?;
    std::fs::remove_file(&dotenv).map_err(|e| Failure::Error(e.to_string()))?;
    started(
        "--db-pool-max 4 over DB_POOL_MAX=abc in the environment",
        ctx.app()
            .env("DB_POOL_MAX", "abc")
            .args(&["--db-pool-max", "4"])
            .start()
            .await,
    )
    .await?;
    let url = ctx.database().await?.url().to_owned();
    started(
        "every setting given as a flag",
        ctx.app()
            .no_database()
            .env("DB_POOL_MIN", "x")
            .env("DB_CONNECT_TIMEOUT_MS", "x")
            .env("LOG_FORMAT", "x")
            .args(&[
                "--database-url",
                &url,
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--db-pool-min",
                "1",
                "--db-pool-max",
                "4",
                "--db-connect-timeout-ms",
                "5000",
                "--db-acquire-timeout-ms",
                "5000",
                "--db-busy-timeout-ms",
                "5000",
                "--db-statement-timeout-ms",
                "30000",
                "--auto-migrate",
                "true",
                "--shutdown-timeout-ms",
                "10000",
                "--log-format",
                "json",
                "--rust-log",
                "info",
                "--workbook-faults",
                "1",
            ])
            .start()
            .await,
    )
    .await?;
    started(
        "without LOG_FORMAT and stdout a pipe (JSON logs expected)",
        ctx.app().without("LOG_FORMAT").start().await,
    )
    .await?;
    started(
        "without DATABASE_URL",
        ctx.app().no_database().start().await,
    )
    .await?;
    let files: Vec<String> = std::fs::read_dir(ctx.workdir().join("data"))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    ensure!(
        files.iter().any(|name| name.ends_with(".db")),
        "without DATABASE_URL the default sqlite://data/<binary>.db should make data/ and a .db file in it; data/ holds {files:?}"
    );
    Ok(())
}

/// Lesson 1 has no migrations: `migrate up`, `down`, `status` and `fresh`
/// each exit 0 and print that there is nothing to do.
async fn migrate_nothing_to_do(ctx: Ctx) -> Outcome {
    for command in ["up", "down", "status", "fresh"] {
        let output = ctx
            .app()
            .args(&["migrate", command])
            .run(Duration::from_secs(30))
            .await?;
        output.expect_success(&format!("migrate {command}"))?;
        let printed = output.printed().join("\n");
        ensure!(
            printed.to_lowercase().contains("nothing to do"),
            "`migrate {command}` at lesson 1 should print that there is nothing to do, printed {printed:?}"
        );
    }
    Ok(())
}

/// The one INFO event a finished request logs, by its request id.
pub fn completion_events(
    app: &crate::harness::RunningApp,
    request_id: &str,
) -> Vec<crate::harness::logs::LogLine> {
    app.logs
        .lines()
        .into_iter()
        .filter(|line| {
            line.get("request_id")
                .and_then(|v| v.as_str().map(str::to_owned))
                == Some(request_id.to_owned())
                || line.raw.contains(&format!("\"{request_id}\""))
        })
        .filter(|line| line.get("status").is_some() && line.get("latency_ms").is_some())
        .collect()
}

/// Waits for the completion event of `request_id` and checks its fields:
/// INFO, `method`, `path`, `status` (a number) and `latency_ms` (a number).
pub async fn expect_completion(
    app: &crate::harness::RunningApp,
    request_id: &str,
    method: &str,
    path: &str,
    status: u16,
) -> Outcome {
    app.wait_for_log(Duration::from_secs(5), |line| {
        line.raw.contains(request_id) && line.get("status").is_some()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let events: Vec<_> = app
        .logs
        .lines()
        .into_iter()
        .filter(|line| line.raw.contains(request_id) && line.get("status").is_some())
        .collect();
    let [event] = events.as_slice() else {
        fail!(
            "{method} {path}: expected one completion event (with `status`) carrying the request id {request_id}, found {}: {:?}",
            events.len(),
            events.iter().map(|l| &l.raw).collect::<Vec<_>>()
        );
    };
    let shown = &event.raw;
    expect_eq(
        &format!("level of the completion event {shown}"),
        Some("INFO".to_owned()),
        event.level().map(|l| l.to_uppercase()),
    )?;
    expect_eq(
        &format!("`method` of the completion event {shown}"),
        Some(method),
        event.get("method").as_ref().and_then(Value::as_str),
    )?;
    expect_eq(
        &format!("`path` of the completion event {shown}"),
        Some(path),
        event.get("path").as_ref().and_then(Value::as_str),
    )?;
    expect_eq(
        &format!("`status` (a number) of the completion event {shown}"),
        Some(u64::from(status)),
        event.get("status").as_ref().and_then(Value::as_u64),
    )?;
    ensure!(
        event
            .get("latency_ms")
            .as_ref()
            .and_then(Value::as_f64)
            .is_some_and(|ms| ms >= 0.0),
        "the completion event has no numeric `latency_ms`: {shown}"
    );
    Ok(())
}

/// Each finished request logs one INFO event with `method`, `path`, `status`
/// as a number and a numeric `latency_ms`, for answers and errors alike.
async fn request_logged(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    for (request, id, method, path, status) in [
        (
            app.get("/health"),
            "check-logged-health",
            "GET",
            "/health",
            200,
        ),
        (
            app.get("/ready"),
            "check-logged-ready",
            "GET",
            "/ready",
            200,
        ),
        (
            app.delete("/health"),
            "check-logged-405",
            "DELETE",
            "/health",
            405,
        ),
        (
            app.get("/health").header("x-fault-panic", "1"),
            "check-logged-500",
            "GET",
            "/health",
            500,
        ),
    ] {
        request
            .header("x-request-id", id)
            .send()
            .await?
            .expect(status)?;
        expect_completion(&app, id, method, path, status).await?;
    }
    let id = "check-logged-404";
    app.get("/no/such/route")
        .header("x-request-id", id)
        .send()
        .await?
        .expect(404)?;
    app.wait_for_log(Duration::from_secs(5), |line| {
        line.raw.contains(id) && line.get("status").is_some()
    })
    .await;
    let events = completion_events(&app, id);
    ensure!(
        events
            .iter()
            .any(|e| e.get("status").as_ref().and_then(Value::as_u64) == Some(404)),
        "an unknown route logged no completion event with status 404: {:?}",
        events.iter().map(|l| &l.raw).collect::<Vec<_>>()
    );
    Ok(())
}

/// With `RUST_LOG=info,sql=debug` each statement logs one DEBUG event with
/// its text in `db.statement` and a numeric `elapsed_ms` (here `SELECT 1`
/// behind `/ready`); with `RUST_LOG=info` no statement is logged.
async fn sql_statements_logged(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let id = "check-sql-events";
    app.get("/ready")
        .header("x-request-id", id)
        .send()
        .await?
        .expect(200)?;
    app.wait_for_log(Duration::from_secs(5), |line| {
        line.raw.contains(id) && line.get("status").is_some()
    })
    .await;
    let statements: Vec<_> = app
        .logs
        .lines()
        .into_iter()
        .filter(|line| line.raw.contains(id) && line.statement().is_some())
        .collect();
    let Some(select) = statements.iter().find(|line| {
        line.statement()
            .is_some_and(|sql| sql.to_uppercase().contains("SELECT 1"))
    }) else {
        fail!(
            "/ready logged no `db.statement` event holding SELECT 1 (target sql, RUST_LOG=info,sql=debug): {:?}",
            statements.iter().map(|l| &l.raw).collect::<Vec<_>>()
        );
    };
    expect_eq(
        &format!("level of the statement event {}", select.raw),
        Some("DEBUG".to_owned()),
        select.level().map(|l| l.to_uppercase()),
    )?;
    for line in &statements {
        ensure!(
            line.get("elapsed_ms")
                .as_ref()
                .and_then(Value::as_f64)
                .is_some_and(|ms| ms >= 0.0),
            "a statement event has no numeric `elapsed_ms`: {}",
            line.raw
        );
    }
    app.stop().await?;

    let app = ctx.app().env("RUST_LOG", "info").start().await?;
    app.get("/ready").send().await?.expect(200)?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let shown: Vec<String> = app
        .logs
        .lines()
        .into_iter()
        .filter(|line| line.get("db.statement").is_some())
        .map(|line| line.raw)
        .collect();
    ensure!(
        shown.is_empty(),
        "with RUST_LOG=info statements were logged (they are DEBUG events): {shown:?}"
    );
    Ok(())
}
