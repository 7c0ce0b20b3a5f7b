//! Lesson 8: pages by offset, with the total under the same filters.

use std::time::Duration;

use regex::Regex;
use serde_json::json;

use crate::{
    check, ensure,
    flows::{
        changing, expect_invalid_list_queries, ids, new_task, new_tasks, new_user, statements_of,
    },
    harness::{Check, Ctx, Outcome, expect_eq, snapshot},
};

pub fn checks() -> Vec<Check> {
    vec![
        check!(offset_page, 8),
        check!(filtered_total, 8),
        check!(page_bounds, 8),
        check!(bound_parameters, 8),
    ]
}

/// `limit=10&offset=20` of 45 tasks: rows 21 to 30 of the full order, and
/// `meta.total` 45.
async fn offset_page(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let user = new_user(&app, "pager").await?;
    new_tasks(
        &app,
        user,
        45,
        |i| json!({"title": format!("page task {i:02}")}),
    )
    .await?;
    let everything = app.get("/api/v1/tasks?limit=100").user(user).send().await?;
    everything.expect(200)?;
    let all = ids(&everything)?;
    expect_eq("tasks on a page of 100", 45, all.len())?;

    let page = app
        .get("/api/v1/tasks?limit=10&offset=20")
        .user(user)
        .send()
        .await?;
    page.expect(200)?;
    expect_eq(
        "rows of limit=10&offset=20",
        all[20..30].to_vec(),
        ids(&page)?,
    )?;
    expect_eq(
        "meta",
        json!({"total": 45, "limit": 10, "offset": 20}),
        page.json["meta"].clone(),
    )?;
    snapshot::assert(
        "offset_page-meta",
        &json!({"status": page.status, "meta": page.json["meta"]}),
    )?;
    Ok(())
}

/// `meta.total` counts every row matching the filters, not the page.
async fn filtered_total(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let user = new_user(&app, "counter").await?;
    let other = new_user(&app, "someone-else").await?;
    new_tasks(
        &app,
        user,
        45,
        |i| json!({"title": format!("counted {i:02}"), "done": i % 3 == 0}),
    )
    .await?;
    new_tasks(
        &app,
        other,
        5,
        |i| json!({"title": format!("not counted {i}"), "done": true}),
    )
    .await?;
    for (query, rows, total) in [
        ("?done=true&limit=5", 5, 15),
        ("?done=false&limit=100", 30, 30),
        ("?done=true&offset=10", 5, 15),
    ] {
        let reply = app
            .get(&format!("/api/v1/tasks{query}"))
            .user(user)
            .send()
            .await?;
        reply.expect(200)?;
        expect_eq(&format!("rows of {query}"), rows, reply.data()?.len())?;
        expect_eq(
            &format!("meta.total of {query}"),
            Some(total),
            reply.json["meta"]["total"].as_u64(),
        )?;
        let done_wanted = query.contains("done=true");
        ensure!(
            reply.data()?.iter().all(|t| t["done"] == done_wanted),
            "{query} listed a task that does not match the filter"
        );
    }
    Ok(())
}

/// Default limit 20; bad values of `limit` and `offset` and unknown parameters
/// are 400 `INVALID_QUERY` naming the parameter; past the end is an empty page
/// with the right total.
async fn page_bounds(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let user = new_user(&app, "bounds").await?;
    new_tasks(
        &app,
        user,
        25,
        |i| json!({"title": format!("bound {i:02}")}),
    )
    .await?;
    let default = app.get("/api/v1/tasks").user(user).send().await?;
    default.expect(200)?;
    expect_eq("rows without limit", 20, default.data()?.len())?;
    expect_eq(
        "meta without limit",
        json!({"total": 25, "limit": 20, "offset": 0}),
        default.json["meta"].clone(),
    )?;
    expect_invalid_list_queries(
        &app,
        user,
        "page_bounds-invalid",
        &[
            ("limit=0", "limit"),
            ("limit=101", "limit"),
            ("limit=-1", "limit"),
            ("limit=abc", "limit"),
            ("limit=1.5", "limit"),
            ("limit=", "limit"),
            ("limit=1e2", "limit"),
            ("limit=5&limit=6", "limit"),
            ("limit=18446744073709551617", "limit"),
            ("offset=-1", "offset"),
            ("offset=x", "offset"),
            ("offset=1.5", "offset"),
            ("offset=", "offset"),
            ("offset=0&offset=1", "offset"),
            ("offset=9223372036854775808", "offset"),
            ("offset=18446744073709551615", "offset"),
            ("page=2", "page"),
        ],
    )
    .await?;
    let past = app
        .get("/api/v1/tasks?limit=10&offset=1000")
        .user(user)
        .send()
        .await?;
    past.expect(200)?;
    expect_eq("rows past the end", 0, past.data()?.len())?;
    expect_eq(
        "meta.total past the end",
        Some(25),
        past.json["meta"]["total"].as_u64(),
    )?;
    let last = app
        .get("/api/v1/tasks?limit=100&offset=20")
        .user(user)
        .send()
        .await?;
    expect_eq("rows of the last page", 5, last.data()?.len())?;
    Ok(())
}

