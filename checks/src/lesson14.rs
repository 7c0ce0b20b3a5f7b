//! Lesson 14: retries. Every write (create, `PATCH`, `PUT`, toggle, `DELETE`)
//! is tried again when it fails with an error another attempt can cure (a
//! serialization failure or a deadlock on PostgreSQL, a busy or locked
//! database on SQLite), up to 3 attempts, each a whole transaction, after a
//! delay that doubles and is partly random. Each attempt logs `op`,
//! `attempt` (from 1), `outcome` (`ok`, `retry`, `gave_up`, `not_retryable`)
//! and, before a retry, `delay_ms`. Retries that run out are 503
//! `SERVICE_UNAVAILABLE` with `Retry-After`. With `WORKBOOK_FAULTS=1`,
//! `X-Fault-Transient: N` fails the first N attempts retryably and
//! `X-Fault-Permanent: 1` fails the write with an error no retry cures.

use std::time::{Duration, Instant};

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, TransactionTrait};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    check, ensure, fail,
    flows::{new_task, new_user},
    harness::{
        Backend, Check, Ctx, Failure, Inspector, Outcome, Reply, RunningApp, expect_eq,
        http::Request, logs::LogLine, snapshot,
    },
    lesson03::within,
};

pub fn checks() -> Vec<Check> {
    vec![
        check!(transient_retried, 14),
        check!(retries_exhausted, 14),
        check!(permanent_not_retried, 14),
        check!(backoff_grows, 14),
        check!(retry_applies_once, 14),
        check!(real_contention, 14),
    ]
}

/// The header that fails the first N attempts of a write, retryably.
const TRANSIENT: &str = "x-fault-transient";

/// The header that fails a write with an error no retry cures.
const PERMANENT: &str = "x-fault-permanent";

/// The attempts of a write that failed twice, then committed.
const RETRIED_TWICE: [(i64, &str); 3] = [(1, "retry"), (2, "retry"), (3, "ok")];

/// The attempts of a write that failed retryably every time.
const GAVE_UP: [(i64, &str); 3] = [(1, "retry"), (2, "retry"), (3, "gave_up")];

fn task_path(id: impl std::fmt::Display) -> String {
    format!("/api/v1/tasks/{id}")
}

fn toggle_path(id: impl std::fmt::Display) -> String {
    format!("/api/v1/tasks/{id}/toggle")
}

/// A request id no other request of the check uses.
fn request_id(label: &str) -> String {
    format!("check-{label}-{}", Uuid::new_v4().simple())
}

/// `request` with the request id `request_id`.
fn tagged(request: Request, request_id: &str) -> Request {
    request.header("x-request-id", request_id)
}

/// `POST /api/v1/tasks` of `body` as `user`.
fn create(app: &RunningApp, user: Uuid, body: &Value, request_id: &str) -> Request {
    tagged(app.post("/api/v1/tasks").user(user).json(body), request_id)
}

/// `PATCH /api/v1/tasks/{id}` of `body` as `user`, with `If-Match: *`.
fn patch(app: &RunningApp, user: Uuid, id: Uuid, body: &Value, request_id: &str) -> Request {
    tagged(
        app.patch(&task_path(id))
            .user(user)
            .json(body)
            .header("if-match", "*"),
        request_id,
    )
}

/// `PUT /api/v1/tasks/{id}` of `body` as `user`, without `If-Match`.
fn put(app: &RunningApp, user: Uuid, id: Uuid, body: &Value, request_id: &str) -> Request {
    tagged(app.put(&task_path(id)).user(user).json(body), request_id)
}

/// `POST /api/v1/tasks/{id}/toggle` as `user`.
fn toggle(app: &RunningApp, user: Uuid, id: Uuid, request_id: &str) -> Request {
    tagged(app.post(&toggle_path(id)).user(user), request_id)
}

/// `DELETE /api/v1/tasks/{id}` as `user`.
fn delete(app: &RunningApp, user: Uuid, id: Uuid, request_id: &str) -> Request {
    tagged(app.delete(&task_path(id)).user(user), request_id)
}

/// A request sent in a task of its own.
type Pending = tokio::task::JoinHandle<Result<Reply, Failure>>;

fn spawn(request: Request) -> Pending {
    tokio::spawn(request.send())
}

