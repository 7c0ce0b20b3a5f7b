//! `cargo xtask bench http`: a lesson's release binary under HTTP load,
//! endpoint by endpoint, beside the hand-written axum+sqlx peer on a copy of
//! the same rows; this module builds, seeds, starts the targets and runs the
//! rounds, interleaving the targets so that drift hits both alike.

mod copies;
mod load;
mod report;
mod target;

use std::{
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{Context, anyhow, bail};
use checks::harness::{Backend, Ctx};
use serde_json::{Value, json};
use uuid::Uuid;

use self::{
    copies::{Copy, Seeded},
    load::{Connection, Headers, Load, MakeRequest},
    report::{Endpoint, Report},
};
use crate::{build, check::Databases, lessons::Lessons};

/// The peer's package (and binary) name.
const PEER: &str = "axum-sqlx-peer";
/// The seed: two users, 10,000 tasks each (`--tasks` is the total).
const SEED: [&str; 5] = ["seed", "--users", "2", "--tasks", "20000"];
/// How deep the deep pages start.
const DEPTH: usize = 9_000;
/// Rows per measured page.
const PAGE: usize = 20;

#[derive(Debug, Default, clap::Args)]
#[command(next_help_heading = "bench http")]
pub struct HttpArgs {
    /// The lesson to measure, 9 or later: the peer answers lesson 9's API [default: 9]
    #[arg(long, value_name = "N")]
    lesson: Option<u8>,
    /// Measure this binary (a learner's) instead of building the lesson (also for benches 7 and 9)
    #[arg(long, value_name = "PATH")]
    bin: Option<PathBuf>,
    /// Also measure the axum+sqlx peer, and print lesson/peer ratios
    #[arg(long)]
    peers: bool,
    /// Seconds each endpoint is measured on each target, per round [default: 5]
    #[arg(long, value_name = "SECS")]
    duration: Option<u64>,
    /// Seconds of load before each measurement, not counted [default: 2]
    #[arg(long, value_name = "SECS")]
    warmup: Option<u64>,
    /// Concurrent clients, each on a keep-alive connection of its own [default: 32]
    #[arg(long, value_name = "N")]
    connections: Option<usize>,
    /// Rounds of every endpoint on every target; the median is reported [default: 3]
    #[arg(long, value_name = "N")]
    rounds: Option<usize>,
}

impl HttpArgs {
    /// The first flag of `bench http` that was given, for refusing it elsewhere.
    /// The binary to measure instead of the reference, if given.
    pub fn bin(&self) -> Option<&PathBuf> {
        self.bin.as_ref()
    }

    /// A flag only `bench http` takes, if one was given.
    pub fn given(&self) -> Option<&'static str> {
        [
            (self.lesson.is_some(), "--lesson"),
            (self.peers, "--peers"),
            (self.duration.is_some(), "--duration"),
            (self.warmup.is_some(), "--warmup"),
            (self.connections.is_some(), "--connections"),
            (self.rounds.is_some(), "--rounds"),
        ]
        .into_iter()
        .find_map(|(given, flag)| given.then_some(flag))
    }

    fn settings(self) -> anyhow::Result<Settings> {
        let settings = Settings {
            lesson: self.lesson.unwrap_or(9),
            bin: self.bin,
            peers: self.peers,
            duration: Duration::from_secs(self.duration.unwrap_or(5)),
            warmup: Duration::from_secs(self.warmup.unwrap_or(2)),
            connections: self.connections.unwrap_or(32),
            rounds: self.rounds.unwrap_or(3),
        };
        if settings.lesson < 9 {
            bail!(
                "bench http measures lesson 9 or later (--lesson {}): the peer answers lesson 9's \
                 API, cursor pages included",
                settings.lesson
            );
        }
        if settings.duration.is_zero() || settings.connections == 0 || settings.rounds == 0 {
            bail!("--duration, --connections and --rounds must be 1 or more");
        }
        Ok(settings)
    }
}

