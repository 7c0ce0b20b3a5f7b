//! Lesson 13: pessimistic locking. `POST /api/v1/tasks/{id}/toggle` flips a
//! task's `done` (and raises its `version`) under a lock taken before the
//! task is read and held until the change commits: PostgreSQL's row lock
//! (`SELECT … FOR UPDATE`, its wait bounded by `SET LOCAL lock_timeout`),
//! SQLite's write lock taken up front (`BEGIN IMMEDIATE` on the writer, its
//! wait bounded by `LOCK_TIMEOUT_MS` in the application). A second toggle
//! waits for the first; a wait past `LOCK_TIMEOUT_MS` is 409 `LOCK_TIMEOUT`
//! with `Retry-After`; each wait is logged as `lock_wait_ms`.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use regex::Regex;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    check, ensure, fail,
    flows::{NOT_UUIDS, changing, keys, new_task, new_user, statements_of, task_as_of, task_keys},
    harness::{
        Backend, Check, Ctx, Failure, Inspector, Outcome, Reply, RunningApp, expect_eq,
        http::Request, logs::LogLine, snapshot,
    },
    lesson03::within,
};

pub fn checks() -> Vec<Check> {
    vec![
        check!(toggle_flips, 13),
        check!(second_toggle_waits, 13),
        check!(lock_wait_logged, 13),
        check!(lock_timeout_bounded, 13),
        check!(concurrent_toggles_serialize, 13),
    ]
}

/// The header that holds a toggle's lock N ms after taking it (with `WORKBOOK_FAULTS=1`).
const HOLD_LOCK: &str = "x-fault-hold-lock-ms";

/// How long after a held toggle was sent the next one goes at the earliest,
/// so that the held one has its lock by then.
const HEAD_START: Duration = Duration::from_millis(150);

fn task_path(id: impl std::fmt::Display) -> String {
    format!("/api/v1/tasks/{id}")
}

fn toggle_path(id: impl std::fmt::Display) -> String {
    format!("/api/v1/tasks/{id}/toggle")
}

/// The entity tag of a task at `version`, as the contract spells it.
fn tag(version: i64) -> String {
    format!("\"v{version}\"")
}

/// A request id no other request of the check uses.
fn request_id(label: &str) -> String {
    format!("check-{label}-{}", Uuid::new_v4().simple())
}

/// `POST /api/v1/tasks/{id}/toggle` as `user`, no body, no `If-Match`, with
/// the request id `request_id`.
fn toggle(app: &RunningApp, user: Uuid, id: Uuid, request_id: &str) -> Request {
    app.post(&toggle_path(id))
        .user(user)
        .header("x-request-id", request_id)
}

/// A toggle sent in a task of its own: its answer, and when it came.
type Pending = tokio::task::JoinHandle<(Result<Reply, Failure>, Instant)>;

fn spawn(request: Request) -> Pending {
    tokio::spawn(async move {
        let reply = request.send().await;
        (reply, Instant::now())
    })
}

/// The answer of a spawned toggle, and when it came.
async fn answer(pending: Pending) -> Result<(Reply, Instant), Failure> {
    let (reply, at) = pending
        .await
        .map_err(|err| Failure::Error(format!("a toggle's task failed: {err}")))?;
    Ok((reply?, at))
}

/// Sends a toggle of `id` that holds its lock `hold_ms`, then waits until it
/// has the lock: at least [`HEAD_START`], and until it logged its lock wait
/// (it was granted), but no longer than `at_most` after sending it.
async fn held_toggle(
    app: &RunningApp,
    user: Uuid,
    id: Uuid,
    hold_ms: u64,
    request_id: &str,
    at_most: Duration,
) -> Pending {
    let sent = Instant::now();
    let pending = spawn(toggle(app, user, id, request_id).header(HOLD_LOCK, &hold_ms.to_string()));
    tokio::time::sleep(HEAD_START).await;
    let left = at_most.saturating_sub(sent.elapsed());
    app.wait_for_log(left, |line| {
        line.raw.contains(request_id) && line.get("lock_wait_ms").is_some()
    })
    .await;
    pending
}

/// A task row as the database holds it: its owner, `done` and `version`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stored {
    /// 32 lower-case hex digits.
    user_id: String,
    done: bool,
    version: i64,
}