async fn answer(pending: Pending) -> Result<Reply, Failure> {
    pending
        .await
        .map_err(|err| Failure::Error(format!("a request's task failed: {err}")))?
}

/// One attempt as a request logged it: the event's `op`, `attempt`,
/// `outcome` and `delay_ms`, and the line itself.
#[derive(Debug, Clone)]
struct Attempt {
    op: Option<String>,
    attempt: Option<i64>,
    outcome: String,
    delay_ms: Option<f64>,
    raw: String,
}

impl Attempt {
    /// The attempt a line logged, if it has an `outcome`.
    fn of(line: &LogLine) -> Option<Self> {
        let fields = line.fields();
        let outcome = fields.get("outcome")?.as_str()?.to_owned();
        let number = |value: &Value| {
            value
                .as_f64()
                .or_else(|| value.as_str().and_then(|text| text.parse().ok()))
        };
        Some(Self {
            op: fields.get("op").and_then(Value::as_str).map(str::to_owned),
            attempt: fields.get("attempt").and_then(number).map(|n| n as i64),
            outcome,
            delay_ms: fields.get("delay_ms").and_then(number),
            raw: line.raw.clone(),
        })
    }
}

/// Waits until the request `request_id` logged its completion event, so
/// that every line it logs is in.
async fn finished(app: &RunningApp, request_id: &str) {
    app.wait_for_log(Duration::from_secs(5), |line| {
        line.raw.contains(request_id) && line.get("status").is_some()
    })
    .await;
}

/// The attempts the request `request_id` logged (once it finished), in order.
async fn attempts_of(app: &RunningApp, request_id: &str) -> Vec<Attempt> {
    finished(app, request_id).await;
    app.logs
        .lines()
        .iter()
        .filter(|line| line.raw.contains(request_id))
        .filter_map(Attempt::of)
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

/// `(attempt, outcome)` of each logged attempt.
fn steps(attempts: &[Attempt]) -> Vec<(Option<i64>, &str)> {
    attempts
        .iter()
        .map(|a| (a.attempt, a.outcome.as_str()))
        .collect()
}

/// Fails unless the request `request_id` logged exactly the attempts
/// `expected` (`attempt`, `outcome`), in order, each with a string `op`
/// (the same on all), and a positive `delay_ms` on each `retry`; returns
/// them.
async fn expect_attempts(
    app: &RunningApp,
    request_id: &str,
    expected: &[(i64, &str)],
    what: &str,
) -> Result<Vec<Attempt>, Failure> {
    let logged = attempts_of(app, request_id).await;
    ensure!(
        !logged.is_empty(),
        "{what}: no log line with an `outcome` field carries its request id {request_id} (each \
         attempt must log `op`, `attempt`, `outcome` inside the request's span)"
    );
    let wanted: Vec<(Option<i64>, &str)> = expected.iter().map(|&(n, o)| (Some(n), o)).collect();
    expect_eq(
        &format!("{what}: (attempt, outcome) of each attempt it logged"),
        wanted,
        steps(&logged),
    )?;
    let ops: Vec<Option<&str>> = logged.iter().map(|a| a.op.as_deref()).collect();
    ensure!(
        ops.iter().all(|op| op.is_some_and(|op| !op.is_empty()))
            && ops.windows(2).all(|w| w[0] == w[1]),
        "{what}: every attempt must log the same `op` (a non-empty string), got {ops:?}"
    );
    for attempt in logged.iter().filter(|a| a.outcome == "retry") {
        ensure!(
            attempt.delay_ms.is_some_and(|ms| ms > 0.0),
            "{what}: a `retry` must log the delay before the next attempt as a positive \
             number `delay_ms`: {}",
            attempt.raw
        );
    }
    Ok(logged)
}

/// Fails unless `reply` is 503 `SERVICE_UNAVAILABLE` with `Retry-After`.
fn expect_exhausted(what: &str, reply: &Reply) -> Outcome {
    reply
        .expect_error(503, "SERVICE_UNAVAILABLE")
        .map_err(|err| within(what, err))?;
    crate::lesson01::expect_retry_after(reply).map_err(|err| within(what, err))?;
    snapshot::assert("retries_exhausted", &snapshot::reply(reply))
}

/// A task row as the database holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stored {
    title: String,
    done: bool,
    version: i64,
}

