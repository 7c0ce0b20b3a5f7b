//! What a run of `bench http` found, as a table for people, JSON for
//! machines and a bar chart: medians over rounds, so one noisy round does
//! not decide.

use std::{fmt::Write as _, path::Path};

use serde_json::{Value, json};

use super::load::Measured;
use crate::bench::{chart, median};

/// One database's results.
#[derive(Debug, Clone)]
pub struct Report {
    /// Cores and processor, for the reader to weigh the figures.
    pub machine: String,
    /// The line above the table: what ran, how.
    pub heading: String,
    pub database: String,
    /// The measured servers, in column order: the lesson, then the peer if any.
    pub targets: Vec<String>,
    pub endpoints: Vec<Endpoint>,
    /// SQLite: each target's `-wal` size after each round's POST.
    pub wal: Vec<Vec<u64>>,
    /// The settings, as given to the JSON.
    pub settings: Value,
}

/// One endpoint's measurements.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub name: String,
    /// The label under its bars.
    pub short: String,
    /// The request, for the JSON.
    pub request: String,
    /// Per target (as in [`Report::targets`]), per round.
    pub rounds: Vec<Vec<Measured>>,
}

/// One cell of the table: the medians over rounds, the errors of all.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub ok: u64,
    pub errors: u64,
    pub first_error: Option<String>,
}

pub fn summarise(rounds: &[Measured]) -> Summary {
    let of = |figure: fn(&Measured) -> f64| {
        let mut values: Vec<f64> = rounds.iter().map(figure).collect();
        if values.is_empty() {
            0.0
        } else {
            median(&mut values)
        }
    };
    Summary {
        rps: of(|m| m.rps),
        p50_ms: of(|m| m.p50_ms),
        p99_ms: of(|m| m.p99_ms),
        ok: rounds.iter().map(|m| m.ok).sum(),
        errors: rounds.iter().map(|m| m.errors).sum(),
        first_error: rounds.iter().find_map(|m| m.first_error.clone()),
    }
}

/// The table, with a ratio column when there are two targets, then the
/// `-wal` sizes and the first error of every cell that had any.
pub fn table(report: &Report) -> String {
    let mut header = vec!["endpoint".to_owned()];
    header.extend(report.targets.iter().map(|t| format!("{t} req/s (p99 ms)")));
    let ratio = report.targets.len() == 2;
    if ratio {
        header.push(format!(
            "{}/{}",
            short(&report.targets[0]),
            short(&report.targets[1])
        ));
    }
    let mut rows = vec![header];
    let mut errors = Vec::new();
    for endpoint in &report.endpoints {
        let summaries: Vec<Summary> = endpoint.rounds.iter().map(|r| summarise(r)).collect();
        let mut row = vec![endpoint.name.clone()];
        for (target, summary) in report.targets.iter().zip(&summaries) {
            let mut cell = format!("{:.0} ({:.2})", summary.rps, summary.p99_ms);
            if summary.errors > 0 {
                let _ = write!(cell, " {} errors", summary.errors);
                errors.push(format!(
                    "  {target}, {}: {} errors of {}; first: {}",
                    endpoint.name,
                    summary.errors,
                    summary.errors + summary.ok,
                    summary.first_error.as_deref().unwrap_or("?")
                ));
            }
            row.push(cell);
        }
        if ratio {
            row.push(match (summaries[0].rps, summaries[1].rps) {
                (_, peer) if peer <= 0.0 => "-".to_owned(),
                (lesson, peer) => format!("{:.2}", lesson / peer),
            });
        }
        rows.push(row);
    }
    let columns = rows[0].len();
    let widths: Vec<usize> = (0..columns)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    let _ = writeln!(out, "{}", report.machine);
    let _ = writeln!(out, "{}", report.heading);
    for row in &rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            if c == 0 {
                let _ = write!(line, "{cell:<width$}", width = widths[c]);
            } else {
                let _ = write!(line, "  {cell:>width$}", width = widths[c]);
            }
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
    if !report.wal.is_empty() {
        let sizes: Vec<String> = report
            .targets
            .iter()
            .zip(&report.wal)
            .map(|(target, rounds)| {
                let sizes: Vec<String> = rounds.iter().map(|b| mib(*b)).collect();
                format!("{target} {}", sizes.join(", "))
            })
            .collect();
        let _ = writeln!(
            out,
            "-wal after each round's POST: {} (SQLite checkpoints at about 3.9 MiB)",
            sizes.join("; ")
        );
    }
    if !errors.is_empty() {
        let _ = writeln!(out, "errors (answers other than the expected status):");
        for line in errors {
            let _ = writeln!(out, "{line}");
        }
    }
    out
}