/// Values reach the database as bound parameters: no statement logged while
/// writing and listing holds the title, the user id, the `done` filter or a
/// literal LIMIT/OFFSET.
async fn bound_parameters(ctx: Ctx) -> Outcome {
    let app = ctx.app().start().await?;
    let user = new_user(&app, "bound").await?;
    let marker = format!(
        "zq-marker-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let mut request_ids = Vec::new();
    let created = {
        let id = "check-bound-create";
        request_ids.push(id);
        let reply = app
            .post("/api/v1/tasks")
            .user(user)
            .header("x-request-id", id)
            .json(&json!({"title": format!("{marker} one")}))
            .send()
            .await?;
        reply.expect(201)?;
        reply
    };
    new_task(
        &app,
        user,
        json!({"title": format!("{marker} two"), "done": true}),
    )
    .await?;
    let patch_id = "check-bound-patch";
    request_ids.push(patch_id);
    changing(
        app.patch(&format!("/api/v1/tasks/{}", created.id()?))
            .user(user)
            .header("x-request-id", patch_id)
            .json(&json!({"title": format!("{marker} renamed")})),
        ctx.lesson(),
    )
    .send()
    .await?
    .expect(200)?;
    let list_id = "check-bound-list";
    request_ids.push(list_id);
    let listed = app
        .get("/api/v1/tasks?done=true&limit=97&offset=1")
        .user(user)
        .header("x-request-id", list_id)
        .send()
        .await?;
    listed.expect(200)?;
    app.wait_for_log(Duration::from_secs(5), |line| {
        line.raw.contains(list_id) && line.get("status").is_some()
    })
    .await;

    let statements: Vec<String> = request_ids
        .iter()
        .flat_map(|id| statements_of(&app, id))
        .collect();
    let upper: Vec<String> = statements.iter().map(|s| s.to_uppercase()).collect();
    ensure!(
        upper.iter().any(|s| s.starts_with("INSERT"))
            && upper.iter().any(|s| s.starts_with("UPDATE"))
            && upper
                .iter()
                .any(|s| s.starts_with("SELECT") && s.contains("LIMIT")),
        "expected the INSERT, UPDATE and paged SELECT among the SQL events of the requests (RUST_LOG=info,sql=debug); got {statements:?}"
    );
    let literal_page = Regex::new(r"(?i)\b(LIMIT|OFFSET)\s+\d").expect("valid pattern");
    let literal_filter = Regex::new(r"(?i)=\s*(TRUE|FALSE)\b").expect("valid pattern");
    // SQLite takes a boolean as 0 or 1: `"done" = 1` is a literal too.
    let literal_flag = Regex::new(r#"(?i)\bdone"?\s*=\s*[01]\b"#).expect("valid pattern");
    let user_hex = user.simple().to_string();
    for statement in &statements {
        let lower = statement.to_lowercase();
        ensure!(
            !lower.contains(&marker),
            "a statement holds the title's value instead of a placeholder: {statement}"
        );
        ensure!(
            !lower.contains(&user.to_string()) && !lower.contains(&user_hex),
            "a statement holds the user id instead of a placeholder: {statement}"
        );
        ensure!(
            !literal_page.is_match(statement),
            "a statement has a literal LIMIT or OFFSET: {statement}"
        );
        ensure!(
            !literal_filter.is_match(statement) && !literal_flag.is_match(statement),
            "a statement compares `done` with a literal (TRUE, FALSE, 1 or 0): {statement}"
        );
    }
    Ok(())
}
