//! The routes, each a handler that parses, runs one or two statements, answers.

use axum::{
    Json, Router,
    extract::{Path, RawQuery, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, NaiveDate, SecondsFormat};
use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::AssertSqlSafe;
use uuid::Uuid;

use crate::{
    db::{Db, Task},
    on_pool,
};

pub fn router(db: Db) -> Router {
    Router::new()
        .route("/health", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/api/v1/tasks", get(list).post(create))
        .route("/api/v1/tasks/{id}", get(one))
        .with_state(db)
}

/// An answer in the error envelope.
struct Failure(StatusCode, &'static str);

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let body = json!({"error": {"code": self.1, "message": self.1.to_lowercase()}});
        (self.0, Json(body)).into_response()
    }
}

impl From<sqlx::Error> for Failure {
    fn from(_: sqlx::Error) -> Self {
        Failure(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL")
    }
}

fn invalid_query() -> Failure {
    Failure(StatusCode::BAD_REQUEST, "INVALID_QUERY")
}

/// The caller named by `X-User-Id`, looked up on the pool the request uses.
async fn caller(db: &Db, headers: &HeaderMap, writes: bool) -> Result<Uuid, Failure> {
    let unauthenticated = Failure(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED");
    let id = headers
        .get("x-user-id")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| Uuid::try_parse(value.trim()).ok())
        .ok_or(unauthenticated)?;
    let sql = AssertSqlSafe(db.sql("SELECT 1 FROM users WHERE id = $1"));
    let found = if writes {
        on_pool!(db, write, |pool| sqlx::query(sql)
            .bind(id)
            .fetch_optional(pool)
            .await?
            .is_some())
    } else {
        on_pool!(db, read, |pool| sqlx::query(sql)
            .bind(id)
            .fetch_optional(pool)
            .await?
            .is_some())
    };
    if found {
        Ok(id)
    } else {
        Err(Failure(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED"))
    }
}

/// `GET /api/v1/tasks/{id}`.
async fn one(
    State(db): State<Db>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Task>, Failure> {
    let owner = caller(&db, &headers, false).await?;
    let not_found = Failure(StatusCode::NOT_FOUND, "NOT_FOUND");
    let id = Uuid::try_parse(&id).map_err(|_| Failure(StatusCode::NOT_FOUND, "NOT_FOUND"))?;
    let sql = AssertSqlSafe(db.sql(&format!(
        "SELECT {} FROM tasks WHERE id = $1 AND user_id = $2",
        db.task_columns()
    )));
    let task = on_pool!(&db, read, |pool| sqlx::query_as::<_, Task>(sql)
        .bind(id)
        .bind(owner)
        .fetch_optional(pool)
        .await?);
    task.map(Json).ok_or(not_found)
}

/// The list's parameters, checked as strictly as lesson 9 checks them.
#[derive(Default)]
struct ListQuery {
    done: Option<bool>,
    sort: Option<String>,
    limit: Option<u64>,
    offset: Option<u64>,
    cursor: Option<String>,
}

impl ListQuery {
    fn parse(query: &str) -> Result<Self, Failure> {
        let mut parsed = Self::default();
        for (key, value) in form_pairs(query) {
            let repeated = match key.as_str() {
                "done" => parsed
                    .done
                    .replace(value.parse().map_err(|_| invalid_query())?)
                    .is_some(),
                "sort" => parsed.sort.replace(value).is_some(),
                "limit" => parsed
                    .limit
                    .replace(value.parse().map_err(|_| invalid_query())?)
                    .is_some(),
                "offset" => parsed
                    .offset
                    .replace(value.parse().map_err(|_| invalid_query())?)
                    .is_some(),
                "cursor" => parsed.cursor.replace(value).is_some(),
                _ => true,
            };
            if repeated {
                return Err(invalid_query());
            }
        }
        let limit_ok = parsed.limit.is_none_or(|limit| (1..=100).contains(&limit));
        let cursor_ok = parsed.cursor.is_none()
            || (parsed.offset.is_none()
                && parsed.sort.as_deref().is_none_or(|s| s == "created_at"));
        if !limit_ok || !cursor_ok {
            return Err(invalid_query());
        }
        Ok(parsed)
    }
}

fn form_pairs(query: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query).unwrap_or_default()
}

/// `GET /api/v1/tasks`: by offset, or by key with `cursor`.
async fn list(
    State(db): State<Db>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, Failure> {
    let owner = caller(&db, &headers, false).await?;
    let query = ListQuery::parse(query.as_deref().unwrap_or_default())?;
    let limit = query.limit.unwrap_or(20);
    let filter = if query.done.is_some() {
        "user_id = $1 AND done = $2"
    } else {
        "user_id = $1"
    };
    let next = if query.done.is_some() { 3 } else { 2 };
    if let Some(cursor) = &query.cursor {
        let after = if cursor.is_empty() {
            None
        } else {
            Some(decode_cursor(cursor).ok_or_else(invalid_query)?)
        };
        let (keyset, limit_param) = match after {
            Some(_) => (
                format!(
                    " AND (created_at, id) > ({}, ${})",
                    db.time_param(next),
                    next + 1
                ),
                next + 2,
            ),
            None => (String::new(), next),
        };
        let sql = AssertSqlSafe(db.sql(&format!(
            "SELECT {} FROM tasks WHERE {filter}{keyset} ORDER BY tasks.created_at, tasks.id LIMIT ${limit_param}",
            db.task_columns()
        )));
        let mut rows = on_pool!(&db, read, |pool| {
            let mut statement = sqlx::query_as::<_, Task>(sql).bind(owner);
            if let Some(done) = query.done {
                statement = statement.bind(done);
            }
            if let Some((at, id)) = &after {
                statement = statement.bind(at.clone()).bind(*id);
            }
            statement.bind((limit + 1) as i64).fetch_all(pool).await?
        });
        let more = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        let next_cursor = if more {
            rows.last().and_then(encode_cursor)
        } else {
            None
        };
        return Ok(Json(
            json!({"data": rows, "meta": {"limit": limit, "nextCursor": next_cursor}}),
        ));
    }
    let order = match query.sort.as_deref().unwrap_or("created_at") {
        // Qualified: the answer's columns of the same names are text on PostgreSQL,
        // and an unqualified ORDER BY would sort those instead of using the index.
        "created_at" => "tasks.created_at ASC, tasks.id ASC",
        "-created_at" => "tasks.created_at DESC, tasks.id DESC",
        "due_date" => "tasks.due_date ASC NULLS LAST, tasks.id ASC",
        "-due_date" => "tasks.due_date DESC NULLS LAST, tasks.id DESC",
        _ => return Err(invalid_query()),
    };
    let offset = query.offset.unwrap_or(0);
    // The page is cut in a subquery and only its rows are formatted: PostgreSQL
    // evaluates the select list of the rows OFFSET skips too, and `to_char` on
    // 9,000 skipped rows costs more than the page.
    let sql = AssertSqlSafe(db.sql(&format!(
        "SELECT {} FROM (SELECT * FROM tasks WHERE {filter} ORDER BY {order} LIMIT ${next} OFFSET ${}) AS tasks ORDER BY {order}",
        db.task_columns(),
        next + 1
    )));
    let count = AssertSqlSafe(db.sql(&format!("SELECT count(*) FROM tasks WHERE {filter}")));
    let (rows, total) = on_pool!(&db, read, |pool| {
        let mut page = sqlx::query_as::<_, Task>(sql).bind(owner);
        let mut total = sqlx::query_scalar::<_, i64>(count).bind(owner);
        if let Some(done) = query.done {
            page = page.bind(done);
            total = total.bind(done);
        }
        let rows = page
            .bind(limit as i64)
            .bind(offset as i64)
            .fetch_all(pool)
            .await?;
        (rows, total.fetch_one(pool).await?)
    });
    Ok(Json(json!({
        "data": rows,
        "meta": {"total": total, "limit": limit, "offset": offset},
    })))
}

/// `POST /api/v1/tasks`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct NewTask {
    title: String,
    done: Option<bool>,
    due_date: Option<String>,
}

async fn create(
    State(db): State<Db>,
    headers: HeaderMap,
    Json(new): Json<NewTask>,
) -> Result<Response, Failure> {
    let owner = caller(&db, &headers, true).await?;
    let invalid = || Failure(StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED");
    if !(1..=200).contains(&new.title.chars().count()) || new.title.trim().is_empty() {
        return Err(invalid());
    }
    if let Some(due) = &new.due_date
        && (due.len() != 10 || NaiveDate::parse_from_str(due, "%Y-%m-%d").is_err())
    {
        return Err(invalid());
    }
    let date = match db {
        Db::Sqlite { .. } => "$5",
        Db::Postgres(_) => "$5::date",
    };
    let sql = AssertSqlSafe(db.sql(&format!(
        "INSERT INTO tasks (id, user_id, title, done, due_date) VALUES ($1, $2, $3, $4, {date}) \
         RETURNING {}",
        db.task_columns()
    )));
    // `fetch_all` steps the statement to its end, so SQLite can checkpoint its log.
    let mut rows = on_pool!(&db, write, |pool| sqlx::query_as::<_, Task>(sql)
        .bind(Uuid::now_v7())
        .bind(owner)
        .bind(&new.title)
        .bind(new.done.unwrap_or(false))
        .bind(&new.due_date)
        .fetch_all(pool)
        .await
        .map_err(|err| match err.as_database_error() {
            Some(db) if db.is_unique_violation() =>
                Failure(StatusCode::CONFLICT, "DUPLICATE_TITLE"),
            _ => Failure::from(err),
        })?);
    let task = rows
        .pop()
        .ok_or(Failure(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL"))?;
    let location = format!("/api/v1/tasks/{}", task.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(task),
    )
        .into_response())
}

/// Lesson 9's cursor: a version byte, microseconds since the epoch, the id; base64url.
fn decode_cursor(text: &str) -> Option<(String, Uuid)> {
    let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
    if bytes.len() != 25 || bytes[0] != 1 {
        return None;
    }
    let micros = i64::from_be_bytes(bytes[1..9].try_into().ok()?);
    let at = DateTime::from_timestamp_micros(micros)?.to_rfc3339_opts(SecondsFormat::Micros, true);
    Some((at, Uuid::from_slice(&bytes[9..]).ok()?))
}

fn encode_cursor(task: &Task) -> Option<String> {
    let micros = DateTime::parse_from_rfc3339(&task.created_at)
        .ok()?
        .timestamp_micros();
    let mut bytes = vec![1];
    bytes.extend_from_slice(&micros.to_be_bytes());
    bytes.extend_from_slice(task.id.as_bytes());
    Some(URL_SAFE_NO_PAD.encode(bytes))
}