/// The rows of `tasks` whose id is `id` (none or one).
async fn stored(db: &Inspector, id: Uuid) -> Result<Option<Stored>, Failure> {
    let sql = format!(
        "SELECT title, CASE WHEN done THEN 'true' ELSE 'false' END AS done, \
                CAST(version AS bigint) AS version \
         FROM tasks WHERE {} = {}",
        db.uuid_hex("id"),
        db.param(1)
    );
    let rows = db.query(&sql, [Inspector::hex(id)]).await?;
    match rows.as_slice() {
        [] => Ok(None),
        [row] => Ok(Some(Stored {
            title: row.try_get("", "title")?,
            done: row.try_get::<String>("", "done")? == "true",
            version: row.try_get("", "version")?,
        })),
        more => fail!("{} task rows have the id {id}", more.len()),
    }
}

/// The row of `id`; fails if there is none.
async fn row_of(db: &Inspector, id: Uuid, what: &str) -> Result<Stored, Failure> {
    stored(db, id)
        .await?
        .ok_or_else(|| Failure::Failed(format!("{what}: no task row has the id {id}")))
}

/// Task rows of `user` titled `title`.
async fn titled(db: &Inspector, user: Uuid, title: &str) -> Result<i64, Failure> {
    let sql = format!(
        "SELECT count(*) FROM tasks WHERE {} = {} AND title = {}",
        db.uuid_hex("user_id"),
        db.param(1),
        db.param(2)
    );
    db.number(&sql, [Inspector::hex(user), title.into()]).await
}

/// Activity rows of the task `id`.
async fn activities_of(db: &Inspector, id: Uuid) -> Result<i64, Failure> {
    let sql = format!(
        "SELECT count(*) FROM task_activities WHERE {} = {}",
        db.uuid_hex("task_id"),
        db.param(1)
    );
    db.number(&sql, [Inspector::hex(id)]).await
}

/// Activity rows of every task.
async fn all_activities(db: &Inspector) -> Result<i64, Failure> {
    db.number("SELECT count(*) FROM task_activities", []).await
}

/// Fails unless `reply` is `status` with a task at `version` (and `done`, if given).
fn expect_task(
    what: &str,
    reply: &Reply,
    status: u16,
    version: i64,
    done: Option<bool>,
) -> Outcome {
    reply.expect(status).map_err(|err| within(what, err))?;
    expect_eq(
        &format!("{what}: version in the answer"),
        Some(version),
        reply.json["version"].as_i64(),
    )?;
    if let Some(done) = done {
        expect_eq(
            &format!("{what}: done in the answer"),
            Some(done),
            reply.json["done"].as_bool(),
        )?;
    }
    Ok(())
}

/// `done` and `version` of a task answer.
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

/// With `X-Fault-Transient: 2`, a create is 201 after three attempts: its
/// request id's log shows attempts 1, 2, 3 with outcomes `retry`, `retry`,
/// `ok`, one `op` on all, a positive `delay_ms` on both retries; the
/// database holds exactly one row of the task and one activity of it. A
/// `PATCH` (`If-Match: *`), a replacing `PUT` (`If-Match: *`) and a toggle
/// with the same header are 200 after the same three attempts, the task
/// one version further each time. Without `WORKBOOK_FAULTS` the fault
/// headers change nothing: a create that carries both is 201 after one
/// attempt, `ok`.
async fn transient_retried(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let user = new_user(&app, "persistent").await?;
    let db = ctx.database().await?.inspect().await?;

    let id = request_id("create");
    let reply = create(&app, user, &json!({"title": "Second time lucky"}), &id)
        .header(TRANSIENT, "2")
        .send()
        .await?;
    let what = "a create with X-Fault-Transient: 2";
    reply.expect(201).map_err(|err| within(what, err))?;
    expect_attempts(&app, &id, &RETRIED_TWICE, what).await?;
    let task = reply.id()?;
    expect_eq(
        &format!("{what}: task rows with its title"),
        1,
        titled(&db, user, "Second time lucky").await?,
    )?;
    expect_eq(
        &format!("{what}: activity rows of the task"),
        1,
        activities_of(&db, task).await?,
    )?;
    let (done, v0) = done_and_version(&reply)?;

    for (n, what) in (1..).zip([
        "a PATCH (If-Match: *) with X-Fault-Transient: 2",
        "a replacing PUT (If-Match: *) with X-Fault-Transient: 2",
        "a toggle with X-Fault-Transient: 2",
    ]) {
        let id = request_id(&format!("change-{n}"));
        let request = match n {
            1 => patch(&app, user, task, &json!({"title": "Patched"}), &id),
            2 => put(&app, user, task, &json!({"title": "Replaced"}), &id).header("if-match", "*"),
            _ => toggle(&app, user, task, &id),
        };
        let reply = request.header(TRANSIENT, "2").send().await?;
        let expected_done = if n == 3 { Some(!done) } else { None };
        expect_task(what, &reply, 200, v0 + n, expected_done)?;
        expect_attempts(&app, &id, &RETRIED_TWICE, what).await?;
    }
    let row = row_of(&db, task, "after the retried changes").await?;
    expect_eq(
        "(title, done, version) of the row after the retried PATCH, PUT and toggle",
        ("Replaced".to_owned(), !done, v0 + 3),
        (row.title, row.done, row.version),
    )?;

    // Without `WORKBOOK_FAULTS` the fault headers are ignored: one attempt, `ok`.
    let _ = app.stop().await;
    let app = ctx.app().without("WORKBOOK_FAULTS").start().await?;
    let id = request_id("faults-off");
    let what = "a create with X-Fault-Transient: 3 and X-Fault-Permanent: 1, WORKBOOK_FAULTS unset";
    let reply = create(&app, user, &json!({"title": "No faults here"}), &id)
        .header(TRANSIENT, "3")
        .header(PERMANENT, "1")
        .send()
        .await?;
    reply.expect(201).map_err(|err| within(what, err))?;
    expect_attempts(&app, &id, &[(1, "ok")], what).await?;
    let rows = titled(&db, user, "No faults here").await?;
    db.close().await;
    expect_eq(&format!("{what}: task rows with its title"), 1, rows)
}

