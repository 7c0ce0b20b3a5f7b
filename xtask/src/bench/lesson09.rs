//! Lesson 9: one page of 20 rows at increasing depth, by offset and by
//! cursor, on one user with 20,000 tasks.

use std::sync::Arc;

use anyhow::Context;
use checks::harness::Backend;

use super::{Bench, chart, command, first_user, measure};

const DEPTHS: [usize; 5] = [0, 1_000, 5_000, 10_000, 19_000];
const PAGE: usize = 20;

pub async fn run(bench: &Bench, backends: &[Backend]) -> anyhow::Result<()> {
    for backend in backends {
        let ctx = bench.ctx("bench09", 9, *backend)?;
        eprintln!("{backend}: seeding 20,000 tasks for one user…");
        command(&ctx, &["seed", "--users", "1", "--tasks", "20000"]).await?;
        let user = first_user(&ctx).await?;
        let app = Arc::new(ctx.app().env("RUST_LOG", "info").start().await?);

        // The cursor that starts each depth: walk the whole list once, 100 rows a page.
        let mut cursors = vec![String::new()];
        let mut cursor = String::new();
        for page in 1..=DEPTHS[DEPTHS.len() - 1] / 100 {
            let reply = app
                .get(&format!("/api/v1/tasks?cursor={cursor}&limit=100"))
                .user(user)
                .send()
                .await?;
            cursor = reply.str_at("/meta/nextCursor")?;
            if DEPTHS.contains(&(page * 100)) {
                cursors.push(cursor.clone());
            }
        }

        let mut offset = Vec::new();
        let mut keyset = Vec::new();
        for (depth, cursor) in DEPTHS.iter().zip(&cursors) {
            let by_offset = format!("/api/v1/tasks?limit={PAGE}&offset={depth}");
            let by_cursor = format!("/api/v1/tasks?limit={PAGE}&cursor={cursor}");
            offset.push((
                *depth,
                measure(&app, user, &by_offset, bench.runs, "offset").await?,
            ));
            keyset.push((
                *depth,
                measure(&app, user, &by_cursor, bench.runs, "cursor").await?,
            ));
        }
        if let Ok(app) = Arc::try_unwrap(app) {
            let _ = app.stop().await;
        }
        ctx.cleanup().await;

        println!(
            "lesson 9, {backend}: a page of {PAGE} at each depth, 20,000 tasks (medians of {} runs)",
            bench.runs
        );
        println!(
            "{:>8} {:>24} {:>24}",
            "depth", "by offset ms (query)", "by cursor ms (query)"
        );
        for ((depth, o), (_, k)) in offset.iter().zip(&keyset) {
            println!(
                "{depth:>8} {:>14.2} ({:>6.2}) {:>14.2} ({:>6.2})",
                o.http_ms, o.query_ms, k.http_ms, k.query_ms
            );
        }
        let first = keyset.first().context("no measurement")?.1.query_ms;
        let deepest = keyset.last().context("no measurement")?.1.query_ms;
        println!(
            "deepest cursor page / first: {:.2}× (flat means within 1.5×); deepest offset page / first: {:.1}×",
            deepest / first,
            offset.last().context("no measurement")?.1.query_ms
                / offset.first().context("no measurement")?.1.query_ms
        );
        let series = [
            (
                "by offset",
                offset
                    .iter()
                    .map(|(d, t)| (*d as f64, t.query_ms))
                    .collect::<Vec<_>>(),
            ),
            (
                "by cursor",
                keyset
                    .iter()
                    .map(|(d, t)| (*d as f64, t.query_ms))
                    .collect::<Vec<_>>(),
            ),
        ];
        let file = bench.out.join(format!("lesson09-{backend}.svg"));
        chart::lines(
            &file,
            &format!("Lesson 9 ({backend}): one page of {PAGE} by depth"),
            "rows before the page",
            &series,
        )?;
        println!("chart: {}", file.display());
    }
    Ok(())
}