/// The arguments with their defaults filled in.
#[derive(Debug)]
struct Settings {
    lesson: u8,
    bin: Option<PathBuf>,
    peers: bool,
    duration: Duration,
    warmup: Duration,
    connections: usize,
    rounds: usize,
}

/// The binaries to measure.
struct Binaries {
    lesson: PathBuf,
    /// What the lesson column is called, and what it is.
    lesson_name: String,
    lesson_about: String,
    peer: Option<PathBuf>,
}

/// What one endpoint sends.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// `GET /api/v1/tasks/{id}`, a random id of the sample each time.
    ById,
    /// `GET /api/v1/tasks?…`
    List(&'static str),
    /// `GET /api/v1/tasks?limit=20&cursor=…`, the target's own cursor after [`DEPTH`] rows.
    Cursor,
    /// `POST /api/v1/tasks`, a title of its own each time.
    Create,
}

/// One named endpoint of the table.
struct Scenario {
    name: &'static str,
    short: &'static str,
    kind: Kind,
    expect: u16,
}

/// The endpoints, in the order they run: POST last, since it grows the tables.
const SCENARIOS: [Scenario; 6] = [
    Scenario {
        name: "GET task by id",
        short: "by id",
        kind: Kind::ById,
        expect: 200,
    },
    Scenario {
        name: "list, offset 0",
        short: "offset 0",
        kind: Kind::List("limit=20&offset=0"),
        expect: 200,
    },
    Scenario {
        name: "list, offset 9000",
        short: "offset 9000",
        kind: Kind::List("limit=20&offset=9000"),
        expect: 200,
    },
    Scenario {
        name: "list, done + sort by due date",
        short: "done, by due",
        kind: Kind::List("done=false&sort=due_date&limit=20"),
        expect: 200,
    },
    Scenario {
        name: "list, cursor after 9000",
        short: "cursor 9000",
        kind: Kind::Cursor,
        expect: 200,
    },
    Scenario {
        name: "POST create",
        short: "create",
        kind: Kind::Create,
        expect: 201,
    },
];

pub fn run(args: HttpArgs, db: Databases) -> anyhow::Result<()> {
    let settings = args.settings()?;
    let backends = db.backends();
    let postgres = crate::check::postgres(&backends)?;
    let binaries = binaries(&settings)?;
    let out = super::output_dir()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        for backend in backends {
            let started = Instant::now();
            let ctx = Ctx::new(
                "bench_http",
                settings.lesson,
                backend,
                binaries.lesson.clone(),
                postgres.clone(),
            )?;
            let outcome = on_database(&settings, &binaries, &ctx).await;
            ctx.cleanup().await;
            let report = outcome?;
            print!("{}", report::table(&report));
            let json = out.join(format!("http-{backend}.json"));
            let svg = out.join(format!("http-{backend}.svg"));
            std::fs::write(&json, serde_json::to_string_pretty(&report::json(&report))?)
                .with_context(|| format!("writing {}", json.display()))?;
            report::chart(&report, &svg)?;
            println!("json: {}", json.display());
            println!("chart: {}", svg.display());
            println!("{backend}: took {:.0} s\n", started.elapsed().as_secs_f64());
        }
        Ok(())
    })
}