/// The row of `tasks` whose id is `id`; fails if there is none.
async fn stored(db: &Inspector, id: Uuid, what: &str) -> Result<Stored, Failure> {
    let sql = format!(
        "SELECT {} AS owner, CASE WHEN done THEN 'true' ELSE 'false' END AS done, \
                CAST(version AS bigint) AS version \
         FROM tasks WHERE {} = {}",
        db.uuid_hex("user_id"),
        db.uuid_hex("id"),
        db.param(1)
    );
    let rows = db.query(&sql, [Inspector::hex(id)]).await?;
    let [row] = rows.as_slice() else {
        fail!("{what}: {} task rows have the id {id}", rows.len());
    };
    Ok(Stored {
        user_id: row.try_get("", "owner")?,
        done: row.try_get::<String>("", "done")? == "true",
        version: row.try_get("", "version")?,
    })
}

/// Fails unless the database's row of `id` holds `done` at `version`.
async fn expect_stored(db: &Inspector, id: Uuid, done: bool, version: i64, what: &str) -> Outcome {
    let row = stored(db, id, what).await?;
    expect_eq(
        &format!("{what}: (done, version) of the row in the database"),
        (done, version),
        (row.done, row.version),
    )
}

/// Fails unless `reply` is 200 with the task `id` at `done` and `version`,
/// and `ETag: "v<version>"`.
fn expect_toggled(what: &str, reply: &Reply, id: Uuid, done: bool, version: i64) -> Outcome {
    reply.expect(200).map_err(|err| within(what, err))?;
    expect_eq(&format!("{what}: id of the task"), id, reply.id()?)?;
    expect_eq(
        &format!("{what}: (done, version) in the answer"),
        (Some(done), Some(version)),
        (reply.json["done"].as_bool(), reply.json["version"].as_i64()),
    )?;
    expect_eq(
        &format!("{what}: ETag"),
        Some(tag(version).as_str()),
        reply.header("etag"),
    )
}

/// `done` and `version` of a task answer (a create's, a read's).
fn done_and_version(reply: &Reply) -> Result<(bool, i64), Failure> {
    match (reply.json["done"].as_bool(), reply.json["version"].as_i64()) {
        (Some(done), Some(version)) => Ok((done, version)),
        _ => fail!(
            "{}: no boolean `done` and integer `version` in {}",
            reply.label,
            reply.brief()
        ),
    }
}

/// The redacted body of a missing task's 404, for answers that must look the same.
async fn missing_answer(app: &RunningApp, user: Uuid) -> Result<Value, Failure> {
    let missing = app
        .post(&toggle_path(Uuid::now_v7()))
        .user(user)
        .send()
        .await?;
    missing.expect_error(404, "NOT_FOUND")?;
    snapshot::assert(
        "toggle_flips-not_found",
        &snapshot::status_and_code(&missing),
    )?;
    Ok(snapshot::redact(&missing.json))
}

/// Fails unless `reply` is 404 `NOT_FOUND` with the body a missing task gets.
fn expect_like_missing(what: &str, reply: &Reply, like_missing: &Value) -> Outcome {
    reply
        .expect_error(404, "NOT_FOUND")
        .map_err(|err| within(what, err))?;
    expect_eq(
        &format!("{what}: answered like a missing task"),
        like_missing.clone(),
        snapshot::redact(&reply.json),
    )
}

/// Waits until the request `request_id` logged its completion event, so
/// that every line it logs is in.
async fn finished(app: &RunningApp, request_id: &str) {
    app.wait_for_log(Duration::from_secs(5), |line| {
        line.raw.contains(request_id) && line.get("status").is_some()
    })
    .await;
}

/// The lines the request `request_id` logged with a `lock_wait_ms` field.
fn lock_wait_lines(app: &RunningApp, request_id: &str) -> Vec<LogLine> {
    app.logs
        .lines()
        .into_iter()
        .filter(|line| line.raw.contains(request_id) && line.get("lock_wait_ms").is_some())
        .collect()
}

/// The request's `latency_ms`, from its completion event.
fn latency_of(app: &RunningApp, request_id: &str) -> Result<f64, Failure> {
    app.logs
        .lines()
        .into_iter()
        .filter(|line| line.raw.contains(request_id) && line.get("status").is_some())
        .find_map(|line| line.get("latency_ms").as_ref().and_then(Value::as_f64))
        .ok_or_else(|| {
            Failure::Failed(format!(
                "no completion event with a numeric `latency_ms` carries the request id {request_id}"
            ))
        })
}