/// With `X-Fault-Transient: 3` the three attempts all fail: a create is
/// 503 `SERVICE_UNAVAILABLE` with `Retry-After` (envelope snapshot), its log
/// shows attempts 1, 2, 3 as `retry`, `retry`, `gave_up` and no fourth, and
/// no task row nor activity was written; a `PATCH` and a toggle of an
/// existing task are 503 the same way, with the row (title, `done`,
/// `version`) as it was.
async fn retries_exhausted(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let user = new_user(&app, "unlucky").await?;
    let db = ctx.database().await?.inspect().await?;
    let activities = all_activities(&db).await?;

    let id = request_id("create");
    let reply = create(&app, user, &json!({"title": "Never written"}), &id)
        .header(TRANSIENT, "3")
        .send()
        .await?;
    let what = "a create with X-Fault-Transient: 3";
    expect_exhausted(what, &reply)?;
    expect_attempts(&app, &id, &GAVE_UP, what).await?;
    expect_eq(
        &format!("{what}: task rows with its title"),
        0,
        titled(&db, user, "Never written").await?,
    )?;
    expect_eq(
        &format!("{what}: activity rows"),
        activities,
        all_activities(&db).await?,
    )?;

    let created = new_task(&app, user, json!({"title": "Stays as it is"})).await?;
    let task = created.id()?;
    let before = row_of(&db, task, "the task created").await?;
    for (n, what) in [
        "a PATCH (If-Match: *) with X-Fault-Transient: 3",
        "a toggle with X-Fault-Transient: 3",
    ]
    .into_iter()
    .enumerate()
    {
        let id = request_id(&format!("change-{n}"));
        let request = if n == 0 {
            patch(&app, user, task, &json!({"title": "Never patched"}), &id)
        } else {
            toggle(&app, user, task, &id)
        };
        let reply = request.header(TRANSIENT, "3").send().await?;
        expect_exhausted(what, &reply)?;
        expect_attempts(&app, &id, &GAVE_UP, what).await?;
        expect_eq(
            &format!("{what}: the row in the database"),
            before.clone(),
            row_of(&db, task, what).await?,
        )?;
    }
    db.close().await;
    Ok(())
}