/// Builds what needs building, in release: the lesson (unless `--bin`) and the peer (with `--peers`).
fn binaries(settings: &Settings) -> anyhow::Result<Binaries> {
    let workspace = Lessons::discover()?;
    let lesson = workspace.package(settings.lesson)?;
    let mut packages = Vec::new();
    if settings.bin.is_none() {
        packages.push(lesson.package.as_str());
    }
    if settings.peers {
        packages.push(PEER);
    }
    let built = if packages.is_empty() {
        None
    } else {
        eprintln!(
            "building {} in release (minutes the first time)…",
            packages.join(", ")
        );
        let started = Instant::now();
        let built = build::packages_in(build::Profile::Release, &packages)?;
        eprintln!("built in {:.0} s", started.elapsed().as_secs_f64());
        Some(built)
    };
    let (lesson_binary, lesson_about) = match (&settings.bin, &built) {
        (Some(bin), _) => {
            let path = std::fs::canonicalize(bin)
                .with_context(|| format!("no binary at {}", bin.display()))?;
            let about = format!("{} (--bin)", path.display());
            (path, about)
        }
        (None, Some(built)) => (
            built.executable(lesson).map_err(|errors| anyhow!(errors))?,
            format!("{}, release", lesson.package),
        ),
        (None, None) => unreachable!("the lesson is built unless --bin"),
    };
    let peer = match &built {
        Some(built) if settings.peers => Some(
            built
                .executable_named(PEER)
                .map_err(|errors| anyhow!(errors))?,
        ),
        _ => None,
    };
    Ok(Binaries {
        lesson: lesson_binary,
        lesson_name: format!("lesson {}", settings.lesson),
        lesson_about,
        peer,
    })
}

/// A target while it is measured.
struct Measured {
    running: target::Running,
    copy: Copy,
    reader: Headers,
    writer: Headers,
    /// This target's own cursor after [`DEPTH`] rows (cursors are opaque).
    cursor: String,
}

/// Seeds, copies, starts the targets, runs the rounds; stops and drops
/// everything it started, whatever happened.
async fn on_database(
    settings: &Settings,
    binaries: &Binaries,
    ctx: &Ctx,
) -> anyhow::Result<Report> {
    let backend = ctx.backend();
    eprintln!("{backend}: seeding 2 users and 20,000 tasks…");
    super::command(ctx, &SEED).await?;
    let seeded = copies::prepare(ctx).await?;
    if seeded.reader_tasks < (DEPTH + PAGE) as i64 {
        bail!(
            "the seeded user with the most tasks has {}, fewer than the {} the deep pages need",
            seeded.reader_tasks,
            DEPTH + PAGE
        );
    }
    let mut targets = Vec::new();
    let outcome = rounds(settings, binaries, ctx, &seeded, &mut targets).await;
    for target in targets {
        if let Err(err) = target.running.stop().await {
            eprintln!("warning: {err:#}");
        }
        target.copy.remove().await;
    }
    outcome
}