/// The longest `lock_wait_ms` the request `request_id` logged (after its
/// completion): a number, at least 0 and within the request's own latency.
/// Fails if it logged none, or one that is not such a number.
async fn lock_wait_of(app: &RunningApp, request_id: &str, what: &str) -> Result<f64, Failure> {
    finished(app, request_id).await;
    let lines = lock_wait_lines(app, request_id);
    ensure!(
        !lines.is_empty(),
        "{what}: no log line with a `lock_wait_ms` field carries its request id {request_id} \
         (the lock wait must be logged inside the request's span)"
    );
    let latency = latency_of(app, request_id)?;
    let mut longest = 0.0_f64;
    for line in &lines {
        let value = line.get("lock_wait_ms");
        let Some(ms) = value.as_ref().and_then(Value::as_f64) else {
            fail!("{what}: `lock_wait_ms` is not a number: {}", line.raw);
        };
        if ms < 0.0 {
            fail!("{what}: `lock_wait_ms` is negative: {}", line.raw);
        }
        if ms > latency + 1.0 {
            fail!(
                "{what}: `lock_wait_ms` {ms} is longer than the request itself took ({latency} ms): {}",
                line.raw
            );
        }
        longest = longest.max(ms);
    }
    Ok(longest)
}

/// Fails unless `reply` is 409 `LOCK_TIMEOUT` with `Retry-After` (seconds or an HTTP date).
fn expect_lock_timeout(what: &str, reply: &Reply) -> Outcome {
    reply
        .expect_error(409, "LOCK_TIMEOUT")
        .map_err(|err| within(what, err))?;
    let value = reply.header("retry-after").unwrap_or_default().trim();
    ensure!(
        !value.is_empty() && (value.bytes().all(|b| b.is_ascii_digit()) || value.ends_with("GMT")),
        "{what}: a 409 LOCK_TIMEOUT must carry Retry-After (seconds or an HTTP date), got {:?}",
        reply.header("retry-after")
    );
    snapshot::assert("lock_timeout", &snapshot::reply(reply))
}

/// Fails unless `took` lies in `window`: a bound seen from outside, with
/// room for a loaded machine.
fn expect_within(what: &str, took: Duration, window: (u64, u64)) -> Outcome {
    let (low, high) = (
        Duration::from_millis(window.0),
        Duration::from_millis(window.1),
    );
    ensure!(
        took >= low && took <= high,
        "{what}: answered after {took:?}, expected between {low:?} and {high:?}"
    );
    Ok(())
}

fn time_at(reply: &Reply, pointer: &str) -> Result<DateTime<Utc>, Failure> {
    let text = reply.str_at(pointer)?;
    DateTime::parse_from_rfc3339(&text)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|err| {
            Failure::Failed(format!(
                "{}: {pointer} {text:?} is not RFC 3339: {err}",
                reply.label
            ))
        })
}