/// With `X-Fault-Permanent: 1` a create is 500 `INTERNAL` after exactly one
/// attempt, logged `not_retryable`, and no row; a toggle the same, the row
/// unchanged. Refusals are not retried either: a duplicate title (409
/// `DUPLICATE_TITLE`) and a stale `If-Match` (412) log at most one attempt,
/// and no `retry`.
async fn permanent_not_retried(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let user = new_user(&app, "doomed").await?;
    let db = ctx.database().await?.inspect().await?;
    let activities = all_activities(&db).await?;

    let id = request_id("create");
    let reply = create(&app, user, &json!({"title": "Not to be"}), &id)
        .header(PERMANENT, "1")
        .send()
        .await?;
    let what = "a create with X-Fault-Permanent: 1";
    reply
        .expect_error(500, "INTERNAL")
        .map_err(|err| within(what, err))?;
    expect_attempts(&app, &id, &[(1, "not_retryable")], what).await?;
    expect_eq(
        &format!("{what}: task rows with its title"),
        0,
        titled(&db, user, "Not to be").await?,
    )?;
    expect_eq(
        &format!("{what}: activity rows"),
        activities,
        all_activities(&db).await?,
    )?;

    let created = new_task(&app, user, json!({"title": "Taken"})).await?;
    let task = created.id()?;
    let before = row_of(&db, task, "the task created").await?;
    let id = request_id("toggle");
    let reply = toggle(&app, user, task, &id)
        .header(PERMANENT, "1")
        .send()
        .await?;
    let what = "a toggle with X-Fault-Permanent: 1";
    reply
        .expect_error(500, "INTERNAL")
        .map_err(|err| within(what, err))?;
    expect_attempts(&app, &id, &[(1, "not_retryable")], what).await?;
    expect_eq(
        &format!("{what}: the row in the database"),
        before,
        row_of(&db, task, what).await?,
    )?;

    for (n, (what, status)) in [
        ("a create of a title the user already has", 409),
        ("a PATCH with a stale If-Match", 412),
    ]
    .into_iter()
    .enumerate()
    {
        let id = request_id(&format!("refusal-{n}"));
        let request = if n == 0 {
            create(&app, user, &json!({"title": "Taken"}), &id)
        } else {
            tagged(
                app.patch(&task_path(task))
                    .user(user)
                    .json(&json!({"title": "Too late"}))
                    .header("if-match", "\"v99\""),
                &id,
            )
        };
        let reply = request.send().await?;
        reply.expect(status).map_err(|err| within(what, err))?;
        let logged = attempts_of(&app, &id).await;
        ensure!(
            logged.len() <= 1 && logged.iter().all(|a| a.outcome != "retry"),
            "{what}: answered {status}, a refusal no retry cures, yet it logged the attempts \
             {:?} (at most one, and no `retry`)",
            steps(&logged)
        );
    }
    db.close().await;
    Ok(())
}

/// Over 30 creates with `X-Fault-Transient: 2` (6 at a time), the delays
/// their logs show (`delay_ms` of the two `retry` events): the first is at
/// least 5 ms every time (never zero); the second is longer, the median of
/// second ÷ first at least 1.5 (the step doubles); the first delays are
/// not one value (they spread over more than 1 ms: jitter); and each
/// request took at least its two delays (`latency_ms`), so they were slept.
async fn backoff_grows(ctx: Ctx) -> Outcome {
    const REQUESTS: usize = 30;
    let app = ctx.app().start().await?;
    let user = new_user(&app, "patient").await?;
    let ids: Vec<String> = (0..REQUESTS)
        .map(|n| request_id(&format!("backoff-{n}")))
        .collect();
    for (round, chunk) in ids.chunks(6).enumerate() {
        let pending: Vec<Pending> = chunk
            .iter()
            .enumerate()
            .map(|(n, id)| {
                let body = json!({"title": format!("Backoff {round}.{n}")});
                spawn(create(&app, user, &body, id).header(TRANSIENT, "2"))
            })
            .collect();
        for request in pending {
            answer(request)
                .await?
                .expect(201)
                .map_err(|err| within("a create with X-Fault-Transient: 2", err))?;
        }
    }

    let mut firsts = Vec::new();
    let mut ratios = Vec::new();
    for id in &ids {
        let what = format!("the create {id} with X-Fault-Transient: 2");
        let logged = expect_attempts(&app, id, &RETRIED_TWICE, &what).await?;
        let (first, second) = match (logged[0].delay_ms, logged[1].delay_ms) {
            (Some(first), Some(second)) => (first, second),
            _ => fail!("{what}: a retry without `delay_ms`"),
        };
        if first < 5.0 {
            fail!(
                "{what}: the delay before the second attempt was {first} ms; a backoff starts at \
                 a few milliseconds at least (the lesson's: 12.5 to 25 ms)"
            );
        }
        let latency = latency_of(&app, id)?;
        if latency < first + second - 1.0 {
            fail!(
                "{what}: took {latency} ms in all, less than the delays it logged ({first} + \
                 {second} ms): the delays must be slept before the next attempt"
            );
        }
        firsts.push(first);
        ratios.push(second / first);
    }
    ratios.sort_by(f64::total_cmp);
    let median = ratios[ratios.len() / 2];
    if median < 1.5 {
        fail!(
            "the delay before the third attempt should be about twice the one before the second \
             (exponential backoff), but second ÷ first has the median {median:.2} over \
             {REQUESTS} requests: {ratios:.2?}"
        );
    }
    firsts.sort_by(f64::total_cmp);
    let spread = firsts[firsts.len() - 1] - firsts[0];
    if spread <= 1.0 {
        fail!(
            "the delays before the second attempt of {REQUESTS} requests all lie within {spread:.3} \
             ms ({firsts:?}): without jitter, writers that failed together retry together"
        );
    }
    Ok(())
}