async fn rounds(
    settings: &Settings,
    binaries: &Binaries,
    ctx: &Ctx,
    seeded: &Seeded,
    targets: &mut Vec<Measured>,
) -> anyhow::Result<Report> {
    let backend = ctx.backend();
    let mut names = vec![binaries.lesson_name.clone()];
    let mut list = vec![(binaries.lesson_name.as_str(), "lesson", &binaries.lesson)];
    if let Some(peer) = &binaries.peer {
        names.push("peer".to_owned());
        list.push(("peer", "peer", peer));
    }
    for (name, file, binary) in list {
        let copy = copies::copy(ctx, file).await?;
        let running = match target::start(name, binary, &copy.url, ctx.workdir()).await {
            Ok(running) => running,
            Err(err) => {
                copy.remove().await;
                return Err(err);
            }
        };
        let reader = Headers::new(running.addr, seeded.reader)?;
        let writer = Headers::new(running.addr, seeded.writer)?;
        targets.push(Measured {
            running,
            copy,
            reader,
            writer,
            cursor: String::new(),
        });
    }
    let ids = Arc::new(seeded.ids.clone());
    for target in targets.iter_mut() {
        target.cursor = cursor_after(&target.reader, target.running.addr, DEPTH)
            .await
            .with_context(|| format!("{}: walking the list by cursor", target.running.name))?;
        probe(target, &ids).await?;
    }

    let mut results: Vec<Vec<Vec<load::Measured>>> =
        vec![vec![Vec::new(); targets.len()]; SCENARIOS.len()];
    let mut wal = vec![Vec::new(); targets.len()];
    for round in 0..settings.rounds {
        // Who goes first alternates, so neither always runs on a warmer machine.
        let order: Vec<usize> = if round % 2 == 0 {
            (0..targets.len()).collect()
        } else {
            (0..targets.len()).rev().collect()
        };
        for (s, scenario) in SCENARIOS.iter().enumerate() {
            for &t in &order {
                let target = &mut targets[t];
                let prefix = Uuid::new_v4().simple().to_string()[..8].to_owned();
                let load = Load {
                    addr: target.running.addr,
                    connections: settings.connections,
                    warmup: settings.warmup,
                    duration: settings.duration,
                    expect: scenario.expect,
                };
                let measured =
                    load::run(load, requests(scenario.kind, target, &ids, &prefix)).await?;
                target.running.check_alive()?;
                eprintln!(
                    "{backend} round {}/{}: {:<10} {:<30} {:>8.0} req/s  p99 {:>7.2} ms{}",
                    round + 1,
                    settings.rounds,
                    target.running.name,
                    scenario.name,
                    measured.rps,
                    measured.p99_ms,
                    if measured.errors > 0 {
                        format!("  {} errors", measured.errors)
                    } else {
                        String::new()
                    }
                );
                if matches!(scenario.kind, Kind::Create)
                    && let Some(bytes) = target.copy.wal_bytes()
                {
                    wal[t].push(bytes);
                }
                results[s][t].push(measured);
            }
        }
    }

    let endpoints = SCENARIOS
        .iter()
        .zip(results)
        .map(|(scenario, rounds)| Endpoint {
            name: scenario.name.to_owned(),
            short: scenario.short.to_owned(),
            request: describe(scenario.kind),
            rounds,
        })
        .collect();
    let peer = if binaries.peer.is_some() {
        " beside the axum+sqlx peer"
    } else {
        ""
    };
    Ok(Report {
        machine: machine(),
        heading: format!(
            "{} ({}){peer} on {backend}: {} connections, {} s warm-up + {} s per endpoint and \
             target, median of {} rounds; reads as a user with {} tasks, creates as another",
            binaries.lesson_name,
            binaries.lesson_about,
            settings.connections,
            settings.warmup.as_secs(),
            settings.duration.as_secs(),
            settings.rounds,
            seeded.reader_tasks
        ),
        database: backend.to_string(),
        targets: names,
        endpoints,
        wal: if backend == Backend::Sqlite {
            wal
        } else {
            Vec::new()
        },
        settings: json!({
            "lesson": settings.lesson,
            "binary": binaries.lesson_about,
            "peers": settings.peers,
            "duration_s": settings.duration.as_secs(),
            "warmup_s": settings.warmup.as_secs(),
            "connections": settings.connections,
            "rounds": settings.rounds,
            "seed": SEED[1..].join(" "),
            "reader_tasks": seeded.reader_tasks,
        }),
    })
}

/// What `kind` sends to `target`: a request of its own for client `c`'s `n`th.
fn requests(kind: Kind, target: &Measured, ids: &Arc<Vec<Uuid>>, prefix: &str) -> MakeRequest {
    match kind {
        Kind::ById => {
            let (headers, ids) = (target.reader.clone(), ids.clone());
            Arc::new(move |client, n| {
                let id = ids[pick(client, n, ids.len())];
                headers.get(&format!("/api/v1/tasks/{id}"))
            })
        }
        Kind::List(query) => {
            let (headers, path) = (target.reader.clone(), format!("/api/v1/tasks?{query}"));
            Arc::new(move |_, _| headers.get(&path))
        }
        Kind::Cursor => {
            let headers = target.reader.clone();
            let path = format!("/api/v1/tasks?limit={PAGE}&cursor={}", target.cursor);
            Arc::new(move |_, _| headers.get(&path))
        }
        Kind::Create => {
            let (headers, prefix) = (target.writer.clone(), prefix.to_owned());
            Arc::new(move |client, n| {
                headers.post_json(
                    "/api/v1/tasks",
                    format!(r#"{{"title":"bench {prefix} {client}-{n}"}}"#),
                )
            })
        }
    }
}

fn describe(kind: Kind) -> String {
    match kind {
        Kind::ById => "GET /api/v1/tasks/{id}".to_owned(),
        Kind::List(query) => format!("GET /api/v1/tasks?{query}"),
        Kind::Cursor => format!("GET /api/v1/tasks?limit={PAGE}&cursor=<after {DEPTH} rows>"),
        Kind::Create => r#"POST /api/v1/tasks {"title":"bench …"}"#.to_owned(),
    }
}

/// A well-spread index below `len` for client `client`'s `n`th request (splitmix64).
fn pick(client: usize, n: u64, len: usize) -> usize {
    let mut z = ((client as u64) << 40 ^ n).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z % len.max(1) as u64) as usize
}