/// `lesson 9` → `lesson`, for the ratio's heading.
fn short(target: &str) -> &str {
    target.split_whitespace().next().unwrap_or(target)
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

pub fn json(report: &Report) -> Value {
    let endpoints: Vec<Value> = report
        .endpoints
        .iter()
        .map(|endpoint| {
            let targets: serde_json::Map<String, Value> = report
                .targets
                .iter()
                .zip(&endpoint.rounds)
                .map(|(target, rounds)| {
                    let summary = summarise(rounds);
                    let rounds: Vec<Value> = rounds
                        .iter()
                        .map(|m| {
                            json!({
                                "rps": m.rps, "p50_ms": m.p50_ms, "p99_ms": m.p99_ms,
                                "ok": m.ok, "errors": m.errors, "first_error": m.first_error,
                            })
                        })
                        .collect();
                    (
                        target.clone(),
                        json!({
                            "rps": summary.rps, "p50_ms": summary.p50_ms, "p99_ms": summary.p99_ms,
                            "ok": summary.ok, "errors": summary.errors,
                            "first_error": summary.first_error, "rounds": rounds,
                        }),
                    )
                })
                .collect();
            json!({"name": endpoint.name, "request": endpoint.request, "targets": targets})
        })
        .collect();
    let wal: serde_json::Map<String, Value> = report
        .targets
        .iter()
        .zip(&report.wal)
        .map(|(target, rounds)| (target.clone(), json!(rounds)))
        .collect();
    json!({
        "machine": report.machine,
        "database": report.database,
        "settings": report.settings,
        "targets": report.targets,
        "endpoints": endpoints,
        "wal_bytes_after_post": if report.wal.is_empty() { Value::Null } else { Value::Object(wal) },
    })
}

/// Requests per second by endpoint, one bar per target.
pub fn chart(report: &Report, file: &Path) -> anyhow::Result<()> {
    let groups: Vec<(String, Vec<f64>)> = report
        .endpoints
        .iter()
        .map(|endpoint| {
            let rps = endpoint.rounds.iter().map(|r| summarise(r).rps).collect();
            (endpoint.short.clone(), rps)
        })
        .collect();
    let series: Vec<&str> = report.targets.iter().map(String::as_str).collect();
    chart::grouped_bars(
        file,
        &format!(
            "{} on {}: requests per second",
            report.targets.join(" vs "),
            report.database
        ),
        "requests per second (median of rounds)",
        &series,
        &groups,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measured(rps: f64, p99_ms: f64, errors: u64) -> Measured {
        Measured {
            ok: (rps * 5.0) as u64,
            errors,
            rps,
            p50_ms: p99_ms / 4.0,
            p99_ms,
            first_error: (errors > 0).then(|| "status 404: {}".to_owned()),
        }
    }

    fn report(targets: &[&str], wal: Vec<Vec<u64>>) -> Report {
        let rounds = |a: f64, b: f64| vec![measured(a, 2.0, 0), measured(b, 4.0, 0)];
        let mut endpoints = vec![Endpoint {
            name: "GET task by id".to_owned(),
            short: "by id".to_owned(),
            request: "GET /api/v1/tasks/{id}".to_owned(),
            rounds: vec![rounds(1000.0, 1200.0), rounds(2000.0, 2400.0)],
        }];
        endpoints.push(Endpoint {
            name: "POST create".to_owned(),
            short: "create".to_owned(),
            request: "POST /api/v1/tasks".to_owned(),
            rounds: vec![
                vec![measured(500.0, 10.0, 3), measured(700.0, 30.0, 0)],
                rounds(1000.0, 1000.0),
            ],
        });
        for endpoint in &mut endpoints {
            endpoint.rounds.truncate(targets.len());
        }
        Report {
            machine: "machine: 2 cores".to_owned(),
            heading: "lesson 9 on sqlite".to_owned(),
            database: "sqlite".to_owned(),
            targets: targets.iter().map(|t| (*t).to_owned()).collect(),
            endpoints,
            wal,
            settings: json!({}),
        }
    }

    #[test]
    fn medians_over_rounds() {
        let summary = summarise(&[
            measured(100.0, 9.0, 0),
            measured(300.0, 1.0, 2),
            measured(200.0, 5.0, 1),
        ]);
        assert_eq!(summary.rps, 200.0);
        assert_eq!(summary.p99_ms, 5.0);
        assert_eq!(summary.errors, 3);
        assert_eq!(summary.ok, 3000);
        assert_eq!(summary.first_error.as_deref(), Some("status 404: {}"));
        // Two rounds: the mean of both.
        assert_eq!(
            summarise(&[measured(100.0, 2.0, 0), measured(200.0, 4.0, 0)]).rps,
            150.0
        );
    }

    #[test]
    fn a_table_with_the_peer_has_ratios_and_errors() {
        let report = report(
            &["lesson 9", "peer"],
            vec![vec![4_194_304, 4_300_000], vec![0, 4_194_304]],
        );
        let table = table(&report);
        let expected = "\
machine: 2 cores
lesson 9 on sqlite
endpoint        lesson 9 req/s (p99 ms)  peer req/s (p99 ms)  lesson/peer
GET task by id              1100 (3.00)          2200 (3.00)         0.50
POST create        600 (20.00) 3 errors          1000 (3.00)         0.60
-wal after each round's POST: lesson 9 4.0 MiB, 4.1 MiB; peer 0.0 MiB, 4.0 MiB (SQLite checkpoints at about 3.9 MiB)
errors (answers other than the expected status):
  lesson 9, POST create: 3 errors of 6003; first: status 404: {}
";
        assert_eq!(table, expected);
    }

    #[test]
    fn a_table_of_the_lesson_alone_has_no_ratio() {
        let table = table(&report(&["lesson 9"], Vec::new()));
        assert!(
            table.contains("GET task by id              1100 (3.00)\n"),
            "{table}"
        );
        assert!(!table.contains("/peer"));
        assert!(!table.contains("-wal"));
    }

    #[test]
    fn the_json_has_every_round() {
        let value = json(&report(&["lesson 9", "peer"], Vec::new()));
        let cell = &value["endpoints"][0]["targets"]["peer"];
        assert_eq!(cell["rps"], 2200.0);
        assert_eq!(cell["rounds"].as_array().unwrap().len(), 2);
        assert_eq!(value["wal_bytes_after_post"], Value::Null);
    }
}