/// A write whose first two attempts fail applies once, as the database
/// shows: a toggle flips `done` once and raises `version` by 1; a `PATCH`
/// with the task's exact tag raises it by exactly 1 (the failed attempts
/// left nothing, so the tag still matched); a create leaves one row and one
/// activity; a `PUT` of a new id one row, 201; a `DELETE` 204, after which
/// the task is gone (`GET` and a second `DELETE` 404).
async fn retry_applies_once(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let user = new_user(&app, "once").await?;
    let db = ctx.database().await?.inspect().await?;

    let created = new_task(&app, user, json!({"title": "Flip once"})).await?;
    let task = created.id()?;
    let (done, v0) = done_and_version(&created)?;
    let what = "a toggle with X-Fault-Transient: 2";
    let reply = toggle(&app, user, task, &request_id("toggle"))
        .header(TRANSIENT, "2")
        .send()
        .await?;
    expect_task(what, &reply, 200, v0 + 1, Some(!done))?;
    let row = row_of(&db, task, what).await?;
    expect_eq(
        &format!("{what}: (done, version) of the row in the database"),
        (!done, v0 + 1),
        (row.done, row.version),
    )?;

    let what = "a PATCH with its exact If-Match and X-Fault-Transient: 2";
    let reply = tagged(
        app.patch(&task_path(task))
            .user(user)
            .json(&json!({"title": "Patched once"}))
            .header("if-match", &format!("\"v{}\"", v0 + 1)),
        &request_id("patch"),
    )
    .header(TRANSIENT, "2")
    .send()
    .await?;
    expect_task(what, &reply, 200, v0 + 2, None)?;
    let row = row_of(&db, task, what).await?;
    expect_eq(
        &format!("{what}: (title, version) of the row in the database"),
        ("Patched once".to_owned(), v0 + 2),
        (row.title, row.version),
    )?;

    let what = "a create with X-Fault-Transient: 2";
    let reply = create(
        &app,
        user,
        &json!({"title": "Made once"}),
        &request_id("create"),
    )
    .header(TRANSIENT, "2")
    .send()
    .await?;
    reply.expect(201).map_err(|err| within(what, err))?;
    let made = reply.id()?;
    expect_eq(
        &format!("{what}: (task rows with its title, activity rows of the task)"),
        (1, 1),
        (
            titled(&db, user, "Made once").await?,
            activities_of(&db, made).await?,
        ),
    )?;

    let what = "a PUT of a new id with X-Fault-Transient: 2";
    let fresh = Uuid::now_v7();
    let reply = put(
        &app,
        user,
        fresh,
        &json!({"title": "Put once"}),
        &request_id("put"),
    )
    .header(TRANSIENT, "2")
    .send()
    .await?;
    reply.expect(201).map_err(|err| within(what, err))?;
    expect_eq(&format!("{what}: id of the task"), fresh, reply.id()?)?;
    expect_eq(
        &format!("{what}: task rows with its title"),
        1,
        titled(&db, user, "Put once").await?,
    )?;
    row_of(&db, fresh, what).await?;

    let what = "a DELETE with X-Fault-Transient: 2";
    let reply = delete(&app, user, made, &request_id("delete"))
        .header(TRANSIENT, "2")
        .send()
        .await?;
    reply.expect(204).map_err(|err| within(what, err))?;
    let gone = app.get(&task_path(made)).user(user).send().await?;
    gone.expect_error(404, "NOT_FOUND")
        .map_err(|err| within(&format!("GET after {what}"), err))?;
    db.close().await;
    // Read through the API, not the table: from lesson 17 a delete keeps the
    // row (soft), and this check holds there too.
    let again = app.delete(&task_path(made)).user(user).send().await?;
    again
        .expect_error(404, "NOT_FOUND")
        .map_err(|err| within(&format!("a second DELETE after {what}"), err))?;
    Ok(())
}