/// The target's own cursor after `rows` rows, walking 100 rows a page as a client would.
async fn cursor_after(
    headers: &Headers,
    addr: std::net::SocketAddr,
    rows: usize,
) -> anyhow::Result<String> {
    let mut connection = Connection::open(addr).await?;
    let mut cursor = String::new();
    for page in 0..rows / 100 {
        let path = format!("/api/v1/tasks?limit=100&cursor={cursor}");
        let (status, body) = connection.send(headers.get(&path)).await?;
        let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let rows = json
            .get("data")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        if status != 200 || rows != 100 {
            bail!(
                "page {} of GET {path}: status {status} with {rows} rows: {}",
                page + 1,
                load::brief(&body)
            );
        }
        cursor = json
            .pointer("/meta/nextCursor")
            .and_then(Value::as_str)
            .with_context(|| format!("no meta.nextCursor in {}", load::brief(&body)))?
            .to_owned();
    }
    Ok(cursor)
}

/// One request of each endpoint before any load: a wrong status (a route
/// missing, a parameter refused) stops the bench instead of measuring errors.
async fn probe(target: &Measured, ids: &Arc<Vec<Uuid>>) -> anyhow::Result<()> {
    let mut connection = Connection::open(target.running.addr).await?;
    for scenario in &SCENARIOS {
        let request = requests(scenario.kind, target, ids, "probe")(usize::MAX, 0);
        let line = format!("{} {}", request.method(), request.uri());
        let (status, body) = connection.send(request).await?;
        if status != scenario.expect {
            bail!(
                "{}: {line} answered {status}, not {}: {}",
                target.running.name,
                scenario.expect,
                load::brief(&body)
            );
        }
    }
    Ok(())
}

/// Cores (as the standard library counts them) and the processor's name.
fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split_once(':'))
                .map(|(_, name)| name.trim().to_owned())
        })
        .unwrap_or_else(|| "processor unknown".to_owned());
    format!(
        "machine: {cores} cores (available_parallelism), {cpu}, {} {}; the load generator shares them",
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_spread_over_the_sample() {
        let mut seen = [0u32; 10];
        for client in 0..4 {
            for n in 0..1_000 {
                seen[pick(client, n, 10)] += 1;
            }
        }
        assert!(
            seen.iter().all(|count| (300..500).contains(count)),
            "{seen:?}"
        );
    }

    #[test]
    fn refuses_lessons_before_nine() {
        let args = HttpArgs {
            lesson: Some(8),
            ..HttpArgs::default()
        };
        assert!(
            args.settings()
                .unwrap_err()
                .to_string()
                .contains("lesson 9 or later")
        );
        let settings = HttpArgs::default().settings().unwrap();
        assert_eq!(
            (settings.lesson, settings.connections, settings.rounds),
            (9, 32, 3)
        );
    }

    #[test]
    fn http_flags_are_noticed() {
        assert_eq!(HttpArgs::default().given(), None);
        let args = HttpArgs {
            peers: true,
            ..HttpArgs::default()
        };
        assert_eq!(args.given(), Some("--peers"));
    }

    #[test]
    fn post_comes_last() {
        assert!(matches!(SCENARIOS[SCENARIOS.len() - 1].kind, Kind::Create));
        assert_eq!(
            SCENARIOS
                .iter()
                .filter(|s| matches!(s.kind, Kind::Create))
                .count(),
            1
        );
    }
}