/// A `SELECT` from `tasks` that locks the rows it reads (`FOR UPDATE`, or
/// the weaker `FOR NO KEY UPDATE`, which also keeps other toggles out).
fn is_locking_select(sql: &str) -> bool {
    Regex::new(r#"(?is)^\s*SELECT\b.*\bFROM\s+"?tasks"?(\s|$).*\bFOR\s+(NO\s+KEY\s+)?UPDATE\b"#)
        .expect("valid pattern")
        .is_match(sql)
}

/// A statement that sets `lock_timeout` for the transaction alone: `SET
/// LOCAL lock_timeout …` or `set_config('lock_timeout', …, true)`.
fn sets_lock_timeout_locally(sql: &str) -> bool {
    Regex::new(
        r"(?is)^\s*SET\s+LOCAL\s+lock_timeout\b|set_config\s*\(\s*'lock_timeout'\s*,.*,\s*true\s*\)",
    )
    .expect("valid pattern")
    .is_match(sql)
}

/// A statement that sets `lock_timeout` for the session, which outlives the
/// request on a pooled connection: `SET [SESSION] lock_timeout …` or
/// `set_config('lock_timeout', …, false)`.
fn sets_lock_timeout_for_session(sql: &str) -> bool {
    Regex::new(
        r"(?is)^\s*SET\s+(SESSION\s+)?lock_timeout\b|set_config\s*\(\s*'lock_timeout'\s*,.*,\s*false\s*\)",
    )
    .expect("valid pattern")
    .is_match(sql)
}

/// A toggle flips `done` and raises `version` by exactly 1, in the answer
/// (the lesson's task fields, `ETag: "v<version>"`), in `GET` and in the
/// database's row, from `done` false and from `done` true; a second toggle
/// flips it back, one version further. `title`, `createdAt` and the owner
/// stay, `updatedAt` does not go back. Another user's task, a missing id and
/// every non-UUID id are 404 `NOT_FOUND` with the body of a missing task,
/// the row unchanged; without `X-User-Id` 401 first. On PostgreSQL the
/// toggle's SQL reads the task with `SELECT … FOR UPDATE` (the row lock).
async fn toggle_flips(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let lesson = ctx.lesson();
    let owner = new_user(&app, "flipper").await?;
    let intruder = new_user(&app, "meddler").await?;
    let db = ctx.database().await?.inspect().await?;
    let undone = new_task(&app, owner, json!({"title": "Flip me"})).await?;
    let done = new_task(&app, owner, json!({"title": "Flip me back", "done": true})).await?;

    let mut first_toggle = None;
    for created in [&undone, &done] {
        let id = created.id()?;
        let (start, v0) = done_and_version(created)?;
        for (n, expected_done) in [(1, !start), (2, start)] {
            let what = format!("toggle {n} of a task created with done {start}");
            let request_id = request_id("toggle");
            let reply = toggle(&app, owner, id, &request_id).send().await?;
            expect_toggled(&what, &reply, id, expected_done, v0 + n)?;
            expect_eq(
                &format!("{what}: task fields"),
                task_keys(lesson),
                keys(&reply.json).iter().map(String::as_str).collect(),
            )?;
            for field in ["title", "userId", "createdAt"] {
                expect_eq(
                    &format!("{what}: `{field}` as the create answered it"),
                    &created.json[field],
                    &reply.json[field],
                )?;
            }
            ensure!(
                time_at(&reply, "/updatedAt")? >= time_at(created, "/updatedAt")?,
                "{what}: updatedAt went back: {} after {}",
                reply.json["updatedAt"],
                created.json["updatedAt"]
            );
            expect_stored(&db, id, expected_done, v0 + n, &what).await?;
            let read = app.get(&task_path(id)).user(owner).send().await?;
            read.expect(200).map_err(|err| within(&what, err))?;
            expect_eq(
                &format!("GET {} after {what}", task_path(id)),
                reply.json.clone(),
                read.json.clone(),
            )?;
            expect_eq(
                &format!("GET {} after {what}: ETag", task_path(id)),
                Some(tag(v0 + n).as_str()),
                read.header("etag"),
            )?;
            if first_toggle.is_none() {
                first_toggle = Some((request_id, reply.clone()));
            }
        }
    }
    if let Some((request_id, reply)) = &first_toggle {
        snapshot::assert(
            "toggle_flips",
            &json!({"status": reply.status, "body": snapshot::redact(&task_as_of(13, &reply.json))}),
        )?;
        if ctx.backend() == Backend::Postgres {
            finished(&app, request_id).await;
            let statements = statements_of(&app, request_id);
            ensure!(
                statements.iter().any(|sql| is_locking_select(sql)),
                "on PostgreSQL a toggle must read its task with SELECT … FROM tasks … FOR UPDATE \
                 (the row lock); its statements: {statements:?}"
            );
        }
    }

    // Nobody else's toggle reaches the row, and no odd id names one.
    let like_missing = missing_answer(&app, owner).await?;
    let id = undone.id()?;
    let (start, v0) = done_and_version(&undone)?;
    let foreign = toggle(&app, intruder, id, &request_id("foreign"))
        .send()
        .await?;
    expect_like_missing("another user's toggle of the task", &foreign, &like_missing)?;
    for bad in NOT_UUIDS {
        let reply = app.post(&toggle_path(bad)).user(owner).send().await?;
        expect_like_missing(&format!("POST {}", toggle_path(bad)), &reply, &like_missing)?;
        app.post(&toggle_path(bad))
            .send()
            .await?
            .expect_error(401, "UNAUTHENTICATED")
            .map_err(|err| within("a toggle of a non-UUID id without X-User-Id", err))?;
    }
    app.post(&toggle_path(id))
        .send()
        .await?
        .expect_error(401, "UNAUTHENTICATED")
        .map_err(|err| within("a toggle without X-User-Id", err))?;
    let row = stored(&db, id, "after the refused toggles").await?;
    db.close().await;
    expect_eq(
        "the row after another user's and unauthenticated toggles (owner, done, version)",
        (owner.simple().to_string(), start, v0 + 2),
        (row.user_id, row.done, row.version),
    )
}

/// While a toggle holds the task's lock 600 ms (`X-Fault-Hold-Lock-Ms`), a
/// second toggle of the task, sent once the first has its lock (at least
/// 150 ms, at most 300 ms after it), waits for it: its answer comes after
/// the first's, it took hundreds of milliseconds, and it applied on top of
/// the first (`version` one further, `done` back where it began); the
/// database's row shows both flips. Its `lock_wait_ms` is logged with its
/// request id and is hundreds of milliseconds. Without `WORKBOOK_FAULTS`
/// the header changes nothing.
async fn second_toggle_waits(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let user = new_user(&app, "waiter").await?;
    let created = new_task(&app, user, json!({"title": "Wait your turn"})).await?;
    let id = created.id()?;
    let (start, v0) = done_and_version(&created)?;

    let (first_id, second_id) = (request_id("holder"), request_id("waiter"));
    let first = held_toggle(&app, user, id, 600, &first_id, Duration::from_millis(300)).await;
    let sent = Instant::now();
    let second = spawn(toggle(&app, user, id, &second_id));
    let (second, second_at) = answer(second).await?;
    let (first, first_at) = answer(first).await?;
    let took = second_at - sent;

    expect_toggled("the toggle that held the lock", &first, id, !start, v0 + 1)?;
    expect_toggled(
        "the toggle that came while the lock was held",
        &second,
        id,
        start,
        v0 + 2,
    )?;
    // A little room for the scheduling of the two answers' reads.
    ensure!(
        second_at + Duration::from_millis(20) >= first_at,
        "the second toggle was answered {:?} before the one holding the lock: it did not wait for it",
        first_at - second_at
    );
    ensure!(
        took >= Duration::from_millis(200),
        "the second toggle was answered {took:?} after it was sent, while the first held the \
         lock 600 ms: it did not wait for the lock"
    );
    let db = ctx.database().await?.inspect().await?;
    expect_stored(&db, id, start, v0 + 2, "after the two toggles").await?;
    db.close().await;
    let waited = lock_wait_of(&app, &second_id, "the second toggle").await?;
    if waited < 200.0 {
        fail!(
            "the second toggle waited {took:?} for the lock held 600 ms, but logged `lock_wait_ms` {waited}"
        );
    }
    app.stop().await?;

    // The header is the checks' own: without WORKBOOK_FAULTS it holds nothing.
    let app = ctx.app().without("WORKBOOK_FAULTS").start().await?;
    let asked = Instant::now();
    let reply = toggle(&app, user, id, &request_id("faults-off"))
        .header(HOLD_LOCK, "5000")
        .send()
        .await?;
    let took = asked.elapsed();
    expect_toggled(
        "a toggle with X-Fault-Hold-Lock-Ms: 5000 and WORKBOOK_FAULTS unset",
        &reply,
        id,
        !start,
        v0 + 3,
    )?;
    ensure!(
        took < Duration::from_millis(2500),
        "X-Fault-Hold-Lock-Ms: 5000 took effect ({took:?}) although WORKBOOK_FAULTS is not set"
    );
    Ok(())
}

/// Every toggle logs its lock wait: an event with a numeric `lock_wait_ms`
/// (at least 0, and within the request's `latency_ms`) carrying the
/// request's id, also when there was nothing to wait for. With
/// `LOCK_TIMEOUT_MS=1000`, a toggle that waited for one holding the lock
/// 600 ms logs a wait of hundreds of milliseconds, longer than the holder's
/// own; one refused after the whole timeout (the lock held 1800 ms) logs its
/// wait too, near the timeout.
async fn lock_wait_logged(ctx: Ctx) -> Outcome {
    let app = ctx
        .app()
        .env("LOCK_TIMEOUT_MS", "1000")
        .env("DB_ACQUIRE_TIMEOUT_MS", "5000")
        .env("DB_BUSY_TIMEOUT_MS", "5000")
        .start()
        .await?;
    let user = new_user(&app, "timekeeper").await?;
    let created = new_task(&app, user, json!({"title": "Count the wait"})).await?;
    let id = created.id()?;
    let (start, v0) = done_and_version(&created)?;

    let alone = request_id("alone");
    let reply = toggle(&app, user, id, &alone).send().await?;
    expect_toggled(
        "a toggle with nobody else about",
        &reply,
        id,
        !start,
        v0 + 1,
    )?;
    lock_wait_of(&app, &alone, "a toggle with nobody else about").await?;

    let (holder, waiter) = (request_id("holder"), request_id("waiter"));
    let held = held_toggle(&app, user, id, 600, &holder, Duration::from_millis(300)).await;
    let (second, _) = answer(spawn(toggle(&app, user, id, &waiter))).await?;
    let (first, _) = answer(held).await?;
    expect_toggled(
        "the toggle holding the lock 600 ms",
        &first,
        id,
        start,
        v0 + 2,
    )?;
    expect_toggled("the toggle that waited for it", &second, id, !start, v0 + 3)?;
    let held_wait = lock_wait_of(&app, &holder, "the toggle holding the lock").await?;
    let waited = lock_wait_of(&app, &waiter, "the toggle that waited for it").await?;
    ensure!(
        waited >= 200.0 && waited > held_wait,
        "the toggle that waited for a lock held 600 ms logged `lock_wait_ms` {waited} \
         (the holder logged {held_wait}): it should be hundreds of milliseconds, the wait itself"
    );

    let (holder, refused) = (request_id("long-holder"), request_id("refused"));
    let held = held_toggle(&app, user, id, 1800, &holder, Duration::from_millis(1000)).await;
    let (second, _) = answer(spawn(toggle(&app, user, id, &refused))).await?;
    expect_lock_timeout("a toggle kept waiting past LOCK_TIMEOUT_MS=1000", &second)?;
    let (first, _) = answer(held).await?;
    expect_toggled(
        "the toggle holding the lock 1800 ms",
        &first,
        id,
        start,
        v0 + 4,
    )?;
    let waited = lock_wait_of(&app, &refused, "the toggle refused after 1000 ms").await?;
    if waited < 700.0 {
        fail!(
            "the toggle refused after LOCK_TIMEOUT_MS=1000 logged `lock_wait_ms` {waited}: \
             it should be the wait, about 1000"
        );
    }
    Ok(())
}

/// A toggle of `id` while the check's own connection holds the lock
/// (SQLite's `BEGIN IMMEDIATE`, PostgreSQL's `LOCK TABLE tasks IN EXCLUSIVE
/// MODE`, which `SELECT … FOR UPDATE` waits for): 409 `LOCK_TIMEOUT` after
/// about 300 ms. The lock is let go before this returns.
async fn refused_by_outside_lock(
    app: &RunningApp,
    db: &Inspector,
    user: Uuid,
    id: Uuid,
    what: &str,
) -> Outcome {
    let outside = db.block_writes("tasks").await?;
    let asked = Instant::now();
    let blocked = toggle(app, user, id, &request_id("outside")).send().await;
    let took = asked.elapsed();
    outside.rollback().await?;
    let blocked = blocked?;
    expect_lock_timeout(what, &blocked)?;
    expect_within(what, took, (250, 1500))
}

/// `LOCK_TIMEOUT_MS` is validated like every timeout (`0` and `soon` exit 2,
/// the first stderr line `error:` naming it). With `LOCK_TIMEOUT_MS=300`
/// (and the acquire and busy timeouts at 5000, so that only it can explain
/// the answer): a toggle of a task whose lock another toggle holds 2000 ms
/// is 409 `LOCK_TIMEOUT` with `Retry-After` after about 300 ms (250 to 1500
/// ms here); the row shows only the holder's toggle, and the next toggle
/// applies. A lock held outside the service (the check's own connection:
/// `BEGIN IMMEDIATE` on SQLite, `LOCK TABLE tasks IN EXCLUSIVE MODE` on
/// PostgreSQL) is bounded the same way, and leaves nothing behind. On
/// PostgreSQL the lock is the row's: a toggle of another task meanwhile is
/// 200; and the timeout is the transaction's alone (the toggle's SQL sets it
/// with `SET LOCAL`, never for the session). Then, started with the flag
/// `--lock-timeout-ms 300` and a pool of one connection: an outside lock is
/// again 409 after about 300 ms, and once that connection has run a toggle,
/// a plain change (a PATCH) waits out a lock held 1000 ms and is 200:
/// `LOCK_TIMEOUT_MS` bounds only the toggle's wait.
async fn lock_timeout_bounded(ctx: Ctx) -> Outcome {
    let lesson = ctx.lesson();
    for bad in ["0", "soon"] {
        let output = ctx
            .app()
            .env("LOCK_TIMEOUT_MS", bad)
            .run(Duration::from_secs(15))
            .await
            .map_err(|err| {
                within(
                    &format!("with LOCK_TIMEOUT_MS={bad} the binary must exit with status 2"),
                    err,
                )
            })?;
        expect_eq(
            &format!("exit status with LOCK_TIMEOUT_MS={bad}"),
            Some(2),
            output.code,
        )?;
        let first = output.stderr().into_iter().next().unwrap_or_default();
        ensure!(
            first.starts_with("error:") && first.contains("LOCK_TIMEOUT_MS"),
            "with LOCK_TIMEOUT_MS={bad}: the first stderr line must start `error:` and name \
             LOCK_TIMEOUT_MS, got {first:?}"
        );
    }
    let app = ctx
        .app()
        .env("LOCK_TIMEOUT_MS", "300")
        .env("DB_ACQUIRE_TIMEOUT_MS", "5000")
        .env("DB_BUSY_TIMEOUT_MS", "5000")
        .start()
        .await?;
    let user = new_user(&app, "impatient").await?;
    let created = new_task(&app, user, json!({"title": "Locked a while"})).await?;
    let id = created.id()?;
    let (start, v0) = done_and_version(&created)?;
    let other = new_task(&app, user, json!({"title": "Never locked"})).await?;
    let other_id = other.id()?;
    let (other_start, other_v0) = done_and_version(&other)?;
    let db = ctx.database().await?.inspect().await?;

    let holder = request_id("holder");
    let held = held_toggle(&app, user, id, 2000, &holder, Duration::from_millis(1000)).await;
    if ctx.backend() == Backend::Postgres {
        let reply = toggle(&app, user, other_id, &request_id("other-row"))
            .send()
            .await?;
        expect_toggled(
            "on PostgreSQL, a toggle of another task while the first task's row is locked",
            &reply,
            other_id,
            !other_start,
            other_v0 + 1,
        )?;
        ensure!(
            !held.is_finished(),
            "the toggle of another task waited for the held lock (the lock must be the row's)"
        );
    }
    let waiter = request_id("waiter");
    let asked = Instant::now();
    let refused = toggle(&app, user, id, &waiter).send().await?;
    let took = asked.elapsed();
    let what = "a toggle while another holds the lock 2000 ms, LOCK_TIMEOUT_MS=300";
    expect_lock_timeout(what, &refused)?;
    expect_within(what, took, (250, 1500))?;
    let (first, _) = answer(held).await?;
    expect_toggled(
        "the toggle holding the lock 2000 ms",
        &first,
        id,
        !start,
        v0 + 1,
    )?;
    expect_stored(
        &db,
        id,
        !start,
        v0 + 1,
        "after the held and the refused toggle",
    )
    .await?;
    let next = toggle(&app, user, id, &request_id("next")).send().await?;
    expect_toggled(
        "the next toggle, after the refused one",
        &next,
        id,
        start,
        v0 + 2,
    )?;

    if ctx.backend() == Backend::Postgres {
        finished(&app, &waiter).await;
        let statements = statements_of(&app, &waiter);
        ensure!(
            statements.iter().any(|sql| sets_lock_timeout_locally(sql)),
            "on PostgreSQL the toggle's lock_timeout must be the transaction's own \
             (SET LOCAL lock_timeout = '…ms'); the refused toggle's statements: {statements:?}"
        );
        let session: Vec<&String> = statements
            .iter()
            .filter(|sql| sets_lock_timeout_for_session(sql))
            .collect();
        ensure!(
            session.is_empty(),
            "the toggle sets lock_timeout for the session, which outlives the request on a \
             pooled connection: {session:?}"
        );
    }

    // A lock the service does not hold itself is waited for no longer.
    let what = "a toggle while another connection holds the lock, LOCK_TIMEOUT_MS=300";
    refused_by_outside_lock(&app, &db, user, id, what).await?;
    expect_stored(&db, id, start, v0 + 2, &format!("after {what}")).await?;
    let after = toggle(&app, user, id, &request_id("after-outside"))
        .send()
        .await?;
    expect_toggled(
        "the toggle after an outside lock was released",
        &after,
        id,
        !start,
        v0 + 3,
    )?;
    app.stop().await?;

    // The flag sets it too; and the timeout is the toggle's alone: one
    // connection, which ran a toggle, then serves a plain change that waits
    // longer than LOCK_TIMEOUT_MS.
    let app = ctx
        .app()
        .args(&["--lock-timeout-ms", "300"])
        .env("DB_ACQUIRE_TIMEOUT_MS", "5000")
        .env("DB_BUSY_TIMEOUT_MS", "5000")
        .env("DB_POOL_MIN", "1")
        .env("DB_POOL_MAX", "1")
        .start()
        .await?;
    let what = "a toggle while another connection holds the lock, --lock-timeout-ms 300";
    refused_by_outside_lock(&app, &db, user, id, what).await?;
    let reply = toggle(&app, user, id, &request_id("pool-of-one"))
        .send()
        .await?;
    expect_toggled(
        "a toggle with a pool of one connection",
        &reply,
        id,
        start,
        v0 + 4,
    )?;
    let outside = db.block_writes("tasks").await?;
    let asked = Instant::now();
    let patch = spawn(changing(
        app.patch(&task_path(id))
            .user(user)
            .json(&json!({"title": "Changed after a wait"})),
        lesson,
    ));
    tokio::time::sleep(Duration::from_millis(1000)).await;
    outside.rollback().await?;
    let (patched, at) = answer(patch).await?;
    let took = at - asked;
    let what = "a PATCH on the connection a toggle used, while another connection held the \
                lock 1000 ms (LOCK_TIMEOUT_MS=300)";
    patched.expect(200).map_err(|err| {
        within(
            &format!("{what}: LOCK_TIMEOUT_MS must bound only the toggle's wait"),
            err,
        )
    })?;
    ensure!(
        took >= Duration::from_millis(700),
        "{what}: answered after {took:?}, so it never waited for the lock"
    );
    let row = stored(&db, id, "after the PATCH").await?;
    db.close().await;
    expect_eq("version of the row after the PATCH", v0 + 5, row.version)
}

/// Twenty toggles of one task at once (`LOCK_TIMEOUT_MS` left at its
/// default, 2000): every one is 200 (no 5xx, no 409), their versions are
/// the old one + 1 to + 20, each exactly once, each with the `done` that
/// many flips give and its `ETag`; the database's row ends 20 versions up
/// with `done` as it began (an even number of flips), and so does `GET`.
async fn concurrent_toggles_serialize(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let user = new_user(&app, "crowd").await?;
    let created = new_task(&app, user, json!({"title": "Everyone flips", "done": true})).await?;
    let id = created.id()?;
    let (start, v0) = done_and_version(&created)?;

    let pending: Vec<Pending> = (0..20)
        .map(|n| spawn(toggle(&app, user, id, &request_id(&format!("crowd-{n}")))))
        .collect();
    let mut replies = Vec::new();
    for toggle in pending {
        replies.push(answer(toggle).await?.0);
    }
    let statuses: Vec<u16> = replies.iter().map(|reply| reply.status).collect();
    ensure!(
        statuses.iter().all(|status| *status == 200),
        "twenty concurrent toggles should all be 200, got {statuses:?}; first refused: {}",
        replies
            .iter()
            .find(|reply| reply.status != 200)
            .map(Reply::brief)
            .unwrap_or_default()
    );
    let mut versions = Vec::new();
    for reply in &replies {
        let (_, version) = done_and_version(reply)?;
        let flips = version - v0;
        expect_toggled(
            &format!("a concurrent toggle answering version {version}"),
            reply,
            id,
            start ^ (flips % 2 == 1),
            version,
        )?;
        versions.push(version);
    }
    versions.sort_unstable();
    expect_eq(
        "versions of the twenty answers, sorted",
        ((v0 + 1)..=(v0 + 20)).collect::<Vec<_>>(),
        versions,
    )?;
    let db = ctx.database().await?.inspect().await?;
    expect_stored(&db, id, start, v0 + 20, "after twenty concurrent toggles").await?;
    db.close().await;
    let read = app.get(&task_path(id)).user(user).send().await?;
    read.expect(200)?;
    expect_eq(
        "GET after twenty concurrent toggles (done, version)",
        (Some(start), Some(v0 + 20)),
        (read.json["done"].as_bool(), read.json["version"].as_i64()),
    )
}