/// Retries of real errors, no fault header sent. SQLite (`DB_BUSY_TIMEOUT_MS=50`):
/// while the check's own connection holds the database's write lock
/// (`BEGIN IMMEDIATE`) for 150 ms, 16 creates and 16 toggles of one task
/// are sent: every one is 2xx, 16 rows and 16 activities are written, the
/// task ends 16 versions up with `done` as it began, and at least one of
/// these requests logged a `retry`. With the lock held 1 s, a create is
/// 503 with `Retry-After` after `retry`, `retry`, `gave_up`, and no row.
/// PostgreSQL: a real deadlock. The check's session inserts a task titled
/// "Deadlock" for the user, uncommitted; the user's `PUT` of a new id with
/// that title waits for it (the unique title); the check's session then
/// inserts a row with the `PUT`'s id, which waits for the `PUT`: the
/// database breaks the deadlock in the application's session (the check's
/// has `deadlock_timeout` 10 s), and the check rolls back. The `PUT` is
/// 201, logs `retry` on attempt 1 and `ok` last, and its row is there.
async fn real_contention(ctx: Ctx) -> Outcome {
    match ctx.backend() {
        Backend::Sqlite => sqlite_busy(&ctx).await,
        Backend::Postgres => postgres_deadlock(&ctx).await,
    }
}

async fn sqlite_busy(ctx: &Ctx) -> Outcome {
    const WRITERS: usize = 16;
    let app = ctx.app().env("DB_BUSY_TIMEOUT_MS", "50").start().await?;
    let user = new_user(&app, "crowded").await?;
    let created = new_task(&app, user, json!({"title": "Flipped in a crowd"})).await?;
    let task = created.id()?;
    let (done, v0) = done_and_version(&created)?;
    let db = ctx.database().await?.inspect().await?;
    let activities = all_activities(&db).await?;

    let lock = db.begin_immediate().await?;
    let locked = Instant::now();
    let mut ids = Vec::new();
    let mut pending = Vec::new();
    for n in 0..WRITERS {
        let (create_id, toggle_id) = (request_id("busy-create"), request_id("busy-toggle"));
        let body = json!({"title": format!("Contended {n}")});
        pending.push(spawn(create(&app, user, &body, &create_id)));
        pending.push(spawn(toggle(&app, user, task, &toggle_id)));
        ids.extend([create_id, toggle_id]);
    }
    tokio::time::sleep(Duration::from_millis(150).saturating_sub(locked.elapsed())).await;
    lock.rollback().await?;
    let mut replies = Vec::new();
    for request in pending {
        replies.push(answer(request).await?);
    }
    let statuses: Vec<u16> = replies.iter().map(|reply| reply.status).collect();
    ensure!(
        statuses.iter().all(|status| (200..300).contains(status)),
        "with DB_BUSY_TIMEOUT_MS=50 and another connection holding the write lock 150 ms, \
         {WRITERS} creates and {WRITERS} toggles should all end 2xx (retried past the busy \
         database), got {statuses:?}; first refused: {}",
        replies
            .iter()
            .find(|reply| !(200..300).contains(&reply.status))
            .map(Reply::brief)
            .unwrap_or_default()
    );
    let mut contended = 0;
    for n in 0..WRITERS {
        contended += titled(&db, user, &format!("Contended {n}")).await?;
    }
    expect_eq(
        "task rows written by the contended creates",
        WRITERS as i64,
        contended,
    )?;
    expect_eq(
        "activity rows written by the contended creates",
        activities + WRITERS as i64,
        all_activities(&db).await?,
    )?;
    let row = row_of(&db, task, "after the contended toggles").await?;
    expect_eq(
        "(done, version) of the task after 16 contended toggles",
        (done, v0 + WRITERS as i64),
        (row.done, row.version),
    )?;
    let mut outcomes = Vec::new();
    for id in &ids {
        outcomes.extend(attempts_of(&app, id).await.into_iter().map(|a| a.outcome));
    }
    ensure!(
        outcomes.iter().any(|outcome| outcome == "retry"),
        "with the write lock held 150 ms and DB_BUSY_TIMEOUT_MS=50, none of the {} contended \
         writes logged a `retry` (outcomes: {outcomes:?}): a real SQLITE_BUSY must be retried",
        WRITERS * 2
    );

    let lock = db.begin_immediate().await?;
    let id = request_id("busy-too-long");
    let reply = create(&app, user, &json!({"title": "Locked out"}), &id)
        .send()
        .await;
    lock.rollback().await?;
    let what = "a create while another connection held the write lock 1 s, DB_BUSY_TIMEOUT_MS=50";
    let reply = reply?;
    expect_exhausted(what, &reply)?;
    expect_attempts(&app, &id, &GAVE_UP, what).await?;
    let left = titled(&db, user, "Locked out").await?;
    db.close().await;
    expect_eq(&format!("{what}: task rows with its title"), 0, left)
}

/// A connection of the check's own to the check's PostgreSQL database, one
/// session, named like the Inspector's (so it is not counted as the app's).
async fn own_session(ctx: &Ctx) -> Result<DatabaseConnection, Failure> {
    let mut options = ConnectOptions::new(ctx.database().await?.url());
    options
        .max_connections(1)
        .min_connections(1)
        .sqlx_logging(false)
        .set_application_name("workbook-checks");
    Database::connect(options)
        .await
        .map_err(|err| Failure::Error(format!("cannot open the check's session: {err}")))
}

async fn postgres_deadlock(ctx: &Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let user = new_user(&app, "deadlocked").await?;
    let watcher = ctx.database().await?.inspect().await?;
    let session = own_session(ctx).await?;
    session
        .execute_unprepared("SET deadlock_timeout = '10s'")
        .await?;
    let txn = session.begin().await?;
    let first = txn
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            "INSERT INTO tasks (id, user_id, title) VALUES ($1, $2, 'Deadlock')",
            [Uuid::now_v7().into(), user.into()],
        ))
        .await;
    if let Err(err) = first {
        fail!("the check could not insert its own task titled \"Deadlock\": {err}");
    }

    let id = request_id("deadlock");
    let x = Uuid::now_v7();
    let put = spawn(put(&app, user, x, &json!({"title": "Deadlock"}), &id));
    // The PUT waits for the check's uncommitted title.
    let asked = Instant::now();
    loop {
        let waiting = watcher
            .number(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
                 AND application_name <> 'workbook-checks' AND wait_event_type = 'Lock'",
                [],
            )
            .await?;
        if waiting > 0 {
            break;
        }
        if put.is_finished() || asked.elapsed() > Duration::from_secs(5) {
            let _ = txn.rollback().await;
            let reply = answer(put).await?;
            fail!(
                "a PUT of a new id whose title the check's own uncommitted row holds should \
                 wait for that row (the unique title), but it did not: {}",
                reply.brief()
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // And now the check's session waits for the PUT's row: a deadlock.
    let second = txn
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            "INSERT INTO tasks (id, user_id, title) VALUES ($1, $2, 'Deadlock too')",
            [x.into(), user.into()],
        ))
        .await;
    let _ = txn.rollback().await;
    session.close().await?;
    watcher.close().await;
    if let Err(err) = second {
        fail!(
            "the check's own session, not the application's, was chosen to break the deadlock \
             ({err}); it should not be, with deadlock_timeout 10 s"
        );
    }
    let reply = answer(put).await?;
    let what = "a PUT that met a real deadlock (40P01) on its first attempt";
    reply.expect(201).map_err(|err| within(what, err))?;
    let logged = attempts_of(&app, &id).await;
    let steps = steps(&logged);
    ensure!(
        steps.first() == Some(&(Some(1), "retry")) && steps.last().is_some_and(|s| s.1 == "ok"),
        "{what}: its attempts should begin with attempt 1 `retry` and end `ok`, got {steps:?}"
    );
    let db = ctx.database().await?.inspect().await?;
    let row = row_of(&db, x, what).await?;
    db.close().await;
    expect_eq(&format!("{what}: title of its row"), "Deadlock", &row.title)
}
